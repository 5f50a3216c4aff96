// Unit tests of the task rules that need no store: stages from the clock, the state
// machine, indicators per sector and lag, and the link to a rectification order.

#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/tasks/tasks_logic.h"

namespace tuopin::tasks {
namespace {

v1::Campaign Campaign(absl::CivilDay start, std::vector<int> days = {}) {
  v1::Campaign c;
  *c.mutable_start_date() = common::ToDate(start);
  for (int d : days) c.add_stage_days(d);
  return c;
}

TEST(StageTest, ThreeStagesOf150Days) {
  v1::Campaign c = Campaign(absl::CivilDay(2018, 4, 1));
  EXPECT_EQ(StageOn(c, absl::CivilDay(2018, 3, 31)).stage, v1::STAGE_UNSPECIFIED);
  StageInfo first = StageOn(c, absl::CivilDay(2018, 4, 1));
  EXPECT_EQ(first.stage, v1::STAGE_IMPLEMENT);
  EXPECT_EQ(first.day_of_stage, 1);
  // The symposium of 5 September 2018: day 158 of the campaign, day 8 of stage two.
  StageInfo symposium = StageOn(c, absl::CivilDay(2018, 9, 5));
  EXPECT_EQ(symposium.stage, v1::STAGE_FIX_SHORTCOMINGS);
  EXPECT_EQ(symposium.day_of_stage, 8);
  EXPECT_EQ(symposium.stage_days, 150);
  EXPECT_EQ(StageOn(c, absl::CivilDay(2018, 4, 1) + 300).stage, v1::STAGE_FINAL_VICTORY);
  StageInfo after = StageOn(c, absl::CivilDay(2018, 4, 1) + 450);
  EXPECT_TRUE(after.finished);
  EXPECT_EQ(StageOn(Campaign(absl::CivilDay(2018, 4, 1), {10, 20, 30}), absl::CivilDay(2018, 4, 15))
                .day_of_stage,
            5);
}

TEST(StateMachineTest, LegalAndIllegalMoves) {
  using S = v1::TaskStatus;
  struct Row {
    S from;
    TaskAction action;
    bool ok;
  };
  std::vector<Row> rows = {
      {v1::TASK_STATUS_OPEN, TaskAction::kReport, true},
      {v1::TASK_STATUS_OPEN, TaskAction::kComplete, true},
      {v1::TASK_STATUS_OPEN, TaskAction::kVerify, false},
      {v1::TASK_STATUS_OPEN, TaskAction::kReopen, false},
      {v1::TASK_STATUS_IN_PROGRESS, TaskAction::kComplete, true},
      {v1::TASK_STATUS_COMPLETED, TaskAction::kReport, false},
      {v1::TASK_STATUS_COMPLETED, TaskAction::kVerify, true},
      {v1::TASK_STATUS_COMPLETED, TaskAction::kReopen, true},
      {v1::TASK_STATUS_VERIFIED, TaskAction::kReopen, true},
      {v1::TASK_STATUS_VERIFIED, TaskAction::kCancel, false},
      {v1::TASK_STATUS_VERIFIED, TaskAction::kVerify, false},
      {v1::TASK_STATUS_CANCELLED, TaskAction::kReport, false},
      {v1::TASK_STATUS_CANCELLED, TaskAction::kReopen, false},
      {v1::TASK_STATUS_IN_PROGRESS, TaskAction::kCancel, true},
  };
  for (const auto& r : rows) {
    absl::Status st = CheckTransition(r.from, r.action);
    EXPECT_EQ(st.ok(), r.ok) << v1::TaskStatus_Name(r.from) << " action "
                             << static_cast<int>(r.action);
    if (!r.ok) {
      EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
    }
  }
  EXPECT_EQ(After(v1::TASK_STATUS_VERIFIED, TaskAction::kReopen), v1::TASK_STATUS_IN_PROGRESS);
}

TEST(RulesTest, IndicatorsAndLag) {
  EXPECT_EQ(IndicatorFor(tuopin::common::v1::SECTOR_HOUSING_SAFETY), "housing_safety");
  EXPECT_EQ(IndicatorFor(tuopin::common::v1::SECTOR_DRINKING_WATER), "drinking_water_safety");
  EXPECT_EQ(IndicatorFor(tuopin::common::v1::SECTOR_SCHOOL_DROPOUT_PREVENTION),
            "compulsory_education");
  EXPECT_EQ(IndicatorFor(tuopin::common::v1::SECTOR_MEDICAL_CARE), "basic_medical_care");
  EXPECT_EQ(IndicatorFor(tuopin::common::v1::SECTOR_RURAL_ROADS), "");
  EXPECT_TRUE(IsLagging(2500, 5000, 10));
  EXPECT_FALSE(IsLagging(4100, 5000, 10));
  EXPECT_FALSE(IsLagging(4000, 5000, 10));
}

// Issue 17, point 8: a task links to a rectification order only when the accountability
// service creates it; anyone else naming an order is refused, naming the field.
TEST(RulesTest, OnlyTheAccountabilityServiceLinksARectificationOrder) {
  auto principal = [](const std::string& subject, tuopin::common::v1::Role role) {
    Principal p;
    p.set_subject(subject);
    p.add_roles(role);
    p.add_region_scopes("*");
    return p;
  };
  v1::Task linked;
  linked.set_rectification_order_id("order-of-another-county");
  EXPECT_TRUE(
      CheckRectificationLink(
          principal(kAccountabilityServiceSubject, tuopin::common::v1::ROLE_SERVICE), linked)
          .ok());
  EXPECT_EQ(std::string(kAccountabilityServiceSubject), "service:accountability");
  for (const Principal& p :
       {principal("official-1", tuopin::common::v1::ROLE_COUNTY_OFFICIAL),
        principal("admin-1", tuopin::common::v1::ROLE_ADMIN),
        principal("service:funds", tuopin::common::v1::ROLE_SERVICE),
        // The right subject without the service role is not the service.
        principal(kAccountabilityServiceSubject, tuopin::common::v1::ROLE_COUNTY_OFFICIAL)}) {
    grpc::Status st = common::ToGrpcStatus(CheckRectificationLink(p, linked));
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << p.subject();
    EXPECT_EQ(common::ReasonOf(st), "RECTIFICATION_LINK_RESERVED");
    auto violations = common::FieldViolationsOf(st);
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0].first, "task.rectification_order_id");
    EXPECT_NE(st.error_message().find("task.rectification_order_id"), std::string::npos);
  }
  // A planned task (no order) may be created by anyone the contract admits.
  EXPECT_TRUE(CheckRectificationLink(
                  principal("official-1", tuopin::common::v1::ROLE_COUNTY_OFFICIAL), v1::Task())
                  .ok());
}

}  // namespace
}  // namespace tuopin::tasks
