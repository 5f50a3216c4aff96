#pragma once
// The gRPC adapter of TaskService: authorize, validate, call the logic, map the status.

#include <memory>

#include "common/handler.h"
#include "services/tasks/tasks_logic.h"
#include "tuopin/tasks/v1/tasks.grpc.pb.h"

namespace tuopin::tasks {

// The returned adapter keeps references to `logic` and `handler`, which must outlive it.
// Only this factory is declared so that adding an RPC changes the .cc alone.
std::unique_ptr<v1::TaskService::Service> NewTasksService(TasksLogic& logic,
                                                          const common::Handler& handler);

}  // namespace tuopin::tasks
