#pragma once
// TasksStore over MySQL/MariaDB.

#include "common/clock.h"
#include "common/db.h"
#include "common/group_commit.h"
#include "services/tasks/tasks_store.h"

namespace tuopin::tasks {

class MysqlTasksStore final : public TasksStore {
 public:
  // With group_commit.workers > 0, concurrent CreateTask calls are written in groups
  // (common::GroupCommit); 0 writes each alone.
  MysqlTasksStore(common::ConnectionPool& pool, common::IdGenerator& ids,
                  common::GroupCommitOptions group_commit = common::GroupCommitOptions{0});
  ~MysqlTasksStore() override;
  // What group commit did so far (tests, benchmarks).
  common::GroupCommitStats stats() const { return create_task_group_->stats(); }
  absl::Status CreateCampaign(const MutationContext& ctx, const v1::Campaign& c,
                              v1::Campaign& out) override;
  absl::StatusOr<std::optional<v1::Campaign>> GetCampaign(const std::string& id) override;
  absl::Status CreateTask(const MutationContext& ctx, const v1::Task& t, v1::Task& out) override;
  absl::StatusOr<bool> RecordedBatch(const MutationContext& ctx,
                                     v1::BatchCreateTasksResponse& out) override;
  absl::Status CreateTasks(const MutationContext& ctx, const std::vector<v1::Task>& tasks,
                           const v1::BatchCreateTasksResponse& answer,
                           v1::BatchCreateTasksResponse& out) override;
  absl::StatusOr<std::optional<v1::Task>> GetTask(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Task>> ListTasks(const TaskFilter& filter,
                                                  const PageRequest& page) override;
  absl::Status ChangeTask(const MutationContext& ctx, const std::string& id,
                          const std::string& etag, const TaskChange& change,
                          v1::Task& out) override;
  absl::StatusOr<std::vector<v1::Task>> ListOverdue(const std::string& region_prefix,
                                                    absl::CivilDay due_before,
                                                    const PageRequest& page) override;
  absl::StatusOr<std::vector<SectorCount>> CountBySector(const std::string& campaign_id, int stage,
                                                         const std::string& region_prefix,
                                                         size_t child_len,
                                                         absl::CivilDay today) override;
  absl::StatusOr<std::vector<std::tuple<int, int, int>>> Unfinished(const std::string& campaign_id,
                                                                    int stage) override;
  absl::StatusOr<std::vector<IndicatorUpdate>> PendingIndicatorUpdates(int limit) override;
  absl::Status FinishIndicatorUpdate(const std::string& task_id, absl::Time now,
                                     const absl::Status& result) override;

 private:
  absl::Status CreateTaskAlone(const MutationContext& ctx, const v1::Task& t,
                               google::protobuf::Message& out);
  // The group body of CreateTask: every call's task in multi-row inserts.
  absl::Status CreateTaskGroup(common::DbSession& s, std::vector<common::GroupedCall*>& calls);

  common::ConnectionPool& pool_;
  common::IdGenerator& ids_;
  std::unique_ptr<common::GroupCommit<v1::Task>> create_task_group_;
};

}  // namespace tuopin::tasks
