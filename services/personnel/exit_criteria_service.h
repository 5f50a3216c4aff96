#pragma once
// The gRPC adapter of ExitCriteriaService: authorize, validate, call the logic, map the
// status. No SQL and no business rules here.

#include <memory>

#include "common/handler.h"
#include "services/personnel/exit_criteria_logic.h"
#include "tuopin/personnel/v1/exit.grpc.pb.h"

namespace tuopin::personnel {

// The returned adapter keeps references to `logic` and `handler`, which must outlive it.
// The handler's authorizer must be built for ExitCriteriaService's descriptor.
std::unique_ptr<v1::ExitCriteriaService::Service> NewExitCriteriaService(
    ExitCriteriaLogic& logic, const common::Handler& handler);

}  // namespace tuopin::personnel
