// Unit tests of DiffHouseholds on the in-memory store: SAME exactly when an import would
// leave the household UNCHANGED, CHANGED naming every differing field by its path in the
// row (never a value), MISSING (for another county's household too), REFUSED as the import
// refuses (and for a row outside the region compared, in the same words whether or not its
// village exists), a row naming a merged village compared, personal data compared masked for
// the roles that read it masked, nothing written.

#include "gmock/gmock.h"
#include "services/personnel/household_rows.h"
#include "services/personnel/personnel_validate.h"
#include "tests/support/household_members.h"
#include "tests/unit/personnel/personnel_fixture.h"

namespace tuopin::personnel {
namespace {

using ::testing::ElementsAre;
using testing::MakeMember;

class HouseholdDiffTest : public PersonnelLogicTest {
 protected:
  static v1::Household FileRow(const std::string& number,
                               const std::string& village = kShuichengVillage) {
    v1::Household h;
    h.set_village_code(village);
    h.set_national_household_number(number);
    h.set_head_name("Zhang");
    h.set_member_count(2);
    h.set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
    h.mutable_indicators()->set_housing_safety(true);
    *h.add_members() = MakeMember("Zhang", v1::MEMBER_RELATION_HEAD, testing::kHeadIdCard);
    *h.add_members() = MakeMember("Zhao", v1::MEMBER_RELATION_SPOUSE, testing::kSpouseIdCard,
                                  testing::kMemberPhone);
    return h;
  }
  // Stores `rows` through the import, as the register would hold them.
  void Load(const std::vector<v1::Household>& rows) { LoadAs(shuicheng_, rows); }
  void LoadAs(const Principal& p, const std::vector<v1::Household>& rows) {
    v1::ImportHouseholdsRequest req;
    req.set_first_row_number(1);
    for (const auto& r : rows) *req.add_rows() = r;
    v1::ImportHouseholdsResponse out;
    ASSERT_TRUE(logic_.ImportHouseholds(Ctx(p, "ImportHouseholds", req), req, out).ok());
    ASSERT_EQ(out.created(), static_cast<int>(rows.size()));
  }
  absl::StatusOr<v1::DiffHouseholdsResponse> Diff(const Principal& p,
                                                  const std::vector<v1::Household>& rows,
                                                  const std::string& region = "520221") {
    v1::DiffHouseholdsRequest req;
    req.set_region_code(region);
    req.set_first_row_number(11);
    for (const auto& r : rows) *req.add_rows() = r;
    TUOPIN_RETURN_IF_ERROR(Validate(req));
    v1::DiffHouseholdsResponse out;
    TUOPIN_RETURN_IF_ERROR(logic_.DiffHouseholds(p, req, out));
    return out;
  }
  std::vector<std::string> Differences(const v1::DiffRowResult& r) {
    return {r.differences().begin(), r.differences().end()};
  }
  std::vector<std::string> Refusals(const v1::DiffRowResult& r) {
    std::vector<std::string> out;
    for (const auto& v : r.violations()) out.push_back(v.field() + ": " + v.description());
    return out;
  }
};

TEST_F(HouseholdDiffTest, SameChangedMissingAndRefusedRowByRow) {
  Load({FileRow("200000000001"), FileRow("200000000002"), FileRow("200000000003")});
  const size_t households = store_.data.households.size();
  v1::Household changed = FileRow("200000000002");
  changed.set_status(v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  changed.mutable_indicators()->set_food(true);
  changed.mutable_members(1)->set_health(v1::HEALTH_HEALTHY);
  changed.mutable_members(1)->set_phone("");
  v1::Household fewer = FileRow("200000000003");
  fewer.set_member_count(1);
  fewer.mutable_members()->RemoveLast();
  v1::Household bad = FileRow("200000000005");
  bad.mutable_members(0)->set_id_card_number("520221198001011230");  // its check digit
  auto resp =
      Diff(shuicheng_, {FileRow("200000000001"), changed, fewer, FileRow("200000000004"), bad});
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->results_size(), 5);
  const auto& r = resp->results();
  EXPECT_EQ(r[0].row_number(), 11);
  EXPECT_EQ(r[0].outcome(), v1::DIFF_OUTCOME_SAME);
  EXPECT_FALSE(r[0].household_id().empty());
  EXPECT_EQ(r[1].outcome(), v1::DIFF_OUTCOME_CHANGED);
  EXPECT_EQ(r[1].national_household_number(), "200000000002");
  EXPECT_THAT(Differences(r[1]),
              ElementsAre("status", "indicators.food", "members[1].health", "members[1].phone"));
  EXPECT_THAT(Differences(r[2]), ElementsAre("member_count", "members"));
  EXPECT_EQ(r[3].outcome(), v1::DIFF_OUTCOME_MISSING);
  EXPECT_TRUE(r[3].household_id().empty());
  EXPECT_EQ(r[4].outcome(), v1::DIFF_OUTCOME_REFUSED);
  EXPECT_EQ(r[4].row_number(), 15);
  ASSERT_EQ(r[4].violations_size(), 1);
  EXPECT_EQ(r[4].violations(0).field(), "members[0].id_card_number");
  EXPECT_EQ(resp->same(), 1);
  EXPECT_EQ(resp->changed(), 2);
  EXPECT_EQ(resp->missing(), 1);
  EXPECT_EQ(resp->refused(), 1);
  // Never a value in the answer: they may be personal data.
  const std::string answer = resp->DebugString();
  for (const char* value : {testing::kHeadIdCard, testing::kMemberPhone, "520221198001011230",
                            "Zhang", "LIFTED_OUT", "HEALTHY"}) {
    EXPECT_EQ(answer.find(value), std::string::npos) << value;
  }
  // A read: nothing written, no event.
  EXPECT_EQ(store_.data.households.size(), households);
  EXPECT_EQ(store_.outbox.size(), 1u);  // the import's
}

TEST_F(HouseholdDiffTest, SameExactlyWhenAnImportWouldLeaveItUnchanged) {
  Load({FileRow("200000000011")});
  v1::Household row = FileRow("200000000011");
  row.clear_indicators();
  row.mutable_indicators()->set_housing_safety(true);
  row.set_id("another-systems-id");  // output-only fields are not compared
  row.set_etag("W/\"9\"");
  row.mutable_update_time()->set_seconds(1);
  row.set_exit_application_id("x");
  auto same = Diff(shuicheng_, {row});
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->results(0).outcome(), v1::DIFF_OUTCOME_SAME);
  row.set_head_name("Zhang Wei");
  auto changed = Diff(shuicheng_, {row});
  ASSERT_TRUE(changed.ok());
  EXPECT_THAT(Differences(changed->results(0)), ElementsAre("head_name"));
  // The import agrees: it updates, and then the diff finds them the same.
  v1::ImportHouseholdsRequest req;
  req.set_first_row_number(1);
  *req.add_rows() = row;
  v1::ImportHouseholdsResponse out;
  ASSERT_TRUE(logic_.ImportHouseholds(Ctx(shuicheng_, "ImportHouseholds", req), req, out).ok());
  EXPECT_EQ(out.updated(), 1);
  auto after = Diff(shuicheng_, {row});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->results(0).outcome(), v1::DIFF_OUTCOME_SAME);
}

