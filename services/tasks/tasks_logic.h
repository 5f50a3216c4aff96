#pragma once
// Task tracking rules: the campaign's three stages from the clock, the task state
// machine, who may report, complete and verify, overdue and escalation, sector progress
// and lag, stage gates, and the household indicator set when a task is verified.

#include <map>
#include <string>

#include "absl/status/status.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/page_token.h"
#include "common/personnel_client.h"
#include "common/region_rollup.h"
#include "services/tasks/tasks_rollup_store.h"
#include "services/tasks/tasks_store.h"

namespace tuopin::tasks {

using common::Principal;

struct StageInfo {
  v1::Stage stage = v1::STAGE_UNSPECIFIED;  // unspecified before the start
  int day_of_stage = 0;                     // 1-based
  int stage_days = 0;
  bool finished = false;
};
// Where a campaign stands on `today`.
StageInfo StageOn(const v1::Campaign& c, absl::CivilDay today);

enum class TaskAction { kReport, kComplete, kVerify, kReopen, kCancel };
// OK when `action` is allowed from `status`; FAILED_PRECONDITION otherwise.
absl::Status CheckTransition(v1::TaskStatus status, TaskAction action);
// The status after an allowed action.
v1::TaskStatus After(v1::TaskStatus status, TaskAction action);

// The household indicator a verified task of this sector assures ("" for none).
std::string IndicatorFor(tuopin::common::v1::Sector sector);

// A verified share trailing the elapsed share by more than `tolerance_points`.
bool IsLagging(int verified_bp, int elapsed_bp, int tolerance_points);

// The subject of the accountability service's principal (service tokens carry role
// service and subject "service:<name>", as deploy/local/up and the Kubernetes overlays
// mint them). Only it links a task to a rectification order: the order's id names an
// accountability record, and a link to a record of another county would put the task's
// events into that order's history, where the order's own auditors could no longer read
// it. Accountability creates an order's tasks in the order's region.
inline constexpr char kAccountabilityServiceSubject[] = "service:accountability";
// OK when the task names no rectification order, or the principal is the accountability
// service; PERMISSION_DENIED naming task.rectification_order_id otherwise.
absl::Status CheckRectificationLink(const Principal& p, const v1::Task& task);

// The id of the `index`th task of a BatchCreateTasks: derived from the caller (request ids
// are per caller), the request id and the index, so a replay names the same tasks and the
// tasks of one batch sit side by side in the table's key order.
std::string BatchTaskId(absl::string_view subject, absl::string_view request_id, int index);

class TasksLogic {
 public:
  TasksLogic(TasksStore& store, common::PersonnelDirectory& personnel, const common::Clock& clock,
             const common::PageTokenCodec& tokens)
      : store_(store), personnel_(personnel), clock_(clock), tokens_(tokens) {}

  absl::Status CreateCampaign(const MutationContext& ctx, const v1::CreateCampaignRequest& req,
                              v1::Campaign& out);
  absl::Status GetCampaign(const Principal& p, const v1::GetCampaignRequest& req,
                           v1::Campaign& out);
  absl::Status CreateTask(const MutationContext& ctx, const v1::CreateTaskRequest& req,
                          v1::Task& out);
  absl::Status BatchCreateTasks(const MutationContext& ctx, const v1::BatchCreateTasksRequest& req,
                                v1::BatchCreateTasksResponse& out);
  absl::Status GetTask(const Principal& p, const v1::GetTaskRequest& req, v1::Task& out);
  absl::Status ListTasks(const Principal& p, const v1::ListTasksRequest& req,
                         v1::ListTasksResponse& out);
  absl::Status UpdateTask(const MutationContext& ctx, const v1::UpdateTaskRequest& req,
                          v1::Task& out);
  absl::Status ReportProgress(const MutationContext& ctx, const v1::ReportProgressRequest& req,
                              v1::Task& out);
  absl::Status CompleteTask(const MutationContext& ctx, const v1::CompleteTaskRequest& req,
                            v1::Task& out);
  absl::Status VerifyTask(const MutationContext& ctx, const v1::VerifyTaskRequest& req,
                          v1::Task& out);
  absl::Status ReopenTask(const MutationContext& ctx, const v1::ReopenTaskRequest& req,
                          v1::Task& out);
  absl::Status CancelTask(const MutationContext& ctx, const v1::CancelTaskRequest& req,
                          v1::Task& out);
  absl::Status ListEscalations(const Principal& p, const v1::ListEscalationsRequest& req,
                               v1::ListEscalationsResponse& out);
  absl::Status GetSectorProgress(const Principal& p, const v1::GetSectorProgressRequest& req,
                                 v1::SectorProgress& out);
  absl::Status GetStageGate(const Principal& p, const v1::GetStageGateRequest& req,
                            v1::StageGate& out);

  // Sends owed indicator updates to personnel; returns how many went through.
  absl::StatusOr<int> DeliverIndicatorUpdates(int limit = 100);

  // The roll-up behind from_summary answers; without one they are counted at the call.
  void SetSectorRollup(SectorRollupStore* rollup, common::RollupOptions options);
  // One pass of the roll-up's refresher (a full one when due).
  absl::Status RefreshSectorRollup();

 private:
  // What one request read of campaigns and asked personnel: a batch naming a campaign,
  // village, household or cadre many times reads or asks once.
  struct Lookups {
    std::map<std::string, absl::StatusOr<std::optional<v1::Campaign>>> campaigns;
    std::map<std::string, absl::StatusOr<std::string>> household_villages, cadre_regions;
    std::map<std::string, absl::Status> villages;
  };
  // Objects named by id, checked against the caller's scope; a missing one looks like one
  // outside it (common/scope.h), `not_found` only for callers who see every region.
  absl::StatusOr<v1::Campaign> FindCampaign(const Principal& p, const std::string& id,
                                            absl::Status not_found, Lookups* lookups = nullptr);
  // FindCampaign with the stage of today.
  absl::StatusOr<v1::Campaign> LoadCampaign(const Principal& p, const std::string& id);
  absl::StatusOr<v1::Task> LoadTask(const Principal& p, const std::string& id);
  // An assignee cadre the caller's scope covers (by the cadre's managing region).
  absl::Status RequireAssignee(const Principal& p, const std::string& cadre_id,
                               absl::string_view field, Lookups& lookups);
  // A task as CreateTask would write it (status open, the household's village), after
  // every check of the objects it names against the caller's scope; errors name
  // "task.<field>".
  absl::StatusOr<v1::Task> NewTask(const Principal& p, const v1::Task& requested, Lookups& lookups);
  // Applies a state change to a task the caller may touch.
  absl::Status Transition(const MutationContext& ctx, const std::string& task_id, TaskAction action,
                          const std::function<absl::Status(v1::Task&, TaskEffects&)>& extra,
                          v1::Task& out);
  void Decorate(v1::Task& t) const;
  absl::CivilDay Today() const;

  TasksStore& store_;
  common::PersonnelDirectory& personnel_;
  const common::Clock& clock_;
  const common::PageTokenCodec& tokens_;
  SectorRollupStore* rollup_ = nullptr;
  std::optional<common::RollupRefresher> refresher_;
};

}  // namespace tuopin::tasks
