// Unit tests of task rules that need no database: stages from the clock, the state
// machine, indicators per sector, lag and region levels, and (with a fake store and a fake
// personnel directory) region scope over every object a task names.

#include "services/tasks/tasks_logic.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "tests/support/same_refusal.h"

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

TEST(RulesTest, IndicatorsLagAndLevels) {
  EXPECT_EQ(IndicatorFor(tuopin::common::v1::SECTOR_HOUSING_SAFETY), "housing_safety");
  EXPECT_EQ(IndicatorFor(tuopin::common::v1::SECTOR_DRINKING_WATER), "drinking_water_safety");
  EXPECT_EQ(IndicatorFor(tuopin::common::v1::SECTOR_SCHOOL_DROPOUT_PREVENTION),
            "compulsory_education");
  EXPECT_EQ(IndicatorFor(tuopin::common::v1::SECTOR_MEDICAL_CARE), "basic_medical_care");
  EXPECT_EQ(IndicatorFor(tuopin::common::v1::SECTOR_RURAL_ROADS), "");
  EXPECT_TRUE(IsLagging(2500, 5000, 10));
  EXPECT_FALSE(IsLagging(4100, 5000, 10));
  EXPECT_FALSE(IsLagging(4000, 5000, 10));
  EXPECT_EQ(ChildLength(6), 9u);
  EXPECT_EQ(ChildLength(9), 12u);
  EXPECT_EQ(ChildLength(12), 12u);
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

absl::Status Unimplemented() { return absl::UnimplementedError("not in this fake"); }

// Campaigns and tasks in memory; CreateTask stores, the reads the scope rules need answer.
class FakeStore final : public TasksStore {
 public:
  std::map<std::string, v1::Campaign> campaigns;
  std::map<std::string, v1::Task> tasks;

  absl::Status CreateCampaign(const MutationContext&, const v1::Campaign&, v1::Campaign&) override {
    return Unimplemented();
  }
  absl::StatusOr<std::optional<v1::Campaign>> GetCampaign(const std::string& id) override {
    auto it = campaigns.find(id);
    if (it == campaigns.end()) return std::optional<v1::Campaign>();
    return std::optional<v1::Campaign>(it->second);
  }
  absl::Status CreateTask(const MutationContext&, const v1::Task& t, v1::Task& out) override {
    out = t;
    out.set_id(absl::StrCat("task-", tasks.size() + 1));
    tasks[out.id()] = out;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<v1::Task>> GetTask(const std::string& id) override {
    auto it = tasks.find(id);
    if (it == tasks.end()) return std::optional<v1::Task>();
    return std::optional<v1::Task>(it->second);
  }
  absl::StatusOr<std::vector<v1::Task>> ListTasks(const TaskFilter&, const PageRequest&) override {
    return Unimplemented();
  }
  absl::Status ChangeTask(const MutationContext&, const std::string& id, const std::string&,
                          const TaskChange& change, v1::Task& out) override {
    v1::Task t = tasks.at(id);
    TaskEffects effects;
    TUOPIN_RETURN_IF_ERROR(change(t, effects));
    tasks[id] = t;
    out = t;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<v1::Task>> ListOverdue(const std::string&, absl::CivilDay,
                                                    const PageRequest&) override {
    return Unimplemented();
  }
  absl::StatusOr<std::vector<SectorCount>> CountBySector(const std::string&, int,
                                                         const std::string&, size_t,
                                                         absl::CivilDay) override {
    return Unimplemented();
  }
  absl::StatusOr<std::vector<std::tuple<int, int, int>>> Unfinished(const std::string&,
                                                                    int) override {
    return Unimplemented();
  }
  absl::StatusOr<std::vector<IndicatorUpdate>> PendingIndicatorUpdates(int) override {
    return Unimplemented();
  }
  absl::Status FinishIndicatorUpdate(const std::string&, absl::Time, const absl::Status&) override {
    return Unimplemented();
  }
};

// What personnel knows: cadres by managing region, households by village; any other id is
// NOT_FOUND, as the real directory answers.
class FakePersonnel final : public common::PersonnelDirectory {
 public:
  std::map<std::string, std::string> cadre_regions, household_villages;

  absl::Status CheckVillage(const std::string&) override { return absl::OkStatus(); }
  absl::StatusOr<std::string> HouseholdVillage(const std::string& id) override {
    auto it = household_villages.find(id);
    if (it == household_villages.end()) return absl::NotFoundError("household not found");
    return it->second;
  }
  absl::StatusOr<std::string> CadreRegion(const std::string& id) override {
    auto it = cadre_regions.find(id);
    if (it == cadre_regions.end()) return absl::NotFoundError("cadre not found");
    return it->second;
  }
  absl::Status SetIndicator(const std::string&, const std::string&, const std::string&) override {
    return Unimplemented();
  }
  absl::StatusOr<std::vector<std::string>> RegisteredHouseholds(const std::string&) override {
    return Unimplemented();
  }
};

constexpr char kShuichengVillage[] = "520221104001";
constexpr char kNeighbourVillage[] = "520222101001";

// Issue 18 (points 1 and 8): a task names only objects of the caller's scope, and a
// missing one is refused exactly as one of another county.
class TaskScopeTest : public ::testing::Test {
 protected:
  TaskScopeTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone())),
        tokens_("tasks-unit-test-page-token-key-012345"),
        logic_(store_, personnel_, clock_, tokens_) {
    for (auto [id, region] : {std::pair{"camp-sc", "520221"}, std::pair{"camp-nb", "520222"}}) {
      v1::Campaign& c = store_.campaigns[id];
      c.set_id(id);
      c.set_region_code(region);
      *c.mutable_start_date() = common::ToDate(absl::CivilDay(2018, 4, 1));
    }
    personnel_.cadre_regions = {{"cadre-sc", "520221"}, {"cadre-nb", "520222"}};
    personnel_.household_villages = {{"hh-sc", kShuichengVillage}, {"hh-nb", kNeighbourVillage}};
    v1::Task& t = store_.tasks["task-sc"];
    t.set_id("task-sc");
    t.set_village_code(kShuichengVillage);
    t.set_status(v1::TASK_STATUS_OPEN);
  }

  MutationContext Ctx(const std::string& scope) {
    MutationContext m;
    m.principal.set_subject(absl::StrCat("official-", scope));
    m.principal.add_roles(tuopin::common::v1::ROLE_COUNTY_OFFICIAL);
    m.principal.add_region_scopes(scope);
    m.request_id = absl::StrCat("req-", ++requests_);
    m.now = clock_.Now();
    return m;
  }
  // A task of the neighbour (520222) in its own village, naming `campaign`, `household`
  // (when set) and assignee `cadre`.
  absl::Status Create(const std::string& scope, const std::string& campaign,
                      const std::string& household, const std::string& cadre) {
    v1::CreateTaskRequest req;
    v1::Task& t = *req.mutable_task();
    t.set_campaign_id(campaign);
    if (household.empty()) {
      t.set_village_code(kNeighbourVillage);
    } else {
      t.set_household_id(household);
    }
    t.set_assignee_cadre_id(cadre);
    v1::Task out;
    return logic_.CreateTask(Ctx(scope), req, out);
  }

  common::FakeClock clock_;
  common::PageTokenCodec tokens_;
  FakeStore store_;
  FakePersonnel personnel_;
  TasksLogic logic_;
  int requests_ = 0;
};

using testing::ExpectSameRefusal;

TEST_F(TaskScopeTest, EveryNamedObjectIsInTheCallersScope) {
  // The neighbour's own task with Shuicheng's cadre as assignee: refused, as for a cadre
  // that does not exist.
  ExpectSameRefusal(Create("520222", "camp-nb", "", "cadre-sc"), "cadre-sc",
                    Create("520222", "camp-nb", "", "cadre-ghost"), "cadre-ghost");
  // Shuicheng's household, and Shuicheng's campaign.
  ExpectSameRefusal(Create("520222", "camp-nb", "hh-sc", "cadre-nb"), "hh-sc",
                    Create("520222", "camp-nb", "hh-ghost", "cadre-nb"), "hh-ghost");
  ExpectSameRefusal(Create("520222", "camp-sc", "", "cadre-nb"), "camp-sc",
                    Create("520222", "camp-ghost", "", "cadre-nb"), "camp-ghost");
  EXPECT_EQ(store_.tasks.size(), 1u) << "a refused task was stored";
  // Its own objects are fine; whoever sees every region is told what is missing.
  EXPECT_TRUE(Create("520222", "camp-nb", "hh-nb", "cadre-nb").ok());
  absl::Status missing = Create("*", "camp-nb", "", "cadre-ghost");
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument) << missing;
}

