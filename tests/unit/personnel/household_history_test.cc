// Unit tests of household history on the in-memory store: a version recorded by every
// household write (create, update, import, the exit procedure, a move) with its method,
// request id and audit event id; GetHousehold and ListHouseholds as_of choosing the
// version in force; scope judged on the version's village; history order, paging and
// masking; ListHouseholds' view.

#include "services/personnel/personnel_validate.h"
#include "tests/support/household_members.h"
#include "tests/unit/personnel/exit_fixture.h"

namespace tuopin::personnel {
namespace {

using testing::MakeMember;
using tuopin::common::v1::ROLE_AUDITOR;

class HouseholdHistoryTest : public ExitLogicTest {
 protected:
  absl::StatusOr<v1::Household> Create(const std::string& head, const std::string& number) {
    v1::CreateHouseholdRequest req;
    v1::Household& h = *req.mutable_household();
    h.set_village_code(kShuichengVillage);
    h.set_head_name(head);
    h.set_member_count(1);
    h.set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
    h.set_national_household_number(number);
    *h.add_members() =
        MakeMember(head, v1::MEMBER_RELATION_HEAD, testing::kHeadIdCard, testing::kMemberPhone);
    v1::Household out;
    TUOPIN_RETURN_IF_ERROR(
        logic_.CreateHousehold(Ctx(shuicheng_, "CreateHousehold", req), req, out));
    return out;
  }
  absl::Status Rename(const std::string& id, const std::string& head) {
    v1::UpdateHouseholdRequest req;
    req.mutable_household()->set_id(id);
    req.mutable_household()->set_head_name(head);
    req.mutable_update_mask()->add_paths("head_name");
    v1::Household out;
    return logic_.UpdateHousehold(Ctx(shuicheng_, "UpdateHousehold", req), req, out);
  }
  // What a village merger does to one household (PersonnelTx::MoveHousehold).
  absl::Status Move(const std::string& id, const std::string& village) {
    v1::GetHouseholdRequest req;
    req.set_id(id);
    v1::Household out;
    return store_.Mutate(
        Ctx(admin_, "MergeVillages", req), out,
        [&](PersonnelTx& tx, v1::Household& moved) -> absl::StatusOr<common::EntityRefs> {
          std::optional<v1::Household> h = tx.LockHousehold(id);
          if (!h.has_value()) return NotFound("household", id);
          TUOPIN_ASSIGN_OR_RETURN(int64_t version, common::NextVersion("", h->etag(), "household"));
          h->set_village_code(village);
          tx.MoveHousehold(*h, version);
          moved = *h;
          return common::EntityRefs{common::Entity("household", id, village)};
        });
  }
  absl::StatusOr<v1::Household> GetAsOf(const Principal& p, const std::string& id, absl::Time t) {
    v1::GetHouseholdRequest req;
    req.set_id(id);
    *req.mutable_as_of() = common::ToTimestamp(t);
    v1::Household out;
    TUOPIN_RETURN_IF_ERROR(logic_.GetHousehold(p, req, out));
    return out;
  }
  absl::StatusOr<v1::ListHouseholdsResponse> List(const v1::ListHouseholdsRequest& req,
                                                  const Principal& p) {
    v1::ListHouseholdsResponse out;
    TUOPIN_RETURN_IF_ERROR(logic_.ListHouseholds(p, req, out));
    return out;
  }
  static v1::ListHouseholdsRequest ListAt(const std::string& region, absl::Time t) {
    v1::ListHouseholdsRequest req;
    req.set_region_code(region);
    *req.mutable_as_of() = common::ToTimestamp(t);
    return req;
  }
  absl::StatusOr<v1::GetHouseholdHistoryResponse> History(const Principal& p, const std::string& id,
                                                          int size = 0,
                                                          const std::string& token = "") {
    v1::GetHouseholdHistoryRequest req;
    req.set_household_id(id);
    req.set_page_size(size);
    req.set_page_token(token);
    v1::GetHouseholdHistoryResponse out;
    TUOPIN_RETURN_IF_ERROR(logic_.GetHouseholdHistory(p, req, out));
    return out;
  }
  const std::vector<v1::HouseholdVersion>& Versions(const std::string& id) {
    return store_.data.household_versions[id];
  }

