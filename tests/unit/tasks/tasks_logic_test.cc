// Unit tests of every TasksLogic method on the in-memory store and personnel directory
// (tests/support): region scope over every object a task names, who may report, complete
// and verify, escalation, progress, stage gates and the delivery of indicators. The rules
// without a store are in tasks_rules_test.cc.

#include "services/tasks/tasks_logic.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "tests/support/fake_directories.h"
#include "tests/support/fake_tasks_store.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/same_refusal.h"
#include "tests/unit/tasks/tasks_logic_fixture.h"

namespace tuopin::tasks {
namespace {

using testing::MakePrincipal;

// Issue 18 (points 1 and 8): a task names only objects of the caller's scope, and a
// missing one is refused exactly as one of another county.
class TasksLogicTest : public TasksLogicFixture {
 protected:
  TasksLogicTest() {
    v1::Task t;
    t.set_id("task-sc");
    t.set_village_code(kShuichengVillage);
    t.set_status(v1::TASK_STATUS_OPEN);
    *t.mutable_deadline() = common::ToDate(absl::CivilDay(2018, 12, 31));
    store_.Put(t);
  }

  MutationContext Ctx(const std::string& scope) {
    MutationContext m;
    m.principal.set_subject(absl::StrCat("official-", scope));
    m.principal.add_roles(tuopin::common::v1::ROLE_COUNTY_OFFICIAL);
    m.principal.add_region_scopes(scope);
    m.service = "tasks";
    m.method = "/tuopin.tasks.v1.TasksService/Mutate";
    m.request_id = absl::StrCat("req-", ++requests_);
    m.now = clock_.Now();
    return m;
  }
  MutationContext As(const Principal& p) {
    MutationContext m = Ctx("");
    m.principal = p;
    return m;
  }
  // A task of Shuicheng's campaign, due `days_left` days from today (negative: overdue).
  v1::Task& AddTask(const std::string& id, v1::TaskStatus status, int days_left = 30,
                    tuopin::common::v1::Sector sector = tuopin::common::v1::SECTOR_HOUSING_SAFETY,
                    v1::Stage stage = v1::STAGE_FIX_SHORTCOMINGS,
                    const std::string& village = kShuichengVillage) {
    v1::Task t;
    t.set_id(id);
    t.set_campaign_id("camp-sc");
    t.set_village_code(village);
    t.set_status(status);
    t.set_sector(sector);
    t.set_stage(stage);
    t.set_assignee_cadre_id("cadre-sc");
    t.set_household_id("hh-sc");
    *t.mutable_deadline() = common::ToDate(kToday + days_left);
    store_.Put(t);
    return store_.tasks[id];
  }
  static std::string Reason(const absl::Status& st) {
    return common::ReasonOf(common::ToGrpcStatus(st));
  }

  // The day of the clock in China: day 8 of stage two.
  const absl::CivilDay kToday = absl::CivilDay(2018, 9, 5);
  const Principal official_ =
      MakePrincipal("official-sc", {tuopin::common::v1::ROLE_COUNTY_OFFICIAL}, {"520221"});
  const Principal second_official_ =
      MakePrincipal("official-sc-2", {tuopin::common::v1::ROLE_COUNTY_OFFICIAL}, {"520221"});
  const Principal neighbour_ =
      MakePrincipal("official-nb", {tuopin::common::v1::ROLE_COUNTY_OFFICIAL}, {"520222"});
  const Principal cadre_ =
      MakePrincipal("cadre-sc", {tuopin::common::v1::ROLE_CADRE}, {kShuichengVillage});
  const Principal other_cadre_ =
      MakePrincipal("cadre-sc-2", {tuopin::common::v1::ROLE_CADRE}, {kShuichengVillage});
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

