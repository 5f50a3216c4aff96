#pragma once
// The gRPC adapter of AuditLog: authorize, validate, call the logic, map the status.
// Appends are idempotent by event id and are not themselves audited (the log is the audit).

#include "common/handler.h"
#include "services/auditlog/auditlog_logic.h"
#include "tuopin/auditlog/v1/auditlog.grpc.pb.h"

namespace tuopin::auditlog {

class AuditLogServiceImpl final : public v1::AuditLog::Service {
 public:
  AuditLogServiceImpl(AuditLogLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status AppendEvents(grpc::ServerContext* ctx, const v1::AppendEventsRequest* req,
                            v1::AppendEventsResponse* resp) override;
  grpc::Status GetCheckpoint(grpc::ServerContext* ctx, const v1::GetCheckpointRequest* req,
                             v1::Checkpoint* resp) override;
  grpc::Status GetPublicKey(grpc::ServerContext* ctx, const v1::GetPublicKeyRequest* req,
                            v1::PublicKey* resp) override;
  grpc::Status GetLeavesByRange(grpc::ServerContext* ctx, const v1::GetLeavesByRangeRequest* req,
                                v1::GetLeavesByRangeResponse* resp) override;
  grpc::Status GetInclusionProof(grpc::ServerContext* ctx, const v1::GetInclusionProofRequest* req,
                                 v1::InclusionProof* resp) override;
  grpc::Status GetInclusionProofByEventId(grpc::ServerContext* ctx,
                                          const v1::GetInclusionProofByEventIdRequest* req,
                                          v1::InclusionProof* resp) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext* ctx,
                                   const v1::GetConsistencyProofRequest* req,
                                   v1::ConsistencyProof* resp) override;
  grpc::Status GetInclusionProofs(grpc::ServerContext* ctx,
                                  const v1::GetInclusionProofsRequest* req,
                                  v1::GetInclusionProofsResponse* resp) override;
  grpc::Status ListEntityEvents(grpc::ServerContext* ctx, const v1::ListEntityEventsRequest* req,
                                v1::ListEventsResponse* resp) override;
  grpc::Status ListRegionEvents(grpc::ServerContext* ctx, const v1::ListRegionEventsRequest* req,
                                v1::ListEventsResponse* resp) override;

 private:
  AuditLogLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace tuopin::auditlog