  const Principal auditor_ = WithRole(ROLE_AUDITOR, "auditor-1", "520221");
};

TEST_F(HouseholdHistoryTest, CreateAndUpdateEachRecordAVersionClosingTheOneBefore) {
  absl::Time created = clock_.Now();
  auto h = Create("Wang", "100000000001");
  ASSERT_TRUE(h.ok()) << h.status();
  clock_.Advance(absl::Hours(1));
  absl::Time renamed = clock_.Now();
  ASSERT_TRUE(Rename(h->id(), "Zhang").ok());

  const auto& v = Versions(h->id());
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].version(), 1);
  EXPECT_EQ(common::FromTimestamp(v[0].valid_from()), created);
  EXPECT_EQ(common::FromTimestamp(v[0].valid_to()), renamed);
  EXPECT_EQ(v[0].method(), "/tuopin.personnel.v1.PersonnelService/CreateHousehold");
  EXPECT_EQ(v[0].household().head_name(), "Wang");
  // The whole household with its members, personal data included (the store seals it).
  EXPECT_EQ(v[0].household().members(0).id_card_number(), testing::kHeadIdCard);
  EXPECT_EQ(v[1].version(), 2);
  EXPECT_FALSE(v[1].has_valid_to());
  EXPECT_EQ(v[1].household().head_name(), "Zhang");
  EXPECT_EQ(v[1].household().etag(), "v2");
  // Each names the call that made it and its audit event.
  ASSERT_EQ(store_.outbox.size(), 2u);
  EXPECT_EQ(v[0].event_id(), store_.outbox[0].event_id());
  EXPECT_EQ(v[1].event_id(), store_.outbox[1].event_id());
  EXPECT_EQ(v[1].request_id(), store_.outbox[1].request_id());
}

