// Unit tests of personnel rules that need no database: home-village detection,
// attendance arithmetic, field masks, request validation, region codes, region scope over
// every object a posting or pairing names, and the read methods of the logic, on the
// in-memory store (tests/support/fake_personnel_store.h). Mutations: personnel_mutations_test.cc.

#include <map>

#include "absl/strings/str_cat.h"
#include "common/field_limits.h"
#include "common/region_code.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/personnel/personnel_validate.h"
#include "tests/support/same_refusal.h"
#include "tests/unit/personnel/personnel_fixture.h"

namespace tuopin::personnel {
namespace {

v1::Posting MakePosting(const std::string& village, absl::CivilDay start,
                        std::optional<absl::CivilDay> end) {
  v1::Posting p;
  p.set_village_code(village);
  *p.mutable_start_date() = common::ToDate(start);
  if (end) *p.mutable_end_date() = common::ToDate(*end);
  return p;
}

TEST(HomeVillageTest, VillageInsideHomeRegion) {
  EXPECT_TRUE(IsHomeVillage("520221104001", "520221104001"));
  EXPECT_TRUE(IsHomeVillage("520221104", "520221104007"));
  EXPECT_FALSE(IsHomeVillage("520221104", "520221105001"));
  EXPECT_FALSE(IsHomeVillage("", "520221105001"));
}

TEST(AttendanceTest, CountsOnlyDaysInThePostedVillage) {
  // Posted to village A for 14 days (Aug 21 - Sep 3, the investigation period).
  std::vector<v1::Posting> postings = {
      MakePosting("A", absl::CivilDay(2018, 8, 21), absl::CivilDay(2018, 9, 3))};
  std::vector<CheckInDay> days = {
      {absl::CivilDay(2018, 8, 21), "A", false},
      {absl::CivilDay(2018, 8, 22), "A", true},
      {absl::CivilDay(2018, 8, 23), "B", false},  // not where the cadre is posted
      {absl::CivilDay(2018, 9, 10), "A", false},  // after the posting ended
  };
  AttendanceFigures f =
      ComputeAttendance(postings, days, absl::CivilDay(2018, 8, 1), absl::CivilDay(2018, 9, 30));
  EXPECT_EQ(f.days_required, 14 - 4);  // 14 days covered, 2 rest days in 7
  EXPECT_EQ(f.days_present, 2);
  EXPECT_EQ(f.verified_days, 1);
}

TEST(AttendanceTest, NoPostingNoRequirement) {
  AttendanceFigures f =
      ComputeAttendance({}, {}, absl::CivilDay(2018, 8, 1), absl::CivilDay(2018, 8, 31));
  EXPECT_EQ(f.days_required, 0);
  EXPECT_EQ(f.days_present, 0);
}

TEST(FieldMaskTest, AppliesOnlyMaskedFields) {
  v1::Household target, patch;
  target.set_head_name("old");
  target.set_member_count(3);
  patch.set_head_name("new");
  patch.set_member_count(9);
  patch.mutable_indicators()->set_housing_safety(true);
  google::protobuf::FieldMask mask;
  mask.add_paths("head_name");
  mask.add_paths("indicators.housing_safety");
  ASSERT_TRUE(ApplyHouseholdMask(mask, patch, target).ok());
  EXPECT_EQ(target.head_name(), "new");
  EXPECT_EQ(target.member_count(), 3);
  EXPECT_TRUE(target.indicators().housing_safety());
  EXPECT_FALSE(target.indicators().food());

  google::protobuf::FieldMask bad;
  bad.add_paths("village_code");
  EXPECT_EQ(ApplyHouseholdMask(bad, patch, target).code(), absl::StatusCode::kInvalidArgument);
  google::protobuf::FieldMask bad_indicator;
  bad_indicator.add_paths("indicators.wealth");
  EXPECT_FALSE(ApplyHouseholdMask(bad_indicator, patch, target).ok());
}

TEST(ValidateTest, CreateHouseholdNamesEveryBadField) {
  v1::CreateHouseholdRequest r;
  r.set_request_id("bad id with spaces");
  r.mutable_household()->set_village_code("5202");
  r.mutable_household()->set_head_name(std::string(65, 'x'));
  r.mutable_household()->set_member_count(0);
  r.mutable_household()->set_income_per_head_fen(-1);
  absl::Status st = common::ValidateRequest(r, &Validate);  // limits, then rules
  ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  auto v = common::FieldViolationsOf(common::ToGrpcStatus(st));
  std::set<std::string> fields;
  for (auto& [f, d] : v) fields.insert(f);
  EXPECT_EQ(fields, (std::set<std::string>{"request_id", "household.village_code",
                                           "household.head_name", "household.member_count",
                                           "household.status", "household.income_per_head_fen"}));
}

TEST(ValidateTest, AttendancePeriodBounds) {
  v1::GetAttendanceRequest r;
  r.set_cadre_id("c1");
  *r.mutable_from_date() = common::ToDate(absl::CivilDay(2018, 9, 5));
  *r.mutable_to_date() = common::ToDate(absl::CivilDay(2018, 9, 1));
  EXPECT_FALSE(Validate(r).ok());
  *r.mutable_to_date() = common::ToDate(absl::CivilDay(2019, 9, 10));
  EXPECT_FALSE(Validate(r).ok());
  *r.mutable_to_date() = common::ToDate(absl::CivilDay(2018, 12, 31));
  EXPECT_TRUE(Validate(r).ok());
}

TEST(ValidateTest, ListNeedsAScope) {
  v1::ListPostingsRequest r;
  EXPECT_FALSE(Validate(r).ok());
  r.set_region_code("520221");
  EXPECT_TRUE(Validate(r).ok());
}

class ScopeTest : public PersonnelLogicTest {};
using testing::ExpectSameRefusal;

TEST_F(ScopeTest, PostingNeedsBothTheVillageAndTheCadresCounty) {
  // The neighbour cannot post Shuicheng's cadre into its own village, and a missing cadre
  // gets the same answer.
  ExpectSameRefusal(Post(neighbour_, "cadre-sc", kNeighbourVillage).status(), "cadre-sc",
                    Post(neighbour_, "cadre-ghost", kNeighbourVillage).status(), "cadre-ghost");
  // Nor Shuicheng its own cadre into the neighbour's village.
  EXPECT_EQ(Post(shuicheng_, "cadre-sc", kNeighbourVillage).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(store_.data.postings.empty());
  // Someone over both may; each county its own cadres in its own villages.
  EXPECT_TRUE(Post(prefecture_, "cadre-nb", kShuichengVillage).ok());
  EXPECT_TRUE(Post(shuicheng_, "cadre-sc", kShuichengVillage).ok());
}

TEST_F(ScopeTest, EitherSideEndsAPostingNobodyElse) {
  absl::StatusOr<v1::Posting> p = Post(prefecture_, "cadre-sc", kNeighbourVillage);
  ASSERT_TRUE(p.ok()) << p.status();
  // A third county is refused, as for a posting that does not exist.
  ExpectSameRefusal(EndPosting(liuzhi_, p->id()), p->id(), EndPosting(liuzhi_, "posting-ghost"),
                    "posting-ghost");
  // The cadre's own county recalls its cadre from the other county's village.
  EXPECT_TRUE(EndPosting(shuicheng_, p->id()).ok());
  EXPECT_FALSE(store_.data.postings[p->id()].active());
  // The village's county may end it too.
  absl::StatusOr<v1::Posting> q = Post(prefecture_, "cadre-sc", kNeighbourVillage);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(EndPosting(neighbour_, q->id()).ok());
}

TEST_F(ScopeTest, PairingNeedsBothTheHouseholdAndTheCadresCounty) {
  ExpectSameRefusal(Pair(neighbour_, "cadre-sc", "hh-nb").status(), "cadre-sc",
                    Pair(neighbour_, "cadre-ghost", "hh-nb").status(), "cadre-ghost");
  ExpectSameRefusal(Pair(shuicheng_, "cadre-sc", "hh-nb").status(), "hh-nb",
                    Pair(shuicheng_, "cadre-sc", "hh-ghost").status(), "hh-ghost");
  EXPECT_TRUE(store_.data.pairings.empty());
  absl::StatusOr<v1::Pairing> p = Pair(prefecture_, "cadre-sc", "hh-nb");
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectSameRefusal(Unpair(liuzhi_, p->id()), p->id(), Unpair(liuzhi_, "pairing-ghost"),
                    "pairing-ghost");
  EXPECT_TRUE(Unpair(shuicheng_, p->id()).ok());
  EXPECT_FALSE(store_.data.pairings[p->id()].active());
}

TEST_F(ScopeTest, MissingLooksLikeAnotherCountysToAllButTheGlobalScope) {
  auto get_household = [&](const Principal& p, const std::string& id) {
    v1::GetHouseholdRequest req;
    req.set_id(id);
    v1::Household out;
    return logic_.GetHousehold(p, req, out);
  };
  auto get_cadre = [&](const Principal& p, const std::string& id) {
    v1::GetCadreRequest req;
    req.set_id(id);
    v1::Cadre out;
    return logic_.GetCadre(p, req, out);
  };
  ExpectSameRefusal(get_household(neighbour_, "hh-sc"), "hh-sc",
                    get_household(neighbour_, "hh-ghost"), "hh-ghost");
  ExpectSameRefusal(get_cadre(neighbour_, "cadre-sc"), "cadre-sc",
                    get_cadre(neighbour_, "cadre-ghost"), "cadre-ghost");
  // Even inside one's county a missing id is refused: it lies in no region.
  EXPECT_EQ(get_cadre(shuicheng_, "cadre-ghost").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(get_cadre(shuicheng_, "cadre-sc").ok());
  EXPECT_EQ(get_cadre(Official("*"), "cadre-ghost").code(), absl::StatusCode::kNotFound);
}

TEST(RegionCodeTest, LevelsParentsAndChildren) {
  EXPECT_EQ(common::RegionLevelOf("52"), v1::REGION_LEVEL_PROVINCE);
  EXPECT_EQ(common::RegionLevelOf("5202"), v1::REGION_LEVEL_PREFECTURE);
  EXPECT_EQ(common::RegionLevelOf("520221"), v1::REGION_LEVEL_COUNTY);
  EXPECT_EQ(common::RegionLevelOf("520221104"), v1::REGION_LEVEL_TOWNSHIP);
  EXPECT_EQ(common::RegionLevelOf("520221104001"), v1::REGION_LEVEL_VILLAGE);
  EXPECT_EQ(common::RegionLevelOf("5202211"), 0);
  EXPECT_EQ(common::ParentRegionCode("520221104001"), "520221104");
  EXPECT_EQ(common::ParentRegionCode("520221104"), "520221");
  EXPECT_EQ(common::ParentRegionCode("5202"), "52");
  EXPECT_EQ(common::ParentRegionCode("52"), "");
  EXPECT_EQ(common::ParentRegionCode("5202211"), "");
  EXPECT_EQ(common::ChildCodeLength(2), 4u);
  EXPECT_EQ(common::ChildCodeLength(6), 9u);
  EXPECT_EQ(common::ChildCodeLength(9), 12u);
  EXPECT_EQ(common::ChildCodeLength(12), 12u);
  EXPECT_TRUE(common::IsVillageCode("520221104001"));
  EXPECT_FALSE(common::IsVillageCode("520221104"));
  EXPECT_FALSE(common::IsVillageCode("52022110400x"));
}

TEST_F(PersonnelLogicTest, GetRegionIsReferenceDataForAnyCaller) {
  v1::GetRegionRequest req;
  req.set_code(kNeighbourVillage);
  v1::Region out;
  ASSERT_TRUE(logic_.GetRegion(shuicheng_, req, out).ok());
  EXPECT_EQ(out.level(), v1::REGION_LEVEL_VILLAGE);
  EXPECT_EQ(out.parent_code(), "520222101");
  req.set_code("520222101099");
  absl::Status st = logic_.GetRegion(shuicheng_, req, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "NOT_FOUND");
}

TEST_F(PersonnelLogicTest, ListRegionsPagesThroughTheChildren) {
  v1::ListRegionsRequest req;
  req.set_parent_code("5202");
  req.set_page_size(1);
  v1::ListRegionsResponse first, second;
  ASSERT_TRUE(logic_.ListRegions(shuicheng_, req, first).ok());
  ASSERT_EQ(first.regions_size(), 1);
  EXPECT_EQ(first.regions(0).code(), "520221");
  ASSERT_FALSE(first.next_page_token().empty());
  req.set_page_token(first.next_page_token());
  ASSERT_TRUE(logic_.ListRegions(shuicheng_, req, second).ok());
  ASSERT_EQ(second.regions_size(), 1);
  EXPECT_EQ(second.regions(0).code(), "520222");
  EXPECT_TRUE(second.next_page_token().empty());
}

TEST_F(PersonnelLogicTest, GetHouseholdInScope) {
  v1::GetHouseholdRequest req;
  req.set_id("hh-sc");
  v1::Household out;
  ASSERT_TRUE(logic_.GetHousehold(shuicheng_, req, out).ok());
  EXPECT_EQ(out.village_code(), kShuichengVillage);
  EXPECT_EQ(logic_.GetHousehold(neighbour_, req, out).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(PersonnelLogicTest, ListHouseholdsFiltersByRegionAndStatus) {
  AddHousehold("hh-sc-2", kShuichengVillage, v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  AddHousehold("hh-sc-3", kShuichengVillage);
  v1::ListHouseholdsRequest req;
  req.set_region_code("520221");
  req.set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  v1::ListHouseholdsResponse out;
  ASSERT_TRUE(logic_.ListHouseholds(shuicheng_, req, out).ok());
  ASSERT_EQ(out.households_size(), 2);
  EXPECT_EQ(out.households(0).id(), "hh-sc");
  EXPECT_EQ(out.households(1).id(), "hh-sc-3");
  req.set_region_code("5202");
  EXPECT_EQ(logic_.ListHouseholds(shuicheng_, req, out).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(PersonnelLogicTest, GetCadreForItsCountyAndForItself) {
  v1::GetCadreRequest req;
  req.set_id("cadre-sc");
  v1::Cadre out;
  EXPECT_TRUE(logic_.GetCadre(shuicheng_, req, out).ok());
  // A cadre reads his or her own record, whatever the scope, and nobody else's.
  Principal self = WithRole(tuopin::common::v1::ROLE_CADRE, "cadre-sc", "520222");
  EXPECT_TRUE(logic_.GetCadre(self, req, out).ok());
  req.set_id("cadre-nb");
  EXPECT_EQ(
      logic_.GetCadre(WithRole(tuopin::common::v1::ROLE_CADRE, "cadre-sc", "520221"), req, out)
          .code(),
      absl::StatusCode::kPermissionDenied);
}

TEST_F(PersonnelLogicTest, ListCadresFiltersByOriginLevel) {
  AddCadre("cadre-sc-2", "520221");
  store_.data.cadres["cadre-sc-2"].set_origin_level(v1::ORIGIN_LEVEL_COUNTY);
  v1::ListCadresRequest req;
  req.set_region_code("5202");
  v1::ListCadresResponse out;
  ASSERT_TRUE(logic_.ListCadres(prefecture_, req, out).ok());
  EXPECT_EQ(out.cadres_size(), 3);
  req.set_origin_level(v1::ORIGIN_LEVEL_COUNTY);
  v1::ListCadresResponse county;
  ASSERT_TRUE(logic_.ListCadres(prefecture_, req, county).ok());
  ASSERT_EQ(county.cadres_size(), 1);
  EXPECT_EQ(county.cadres(0).id(), "cadre-sc-2");
}

TEST_F(PersonnelLogicTest, ListPostingsByCadreOrRegion) {
  ASSERT_TRUE(Post(shuicheng_, "cadre-sc", kShuichengVillage).ok());
  ASSERT_TRUE(Post(neighbour_, "cadre-nb", kNeighbourVillage).ok());
  v1::ListPostingsRequest req;
  req.set_cadre_id("cadre-sc");
  v1::ListPostingsResponse out;
  ASSERT_TRUE(logic_.ListPostings(shuicheng_, req, out).ok());
  ASSERT_EQ(out.postings_size(), 1);
  EXPECT_EQ(out.postings(0).cadre_id(), "cadre-sc");
  EXPECT_EQ(logic_.ListPostings(neighbour_, req, out).code(), absl::StatusCode::kPermissionDenied);
  req.set_region_code("5202");
  v1::ListPostingsResponse region;
  ASSERT_TRUE(logic_.ListPostings(prefecture_, req, region).ok());
  EXPECT_EQ(region.postings_size(), 2);
}

TEST_F(PersonnelLogicTest, ListPairingsByHouseholdAndActiveOnly) {
  absl::StatusOr<v1::Pairing> p = Pair(shuicheng_, "cadre-sc", "hh-sc");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(Unpair(shuicheng_, p->id()).ok());
  ASSERT_TRUE(Pair(shuicheng_, "cadre-sc", "hh-sc").ok());
  v1::ListPairingsRequest req;
  req.set_household_id("hh-sc");
  v1::ListPairingsResponse out;
  ASSERT_TRUE(logic_.ListPairings(shuicheng_, req, out).ok());
  EXPECT_EQ(out.pairings_size(), 2);
  req.set_active_only(true);
  v1::ListPairingsResponse active;
  ASSERT_TRUE(logic_.ListPairings(shuicheng_, req, active).ok());
  ASSERT_EQ(active.pairings_size(), 1);
  EXPECT_TRUE(active.pairings(0).active());
  EXPECT_EQ(logic_.ListPairings(neighbour_, req, out).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(PersonnelLogicTest, GetAttendanceCountsCheckInsWhereThePostingIs) {
  ASSERT_TRUE(Post(shuicheng_, "cadre-sc", kShuichengVillage).ok());
  auto check_in = [&](absl::CivilDay day, const std::string& village, v1::CheckInMethod m) {
    v1::CheckIn c;
    c.set_cadre_id("cadre-sc");
    c.set_village_code(village);
    c.set_method(m);
    store_.data.checkins.push_back({c, day});
  };
  check_in(absl::CivilDay(2018, 9, 3), kShuichengVillage, v1::CHECK_IN_METHOD_SELF_REPORT);
  check_in(absl::CivilDay(2018, 9, 3), kShuichengVillage,
           v1::CHECK_IN_METHOD_VERIFIED_BY_INSPECTION);
  check_in(absl::CivilDay(2018, 9, 4), kNeighbourVillage, v1::CHECK_IN_METHOD_SELF_REPORT);
  v1::GetAttendanceRequest req;
  req.set_cadre_id("cadre-sc");
  *req.mutable_from_date() = common::ToDate(absl::CivilDay(2018, 9, 1));
  *req.mutable_to_date() = common::ToDate(absl::CivilDay(2018, 9, 7));
  v1::Attendance out;
  ASSERT_TRUE(logic_.GetAttendance(shuicheng_, req, out).ok());
  EXPECT_EQ(out.days_required(), 7 - 2);
  EXPECT_EQ(out.days_present(), 1);
  EXPECT_EQ(out.verified_days(), 1);
  EXPECT_EQ(logic_.GetAttendance(neighbour_, req, out).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(PersonnelLogicTest, GetCoverageFiguresOfTheRegion) {
  AddHousehold("hh-sc-2", kShuichengVillage);
  AddHousehold("hh-sc-3", kShuichengVillage);
  ASSERT_TRUE(Post(shuicheng_, "cadre-sc", kShuichengVillage).ok());
  ASSERT_TRUE(Pair(shuicheng_, "cadre-sc", "hh-sc").ok());
  v1::GetCoverageRequest req;
  req.set_region_code("520221");
  v1::Coverage out;
  ASSERT_TRUE(logic_.GetCoverage(shuicheng_, req, out).ok());
  EXPECT_EQ(out.villages(), 1);
  EXPECT_EQ(out.registered_poor_households(), 3);
  EXPECT_EQ(out.households_without_cadre_count(), 2);
  EXPECT_EQ(std::vector<std::string>(out.households_without_cadre().begin(),
                                     out.households_without_cadre().end()),
            (std::vector<std::string>{"hh-sc-2", "hh-sc-3"}));
  // A team member is no first secretary; the cadre never checked in.
  EXPECT_EQ(out.villages_without_first_secretary_count(), 1);
  EXPECT_EQ(out.cadres_without_recent_check_in_count(), 1);
  EXPECT_FALSE(out.has_as_of());
  EXPECT_EQ(logic_.GetCoverage(neighbour_, req, out).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(PersonnelLogicTest, CountsOnlyIsCountedAtTheCallUntilTheFirstRefreshThenReadsIt) {
  v1::GetCoverageRequest req;
  req.set_region_code("5202");
  req.set_counts_only(true);
  v1::Coverage out;
  // Before any refresh: counted at the call (no lists), and the read refreshes nothing.
  ASSERT_TRUE(logic_.GetCoverage(prefecture_, req, out).ok());
  EXPECT_EQ(common::FromTimestamp(out.as_of()), clock_.Now());
  EXPECT_EQ(out.villages(), 2);
  EXPECT_EQ(out.households_without_cadre_count(), 2);
  EXPECT_EQ(out.households_without_cadre_size(), 0);
  EXPECT_TRUE(store_.data.coverage_summary.empty());
  ASSERT_TRUE(logic_.RefreshCoverageSummary().ok());
  ASSERT_TRUE(logic_.GetCoverage(prefecture_, req, out).ok());
  EXPECT_EQ(out.households_without_cadre_count(), 2);
  // Later changes show after the next refresh only.
  ASSERT_TRUE(Pair(shuicheng_, "cadre-sc", "hh-sc").ok());
  ASSERT_TRUE(logic_.GetCoverage(prefecture_, req, out).ok());
  EXPECT_EQ(out.households_without_cadre_count(), 2);
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(logic_.RefreshCoverageSummary().ok());
  ASSERT_TRUE(logic_.GetCoverage(prefecture_, req, out).ok());
  EXPECT_EQ(out.households_without_cadre_count(), 1);
  EXPECT_EQ(common::FromTimestamp(out.as_of()), clock_.Now());
}

TEST_F(PersonnelLogicTest, RefreshCoverageSummaryCountsOverTheLimitAsConfigured) {
  AddHousehold("hh-sc-2", kShuichengVillage);
  AddHousehold("hh-sc-3", kShuichengVillage);
  // Over the limit: only data loaded around the rule (e.g. a lowered limit) gets there.
  for (const char* h : {"hh-sc", "hh-sc-2", "hh-sc-3"}) {
    v1::Pairing& p = store_.data.pairings[absl::StrCat("pairing-", h)];
    p.set_id(absl::StrCat("pairing-", h));
    p.set_cadre_id("cadre-sc");
    p.set_household_id(h);
    p.set_village_code(kShuichengVillage);
    p.set_active(true);
  }
  ASSERT_TRUE(logic_.RefreshCoverageSummary().ok());
  const auto& row = store_.data.coverage_summary.at(kShuichengVillage);
  EXPECT_EQ(row.cadres_over_limit, 1);
  EXPECT_EQ(row.unpaired_poor, 0);
  EXPECT_EQ(store_.data.summary_computed_at, clock_.Now());
}

// A refresh is skipped while nothing was written since the last one (less the overlap),
// for at most the longest skip; a write makes the next one run.
TEST_F(PersonnelLogicTest, CoverageRefreshIsSkippedWhileNothingWasWritten) {
  ASSERT_TRUE(logic_.RefreshCoverageSummary().ok());
  absl::Time first = clock_.Now();
  EXPECT_EQ(store_.data.summary_computed_at, first);
  EXPECT_TRUE(store_.data.written_since_asked.empty()) << "the first refresh always runs";
  store_.data.written_since = false;
  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(logic_.RefreshCoverageSummary().ok());
  EXPECT_EQ(store_.data.summary_computed_at, first) << "skipped";
  ASSERT_EQ(store_.data.written_since_asked.size(), 1u);
  EXPECT_EQ(store_.data.written_since_asked[0], first - absl::Seconds(60));
  store_.data.written_since = true;
  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(logic_.RefreshCoverageSummary().ok());
  EXPECT_EQ(store_.data.summary_computed_at, clock_.Now()) << "a write: refreshed";
  store_.data.written_since = false;
  clock_.Advance(absl::Minutes(10));
  ASSERT_TRUE(logic_.RefreshCoverageSummary().ok());
  EXPECT_EQ(store_.data.summary_computed_at, clock_.Now()) << "skipped for at most 10 minutes";
}

}  // namespace
}  // namespace tuopin::personnel
