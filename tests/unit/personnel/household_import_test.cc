// Unit tests of ImportHouseholds on the in-memory store: per-row refusals naming the row
// and the field (never the value), only valid rows written, re-import UNCHANGED, updates,
// status rules, the dry run writing nothing, scope without an existence oracle, replays
// and the audit event's bound.

#include "common/field_limits.h"
#include "services/personnel/personnel_validate.h"
#include "tests/support/household_members.h"
#include "tests/unit/personnel/personnel_fixture.h"

namespace tuopin::personnel {
namespace {

using testing::MakeMember;

v1::Household Row(const std::string& number, const std::string& village = kShuichengVillage) {
  v1::Household h;
  h.set_village_code(village);
  h.set_head_name("Wang");
  h.set_member_count(2);
  h.set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  h.set_national_household_number(number);
  h.mutable_indicators()->set_food(true);
  *h.add_members() =
      MakeMember("Wang", v1::MEMBER_RELATION_HEAD, testing::kHeadIdCard, testing::kMemberPhone);
  *h.add_members() = MakeMember("Li", v1::MEMBER_RELATION_SPOUSE, testing::kSpouseIdCard);
  return h;
}

std::vector<std::string> FieldsOf(const v1::ImportRowResult& r) {
  std::vector<std::string> out;
  for (const auto& v : r.violations()) out.push_back(v.field());
  return out;
}

class HouseholdImportTest : public PersonnelLogicTest {
 protected:
  v1::ImportHouseholdsRequest Page(std::vector<v1::Household> rows, int first_row = 1) {
    v1::ImportHouseholdsRequest req;
    req.set_first_row_number(first_row);
    for (auto& r : rows) *req.add_rows() = std::move(r);
    return req;
  }
  absl::StatusOr<v1::ImportHouseholdsResponse> Apply(const Principal& p,
                                                     const v1::ImportHouseholdsRequest& req,
                                                     std::string request_id = "") {
    TUOPIN_RETURN_IF_ERROR(Validate(req));
    v1::ImportHouseholdsResponse out;
    TUOPIN_RETURN_IF_ERROR(
        logic_.ImportHouseholds(Ctx(p, "ImportHouseholds", req, std::move(request_id)), req, out));
    return out;
  }
  absl::StatusOr<v1::ImportHouseholdsResponse> DryRun(const Principal& p,
                                                      v1::ImportHouseholdsRequest req) {
    req.set_dry_run(true);
    v1::ImportHouseholdsResponse out;
    TUOPIN_RETURN_IF_ERROR(logic_.DryRunImportHouseholds(p, req, out));
    return out;
  }
  const v1::Household* ByNumber(const std::string& number) {
    for (const auto& [id, h] : store_.data.households) {
      if (h.national_household_number() == number) return &h;
    }
    return nullptr;
  }
  // Five rows from file row 101: two good, three bad in one field each.
  v1::ImportHouseholdsRequest MixedPage() {
    v1::Household bad_id = Row("100000000002");
    bad_id.mutable_members(1)->set_id_card_number("520221198503154565");  // check digit
    v1::Household no_number = Row("");
    v1::Household bad_count = Row("100000000004");
    bad_count.set_member_count(3);
    return Page({Row("100000000001"), bad_id, no_number, bad_count, Row("100000000005")}, 101);
  }
};

TEST_F(HouseholdImportTest, RefusesBadRowsByRowAndFieldAndWritesOnlyTheValidOnes) {
  size_t before = store_.data.households.size();
  auto resp = Apply(shuicheng_, MixedPage());
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->results_size(), 5);
  EXPECT_EQ(resp->created(), 2);
  EXPECT_EQ(resp->refused(), 3);
  const auto& r = resp->results();
  EXPECT_EQ(r[0].row_number(), 101);
  EXPECT_EQ(r[0].outcome(), v1::IMPORT_OUTCOME_CREATED);
  EXPECT_FALSE(r[0].household_id().empty());
  EXPECT_EQ(r[1].row_number(), 102);
  EXPECT_EQ(r[1].outcome(), v1::IMPORT_OUTCOME_REFUSED);
  EXPECT_EQ(FieldsOf(r[1]), std::vector<std::string>{"members[1].id_card_number"});
  // Never the value: the report is kept and shown to operators.
  EXPECT_EQ(r[1].violations(0).description().find("520221198503154565"), std::string::npos);
  EXPECT_TRUE(r[1].household_id().empty());
  EXPECT_EQ(FieldsOf(r[2]), std::vector<std::string>{"national_household_number"});
  EXPECT_EQ(r[3].row_number(), 104);
  EXPECT_EQ(FieldsOf(r[3]), std::vector<std::string>{"members"});
  EXPECT_EQ(r[4].outcome(), v1::IMPORT_OUTCOME_CREATED);
  EXPECT_EQ(store_.data.households.size(), before + 2);
  EXPECT_EQ(ByNumber("100000000002"), nullptr);
  EXPECT_EQ(ByNumber("100000000004"), nullptr);
  const v1::Household* stored = ByNumber("100000000001");
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->id(), r[0].household_id());
  EXPECT_EQ(stored->members_size(), 2);
  EXPECT_EQ(stored->members(0).id_card_number(), testing::kHeadIdCard);
  // One event naming the written households only.
  ASSERT_EQ(store_.outbox.size(), 1u);
  EXPECT_EQ(store_.outbox[0].entities_size(), 2);
}