TEST_F(HouseholdDiffTest, ARowOutsideTheRegionIsRefusedInTheSameWordsWhetherOrNotItExists) {
  Load({FileRow("200000000021")});
  // The prefecture compares one county: the neighbour county's village (which exists) and
  // a village that does not exist are refused alike.
  auto resp = Diff(prefecture_, {FileRow("200000000022", kNeighbourVillage),
                                 FileRow("200000000023", "520222101999"), FileRow("200000000021")});
  ASSERT_TRUE(resp.ok()) << resp.status();
  const auto& r = resp->results();
  EXPECT_THAT(Refusals(r[0]), ElementsAre(std::string("village_code: ") + kVillageOutOfReach));
  EXPECT_EQ(Refusals(r[1]), Refusals(r[0]));
  EXPECT_EQ(r[2].outcome(), v1::DIFF_OUTCOME_SAME);
  // Outside the caller's own scope: the import's refusal, the same words.
  auto county = Diff(shuicheng_, {FileRow("200000000022", kNeighbourVillage)});
  ASSERT_TRUE(county.ok());
  EXPECT_EQ(Refusals(county->results(0)), Refusals(r[0]));
  // A region the caller may not read at all is refused as a list of it would be.
  EXPECT_EQ(Diff(shuicheng_, {FileRow("200000000021")}, "520222").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(HouseholdDiffTest, ARepeatedNumberIsRefusedAsTheImportRefusesIt) {
  Load({FileRow("200000000031")});
  auto resp = Diff(shuicheng_, {FileRow("200000000031"), FileRow("200000000031")});
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->results(0).outcome(), v1::DIFF_OUTCOME_SAME);
  EXPECT_THAT(Refusals(resp->results(1)),
              ElementsAre(std::string("national_household_number: ") + kNumberRepeated));
}

// A number held by a household of another county answers exactly as a number nobody holds:
// a diff must not tell which numbers other counties have registered.
TEST_F(HouseholdDiffTest, AnotherCountysNumberIsMissingLikeAnUnknownOne) {
  LoadAs(Official("520222"), {FileRow("200000000051", kNeighbourVillage)});
  const Principal auditor = WithRole(tuopin::common::v1::ROLE_AUDITOR, "auditor-520221", "520221");
  for (const Principal& p : {auditor, shuicheng_}) {
    auto resp = Diff(p, {FileRow("200000000051"), FileRow("200000000052")});
    ASSERT_TRUE(resp.ok()) << resp.status();
    v1::DiffRowResult theirs = resp->results(0);
    v1::DiffRowResult unknown = resp->results(1);
    EXPECT_EQ(theirs.outcome(), v1::DIFF_OUTCOME_MISSING) << p.subject();
    theirs.clear_row_number();
    theirs.clear_national_household_number();
    unknown.clear_row_number();
    unknown.clear_national_household_number();
    EXPECT_EQ(theirs.DebugString(), unknown.DebugString()) << p.subject();
    EXPECT_EQ(resp->missing(), 2);
    EXPECT_EQ(resp->refused(), 0);
  }
}

// A file made before a merger names the merged village: its rows are compared (the
// household's village differs), not refused, while the region compared and the caller's
// scope still bound them.
TEST_F(HouseholdDiffTest, ARowOfAMergedVillageIsComparedNotRefused) {
  constexpr char kInto[] = "520221104002";
  AddRegion(kInto);
  AddRegion("520221105");
  Load({FileRow("200000000061")});
  v1::MergeVillagesRequest merge;
  merge.add_village_codes(kShuichengVillage);
  merge.set_into_code(kInto);
  merge.set_decision_reference("merger");
  v1::MergeVillagesResponse merged;
  ASSERT_TRUE(logic_.MergeVillages(Ctx(shuicheng_, "MergeVillages", merge), merge, merged).ok());
  ASSERT_TRUE(store_.data.regions.at(kShuichengVillage).has_valid_to());
  auto resp = Diff(shuicheng_, {FileRow("200000000061"), FileRow("200000000062"),
                                FileRow("200000000063", kInto)});
  ASSERT_TRUE(resp.ok()) << resp.status();
  const auto& r = resp->results();
  EXPECT_EQ(r[0].outcome(), v1::DIFF_OUTCOME_CHANGED);
  EXPECT_THAT(Differences(r[0]), ElementsAre("village_code"));
  EXPECT_EQ(r[1].outcome(), v1::DIFF_OUTCOME_MISSING);
  EXPECT_EQ(r[2].outcome(), v1::DIFF_OUTCOME_MISSING);
  v1::Household moved = FileRow("200000000061", kInto);
  auto now = Diff(shuicheng_, {moved}, "520221104");
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->results(0).outcome(), v1::DIFF_OUTCOME_SAME);
  // Outside the region compared, the merged village is refused as any other.
  auto other = Diff(shuicheng_, {FileRow("200000000061")}, "520221105");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_THAT(Refusals(other->results(0)),
              ElementsAre(std::string("village_code: ") + kVillageOutOfReach));
}

