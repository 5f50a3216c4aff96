#pragma once
// The gRPC adapter of PersonnelService: authorize, validate, call the logic, map the
// status. No SQL and no business rules here.

#include <memory>

#include "common/handler.h"
#include "services/personnel/personnel_logic.h"
#include "tuopin/personnel/v1/personnel.grpc.pb.h"

namespace tuopin::personnel {

// The returned adapter keeps references to `logic` and `handler`, which must outlive it.
// Only this factory is declared so that adding an RPC changes the .cc alone.
std::unique_ptr<v1::PersonnelService::Service> NewPersonnelService(PersonnelLogic& logic,
                                                                   const common::Handler& handler);

}  // namespace tuopin::personnel
