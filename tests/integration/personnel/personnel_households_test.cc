// Regions and households through a real gRPC server and a real MariaDB: imports, etags,
// field violations, idempotency, audit events without personal data, and region scope.

#include <cppconn/resultset.h>

#include "tests/integration/personnel/personnel_fixture.h"

namespace tuopin::personnel {
namespace {

TEST_F(PersonnelTest, RegionsImportIdempotentlyAndList) {
  v1::ImportRegionsRequest req;
  req.set_request_id("import-again");
  auto* r = req.add_regions();
  r->set_code(kVillageA);
  r->set_name("Gaofeng Village");
  auto* renamed = req.add_regions();
  renamed->set_code(kVillageB);
  renamed->set_name("Shuiqing Village (renamed)");
  v1::ImportRegionsResponse first, replay;
  ASSERT_TRUE(stub_->ImportRegions(ContextAs(admin_).get(), req, &first).ok());
  EXPECT_EQ(first.unchanged(), 1);
  EXPECT_EQ(first.updated(), 1);
  ASSERT_TRUE(stub_->ImportRegions(ContextAs(admin_).get(), req, &replay).ok());
  EXPECT_EQ(replay.SerializeAsString(), first.SerializeAsString());

  v1::ImportRegionsRequest orphan;
  orphan.set_request_id("orphan");
  auto* o = orphan.add_regions();
  o->set_code("520299001001");
  o->set_name("Nowhere");
  v1::ImportRegionsResponse out;
  grpc::Status st = stub_->ImportRegions(ContextAs(admin_).get(), orphan, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "regions[0].code");

  // An official may not import regions: the contract allows admins only.
  st = stub_->ImportRegions(ContextAs(official_).get(), req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::Region region;
  ASSERT_TRUE(stub_
                  ->GetRegion(
                      ContextAs(auditor_).get(),
                      [] {
                        v1::GetRegionRequest g;
                        g.set_code(kVillageB);
                        return g;
                      }(),
                      &region)
                  .ok());
  EXPECT_EQ(region.name(), "Shuiqing Village (renamed)");
  EXPECT_EQ(region.level(), v1::REGION_LEVEL_VILLAGE);
  EXPECT_EQ(region.parent_code(), "520221104");

  v1::GetRegionRequest bad;
  bad.set_code("52a");
  EXPECT_EQ(ViolatedField(stub_->GetRegion(ContextAs(auditor_).get(), bad, &region)), "code");

  // Pages of one child each.
  v1::ListRegionsRequest list;
  list.set_parent_code("520221104");
  list.set_page_size(1);
  std::vector<std::string> codes;
  for (int i = 0; i < 5; ++i) {
    v1::ListRegionsResponse page;
    ASSERT_TRUE(stub_->ListRegions(ContextAs(auditor_).get(), list, &page).ok());
    for (const auto& x : page.regions()) codes.push_back(x.code());
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(codes, (std::vector<std::string>{kVillageA, kVillageB}));
}

TEST_F(PersonnelTest, HouseholdsCreateGetUpdateWithEtag) {
  v1::Household h;
  ASSERT_TRUE(CreateHousehold(official_, kVillageA, "Robert'); DROP TABLE households;--", &h,
                              v1::HOUSEHOLD_STATUS_NOT_POOR)
                  .ok());
  EXPECT_FALSE(h.id().empty());
  EXPECT_EQ(h.etag(), "v1");

  v1::GetHouseholdRequest get;
  get.set_id(h.id());
  v1::Household read;
  ASSERT_TRUE(stub_->GetHousehold(ContextAs(auditor_).get(), get, &read).ok());
  EXPECT_EQ(read.head_name(), "Robert'); DROP TABLE households;--");

  v1::UpdateHouseholdRequest up;
  up.set_request_id(NextId());
  up.mutable_household()->set_id(h.id());
  up.mutable_household()->set_etag(h.etag());
  up.mutable_household()->mutable_indicators()->set_drinking_water_safety(true);
  up.mutable_household()->set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  up.mutable_update_mask()->add_paths("indicators.drinking_water_safety");
  up.mutable_update_mask()->add_paths("status");
  v1::Household updated;
  ASSERT_TRUE(stub_->UpdateHousehold(ContextAs(official_).get(), up, &updated).ok());
  EXPECT_EQ(updated.etag(), "v2");
  EXPECT_TRUE(updated.indicators().drinking_water_safety());
  EXPECT_EQ(updated.status(), v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  EXPECT_EQ(updated.head_name(), read.head_name());

  // A stale etag: ABORTED, nothing changed.
  up.set_request_id(NextId());
  up.mutable_household()->set_status(v1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN);
  grpc::Status st = stub_->UpdateHousehold(ContextAs(official_).get(), up, &updated);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ABORTED);

  // An unknown path names update_mask.
  up.set_request_id(NextId());
  up.mutable_household()->set_etag("v2");
  up.mutable_update_mask()->add_paths("village_code");
  EXPECT_EQ(ViolatedField(stub_->UpdateHousehold(ContextAs(official_).get(), up, &updated)),
            "update_mask");
  EXPECT_EQ(Count("SELECT version FROM households"), 2);
}

TEST_F(PersonnelTest, HouseholdBadInputWritesNothing) {
  v1::Household out;
  struct Case {
    std::function<void(v1::CreateHouseholdRequest&)> mutate;
    std::string field;
  };
  // Invalid UTF-8 never reaches a handler: protobuf refuses to parse it. The gateway,
  // which sees the raw bytes, answers it (issue 11).
  std::vector<Case> cases = {
      {[](auto& r) { r.set_request_id(""); }, "request_id"},
      {[](auto& r) { r.mutable_household()->set_village_code("520221"); },
       "household.village_code"},
      {[](auto& r) { r.mutable_household()->set_village_code("52022110400x"); },
       "household.village_code"},
      {[](auto& r) { r.mutable_household()->set_head_name(""); }, "household.head_name"},
      {[](auto& r) { r.mutable_household()->set_head_name(std::string(65, 'a')); },
       "household.head_name"},
      {[](auto& r) { r.mutable_household()->set_member_count(0); }, "household.member_count"},
      {[](auto& r) { r.mutable_household()->set_status(static_cast<v1::HouseholdStatus>(42)); },
       "household.status"},
      {[](auto& r) { r.mutable_household()->set_income_per_head_fen(-5); },
       "household.income_per_head_fen"},
      {[](auto& r) { r.mutable_household()->set_village_code("520221104099"); },
       "household.village_code"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    v1::CreateHouseholdRequest req;
    req.set_request_id(NextId());
    auto* h = req.mutable_household();
    h->set_village_code(kVillageA);
    h->set_head_name("Wang");
    h->set_member_count(3);
    h->set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
    cases[i].mutate(req);
    grpc::Status st = stub_->CreateHousehold(ContextAs(official_).get(), req, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "case " << i;
    EXPECT_EQ(ViolatedField(st), cases[i].field) << "case " << i;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM households"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE event LIKE '%household%'"), 0);
}

TEST_F(PersonnelTest, MutationsAreIdempotentAndAuditedWithoutPersonalData) {
  v1::CreateHouseholdRequest req;
  req.set_request_id("create-once");
  auto* h = req.mutable_household();
  h->set_village_code(kVillageA);
  h->set_head_name("Zhang Guilan");
  h->set_member_count(5);
  h->set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  v1::Household first, second;
  ASSERT_TRUE(stub_->CreateHousehold(ContextAs(official_).get(), req, &first).ok());
  ASSERT_TRUE(stub_->CreateHousehold(ContextAs(official_).get(), req, &second).ok());
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM households"), 1);

  h->set_member_count(6);
  grpc::Status st = stub_->CreateHousehold(ContextAs(official_).get(), req, &second);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "request_id");

  // One audit event for the household: it names the household and the actor, never the
  // head's name.
  std::vector<std::string> events;
  ASSERT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                auto rs = common::Query(s, "SELECT event FROM outbox ORDER BY seq").Rows();
                while (rs->next()) events.push_back(rs->getString(1).asStdString());
                return absl::OkStatus();
              }).ok());
  int household_events = 0;
  for (const auto& bytes : events) {
    EXPECT_EQ(bytes.find("Zhang Guilan"), std::string::npos);
    tuopin::common::v1::AuditEvent e;
    ASSERT_TRUE(e.ParseFromString(bytes));
    if (e.method() != "/tuopin.personnel.v1.PersonnelService/CreateHousehold") continue;
    ++household_events;
    EXPECT_EQ(e.actor_subject(), "official-shuicheng");
    ASSERT_EQ(e.entities_size(), 1);
    EXPECT_EQ(e.entities(0).id(), first.id());
    EXPECT_EQ(e.entities(0).region_code(), kVillageA);
  }
  EXPECT_EQ(household_events, 1);
}

TEST_F(PersonnelTest, RegionScopeAndRolesAreEnforced) {
  v1::Household h;
  ASSERT_TRUE(CreateHousehold(official_, kVillageA, "Li", &h).ok());
  // Another county's official can neither create in Shuicheng nor read by id.
  v1::Household out;
  EXPECT_EQ(CreateHousehold(liuzhi_official_, kVillageA, "Li", &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetHouseholdRequest get;
  get.set_id(h.id());
  grpc::Status st = stub_->GetHousehold(ContextAs(liuzhi_official_).get(), get, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ListHouseholdsRequest list;
  list.set_region_code(kShuicheng);
  v1::ListHouseholdsResponse listed;
  EXPECT_EQ(stub_->ListHouseholds(ContextAs(liuzhi_official_).get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Auditors read but never write.
  EXPECT_TRUE(stub_->GetHousehold(ContextAs(auditor_).get(), get, &out).ok());
  EXPECT_EQ(CreateHousehold(auditor_, kVillageA, "Li", &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // No principal, or one signed with another key: UNAUTHENTICATED.
  grpc::ClientContext bare;
  EXPECT_EQ(stub_->GetHousehold(&bare, get, &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_
                ->GetHousehold(ContextAs(admin_, "a forged key of the right length......").get(),
                               get, &out)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM households"), 1);
}

TEST_F(PersonnelTest, ListHouseholdsPagesBySubtreeAndStatus) {
  v1::Household h;
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(CreateHousehold(
                    i < 5 ? official_ : admin_, i % 2 ? kVillageA : kVillageB, absl::StrCat("H", i),
                    &h,
                    i < 5 ? v1::HOUSEHOLD_STATUS_REGISTERED_POOR : v1::HOUSEHOLD_STATUS_LIFTED_OUT)
                    .ok());
  }
  ASSERT_TRUE(CreateHousehold(admin_, kLiuzhiVillage, "Elsewhere", &h).ok());
  auto collect = [&](v1::ListHouseholdsRequest req) {
    std::vector<std::string> ids;
    for (int guard = 0; guard < 20; ++guard) {
      v1::ListHouseholdsResponse page;
      grpc::Status st = stub_->ListHouseholds(ContextAs(official_).get(), req, &page);
      EXPECT_TRUE(st.ok()) << st.error_message();
      EXPECT_LE(page.households_size(), 3);
      for (const auto& x : page.households()) ids.push_back(x.id());
      if (page.next_page_token().empty()) break;
      req.set_page_token(page.next_page_token());
    }
    return ids;
  };
  v1::ListHouseholdsRequest req;
  req.set_region_code(kShuicheng);
  req.set_page_size(3);
  auto all = collect(req);
  EXPECT_EQ(all.size(), 7u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 7u) << "a row came twice";
  req.set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  EXPECT_EQ(collect(req).size(), 5u);

  // A token from the status-filtered list, reused without the filter.
  v1::ListHouseholdsResponse page;
  ASSERT_TRUE(stub_->ListHouseholds(ContextAs(official_).get(), req, &page).ok());
  v1::ListHouseholdsRequest other;
  other.set_region_code(kShuicheng);
  other.set_page_token(page.next_page_token());
  grpc::Status st = stub_->ListHouseholds(ContextAs(official_).get(), other, &page);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "page_token");
}

}  // namespace
}  // namespace tuopin::personnel