// An auditor reads id-card numbers and phones masked, so the diff compares them masked: it
// must not confirm a guessed number.
TEST_F(HouseholdDiffTest, PersonalDataIsComparedMaskedForRolesThatReadItMasked) {
  Load({FileRow("200000000041")});
  // Another valid id-card number with the same last two characters.
  std::string guess;
  for (int a = 0; a < 10 && guess.empty(); ++a) {
    for (int b = 0; b < 10 && guess.empty(); ++b) {
      std::string id = testing::kHeadIdCard;
      id[14] = static_cast<char>('0' + a);
      id[15] = static_cast<char>('0' + b);
      if (id != testing::kHeadIdCard && IsValidIdCardNumber(id) &&
          id.substr(16) == std::string(testing::kHeadIdCard).substr(16))
        guess = id;
    }
  }
  ASSERT_FALSE(guess.empty());
  v1::Household row = FileRow("200000000041");
  row.mutable_members(0)->set_id_card_number(guess);
  const Principal auditor = WithRole(tuopin::common::v1::ROLE_AUDITOR, "auditor-520221", "520221");
  auto masked = Diff(auditor, {row});
  ASSERT_TRUE(masked.ok()) << masked.status();
  EXPECT_EQ(masked->results(0).outcome(), v1::DIFF_OUTCOME_SAME);
  auto full = Diff(shuicheng_, {row});
  ASSERT_TRUE(full.ok());
  EXPECT_THAT(Differences(full->results(0)), ElementsAre("members[0].id_card_number"));
}

}  // namespace
}  // namespace tuopin::personnel