  int requests_ = 0;
};

using testing::ExpectSameRefusal;

TEST_F(TasksLogicTest, EveryNamedObjectIsInTheCallersScope) {
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

TEST_F(TasksLogicTest, ReassignAndReadFollowTheScope) {
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

TEST_F(TasksLogicTest, CreateCampaignFillsStagesAndFollowsTheScope) {
  v1::CreateCampaignRequest req;
  req.mutable_campaign()->set_region_code("520221");
  req.mutable_campaign()->set_name("Shuicheng 2018");
  *req.mutable_campaign()->mutable_start_date() = common::ToDate(absl::CivilDay(2018, 4, 1));
  v1::Campaign out;
  ASSERT_TRUE(logic_.CreateCampaign(As(official_), req, out).ok());
  EXPECT_EQ(out.stage_days_size(), 3);
  EXPECT_EQ(out.stage_days(0), 150) << "three stages of 150 days unless told";
  EXPECT_EQ(out.current_stage(), v1::STAGE_FIX_SHORTCOMINGS);
  EXPECT_EQ(out.day_of_stage(), 8);
  EXPECT_TRUE(store_.campaigns.contains(out.id()));
  EXPECT_EQ(logic_.CreateCampaign(As(neighbour_), req, out).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(TasksLogicTest, CreateTaskChecksTheVillageAndTheCampaignsRegion) {
  v1::CreateTaskRequest req;
  req.mutable_task()->set_campaign_id("camp-sc");
  req.mutable_task()->set_household_id("hh-sc");
  req.mutable_task()->set_village_code(kNeighbourVillage);
  v1::Task out;
  absl::Status st = logic_.CreateTask(As(official_), req, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << "not the household's village";
  req.mutable_task()->clear_village_code();
  ASSERT_TRUE(logic_.CreateTask(As(official_), req, out).ok());
  EXPECT_EQ(out.village_code(), kShuichengVillage) << "the household's village";
  EXPECT_EQ(out.status(), v1::TASK_STATUS_OPEN);
  EXPECT_EQ(out.etag(), "v1");
  // A village personnel has not imported; a campaign of another region.
  personnel_.villages = {kShuichengVillage};
  req.mutable_task()->clear_household_id();
  req.mutable_task()->set_village_code("520221104999");
  EXPECT_EQ(logic_.CreateTask(As(official_), req, out).code(), absl::StatusCode::kInvalidArgument);
  v1::CreateTaskRequest outside;
  outside.mutable_task()->set_campaign_id("camp-nb");
  outside.mutable_task()->set_village_code(kShuichengVillage);
  st = logic_.CreateTask(Ctx("*"), outside, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find("campaign's region"), std::string::npos) << st;
  // Only the accountability service links a rectification order.
  req.mutable_task()->set_village_code(kShuichengVillage);
  req.mutable_task()->set_rectification_order_id("order-1");
  EXPECT_EQ(Reason(logic_.CreateTask(As(official_), req, out)), "RECTIFICATION_LINK_RESERVED");
}

TEST_F(TasksLogicTest, GetTaskFollowsScopeOrAssignment) {
  AddTask("t-late", v1::TASK_STATUS_IN_PROGRESS, -3);
  auto get = [&](const Principal& p, const std::string& id) -> absl::StatusOr<v1::Task> {
    v1::GetTaskRequest req;
    req.set_id(id);
    v1::Task out;
    TUOPIN_RETURN_IF_ERROR(logic_.GetTask(p, req, out));
    return out;
  };
  auto t = get(official_, "t-late");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->overdue());
  EXPECT_TRUE(get(cadre_, "t-late").ok()) << "the assignee";
  ExpectSameRefusal(get(neighbour_, "t-late").status(), "t-late",
                    get(neighbour_, "t-ghost").status(), "t-ghost");
  EXPECT_EQ(get(Ctx("*").principal, "t-ghost").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TasksLogicTest, ListTasksFiltersAndPages) {
  AddTask("t-a", v1::TASK_STATUS_OPEN, -1);
  AddTask("t-b", v1::TASK_STATUS_VERIFIED, -1);
  AddTask("t-c", v1::TASK_STATUS_OPEN, 5, tuopin::common::v1::SECTOR_DRINKING_WATER);
  AddTask("t-nb", v1::TASK_STATUS_OPEN, -1, tuopin::common::v1::SECTOR_HOUSING_SAFETY,
          v1::STAGE_FIX_SHORTCOMINGS, kNeighbourVillage);
  v1::ListTasksRequest req;
  req.set_region_code("520221");
  req.set_page_size(2);
  std::vector<std::string> seen;
  do {
    v1::ListTasksResponse out;
    ASSERT_TRUE(logic_.ListTasks(official_, req, out).ok());
    for (const auto& t : out.tasks()) seen.push_back(t.id());
    req.set_page_token(out.next_page_token());
  } while (!req.page_token().empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"t-a", "t-b", "t-c", "task-sc"}));
  v1::ListTasksRequest overdue;
  overdue.set_region_code("520221");
  overdue.set_overdue_only(true);
  v1::ListTasksResponse out;
  ASSERT_TRUE(logic_.ListTasks(official_, overdue, out).ok());
  ASSERT_EQ(out.tasks_size(), 1);
  EXPECT_EQ(out.tasks(0).id(), "t-a");
  EXPECT_TRUE(out.tasks(0).overdue());
  overdue.set_region_code("520222");
  EXPECT_EQ(logic_.ListTasks(official_, overdue, out).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(TasksLogicTest, UpdateTaskChecksEtagPathsAndState) {
  AddTask("t-a", v1::TASK_STATUS_OPEN);
  v1::UpdateTaskRequest req;
  req.mutable_task()->set_id("t-a");
  req.mutable_task()->set_title("Repair the roof");
  req.mutable_task()->set_etag("v1");
  req.mutable_update_mask()->add_paths("title");
  v1::Task out;
  ASSERT_TRUE(logic_.UpdateTask(As(official_), req, out).ok());
  EXPECT_EQ(out.title(), "Repair the roof");
  EXPECT_EQ(out.etag(), "v2");
  absl::Status st = logic_.UpdateTask(As(official_), req, out);  // the etag is stale now
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted) << st;
  EXPECT_EQ(Reason(st), "ETAG_MISMATCH");
  req.mutable_task()->clear_etag();
  req.mutable_update_mask()->add_paths("status");
  st = logic_.UpdateTask(As(official_), req, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_EQ(store_.tasks.at("t-a").status(), v1::TASK_STATUS_OPEN);
  AddTask("t-done", v1::TASK_STATUS_VERIFIED);
  req.mutable_task()->set_id("t-done");
  req.mutable_update_mask()->clear_paths();
  req.mutable_update_mask()->add_paths("title");
  EXPECT_EQ(Reason(logic_.UpdateTask(As(official_), req, out)), "TASK_FINISHED");
}

TEST_F(TasksLogicTest, ReportProgressByTheAssigneeOnly) {
  AddTask("t-a", v1::TASK_STATUS_OPEN);
  auto report = [&](const Principal& p, int percent) {
    v1::ReportProgressRequest req;
    req.set_task_id("t-a");
    req.set_percent(percent);
    req.set_note("walls up");
    v1::Task out;
    return logic_.ReportProgress(As(p), req, out);
  };
  EXPECT_EQ(Reason(report(other_cadre_, 40)), "NOT_ASSIGNEE");
  ASSERT_TRUE(report(cadre_, 40).ok());
  EXPECT_EQ(store_.tasks.at("t-a").status(), v1::TASK_STATUS_IN_PROGRESS);
  EXPECT_EQ(store_.tasks.at("t-a").percent(), 40);
  ASSERT_EQ(store_.progress.size(), 1u);
  EXPECT_EQ(store_.progress[0].second.kind, ProgressReport::kReport);
  EXPECT_EQ(store_.progress[0].second.reported_by, "cadre-sc");
  EXPECT_EQ(report(cadre_, 30).code(), absl::StatusCode::kInvalidArgument) << "never backwards";
  EXPECT_TRUE(report(official_, 60).ok()) << "a county official may report too";
}

TEST_F(TasksLogicTest, CompleteTaskRecordsTheCompletion) {
  AddTask("t-a", v1::TASK_STATUS_IN_PROGRESS);
  v1::CompleteTaskRequest req;
  req.set_task_id("t-a");
  req.add_evidence()->set_uri("https://evidence.example/roof.jpg");
  v1::Task out;
  EXPECT_EQ(Reason(logic_.CompleteTask(As(other_cadre_), req, out)), "NOT_ASSIGNEE");
  ASSERT_TRUE(logic_.CompleteTask(As(cadre_), req, out).ok());
  EXPECT_EQ(out.status(), v1::TASK_STATUS_COMPLETED);
  EXPECT_EQ(out.percent(), 100);
  EXPECT_EQ(out.reporters_size(), 1);
  ASSERT_EQ(store_.progress.size(), 1u);
  EXPECT_EQ(store_.progress[0].second.kind, ProgressReport::kCompletion);
  EXPECT_NE(store_.progress[0].second.evidence_json.find("roof.jpg"), std::string::npos);
  EXPECT_EQ(logic_.CompleteTask(As(cadre_), req, out).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(TasksLogicTest, VerifyTaskNeedsASecondPersonAndQueuesTheIndicator) {
  AddTask("t-a", v1::TASK_STATUS_OPEN);
  auto verify = [&](const Principal& p) {
    v1::VerifyTaskRequest req;
    req.set_task_id("t-a");
    req.set_note("checked on site");
    v1::Task out;
    return logic_.VerifyTask(As(p), req, out);
  };
  EXPECT_EQ(verify(second_official_).code(), absl::StatusCode::kFailedPrecondition)
      << "an open task is not verified";
  v1::CompleteTaskRequest complete;
  complete.set_task_id("t-a");
  v1::Task out;
  ASSERT_TRUE(logic_.CompleteTask(As(official_), complete, out).ok());
  EXPECT_EQ(Reason(verify(official_)), "VERIFIER_INVOLVED") << "the one who completed it";
  EXPECT_EQ(Reason(verify(cadre_)), "VERIFIER_INVOLVED") << "the assignee";
  EXPECT_TRUE(store_.indicator_updates.empty());
  ASSERT_TRUE(verify(second_official_).ok());
  EXPECT_EQ(store_.tasks.at("t-a").status(), v1::TASK_STATUS_VERIFIED);
  EXPECT_EQ(store_.tasks.at("t-a").verified_by(), "official-sc-2");
  ASSERT_TRUE(store_.indicator_updates.contains("t-a"));
  EXPECT_EQ(store_.indicator_updates.at("t-a").household_id, "hh-sc");
  EXPECT_EQ(store_.indicator_updates.at("t-a").indicator, "housing_safety");
  EXPECT_EQ(store_.progress.back().second.kind, ProgressReport::kNote);
}

TEST_F(TasksLogicTest, ReopenTaskCountsAndClearsTheVerifier) {
  v1::Task& t = AddTask("t-a", v1::TASK_STATUS_VERIFIED);
  t.set_verified_by("official-sc-2");
  v1::ReopenTaskRequest req;
  req.set_task_id("t-a");
  req.set_reason("roof leaks again");
  v1::Task out;
  ASSERT_TRUE(logic_.ReopenTask(As(official_), req, out).ok());
  EXPECT_EQ(out.status(), v1::TASK_STATUS_IN_PROGRESS);
  EXPECT_EQ(out.reopen_count(), 1);
  EXPECT_EQ(out.verified_by(), "");
  EXPECT_EQ(store_.progress.back().second.note, "reopened: roof leaks again");
  ExpectSameRefusal(
      logic_.ReopenTask(As(neighbour_), req, out), "t-a",
      [&] {
        v1::ReopenTaskRequest ghost;
        ghost.set_task_id("t-ghost");
        return logic_.ReopenTask(As(neighbour_), ghost, out);
      }(),
      "t-ghost");
}

TEST_F(TasksLogicTest, CancelTaskOnlyWhileUnfinished) {
  AddTask("t-a", v1::TASK_STATUS_OPEN);
  AddTask("t-done", v1::TASK_STATUS_VERIFIED);
  v1::CancelTaskRequest req;
  req.set_task_id("t-a");
  req.set_reason("household moved");
  v1::Task out;
  ASSERT_TRUE(logic_.CancelTask(As(official_), req, out).ok());
  EXPECT_EQ(out.status(), v1::TASK_STATUS_CANCELLED);
  EXPECT_EQ(store_.progress.back().second.note, "cancelled: household moved");
  req.set_task_id("t-done");
  EXPECT_EQ(logic_.CancelTask(As(official_), req, out).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_.tasks.at("t-done").status(), v1::TASK_STATUS_VERIFIED);
}

TEST_F(TasksLogicTest, ListEscalationsByDaysOverdue) {
  AddTask("t-3", v1::TASK_STATUS_OPEN, -3);
  AddTask("t-10", v1::TASK_STATUS_IN_PROGRESS, -10);
  AddTask("t-40", v1::TASK_STATUS_COMPLETED, -40);
  AddTask("t-done", v1::TASK_STATUS_VERIFIED, -40);
  v1::ListEscalationsRequest req;
  req.set_region_code("520221");
  v1::ListEscalationsResponse out;
  ASSERT_TRUE(logic_.ListEscalations(official_, req, out).ok());
  ASSERT_EQ(out.escalations_size(), 2) << "past 7 days, unfinished";
  EXPECT_EQ(out.escalations(0).task().id(), "t-10");
  EXPECT_EQ(out.escalations(0).days_overdue(), 10);
  EXPECT_EQ(out.escalations(0).level(), v1::ESCALATION_LEVEL_TOWNSHIP);
  EXPECT_EQ(out.escalations(0).escalated_to_region_code(), "520221104");
  EXPECT_EQ(out.escalations(1).level(), v1::ESCALATION_LEVEL_COUNTY);
  EXPECT_EQ(out.escalations(1).escalated_to_region_code(), "520221");
  req.set_region_code("520222");
  EXPECT_EQ(logic_.ListEscalations(official_, req, out).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(TasksLogicTest, GetSectorProgressFlagsLag) {
  store_.tasks.clear();
  for (int i = 0; i < 4; ++i) {
    AddTask(absl::StrCat("h", i), i == 0 ? v1::TASK_STATUS_VERIFIED : v1::TASK_STATUS_OPEN);
  }
  AddTask("w0", v1::TASK_STATUS_VERIFIED, 30, tuopin::common::v1::SECTOR_DRINKING_WATER);
  v1::GetSectorProgressRequest req;
  req.set_campaign_id("camp-sc");
  req.set_region_code("520221");
  req.set_totals_only(true);
  v1::SectorProgress out;
  ASSERT_TRUE(logic_.GetSectorProgress(official_, req, out).ok());
  EXPECT_EQ(out.stage(), v1::STAGE_FIX_SHORTCOMINGS);
  ASSERT_EQ(out.rows_size(), 2);
  const auto& housing = out.rows(0);
  EXPECT_EQ(housing.total(), 4);
  EXPECT_EQ(housing.verified_share_bp(), 2500);
  EXPECT_EQ(housing.elapsed_share_bp(), 8 * 10000 / 150);
  EXPECT_FALSE(housing.lagging()) << "ahead of the clock";
  EXPECT_EQ(out.rows(1).verified_share_bp(), 10000);
  clock_.Advance(absl::Hours(24 * 100));  // day 108 of 150: 72% elapsed
  out.Clear();
  ASSERT_TRUE(logic_.GetSectorProgress(official_, req, out).ok());
  EXPECT_TRUE(out.rows(0).lagging());
  req.set_totals_only(false);
  out.Clear();
  ASSERT_TRUE(logic_.GetSectorProgress(official_, req, out).ok());
  EXPECT_EQ(out.rows(0).region_code(), "520221104") << "per township";
  req.set_region_code("520222");
  EXPECT_EQ(logic_.GetSectorProgress(official_, req, out).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(TasksLogicTest, GetStageGateListsBlockers) {
  store_.tasks.clear();
  AddTask("s1", v1::TASK_STATUS_OPEN, 30, tuopin::common::v1::SECTOR_HOUSING_SAFETY,
          v1::STAGE_IMPLEMENT);
  AddTask("s2", v1::TASK_STATUS_VERIFIED);
  AddTask("s3", v1::TASK_STATUS_OPEN, 30, tuopin::common::v1::SECTOR_HOUSING_SAFETY,
          v1::STAGE_FINAL_VICTORY);  // a later stage does not block
  v1::GetStageGateRequest req;
  req.set_campaign_id("camp-sc");
  v1::StageGate gate;
  ASSERT_TRUE(logic_.GetStageGate(official_, req, gate).ok());
  EXPECT_FALSE(gate.may_advance());
  EXPECT_EQ(gate.unverified_tasks(), 1);
  ASSERT_EQ(gate.blockers_size(), 1);
  EXPECT_NE(gate.blockers(0).find("of stage 1"), std::string::npos) << gate.blockers(0);
  store_.tasks.at("s1").set_status(v1::TASK_STATUS_CANCELLED);
  gate.Clear();
  ASSERT_TRUE(logic_.GetStageGate(official_, req, gate).ok());
  EXPECT_TRUE(gate.may_advance());
  store_.campaigns["camp-late"] = store_.campaigns["camp-sc"];
  store_.campaigns["camp-late"].set_id("camp-late");
  *store_.campaigns["camp-late"].mutable_start_date() = common::ToDate(kToday + 10);
  req.set_campaign_id("camp-late");
  gate.Clear();
  ASSERT_TRUE(logic_.GetStageGate(official_, req, gate).ok());
  EXPECT_FALSE(gate.may_advance());
  EXPECT_EQ(gate.blockers(0), "the campaign has not started");
  req.set_campaign_id("camp-nb");
  ExpectSameRefusal(
      logic_.GetStageGate(official_, req, gate), "camp-nb",
      [&] {
        v1::GetStageGateRequest ghost;
        ghost.set_campaign_id("camp-ghost");
        return logic_.GetStageGate(official_, ghost, gate);
      }(),
      "camp-ghost");
}

TEST_F(TasksLogicTest, DeliverIndicatorUpdatesRetriesUntilDelivered) {
  store_.indicator_updates["t-a"] = {"hh-sc", "housing_safety", clock_.Now(), false, 0, ""};
  store_.indicator_updates["t-b"] = {"hh-nb", "drinking_water_safety", clock_.Now(), false, 0, ""};
  personnel_.fail = absl::UnavailableError("personnel is down");
  EXPECT_EQ(*logic_.DeliverIndicatorUpdates(), 0);
  EXPECT_EQ(store_.indicator_updates.at("t-a").attempts, 1);
  EXPECT_EQ(store_.indicator_updates.at("t-a").last_error, "personnel is down");
  personnel_.fail = absl::OkStatus();
  EXPECT_EQ(*logic_.DeliverIndicatorUpdates(/*limit=*/1), 1);
  EXPECT_EQ(*logic_.DeliverIndicatorUpdates(), 1);
  EXPECT_EQ(*logic_.DeliverIndicatorUpdates(), 0) << "nothing left owed";
  ASSERT_EQ(personnel_.indicators_set.size(), 2u);
  EXPECT_EQ(personnel_.indicators_set[0],
            std::make_tuple(std::string("hh-sc"), std::string("housing_safety"),
                            std::string("tasks-verify-t-a")))
      << "one request id per task, on every attempt";
}

}  // namespace
}  // namespace tuopin::tasks
