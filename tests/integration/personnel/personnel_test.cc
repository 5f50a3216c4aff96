// PersonnelService through a real gRPC server on loopback and a real MariaDB: every RPC,
// the posting and pairing rules (including a race for a first-secretary seat), field
// violations, idempotency, audit events without personal data, and region scope.

#include <cppconn/resultset.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/handler.h"
#include "common/migrate.h"
#include "common/validate.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/personnel/mysql_personnel_store.h"
#include "services/personnel/personnel_service.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/same_refusal.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& PersonnelMigrations();
}

namespace tuopin::personnel {
namespace {

using google::protobuf::util::TimeUtil;
using testing::ContextAs;
using testing::MakePrincipal;
using testing::ViolatedField;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_AUDITOR;
using tuopin::common::v1::ROLE_CADRE;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;
using tuopin::common::v1::ROLE_INSPECTOR;

constexpr char kShuicheng[] = "520221";
constexpr char kVillageA[] = "520221104001";
constexpr char kVillageB[] = "520221104002";
constexpr char kLiuzhiVillage[] = "520203100001";
const absl::Time kSymposium =
    absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone());

class PersonnelTest : public ::testing::Test {
 protected:
  PersonnelTest()
      : pool_(db_.NewPool(16)),
        clock_(kSymposium),
        tokens_("page-token-key-for-personnel-tests"),
        store_(*pool_, ids_),
        logic_(store_, clock_, tokens_, PersonnelConfig{.pairing_limit = 3}),
        authorizer_(testing::kTestInternalKey,
                    common::FindService(v1::PersonnelService::service_full_name())),
        handler_("personnel", authorizer_, clock_),
        service_(logic_, handler_),
        server_({&service_}),
        stub_(v1::PersonnelService::NewStub(server_.channel())) {}

  void SetUp() override {
    ASSERT_TRUE(common::ApplyMigrations(*pool_, generated::PersonnelMigrations()).ok());
    v1::ImportRegionsRequest req;
    req.set_request_id(NextId());
    for (auto [code, name] :
         std::vector<std::pair<const char*, const char*>>{{"52", "Guizhou"},
                                                          {"5202", "Liupanshui"},
                                                          {"520221", "Shuicheng County"},
                                                          {"520221104", "Mugang Town"},
                                                          {kVillageA, "Gaofeng Village"},
                                                          {kVillageB, "Shuiqing Village"},
                                                          {"520203", "Liuzhi Special District"},
                                                          {"520203100", "Pingzhai Town"},
                                                          {kLiuzhiVillage, "Yanjiao Village"}}) {
      auto* r = req.add_regions();
      r->set_code(code);
      r->set_name(name);
    }
    v1::ImportRegionsResponse resp;
    ASSERT_TRUE(stub_->ImportRegions(ContextAs(admin_).get(), req, &resp).ok());
    ASSERT_EQ(resp.created(), 9);
  }

  std::string NextId() { return absl::StrCat("req-", ++request_counter_); }

  grpc::Status CreateHousehold(const common::Principal& as, const std::string& village,
                               const std::string& name, v1::Household* out,
                               v1::HouseholdStatus status = v1::HOUSEHOLD_STATUS_REGISTERED_POOR) {
    v1::CreateHouseholdRequest req;
    req.set_request_id(NextId());
    auto* h = req.mutable_household();
    h->set_village_code(village);
    h->set_head_name(name);
    h->set_member_count(4);
    h->set_status(status);
    h->set_income_per_head_fen(280000);
    return stub_->CreateHousehold(ContextAs(as).get(), req, out);
  }