TEST_F(TaskScopeTest, ReassignAndReadFollowTheScope) {
  auto reassign = [&](const std::string& scope, const std::string& task, const std::string& cadre) {
    v1::UpdateTaskRequest req;
    req.mutable_task()->set_id(task);
    req.mutable_task()->set_assignee_cadre_id(cadre);
    req.mutable_update_mask()->add_paths("assignee_cadre_id");
    v1::Task out;
    return logic_.UpdateTask(Ctx(scope), req, out);
  };
  ExpectSameRefusal(reassign("520221", "task-sc", "cadre-nb"), "cadre-nb",
                    reassign("520221", "task-sc", "cadre-ghost"), "cadre-ghost");
  EXPECT_TRUE(reassign("520221", "task-sc", "cadre-sc").ok());
  ExpectSameRefusal(reassign("520222", "task-sc", "cadre-nb"), "task-sc",
                    reassign("520222", "task-ghost", "cadre-nb"), "task-ghost");
  auto campaign = [&](const std::string& scope, const std::string& id) {
    v1::GetCampaignRequest req;
    req.set_id(id);
    v1::Campaign out;
    return logic_.GetCampaign(Ctx(scope).principal, req, out);
  };
  ExpectSameRefusal(campaign("520222", "camp-sc"), "camp-sc", campaign("520222", "camp-ghost"),
                    "camp-ghost");
  EXPECT_TRUE(campaign("520221104", "camp-sc").ok()) << "a township sees its county's campaign";
}

}  // namespace
}  // namespace tuopin::tasks