TEST_F(HouseholdImportTest, ARowOutsideTheContractsLimitsIsRefusedAlone) {
  v1::Household long_name = Row("100000000007");
  long_name.set_head_name(std::string(65, 'x'));
  v1::Household bad_income = Row("100000000008");
  bad_income.set_income_per_head_fen(-1);
  auto req = Page({Row("100000000006"), long_name, bad_income}, 7);
  req.set_request_id("import-limits");
  // The frame checks the request's own limits and leaves each row's to the import.
  EXPECT_TRUE(common::ValidateRequest(req, Validate).ok());
  auto resp = Apply(shuicheng_, req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->created(), 1);
  EXPECT_EQ(resp->refused(), 2);
  EXPECT_EQ(resp->results(1).row_number(), 8);
  EXPECT_EQ(FieldsOf(resp->results(1)), std::vector<std::string>{"head_name"});
  EXPECT_EQ(FieldsOf(resp->results(2)), std::vector<std::string>{"income_per_head_fen"});
  EXPECT_EQ(ByNumber("100000000007"), nullptr);
  EXPECT_NE(ByNumber("100000000006"), nullptr);
}

TEST_F(HouseholdImportTest, ReimportChangesNothingAndADifferentRowIsUpdated) {
  ASSERT_TRUE(Apply(shuicheng_, MixedPage()).ok());
  auto stored = store_.data.households;
  auto again = Apply(shuicheng_, MixedPage());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->unchanged(), 2);
  EXPECT_EQ(again->created() + again->updated(), 0);
  EXPECT_EQ(again->results(0).household_id(), ByNumber("100000000001")->id());
  for (const auto& [id, h] : store_.data.households) {
    EXPECT_EQ(h.SerializeAsString(), stored.at(id).SerializeAsString()) << id;
  }
  EXPECT_EQ(store_.outbox.back().entities_size(), 0);

  v1::Household changed = Row("100000000005");
  changed.set_head_name("Zhang");
  changed.mutable_members(1)->set_health(v1::HEALTH_HEALTHY);
  auto update = Apply(shuicheng_, Page({Row("100000000001"), changed}));
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_EQ(update->results(0).outcome(), v1::IMPORT_OUTCOME_UNCHANGED);
  EXPECT_EQ(update->results(1).outcome(), v1::IMPORT_OUTCOME_UPDATED);
  const v1::Household* h = ByNumber("100000000005");
  EXPECT_EQ(h->head_name(), "Zhang");
  EXPECT_EQ(h->members(1).health(), v1::HEALTH_HEALTHY);
  EXPECT_EQ(h->etag(), common::EtagOf(2));
  EXPECT_EQ(ByNumber("100000000001")->etag(), common::EtagOf(1));
}

