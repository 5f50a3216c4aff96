// Unit tests of personnel rules that need no database: home-village detection,
// attendance arithmetic, field masks and request validation.

#include "services/personnel/personnel_logic.h"

#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/personnel/personnel_validate.h"

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
  absl::Status st = Validate(r);
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

}  // namespace
}  // namespace tuopin::personnel