TEST_F(HouseholdHistoryTest, AsOfReadsTheVersionInForceThenAndTheFutureReadsThePresent) {
  absl::Time created = clock_.Now();
  auto h = Create("Wang", "100000000001");
  ASSERT_TRUE(h.ok()) << h.status();
  clock_.Advance(absl::Hours(2));
  ASSERT_TRUE(Rename(h->id(), "Zhang").ok());
  clock_.Advance(absl::Hours(1));

  auto before_update = GetAsOf(shuicheng_, h->id(), created + absl::Hours(1));
  ASSERT_TRUE(before_update.ok()) << before_update.status();
  EXPECT_EQ(before_update->head_name(), "Wang");
  EXPECT_EQ(before_update->etag(), "v1");
  auto after_update = GetAsOf(shuicheng_, h->id(), created + absl::Hours(2));
  ASSERT_TRUE(after_update.ok()) << after_update.status();
  EXPECT_EQ(after_update->head_name(), "Zhang");

  EXPECT_EQ(GetAsOf(shuicheng_, h->id(), created - absl::Seconds(1)).status().code(),
            absl::StatusCode::kNotFound);

  // After now: the present (also for a household seeded with no history at all).
  store_.data.households.at(h->id()).set_head_name("Now");
  auto future = GetAsOf(shuicheng_, h->id(), clock_.Now() + absl::Hours(24));
  ASSERT_TRUE(future.ok()) << future.status();
  EXPECT_EQ(future->head_name(), "Now");
  EXPECT_TRUE(GetAsOf(shuicheng_, "hh-sc", clock_.Now() + absl::Hours(1)).ok());
  // A household without a version then (one stored before history was kept) was not there.
  EXPECT_EQ(GetAsOf(shuicheng_, "hh-sc", clock_.Now() - absl::Hours(1)).status().code(),
            absl::StatusCode::kNotFound);
  // Not found only to a caller who may see it now: others get the scope's refusal.
  EXPECT_EQ(GetAsOf(neighbour_, h->id(), created - absl::Seconds(1)).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(HouseholdHistoryTest, ImportRecordsAVersionPerWrittenHouseholdAndNoneWhenUnchanged) {
  v1::ImportHouseholdsRequest req;
  req.set_first_row_number(1);
  for (const char* number : {"100000000001", "100000000002"}) {
    v1::Household& row = *req.add_rows();
    row.set_village_code(kShuichengVillage);
    row.set_head_name("Wang");
    row.set_member_count(1);
    row.set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
    row.set_national_household_number(number);
    *row.add_members() = MakeMember("Wang", v1::MEMBER_RELATION_HEAD, testing::kHeadIdCard);
  }
  auto apply = [&](const v1::ImportHouseholdsRequest& r) {
    v1::ImportHouseholdsResponse out;
    EXPECT_TRUE(logic_.ImportHouseholds(Ctx(shuicheng_, "ImportHouseholds", r), r, out).ok());
    return out;
  };
  auto first = apply(req);
  ASSERT_EQ(first.created(), 2);
  std::string a = first.results(0).household_id(), b = first.results(1).household_id();
  ASSERT_EQ(Versions(a).size(), 1u);
  ASSERT_EQ(Versions(b).size(), 1u);
  EXPECT_EQ(Versions(a)[0].event_id(), store_.outbox.back().event_id());

  clock_.Advance(absl::Minutes(5));
  apply(req);  // unchanged
  EXPECT_EQ(Versions(a).size(), 1u);
  EXPECT_EQ(Versions(b).size(), 1u);

  clock_.Advance(absl::Minutes(5));
  req.mutable_rows(1)->mutable_members(0)->set_health(v1::HEALTH_HEALTHY);
  auto second = apply(req);
  ASSERT_EQ(second.updated(), 1);
  EXPECT_EQ(Versions(a).size(), 1u);
  // One version for the row and its members together, with the new members.
  ASSERT_EQ(Versions(b).size(), 2u);
  EXPECT_EQ(Versions(b)[1].household().members(0).health(), v1::HEALTH_HEALTHY);
  EXPECT_EQ(Versions(b)[0].household().members(0).health(), v1::HEALTH_LONG_TERM_ILLNESS);
  EXPECT_EQ(Versions(b)[1].method(), "/tuopin.personnel.v1.PersonnelService/ImportHouseholds");
}

TEST_F(HouseholdHistoryTest, TheExitProceduresStatusWritesAreVersionsNamingTheirEvents) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_CONFIRMED);
  const auto& v = Versions("hh-sc");
  ASSERT_EQ(v.size(), 1u);  // seeded without history: the confirmation is its first version
  EXPECT_EQ(v[0].household().status(), v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  EXPECT_EQ(v[0].household().exit_application_id(), a.id());
  EXPECT_EQ(v[0].method(), "/tuopin.personnel.v1.ExitService/ConfirmExit");
  EXPECT_EQ(v[0].event_id(), exits_.mutations.events.back().event_id());

  clock_.Advance(absl::Hours(24));
  auto reversed = Reverse(admin_, "hh-sc");
  ASSERT_TRUE(reversed.ok()) << reversed.status();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].method(), "/tuopin.personnel.v1.ExitService/ReverseExit");
  EXPECT_EQ(v[1].household().status(), reversed->status());
  EXPECT_EQ(v[1].event_id(), exits_.mutations.events.back().event_id());
}