TEST_F(HouseholdImportTest, StatusChangesFollowUpdateHouseholdRules) {
  ASSERT_TRUE(Apply(shuicheng_, Page({Row("200000000001")})).ok());
  v1::Household exited = Row("200000000001");
  exited.set_status(v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  v1::Household new_exited = Row("200000000002");
  new_exited.set_status(v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  auto resp = Apply(shuicheng_, Page({exited, new_exited}));
  ASSERT_TRUE(resp.ok()) << resp.status();
  // An exit goes through ExitService; a household created exited needs an admin.
  EXPECT_EQ(FieldsOf(resp->results(0)), std::vector<std::string>{"status"});
  EXPECT_EQ(FieldsOf(resp->results(1)), std::vector<std::string>{"status"});
  EXPECT_EQ(ByNumber("200000000001")->status(), v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  EXPECT_EQ(ByNumber("200000000002"), nullptr);
}

TEST_F(HouseholdImportTest, DryRunReportsWhatApplyWouldDoAndWritesNothing) {
  ASSERT_TRUE(Apply(shuicheng_, Page({Row("100000000001")})).ok());
  v1::ImportHouseholdsRequest req = MixedPage();
  req.mutable_rows(0)->set_head_name("Changed");
  auto households = store_.data.households;
  size_t events = store_.outbox.size();
  int transactions = store_.transactions;
  auto dry = DryRun(shuicheng_, req);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(store_.data.households.size(), households.size());
  EXPECT_EQ(store_.outbox.size(), events);
  EXPECT_EQ(store_.transactions, transactions);
  EXPECT_EQ(dry->updated(), 1);
  EXPECT_EQ(dry->created(), 1);
  EXPECT_EQ(dry->refused(), 3);
  auto applied = Apply(shuicheng_, req);
  ASSERT_TRUE(applied.ok());
  ASSERT_EQ(applied->results_size(), dry->results_size());
  for (int i = 0; i < dry->results_size(); ++i) {
    EXPECT_EQ(dry->results(i).outcome(), applied->results(i).outcome()) << i;
    EXPECT_EQ(FieldsOf(dry->results(i)), FieldsOf(applied->results(i))) << i;
  }
}

TEST_F(HouseholdImportTest, OtherCountiesVillagesAreRefusedWithoutAnExistenceOracle) {
  // An existing village of the neighbour and one that does not exist read the same.
  auto resp = Apply(
      shuicheng_, Page({Row("300000000001", kNeighbourVillage), Row("300000000002", "520222101999"),
                        Row("300000000003", "520221104999")}));
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(FieldsOf(resp->results(0)), std::vector<std::string>{"village_code"});
  ASSERT_EQ(FieldsOf(resp->results(1)), std::vector<std::string>{"village_code"});
  EXPECT_EQ(resp->results(0).violations(0).description(),
            resp->results(1).violations(0).description());
  // Inside the scope, a missing village is named as such.
  EXPECT_EQ(FieldsOf(resp->results(2)), std::vector<std::string>{"village_code"});
  EXPECT_EQ(resp->created(), 0);
  // The neighbour's household is not moved or rewritten through its number.
  ASSERT_TRUE(Apply(neighbour_, Page({Row("300000000004", kNeighbourVillage)})).ok());
  auto taken = Apply(shuicheng_, Page({Row("300000000004")}));
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(FieldsOf(taken->results(0)), std::vector<std::string>{"national_household_number"});
  EXPECT_EQ(ByNumber("300000000004")->village_code(), kNeighbourVillage);
  // A repeated number in one page: the later row is refused.
  auto twice = Apply(shuicheng_, Page({Row("300000000005"), Row("300000000005")}));
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->created(), 1);
  EXPECT_EQ(FieldsOf(twice->results(1)), std::vector<std::string>{"national_household_number"});
}

TEST_F(HouseholdImportTest, ARetryReplaysTheFirstAnswer) {
  v1::ImportHouseholdsRequest req = MixedPage();
  auto first = Apply(shuicheng_, req, "import-page-1");
  ASSERT_TRUE(first.ok());
  int transactions = store_.transactions;
  auto retry = Apply(shuicheng_, req, "import-page-1");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(store_.transactions, transactions);
  EXPECT_EQ(store_.replays, 1);
}

TEST_F(HouseholdImportTest, AFullPageFitsTheAuditEventBound) {
  std::vector<v1::Household> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back(Row(absl::StrCat(400000000000 + i)));
  auto resp = Apply(shuicheng_, Page(std::move(rows)));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->created(), 1000);
  ASSERT_EQ(store_.outbox.size(), 1u);
  EXPECT_EQ(store_.outbox[0].entities_size(), 1000);
}

}  // namespace
}  // namespace tuopin::personnel
