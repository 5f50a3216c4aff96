#pragma once
// An in-memory TasksStore for logic unit tests: campaigns, tasks with their versions,
// the progress log (reporters are read from it, as the MySQL store reads task_progress),
// the queue of indicator updates owed to personnel, the idempotency records and the audit
// events. A change whose callback refuses writes nothing.

#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "services/tasks/tasks_store.h"
#include "tests/support/fake_mutations.h"

namespace tuopin::testing {

class FakeTasksStore final : public tasks::TasksStore {
 public:
  struct IndicatorRow {
    std::string household_id, indicator;
    absl::Time created_at;
    bool done = false;
    int attempts = 0;
    std::string last_error;
  };

  std::map<std::string, tasks::v1::Campaign> campaigns;
  // Stored without reporters and etag; versions by task id.
  std::map<std::string, tasks::v1::Task> tasks;
  std::map<std::string, int64_t> versions;
  std::vector<std::pair<std::string, tasks::ProgressReport>> progress;  // (task id, report)
  std::map<std::string, IndicatorRow> indicator_updates;                // by task id
  FakeMutations mutations;  // RunMutation's frame and the audit events

  // Puts a task as it is (version 1 unless given), as if written earlier.
  void Put(const tasks::v1::Task& task, int64_t version = 1);

  absl::Status CreateCampaign(const tasks::MutationContext& ctx, const tasks::v1::Campaign& c,
                              tasks::v1::Campaign& out) override;
  absl::StatusOr<std::optional<tasks::v1::Campaign>> GetCampaign(const std::string& id) override;
  absl::Status CreateTask(const tasks::MutationContext& ctx, const tasks::v1::Task& t,
                          tasks::v1::Task& out) override;
  absl::StatusOr<std::optional<tasks::v1::Task>> GetTask(const std::string& id) override;
  absl::StatusOr<std::vector<tasks::v1::Task>> ListTasks(const tasks::TaskFilter& filter,
                                                         const tasks::PageRequest& page) override;
  absl::Status ChangeTask(const tasks::MutationContext& ctx, const std::string& id,
                          const std::string& etag, const TaskChange& change,
                          tasks::v1::Task& out) override;
  absl::StatusOr<std::vector<tasks::v1::Task>> ListOverdue(const std::string& region_prefix,
                                                           absl::CivilDay due_before,
                                                           const tasks::PageRequest& page) override;
  absl::StatusOr<std::vector<tasks::SectorCount>> CountBySector(const std::string& campaign_id,
                                                                int stage,
                                                                const std::string& region_prefix,
                                                                size_t child_len,
                                                                absl::CivilDay today) override;
  absl::StatusOr<std::vector<std::tuple<int, int, int>>> Unfinished(const std::string& campaign_id,
                                                                    int stage) override;
  absl::StatusOr<std::vector<tasks::IndicatorUpdate>> PendingIndicatorUpdates(int limit) override;
  absl::Status FinishIndicatorUpdate(const std::string& task_id, absl::Time now,
                                     const absl::Status& result) override;

 private:
  // The stored task with its etag and reporters.
  tasks::v1::Task Read(const tasks::v1::Task& stored) const;

  common::SequentialIdGenerator ids_{"fake-"};
};

}  // namespace tuopin::testing
