#pragma once
// Task tracking in memory as the records logic sees it (common::TaskDirectory), for its
// unit tests. BatchCreateTasks and ReopenTask are idempotent by request id, as the real service
// is; ReopenTask follows the real state machine; failures and a misplaced task can be
// injected.

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/task_client.h"

namespace tuopin::testing {

class FakeTaskDirectory final : public common::TaskDirectory {
 public:
  std::map<std::string, tuopin::tasks::v1::Campaign> campaigns;  // by id
  std::map<std::string, tuopin::tasks::v1::Task> tasks;          // by id
  // Every task of every BatchCreateTasks call: request id, task as asked.
  std::vector<std::pair<std::string, tuopin::tasks::v1::Task>> created;
  std::vector<std::string> reopen_request_ids;  // every ReopenTask call
  std::map<std::string, int> reopens_applied;   // per task
  std::set<std::string> fail_reopen;            // task ids: UNAVAILABLE once
  // When set, created tasks land in this village instead of the one asked for.
  std::string move_to_village;
  // When set (>= 0), task tracking refuses the task at this index of a batch in its answer
  // with `refusal` as the whole call's error (BatchCreateTasks is all or nothing for
  // accountability).
  int refuse_index = -1;
  google::rpc::Status refusal;

  // A campaign of `region` in its second stage.
  void AddCampaign(const std::string& id, const std::string& region);
  void Set(const std::string& id, tuopin::tasks::v1::TaskStatus status) {
    tasks[id].set_status(status);
  }

  absl::StatusOr<tuopin::tasks::v1::Campaign> GetCampaign(const std::string& id) override;
  absl::StatusOr<tuopin::tasks::v1::BatchCreateTasksResponse> BatchCreateTasks(
      const std::string& request_id, const std::vector<tuopin::tasks::v1::Task>& tasks) override;
  absl::StatusOr<tuopin::tasks::v1::Task> GetTask(const std::string& id) override;
  absl::StatusOr<tuopin::tasks::v1::Task> ReopenTask(const std::string& request_id,
                                                     const std::string& task_id,
                                                     const std::string& reason) override;

 private:
  std::map<std::string, tuopin::tasks::v1::BatchCreateTasksResponse> batch_answers_;
  std::map<std::string, tuopin::tasks::v1::Task> reopen_answers_;
};

}  // namespace tuopin::testing