TEST_F(HouseholdHistoryTest, AMoveIsAVersionAndScopeIsJudgedOnTheVersionsVillage) {
  absl::Time created = clock_.Now();
  auto h = Create("Wang", "100000000001");
  ASSERT_TRUE(h.ok()) << h.status();
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(Move(h->id(), kNeighbourVillage).ok());
  clock_.Advance(absl::Hours(1));
  absl::Time then = created + absl::Minutes(30);

  ASSERT_EQ(Versions(h->id()).size(), 2u);
  EXPECT_EQ(Versions(h->id())[1].household().village_code(), kNeighbourVillage);
  EXPECT_EQ(Versions(h->id())[1].household().etag(), "v2");
  // Then, it was Shuicheng's: Shuicheng reads it, the neighbour may not.
  EXPECT_TRUE(GetAsOf(shuicheng_, h->id(), then).ok());
  EXPECT_EQ(GetAsOf(neighbour_, h->id(), then).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Now it is the neighbour's.
  EXPECT_TRUE(GetAsOf(neighbour_, h->id(), clock_.Now() - absl::Minutes(1)).ok());
  EXPECT_EQ(GetAsOf(shuicheng_, h->id(), clock_.Now() - absl::Minutes(1)).status().code(),
            absl::StatusCode::kPermissionDenied);

  // Lists as of a time see the villages of that time.
  auto in_shuicheng = List(ListAt("520221", then), shuicheng_);
  ASSERT_TRUE(in_shuicheng.ok()) << in_shuicheng.status();
  ASSERT_EQ(in_shuicheng->households_size(), 1);
  EXPECT_EQ(in_shuicheng->households(0).id(), h->id());
  auto now_in_shuicheng = List(ListAt("520221", clock_.Now() - absl::Minutes(1)), shuicheng_);
  ASSERT_TRUE(now_in_shuicheng.ok());
  EXPECT_EQ(now_in_shuicheng->households_size(), 0);
  auto now_in_neighbour = List(ListAt("520222", clock_.Now() - absl::Minutes(1)), neighbour_);
  ASSERT_TRUE(now_in_neighbour.ok());
  ASSERT_EQ(now_in_neighbour->households_size(), 1);
  // The status filter is on the version's status.
  auto status_then = ListAt("520221", then);
  status_then.set_status(v1::HOUSEHOLD_STATUS_NOT_POOR);
  EXPECT_EQ(List(status_then, shuicheng_)->households_size(), 0);
  status_then.set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  EXPECT_EQ(List(status_then, shuicheng_)->households_size(), 1);
  // The region is still checked against the caller's scope.
  EXPECT_EQ(List(ListAt("520221", then), neighbour_).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(HouseholdHistoryTest, AListPageTokenIsBoundToItsAsOf) {
  for (const char* n : {"100000000001", "100000000002", "100000000003"}) {
    ASSERT_TRUE(Create("Wang", n).ok());
  }
  clock_.Advance(absl::Hours(1));
  absl::Time t = clock_.Now() - absl::Minutes(1);
  auto req = ListAt("520221", t);
  req.set_page_size(2);
  auto first = List(req, shuicheng_);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->households_size(), 2);
  ASSERT_FALSE(first->next_page_token().empty());
  req.set_page_token(first->next_page_token());
  auto second = List(req, shuicheng_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->households_size(), 1);

  *req.mutable_as_of() = common::ToTimestamp(t - absl::Seconds(1));
  auto other = List(req, shuicheng_);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(other.status()), "page_token");
  // And to its view.
  req = ListAt("520221", t);
  req.set_page_size(2);
  req.set_page_token(first->next_page_token());
  req.set_view(v1::HOUSEHOLD_VIEW_FULL);
  EXPECT_EQ(FieldOf(List(req, shuicheng_).status()), "page_token");
}

TEST_F(HouseholdHistoryTest, HistoryIsOldestFirstInPagesAndMaskedAsGetHousehold) {
  auto h = Create("Wang", "100000000001");
  ASSERT_TRUE(h.ok()) << h.status();
  for (const char* head : {"Zhang", "Li"}) {
    clock_.Advance(absl::Hours(1));
    ASSERT_TRUE(Rename(h->id(), head).ok());
  }
  auto first = History(shuicheng_, h->id(), 2);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->versions_size(), 2);
  EXPECT_EQ(first->versions(0).version(), 1);
  EXPECT_EQ(first->versions(1).version(), 2);
  EXPECT_EQ(first->versions(1).household().head_name(), "Zhang");
  // An official reads personal data in full.
  EXPECT_EQ(first->versions(0).household().members(0).id_card_number(), testing::kHeadIdCard);
  auto second = History(shuicheng_, h->id(), 2, first->next_page_token());
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->versions_size(), 1);
  EXPECT_EQ(second->versions(0).version(), 3);
  EXPECT_TRUE(second->next_page_token().empty());

  // A token of another household's history is refused.
  auto other = Create("Zhao", "100000000002");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(FieldOf(History(shuicheng_, other->id(), 2, first->next_page_token()).status()),
            "page_token");

  // An auditor reads it masked.
  auto audited = History(auditor_, h->id());
  ASSERT_TRUE(audited.ok()) << audited.status();
  ASSERT_EQ(audited->versions_size(), 3);
  for (const auto& v : audited->versions()) {
    EXPECT_EQ(v.household().members(0).id_card_number(),
              common::MaskIdCardNumber(testing::kHeadIdCard));
    EXPECT_EQ(v.household().members(0).phone(), common::MaskPhone(testing::kMemberPhone));
  }
  // Outside the caller's scope: refused as for any household.
  EXPECT_EQ(History(neighbour_, h->id()).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(HouseholdHistoryTest, HistoryLeavesOutVersionsInVillagesOutsideTheCallersScope) {
  auto h = Create("Wang", "100000000001");
  ASSERT_TRUE(h.ok()) << h.status();
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(Move(h->id(), kNeighbourVillage).ok());
  auto seen = History(neighbour_, h->id());
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_EQ(seen->versions_size(), 1);
  EXPECT_EQ(seen->versions(0).version(), 2);
  EXPECT_EQ(History(prefecture_, h->id())->versions_size(), 2);
}

TEST_F(HouseholdHistoryTest, ListViewFullShowsMembersOnlyToWhoSeesThemAndBasicMasksForAll) {
  auto h = Create("Wang", "100000000001");
  ASSERT_TRUE(h.ok()) << h.status();
  v1::ListHouseholdsRequest req;
  req.set_region_code(kShuichengVillage);
  auto member_of = [&](const v1::ListHouseholdsRequest& r, const Principal& p) {
    auto out = List(r, p);
    EXPECT_TRUE(out.ok()) << out.status();
    for (const auto& listed : out->households()) {
      if (listed.id() == h->id()) return listed.members(0);
    }
    ADD_FAILURE() << "not listed";
    return v1::Member();
  };
  std::string masked = common::MaskIdCardNumber(testing::kHeadIdCard);
  EXPECT_EQ(member_of(req, shuicheng_).id_card_number(), masked);
  req.set_view(v1::HOUSEHOLD_VIEW_BASIC);
  EXPECT_EQ(member_of(req, shuicheng_).phone(), common::MaskPhone(testing::kMemberPhone));
  req.set_view(v1::HOUSEHOLD_VIEW_FULL);
  EXPECT_EQ(member_of(req, shuicheng_).id_card_number(), testing::kHeadIdCard);
  EXPECT_EQ(member_of(req, shuicheng_).phone(), testing::kMemberPhone);
  EXPECT_EQ(member_of(req, auditor_).id_card_number(), masked);
  // The same as of a past time.
  clock_.Advance(absl::Hours(1));
  *req.mutable_as_of() = common::ToTimestamp(clock_.Now() - absl::Minutes(1));
  EXPECT_EQ(member_of(req, shuicheng_).id_card_number(), testing::kHeadIdCard);
  EXPECT_EQ(member_of(req, auditor_).id_card_number(), masked);
}

TEST_F(HouseholdHistoryTest, AFailedMutationRecordsNoVersion) {
  auto h = Create("Wang", "100000000001");
  ASSERT_TRUE(h.ok()) << h.status();
  v1::UpdateHouseholdRequest req;
  req.mutable_household()->set_id(h->id());
  req.mutable_household()->set_status(v1::HOUSEHOLD_STATUS_LIFTED_OUT);  // exits go elsewhere
  req.mutable_update_mask()->add_paths("status");
  v1::Household out;
  EXPECT_FALSE(logic_.UpdateHousehold(Ctx(shuicheng_, "UpdateHousehold", req), req, out).ok());
  EXPECT_EQ(Versions(h->id()).size(), 1u);
}

}  // namespace
}  // namespace tuopin::personnel
