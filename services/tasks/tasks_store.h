#pragma once
// The tasks store: campaigns, tasks, progress reports and the queue of household
// indicator updates owed to personnel. The MySQL implementation is the only SQL.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/mutation.h"
#include "common/page_token.h"
#include "tuopin/tasks/v1/tasks.pb.h"

namespace tuopin::tasks {

using common::MutationContext;
using common::PageRequest;

struct TaskFilter {
  std::string region_prefix;
  std::string campaign_id;
  std::string assignee_cadre_id;
  int sector = 0, stage = 0, status = 0;
  bool overdue_only = false;
  // Tasks due before this day and not finished are overdue.
  absl::CivilDay today;
};

struct ProgressReport {
  enum Kind { kReport = 1, kCompletion = 2, kNote = 3 };
  Kind kind = kReport;
  int percent = 0;
  std::string note;
  std::string reported_by;
  std::string evidence_json;
};

// What a task change writes besides the task itself.
struct TaskEffects {
  std::optional<ProgressReport> progress;
  // household id and indicator field ("housing_safety") to set in personnel.
  std::optional<std::pair<std::string, std::string>> indicator;
};

struct IndicatorUpdate {
  std::string task_id;
  std::string household_id;
  std::string indicator;
};

struct SectorCount {
  int sector = 0;
  std::string region_code;
  int total = 0, verified = 0, in_progress = 0, overdue = 0;
};

class TasksStore {
 public:
  virtual ~TasksStore() = default;

  virtual absl::Status CreateCampaign(const MutationContext& ctx, const v1::Campaign& c,
                                      v1::Campaign& out) = 0;
  virtual absl::StatusOr<std::optional<v1::Campaign>> GetCampaign(const std::string& id) = 0;
  virtual absl::Status CreateTask(const MutationContext& ctx, const v1::Task& t, v1::Task& out) = 0;
  // The tasks of a batch (ids set, status open), in one transaction with multi-row inserts;
  // `answer` is the response the logic decided (ids of the created, errors of the refused),
  // stored for replays and given back in `out`. Its audit event names every task created.
  // The recorded answer of a batch's request id (common::RecordedResponse), read before
  // its tasks are checked: true when answered before.
  virtual absl::StatusOr<bool> RecordedBatch(const MutationContext& ctx,
                                             v1::BatchCreateTasksResponse& out) = 0;
  virtual absl::Status CreateTasks(const MutationContext& ctx, const std::vector<v1::Task>& tasks,
                                   const v1::BatchCreateTasksResponse& answer,
                                   v1::BatchCreateTasksResponse& out) = 0;
  // With `reporters` filled.
  virtual absl::StatusOr<std::optional<v1::Task>> GetTask(const std::string& id) = 0;
  // Sorted by (village_code, id).
  virtual absl::StatusOr<std::vector<v1::Task>> ListTasks(const TaskFilter& filter,
                                                          const PageRequest& page) = 0;
  // Reads the task under lock (with reporters), checks the etag when given, lets
  // `change` modify it and name its effects, writes it with a new version.
  using TaskChange = std::function<absl::Status(v1::Task& task, TaskEffects& effects)>;
  virtual absl::Status ChangeTask(const MutationContext& ctx, const std::string& id,
                                  const std::string& etag, const TaskChange& change,
                                  v1::Task& out) = 0;

  // Unfinished tasks of the region due before `due_before`, by id.
  virtual absl::StatusOr<std::vector<v1::Task>> ListOverdue(const std::string& region_prefix,
                                                            absl::CivilDay due_before,
                                                            const PageRequest& page) = 0;
  // Counts per sector and child region (the first `child_len` digits of the village).
  virtual absl::StatusOr<std::vector<SectorCount>> CountBySector(const std::string& campaign_id,
                                                                 int stage,
                                                                 const std::string& region_prefix,
                                                                 size_t child_len,
                                                                 absl::CivilDay today) = 0;
  // Tasks of stages up to `stage` neither verified nor cancelled, per (stage, sector).
  virtual absl::StatusOr<std::vector<std::tuple<int, int, int>>> Unfinished(
      const std::string& campaign_id, int stage) = 0;

  virtual absl::StatusOr<std::vector<IndicatorUpdate>> PendingIndicatorUpdates(int limit) = 0;
  virtual absl::Status FinishIndicatorUpdate(const std::string& task_id, absl::Time now,
                                             const absl::Status& result) = 0;
};

}  // namespace tuopin::tasks
