#pragma once
// The gRPC adapter of ExitService: authorize, validate, call the logic, map the status.
// No SQL and no business rules here.

#include <memory>

#include "common/handler.h"
#include "services/personnel/exit_logic.h"
#include "tuopin/personnel/v1/exit.grpc.pb.h"

namespace tuopin::personnel {

// The returned adapter keeps references to `logic` and `handler`, which must outlive it.
// `handler` must authorize against ExitService's descriptor.
std::unique_ptr<v1::ExitService::Service> NewExitService(ExitLogic& logic,
                                                         const common::Handler& handler);

}  // namespace tuopin::personnel
