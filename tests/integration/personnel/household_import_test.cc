// ImportHouseholds through a real gRPC server and a real MariaDB: a page of 300 rows with
// 1 % bad rows refuses exactly those, by row and field, and writes the others with their
// members; the dry run writes nothing (no household, no idempotency record, no event); a
// re-import of the same rows is all UNCHANGED; a changed row is UPDATED.

#include "absl/strings/str_cat.h"
#include "tests/integration/personnel/personnel_fixture.h"
#include "tests/support/household_members.h"

namespace tuopin::personnel {
namespace {

using testing::MakeMember;

constexpr int kRows = 300;
constexpr int kFirstRow = 2;  // the file's header is row 1

v1::Household Row(int i) {
  v1::Household h;
  h.set_village_code(i % 2 ? kVillageA : kVillageB);
  h.set_head_name(absl::StrCat("Head ", i));
  h.set_member_count(2);
  h.set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  h.set_income_per_head_fen(250000 + i);
  h.set_national_household_number(absl::StrCat(520221000000 + i));
  *h.add_members() = MakeMember(absl::StrCat("Head ", i), v1::MEMBER_RELATION_HEAD,
                                testing::kHeadIdCard, testing::kMemberPhone);
  *h.add_members() =
      MakeMember(absl::StrCat("Spouse ", i), v1::MEMBER_RELATION_SPOUSE, testing::kSpouseIdCard);
  return h;
}

// The page, rows 50, 150 and 250 bad in one field each; `field` of each bad index.
v1::ImportHouseholdsRequest Page(std::map<int, std::string>* bad = nullptr) {
  v1::ImportHouseholdsRequest req;
  req.set_first_row_number(kFirstRow);
  for (int i = 0; i < kRows; ++i) *req.add_rows() = Row(i);
  req.mutable_rows(50)->mutable_members(0)->set_id_card_number("520221198001011230");
  req.mutable_rows(150)->set_member_count(3);
  req.mutable_rows(250)->set_village_code(kLiuzhiVillage);
  if (bad != nullptr) {
    *bad = {{50, "members[0].id_card_number"}, {150, "members"}, {250, "village_code"}};
  }
  return req;
}

class HouseholdImportTest : public PersonnelTest {
 protected:
  v1::ImportHouseholdsResponse Import(v1::ImportHouseholdsRequest req) {
    req.set_request_id(NextId());
    v1::ImportHouseholdsResponse out;
    grpc::Status st = stub_->ImportHouseholds(ContextAs(official_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }
  int64_t Households() {
    return Count("SELECT COUNT(*) FROM households WHERE national_household_number IS NOT NULL");
  }
};

TEST_F(HouseholdImportTest, RefusesExactlyTheBadRowsAndReimportChangesNothing) {
  std::map<int, std::string> bad;
  v1::ImportHouseholdsRequest page = Page(&bad);

  int64_t events = Count("SELECT COUNT(*) FROM outbox");
  int64_t records = Count("SELECT COUNT(*) FROM idempotency");
  page.set_dry_run(true);
  v1::ImportHouseholdsResponse dry = Import(page);
  EXPECT_EQ(dry.created(), kRows - 3);
  EXPECT_EQ(dry.refused(), 3);
  EXPECT_EQ(Households(), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox"), events);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM idempotency"), records);

  page.set_dry_run(false);
  v1::ImportHouseholdsResponse applied = Import(page);
  ASSERT_EQ(applied.results_size(), kRows);
  EXPECT_EQ(applied.created(), kRows - 3);
  EXPECT_EQ(applied.refused(), 3);
  for (int i = 0; i < kRows; ++i) {
    const v1::ImportRowResult& r = applied.results(i);
    EXPECT_EQ(r.row_number(), kFirstRow + i);
    EXPECT_EQ(r.outcome(), dry.results(i).outcome()) << i;
    if (bad.count(i)) {
      ASSERT_EQ(r.outcome(), v1::IMPORT_OUTCOME_REFUSED) << i;
      ASSERT_EQ(r.violations_size(), 1) << i;
      EXPECT_EQ(r.violations(0).field(), bad[i]) << i;
    } else {
      EXPECT_EQ(r.outcome(), v1::IMPORT_OUTCOME_CREATED) << i;
    }
  }
  EXPECT_EQ(Households(), kRows - 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM household_members"), 2 * (kRows - 3));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox"), events + 1);

  // Members read back decrypted, as the file gave them.
  v1::GetHouseholdRequest get;
  get.set_id(applied.results(7).household_id());
  v1::Household stored;
  ASSERT_TRUE(stub_->GetHousehold(ContextAs(official_).get(), get, &stored).ok());
  EXPECT_EQ(stored.national_household_number(), page.rows(7).national_household_number());
  ASSERT_EQ(stored.members_size(), 2);
  EXPECT_EQ(stored.members(0).id_card_number(), testing::kHeadIdCard);
  EXPECT_EQ(stored.members(0).phone(), testing::kMemberPhone);
  EXPECT_EQ(stored.members(1).name(), "Spouse 7");

  int64_t versions = Count("SELECT SUM(version) FROM households");
  v1::ImportHouseholdsResponse again = Import(page);
  EXPECT_EQ(again.unchanged(), kRows - 3);
  EXPECT_EQ(again.refused(), 3);
  EXPECT_EQ(again.created() + again.updated(), 0);
  EXPECT_EQ(Count("SELECT SUM(version) FROM households"), versions);
  EXPECT_EQ(Households(), kRows - 3);

  v1::ImportHouseholdsRequest one;
  one.set_first_row_number(kFirstRow + 7);
  *one.add_rows() = page.rows(7);
  one.mutable_rows(0)->mutable_members(1)->set_health(v1::HEALTH_HEALTHY);
  v1::ImportHouseholdsResponse update = Import(one);
  ASSERT_EQ(update.results_size(), 1);
  EXPECT_EQ(update.results(0).outcome(), v1::IMPORT_OUTCOME_UPDATED);
  EXPECT_EQ(update.results(0).household_id(), stored.id());
  ASSERT_TRUE(stub_->GetHousehold(ContextAs(official_).get(), get, &stored).ok());
  EXPECT_EQ(stored.members(1).health(), v1::HEALTH_HEALTHY);
  EXPECT_EQ(stored.etag(), common::EtagOf(2));
  EXPECT_EQ(stored.members(0).id_card_number(), testing::kHeadIdCard);
}

// An import locks the villages its rows name before their households, as a merger does,
// so a merger holding a village never waits for an import that holds one of its households.
TEST_F(HouseholdImportTest, ImportLocksTheVillagesBeforeTheHouseholds) {
  v1::ImportHouseholdsRequest page;
  page.set_first_row_number(kFirstRow);
  *page.add_rows() = Row(1);
  v1::ImportHouseholdsResponse first = Import(page);
  ASSERT_EQ(first.created(), 1);
  page.mutable_rows(0)->set_head_name("Head one, renamed");
  v1::ImportHouseholdsResponse second;
  absl::Status free = HouseholdFreeWhileVillageHeld(
      Row(1).village_code(), first.results(0).household_id(), [&] { second = Import(page); });
  EXPECT_TRUE(free.ok()) << free;
  EXPECT_EQ(second.updated(), 1);
}

}  // namespace
}  // namespace tuopin::personnel