  v1::Cadre CreateCadre(const std::string& employee_number, const std::string& home = "520221105",
                        const std::string& managing = kShuicheng) {
    v1::CreateCadreRequest req;
    req.set_request_id(NextId());
    auto* c = req.mutable_cadre();
    c->set_employee_number(employee_number);
    c->set_name(absl::StrCat("Cadre ", employee_number));
    c->set_origin_level(v1::ORIGIN_LEVEL_PROVINCIAL);
    c->set_dispatching_unit("Guizhou Provincial Department of Finance");
    c->set_home_region_code(home);
    c->set_managing_region_code(managing);
    v1::Cadre out;
    grpc::Status st = stub_->CreateCadre(ContextAs(official_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  grpc::Status Post(const std::string& cadre_id, const std::string& village, v1::PostingRole role,
                    v1::Posting* out, const std::string& waiver = "") {
    v1::PostCadreRequest req;
    req.set_request_id(NextId());
    req.set_cadre_id(cadre_id);
    req.set_village_code(village);
    req.set_role(role);
    *req.mutable_start_date() = common::ToDate(absl::CivilDay(2018, 3, 1));
    req.set_home_waiver(waiver);
    return stub_->PostCadre(ContextAs(official_).get(), req, out);
  }

  int64_t Count(const std::string& sql) { return testing::QueryInt(*pool_, sql); }

  testing::TestDatabase db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  common::FakeClock clock_;
  common::SequentialIdGenerator ids_{"p"};
  common::PageTokenCodec tokens_;
  MysqlPersonnelStore store_;
  PersonnelLogic logic_;
  common::Authorizer authorizer_;
  common::Handler handler_;
  PersonnelServiceImpl service_;
  testing::TestServer server_;
  std::unique_ptr<v1::PersonnelService::Stub> stub_;
  std::atomic<int> request_counter_{0};

  const common::Principal admin_ = MakePrincipal("admin-1", {ROLE_ADMIN}, {"*"});
  const common::Principal official_ =
      MakePrincipal("official-shuicheng", {ROLE_COUNTY_OFFICIAL}, {kShuicheng});
  const common::Principal liuzhi_official_ =
      MakePrincipal("official-liuzhi", {ROLE_COUNTY_OFFICIAL}, {"520203"});
  const common::Principal auditor_ = MakePrincipal("auditor-1", {ROLE_AUDITOR}, {"52"});
  const common::Principal inspector_ = MakePrincipal("inspector-1", {ROLE_INSPECTOR}, {"5202"});
};

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
  ASSERT_TRUE(CreateHousehold(official_, kVillageA, "Robert'); DROP TABLE households;--", &h).ok());
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
  up.mutable_household()->set_status(v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  up.mutable_update_mask()->add_paths("indicators.drinking_water_safety");
  up.mutable_update_mask()->add_paths("status");
  v1::Household updated;
  ASSERT_TRUE(stub_->UpdateHousehold(ContextAs(official_).get(), up, &updated).ok());
  EXPECT_EQ(updated.etag(), "v2");
  EXPECT_TRUE(updated.indicators().drinking_water_safety());
  EXPECT_EQ(updated.status(), v1::HOUSEHOLD_STATUS_LIFTED_OUT);
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
                    official_, i % 2 ? kVillageA : kVillageB, absl::StrCat("H", i), &h,
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

TEST_F(PersonnelTest, CadresCreateUniqueGetListUpdate) {
  v1::Cadre c = CreateCadre("GZ-2018-0001");
  v1::CreateCadreRequest dup;
  dup.set_request_id(NextId());
  *dup.mutable_cadre() = c;
  dup.mutable_cadre()->clear_id();
  v1::Cadre out;
  EXPECT_EQ(stub_->CreateCadre(ContextAs(official_).get(), dup, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  v1::GetCadreRequest get;
  get.set_id(c.id());
  ASSERT_TRUE(stub_->GetCadre(ContextAs(inspector_).get(), get, &out).ok());
  EXPECT_EQ(out.employee_number(), "GZ-2018-0001");
  // The cadre may read his or her own record whatever the region scope says.
  EXPECT_TRUE(
      stub_->GetCadre(ContextAs(MakePrincipal(c.id(), {ROLE_CADRE}, {kVillageB})).get(), get, &out)
          .ok());
  EXPECT_EQ(stub_->GetCadre(ContextAs(liuzhi_official_).get(), get, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  CreateCadre("GZ-2018-0002");
  v1::ListCadresRequest list;
  list.set_region_code(kShuicheng);
  v1::ListCadresResponse listed;
  ASSERT_TRUE(stub_->ListCadres(ContextAs(official_).get(), list, &listed).ok());
  EXPECT_EQ(listed.cadres_size(), 2);

  v1::UpdateCadreRequest up;
  up.set_request_id(NextId());
  up.mutable_cadre()->set_id(c.id());
  up.mutable_cadre()->set_etag(c.etag());
  up.mutable_cadre()->set_dispatching_unit("Liupanshui Municipal Poverty Alleviation Office");
  up.mutable_update_mask()->add_paths("dispatching_unit");
  ASSERT_TRUE(stub_->UpdateCadre(ContextAs(official_).get(), up, &out).ok());
  EXPECT_EQ(out.dispatching_unit(), "Liupanshui Municipal Poverty Alleviation Office");
  EXPECT_EQ(out.employee_number(), c.employee_number());

  v1::CreateCadreRequest bad;
  bad.set_request_id(NextId());
  bad.mutable_cadre()->set_employee_number("has space");
  EXPECT_EQ(ViolatedField(stub_->CreateCadre(ContextAs(official_).get(), bad, &out)),
            "cadre.employee_number");
}

TEST_F(PersonnelTest, PostingRules) {
  v1::Cadre a = CreateCadre("A-1"), b = CreateCadre("B-1");
  v1::Cadre local = CreateCadre("L-1", /*home=*/"520221104");
  v1::Posting p;
  ASSERT_TRUE(Post(a.id(), kVillageA, v1::POSTING_ROLE_FIRST_SECRETARY, &p).ok());
  EXPECT_TRUE(p.active());
  EXPECT_FALSE(p.home_village());

  v1::Posting other;
  grpc::Status st = Post(b.id(), kVillageA, v1::POSTING_ROLE_FIRST_SECRETARY, &other);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(common::ReasonOf(st), "FIRST_SECRETARY_SEAT_TAKEN");
  // One active posting per cadre.
  st = Post(a.id(), kVillageB, v1::POSTING_ROLE_TEAM_MEMBER, &other);
  EXPECT_EQ(common::ReasonOf(st), "CADRE_ALREADY_POSTED");
  ASSERT_TRUE(Post(b.id(), kVillageA, v1::POSTING_ROLE_TEAM_LEADER, &other).ok());

  // Home village: a waiver is required, and the posting is flagged.
  st = Post(local.id(), kVillageB, v1::POSTING_ROLE_TEAM_MEMBER, &other);
  EXPECT_EQ(ViolatedField(st), "home_waiver");
  ASSERT_TRUE(Post(local.id(), kVillageB, v1::POSTING_ROLE_TEAM_MEMBER, &other,
                   "Approved by the county organisation department, 2018-02-20")
                  .ok());
  EXPECT_TRUE(other.home_village());

  // Ending: not before the start; then the seat is free again.
  v1::EndPostingRequest end;
  end.set_request_id(NextId());
  end.set_posting_id(p.id());
  end.set_reason("Rotated to county office");
  *end.mutable_end_date() = common::ToDate(absl::CivilDay(2018, 2, 1));
  v1::Posting ended;
  EXPECT_EQ(ViolatedField(stub_->EndPosting(ContextAs(official_).get(), end, &ended)), "end_date");
  *end.mutable_end_date() = common::ToDate(absl::CivilDay(2018, 9, 1));
  ASSERT_TRUE(stub_->EndPosting(ContextAs(official_).get(), end, &ended).ok());
  EXPECT_FALSE(ended.active());
  end.set_request_id(NextId());
  EXPECT_EQ(stub_->EndPosting(ContextAs(official_).get(), end, &ended).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::Cadre c = CreateCadre("C-1");
  ASSERT_TRUE(Post(c.id(), kVillageA, v1::POSTING_ROLE_FIRST_SECRETARY, &other).ok());

  v1::ListPostingsRequest list;
  list.set_region_code("520221104");
  list.set_active_only(true);
  v1::ListPostingsResponse listed;
  ASSERT_TRUE(stub_->ListPostings(ContextAs(inspector_).get(), list, &listed).ok());
  EXPECT_EQ(listed.postings_size(), 3);
  list.set_cadre_id(a.id());
  list.set_active_only(false);
  ASSERT_TRUE(stub_->ListPostings(ContextAs(inspector_).get(), list, &listed).ok());
  ASSERT_EQ(listed.postings_size(), 1);
  EXPECT_EQ(listed.postings(0).end_reason(), "Rotated to county office");

  // Out of region: a Liuzhi official cannot post into Shuicheng.
  v1::PostCadreRequest req;
  req.set_request_id(NextId());
  req.set_cadre_id(c.id());
  req.set_village_code(kVillageB);
  req.set_role(v1::POSTING_ROLE_TEAM_MEMBER);
  *req.mutable_start_date() = common::ToDate(absl::CivilDay(2018, 3, 1));
  EXPECT_EQ(stub_->PostCadre(ContextAs(liuzhi_official_).get(), req, &other).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PersonnelTest, ConcurrentFirstSecretaryPostingsExactlyOneWins) {
  constexpr int kRacers = 8;
  std::vector<v1::Cadre> cadres;
  for (int i = 0; i < kRacers; ++i) cadres.push_back(CreateCadre(absl::StrCat("R-", i)));
  std::vector<grpc::Status> results(kRacers);
  std::barrier go(kRacers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      v1::Posting p;
      go.arrive_and_wait();
      results[i] = Post(cadres[i].id(), kVillageB, v1::POSTING_ROLE_FIRST_SECRETARY, &p);
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  for (const auto& st : results) {
    if (st.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(common::ReasonOf(st), "FIRST_SECRETARY_SEAT_TAKEN") << st.error_message();
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM postings WHERE active = 1 AND role = 1"
                               " AND village_code = '",
                               kVillageB, "'")),
            1);
}

TEST_F(PersonnelTest, PairingRulesAndLimit) {
  v1::Cadre c = CreateCadre("P-1"), d = CreateCadre("P-2");
  std::vector<v1::Household> hs(5);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(CreateHousehold(official_, kVillageA, absl::StrCat("H", i), &hs[i]).ok());
  auto pair = [&](const std::string& cadre, const std::string& household, v1::Pairing* out) {
    v1::PairCadreWithHouseholdRequest req;
    req.set_request_id(NextId());
    req.set_cadre_id(cadre);
    req.set_household_id(household);
    return stub_->PairCadreWithHousehold(ContextAs(official_).get(), req, out);
  };
  v1::Pairing p;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pair(c.id(), hs[i].id(), &p).ok());
  grpc::Status st = pair(c.id(), hs[3].id(), &p);
  EXPECT_EQ(common::ReasonOf(st), "PAIRING_LIMIT_REACHED");
  st = pair(d.id(), hs[0].id(), &p);
  EXPECT_EQ(common::ReasonOf(st), "HOUSEHOLD_ALREADY_PAIRED");

  v1::ListPairingsRequest list;
  list.set_cadre_id(c.id());
  list.set_active_only(true);
  v1::ListPairingsResponse listed;
  ASSERT_TRUE(stub_->ListPairings(ContextAs(official_).get(), list, &listed).ok());
  ASSERT_EQ(listed.pairings_size(), 3);

  v1::UnpairCadreRequest unpair;
  unpair.set_request_id(NextId());
  unpair.set_pairing_id(listed.pairings(0).id());
  v1::Pairing ended;
  ASSERT_TRUE(stub_->UnpairCadre(ContextAs(official_).get(), unpair, &ended).ok());
  EXPECT_FALSE(ended.active());
  ASSERT_TRUE(pair(d.id(), listed.pairings(0).household_id(), &p).ok());
  ASSERT_TRUE(pair(c.id(), hs[3].id(), &p).ok());

  list.set_household_id(listed.pairings(0).household_id());
  list.set_active_only(false);
  ASSERT_TRUE(stub_->ListPairings(ContextAs(official_).get(), list, &listed).ok());
  EXPECT_EQ(listed.pairings_size(), 2);
}

// Issue 18, point 1: posting and pairing check the cadre's county as well as the village or
// household; either side ends what was done, so the owning county can always recall its
// cadre. Point 8: a missing cadre or posting answers exactly as another county's.
TEST_F(PersonnelTest, AnotherCountysCadreIsPostedOnlyByWhoCoversBoth) {
  v1::Cadre c = CreateCadre("X-1");  // managed by Shuicheng
  v1::Household liuzhi_household;
  ASSERT_TRUE(CreateHousehold(admin_, kLiuzhiVillage, "Yang", &liuzhi_household).ok());
  const common::Principal prefecture =
      MakePrincipal("official-liupanshui", {ROLE_COUNTY_OFFICIAL}, {"5202"});
  auto post = [&](const common::Principal& as, const std::string& cadre, v1::Posting* out) {
    v1::PostCadreRequest req;
    req.set_request_id(NextId());
    req.set_cadre_id(cadre);
    req.set_village_code(kLiuzhiVillage);
    req.set_role(v1::POSTING_ROLE_TEAM_MEMBER);
    *req.mutable_start_date() = common::ToDate(absl::CivilDay(2018, 3, 1));
    return stub_->PostCadre(ContextAs(as).get(), req, out);
  };
  v1::Posting posting;
  grpc::Status theirs = post(liuzhi_official_, c.id(), &posting);
  testing::ExpectSameRefusal(theirs, c.id(), post(liuzhi_official_, "no-such-cadre", &posting),
                             "no-such-cadre");
  EXPECT_NE(theirs.error_message().find("cadres/"), std::string::npos) << theirs.error_message();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM postings"), 0) << "Liuzhi posted Shuicheng's cadre";

  // Someone over both counties posts; Shuicheng, the cadre's county, recalls the cadre
  // from the Liuzhi village it cannot otherwise touch.
  ASSERT_TRUE(post(prefecture, c.id(), &posting).ok());
  auto end = [&](const common::Principal& as, const std::string& id) {
    v1::EndPostingRequest req;
    req.set_request_id(NextId());
    req.set_posting_id(id);
    req.set_reason("Recalled by the managing county");
    *req.mutable_end_date() = common::ToDate(absl::CivilDay(2018, 9, 1));
    v1::Posting out;
    return stub_->EndPosting(ContextAs(as).get(), req, &out);
  };
  const common::Principal third =
      MakePrincipal("official-other", {ROLE_COUNTY_OFFICIAL}, {"520201"});
  testing::ExpectSameRefusal(end(third, posting.id()), posting.id(), end(third, "no-such-posting"),
                             "no-such-posting");
  grpc::Status recalled = end(official_, posting.id());
  EXPECT_TRUE(recalled.ok()) << recalled.error_message();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM postings WHERE active = 1"), 0);

  // Pairings: the same two sides.
  auto pair = [&](const common::Principal& as, const std::string& cadre, v1::Pairing* out) {
    v1::PairCadreWithHouseholdRequest req;
    req.set_request_id(NextId());
    req.set_cadre_id(cadre);
    req.set_household_id(liuzhi_household.id());
    return stub_->PairCadreWithHousehold(ContextAs(as).get(), req, out);
  };
  v1::Pairing pairing;
  testing::ExpectSameRefusal(pair(liuzhi_official_, c.id(), &pairing), c.id(),
                             pair(liuzhi_official_, "no-such-cadre", &pairing), "no-such-cadre");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM pairings"), 0);
  ASSERT_TRUE(pair(prefecture, c.id(), &pairing).ok());
  v1::UnpairCadreRequest unpair;
  unpair.set_request_id(NextId());
  unpair.set_pairing_id(pairing.id());
  v1::Pairing ended;
  grpc::Status unpaired = stub_->UnpairCadre(ContextAs(official_).get(), unpair, &ended);
  EXPECT_TRUE(unpaired.ok()) << unpaired.error_message();
  EXPECT_FALSE(ended.active());

  // Reads: another county's household and a missing one look the same.
  v1::GetHouseholdRequest get;
  get.set_id(liuzhi_household.id());
  v1::Household h;
  grpc::Status other = stub_->GetHousehold(ContextAs(official_).get(), get, &h);
  get.set_id("no-such-household");
  testing::ExpectSameRefusal(other, liuzhi_household.id(),
                             stub_->GetHousehold(ContextAs(official_).get(), get, &h),
                             "no-such-household");
  // An operator (every region) is told it is missing.
  EXPECT_EQ(stub_->GetHousehold(ContextAs(admin_).get(), get, &h).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(PersonnelTest, CheckInsAndAttendance) {
  v1::Cadre c = CreateCadre("K-1"), other = CreateCadre("K-2");
  v1::Posting p;
  ASSERT_TRUE(Post(c.id(), kVillageA, v1::POSTING_ROLE_FIRST_SECRETARY, &p).ok());
  auto checkin = [&](const common::Principal& as, const std::string& cadre,
                     const std::string& village, absl::Time when, v1::CheckInMethod method) {
    v1::RecordCheckInRequest req;
    req.set_request_id(NextId());
    req.set_cadre_id(cadre);
    req.set_village_code(village);
    *req.mutable_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(when));
    req.set_method(method);
    v1::CheckIn out;
    return stub_->RecordCheckIn(ContextAs(as).get(), req, &out);
  };
  common::Principal self = MakePrincipal(c.id(), {ROLE_CADRE}, {kVillageA});
  for (int day = 0; day < 4; ++day) {
    ASSERT_TRUE(checkin(self, c.id(), kVillageA, kSymposium - absl::Hours(24 * day),
                        v1::CHECK_IN_METHOD_SELF_REPORT)
                    .ok());
  }
  ASSERT_TRUE(checkin(inspector_, c.id(), kVillageA, kSymposium - absl::Hours(24),
                      v1::CHECK_IN_METHOD_VERIFIED_BY_INSPECTION)
                  .ok());
  EXPECT_EQ(checkin(self, other.id(), kVillageA, kSymposium, v1::CHECK_IN_METHOD_SELF_REPORT)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(checkin(self, c.id(), kVillageA, kSymposium, v1::CHECK_IN_METHOD_VERIFIED_BY_INSPECTION)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      checkin(admin_, c.id(), kVillageB, kSymposium, v1::CHECK_IN_METHOD_SELF_REPORT).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  grpc::Status future = checkin(self, c.id(), kVillageA, kSymposium + absl::Hours(2),
                                v1::CHECK_IN_METHOD_SELF_REPORT);
  EXPECT_EQ(ViolatedField(future), "time");

  v1::GetAttendanceRequest att;
  att.set_cadre_id(c.id());
  *att.mutable_from_date() = common::ToDate(absl::CivilDay(2018, 9, 1));
  *att.mutable_to_date() = common::ToDate(absl::CivilDay(2018, 9, 7));
  v1::Attendance a;
  ASSERT_TRUE(stub_->GetAttendance(ContextAs(self).get(), att, &a).ok());
  EXPECT_EQ(a.days_present(), 4);
  EXPECT_EQ(a.verified_days(), 1);
  EXPECT_EQ(a.days_required(), 5);
  // Another cadre may not read this attendance.
  EXPECT_EQ(stub_
                ->GetAttendance(
                    ContextAs(MakePrincipal(other.id(), {ROLE_CADRE}, {kVillageB})).get(), att, &a)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PersonnelTest, CoverageFindsTheGaps) {
  v1::Cadre fs = CreateCadre("F-1"), local = CreateCadre("F-2", "520221104002");
  v1::Posting p;
  ASSERT_TRUE(Post(fs.id(), kVillageA, v1::POSTING_ROLE_FIRST_SECRETARY, &p).ok());
  ASSERT_TRUE(Post(local.id(), kVillageB, v1::POSTING_ROLE_TEAM_MEMBER, &p, "waiver on file").ok());
  v1::Household paired, unpaired, lifted;
  ASSERT_TRUE(CreateHousehold(official_, kVillageA, "Paired", &paired).ok());
  ASSERT_TRUE(CreateHousehold(official_, kVillageB, "Unpaired", &unpaired).ok());
  ASSERT_TRUE(
      CreateHousehold(official_, kVillageB, "Lifted", &lifted, v1::HOUSEHOLD_STATUS_LIFTED_OUT)
          .ok());
  v1::PairCadreWithHouseholdRequest pair;
  pair.set_request_id(NextId());
  pair.set_cadre_id(fs.id());
  pair.set_household_id(paired.id());
  v1::Pairing pairing;
  ASSERT_TRUE(stub_->PairCadreWithHousehold(ContextAs(official_).get(), pair, &pairing).ok());
  v1::RecordCheckInRequest ci;
  ci.set_request_id(NextId());
  ci.set_cadre_id(fs.id());
  ci.set_village_code(kVillageA);
  *ci.mutable_time() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(kSymposium - absl::Hours(30)));
  ci.set_method(v1::CHECK_IN_METHOD_SELF_REPORT);
  v1::CheckIn c;
  ASSERT_TRUE(stub_
                  ->RecordCheckIn(
                      ContextAs(MakePrincipal(fs.id(), {ROLE_CADRE}, {kVillageA})).get(), ci, &c)
                  .ok());

  v1::GetCoverageRequest req;
  req.set_region_code(kShuicheng);
  v1::Coverage cov;
  ASSERT_TRUE(stub_->GetCoverage(ContextAs(inspector_).get(), req, &cov).ok());
  EXPECT_EQ(cov.villages(), 2);
  EXPECT_EQ(std::vector<std::string>(cov.villages_without_first_secretary().begin(),
                                     cov.villages_without_first_secretary().end()),
            std::vector<std::string>{kVillageB});
  EXPECT_EQ(cov.registered_poor_households(), 2);
  EXPECT_EQ(cov.households_without_cadre_count(), 1);
  ASSERT_EQ(cov.households_without_cadre_size(), 1);
  EXPECT_EQ(cov.households_without_cadre(0), unpaired.id());
  EXPECT_EQ(cov.home_village_posting_ids_size(), 1);
  ASSERT_EQ(cov.cadres_without_recent_check_in_size(), 1);
  EXPECT_EQ(cov.cadres_without_recent_check_in(0), local.id());
  EXPECT_EQ(cov.cadres_over_pairing_limit_size(), 0);
  EXPECT_EQ(cov.villages_without_first_secretary_count(), 1);
  EXPECT_EQ(cov.home_village_postings_count(), 1);
  EXPECT_EQ(cov.cadres_without_recent_check_in_count(), 1);
  EXPECT_FALSE(cov.has_as_of());

  // counts_only: the same counts from the per-village summary (computed on first use),
  // without lists; a later change shows once the summary is refreshed.
  req.set_counts_only(true);
  v1::Coverage counts;
  ASSERT_TRUE(stub_->GetCoverage(ContextAs(inspector_).get(), req, &counts).ok());
  EXPECT_TRUE(counts.has_as_of());
  EXPECT_EQ(counts.households_without_cadre_size(), 0);
  using Count = int32_t (v1::Coverage::*)() const;
  const std::vector<Count> count_fields = {&v1::Coverage::villages,
                                           &v1::Coverage::registered_poor_households,
                                           &v1::Coverage::households_without_cadre_count,
                                           &v1::Coverage::villages_without_first_secretary_count,
                                           &v1::Coverage::home_village_postings_count,
                                           &v1::Coverage::cadres_without_recent_check_in_count,
                                           &v1::Coverage::cadres_over_pairing_limit_count};
  for (Count f : count_fields) {
    EXPECT_EQ((counts.*f)(), (cov.*f)());
  }
  v1::Household another;
  ASSERT_TRUE(CreateHousehold(official_, kVillageB, "Another", &another).ok());
  ASSERT_TRUE(stub_->GetCoverage(ContextAs(inspector_).get(), req, &counts).ok());
  EXPECT_EQ(counts.households_without_cadre_count(), 1) << "not refreshed yet";
  ASSERT_TRUE(logic_.RefreshCoverageSummary().ok());
  ASSERT_TRUE(stub_->GetCoverage(ContextAs(inspector_).get(), req, &counts).ok());
  EXPECT_EQ(counts.households_without_cadre_count(), 2);
  EXPECT_EQ(counts.registered_poor_households(), 3);
  req.set_stale_check_in_days(30);
  EXPECT_EQ(ViolatedField(stub_->GetCoverage(ContextAs(admin_).get(), req, &counts)),
            "stale_check_in_days");
  req.set_stale_check_in_days(0);
  req.set_counts_only(false);

  req.set_region_code("520203");
  EXPECT_EQ(stub_->GetCoverage(ContextAs(official_).get(), req, &cov).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  req.set_stale_check_in_days(91);
  EXPECT_EQ(ViolatedField(stub_->GetCoverage(ContextAs(admin_).get(), req, &cov)),
            "stale_check_in_days");
}

}  // namespace
}  // namespace tuopin::personnel
