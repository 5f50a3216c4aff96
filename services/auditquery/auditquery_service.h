#pragma once
// The gRPC adapter of AuditQueryService: authorize (auditor or admin), validate, and give
// the logic the context its access event is built from (caller, method, request digest,
// x-request-id, time).

#include <memory>

#include "common/handler.h"
#include "services/auditquery/auditquery_logic.h"
#include "tuopin/auditquery/v1/auditquery.grpc.pb.h"

namespace tuopin::auditquery {

// The returned adapter keeps references to `logic` and `handler`, which must outlive it.
// Only this factory is declared so that adding an RPC changes the .cc alone.
std::unique_ptr<v1::AuditQueryService::Service> NewAuditQueryService(
    AuditQueryLogic& logic, const common::Handler& handler);

}  // namespace tuopin::auditquery
