#pragma once
// The gRPC adapter of AccountabilityService: authorize, validate, call the logic, map the status.

#include <memory>

#include "common/handler.h"
#include "services/accountability/records_logic.h"
#include "tuopin/accountability/v1/accountability.grpc.pb.h"

namespace tuopin::accountability {

// The returned adapter keeps references to `logic` and `handler`, which must outlive it.
// Only this factory is declared so that adding an RPC changes the .cc alone.
std::unique_ptr<v1::AccountabilityService::Service> NewRecordsService(
    RecordsLogic& logic, const common::Handler& handler);

}  // namespace tuopin::accountability
