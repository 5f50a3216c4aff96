#pragma once
// The gRPC adapter of AuditLog: authorize, validate, call the logic, map the status.
// Appends are idempotent by event id and are not themselves audited (the log is the audit).

#include <memory>

#include "common/handler.h"
#include "services/auditlog/auditlog_logic.h"
#include "tuopin/auditlog/v1/auditlog.grpc.pb.h"

namespace tuopin::auditlog {

// The returned adapter keeps references to `logic` and `handler`, which must outlive it.
// Only this factory is declared so that adding an RPC changes the .cc alone.
std::unique_ptr<v1::AuditLog::Service> NewAuditLogService(AuditLogLogic& logic,
                                                          const common::Handler& handler);

}  // namespace tuopin::auditlog
