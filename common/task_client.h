#pragma once
// What other services need from task tracking, asked through the gateway with the calling
// service's own token (never by reading the tasks schema). Interfaces, so logic is
// unit-tested with fakes; GatewayTaskClient is the one real implementation of both.

#include <string>

#include "absl/status/statusor.h"
#include "common/gateway_client.h"
#include "tuopin/tasks/v1/tasks.pb.h"

namespace tuopin::common {

// Funds: where a task lies.
class TaskLookup {
 public:
  virtual ~TaskLookup() = default;
  // The task's village; NOT_FOUND when task tracking knows no such task. Asked with the
  // calling service's own principal: the caller's scope is for the logic to check
  // (common/scope.h RequireNamedObject).
  virtual absl::StatusOr<std::string> TaskVillage(const std::string& task_id) = 0;
};

// Accountability: campaigns, and the tasks of rectification orders. Calls carry the
// calling service's own principal: for BatchCreateTasks, the only one task tracking lets set
// rectification_order_id.
class TaskDirectory {
 public:
  virtual ~TaskDirectory() = default;
  // The campaign (with its current stage); NOT_FOUND when task tracking knows none.
  virtual absl::StatusOr<tuopin::tasks::v1::Campaign> GetCampaign(
      const std::string& campaign_id) = 0;
  // Creates tasks in one call (BatchCreateTasks); idempotent by request_id. Returns the
  // answer: per task, the task as created or why it was not.
  virtual absl::StatusOr<tuopin::tasks::v1::BatchCreateTasksResponse> BatchCreateTasks(
      const std::string& request_id, const std::vector<tuopin::tasks::v1::Task>& tasks) = 0;
  virtual absl::StatusOr<tuopin::tasks::v1::Task> GetTask(const std::string& task_id) = 0;
  // Reopens a completed or verified task; idempotent by request_id.
  virtual absl::StatusOr<tuopin::tasks::v1::Task> ReopenTask(const std::string& request_id,
                                                             const std::string& task_id,
                                                             const std::string& reason) = 0;
};

class GatewayTaskClient final : public TaskLookup, public TaskDirectory {
 public:
  explicit GatewayTaskClient(const GatewayClient& client) : client_(client) {}

  absl::StatusOr<std::string> TaskVillage(const std::string& task_id) override;

  absl::StatusOr<tuopin::tasks::v1::Campaign> GetCampaign(const std::string& campaign_id) override;
  absl::StatusOr<tuopin::tasks::v1::BatchCreateTasksResponse> BatchCreateTasks(
      const std::string& request_id, const std::vector<tuopin::tasks::v1::Task>& tasks) override;
  absl::StatusOr<tuopin::tasks::v1::Task> GetTask(const std::string& task_id) override;
  absl::StatusOr<tuopin::tasks::v1::Task> ReopenTask(const std::string& request_id,
                                                     const std::string& task_id,
                                                     const std::string& reason) override;

 private:
  const GatewayClient& client_;
};

}  // namespace tuopin::common
