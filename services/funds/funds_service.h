#pragma once
// The gRPC adapter of FundsService: authorize, validate, call the logic, map the status.

#include <memory>

#include "common/handler.h"
#include "services/funds/funds_logic.h"
#include "tuopin/funds/v1/funds.grpc.pb.h"

namespace tuopin::funds {

// The returned adapter keeps references to `logic` and `handler`, which must outlive it.
// Only this factory is declared so that adding an RPC changes the .cc alone.
std::unique_ptr<v1::FundsService::Service> NewFundsService(FundsLogic& logic,
                                                           const common::Handler& handler);

}  // namespace tuopin::funds
