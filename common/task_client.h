#pragma once
// What other services need to know from task tracking, asked through the gateway with the
// calling service's own token (never by reading the tasks schema). An interface, so logic
// can be unit-tested with a fake.

#include <string>

#include "absl/status/statusor.h"
#include "common/gateway_client.h"

namespace tuopin::common {

class TaskLookup {
 public:
  virtual ~TaskLookup() = default;
  // The task's village; NOT_FOUND when task tracking knows no such task. Asked with the
  // calling service's own principal: the caller's scope is for the logic to check
  // (common/scope.h RequireNamedObject).
  virtual absl::StatusOr<std::string> TaskVillage(const std::string& task_id) = 0;
};

class GatewayTaskLookup final : public TaskLookup {
 public:
  explicit GatewayTaskLookup(const GatewayClient& client) : client_(client) {}
  absl::StatusOr<std::string> TaskVillage(const std::string& task_id) override;

 private:
  const GatewayClient& client_;
};

}  // namespace tuopin::common
