#include "services/auditlog/auditlog_service.h"

namespace tuopin::auditlog {

grpc::Status AuditLogServiceImpl::AppendEvents(grpc::ServerContext* ctx,
                                               const v1::AppendEventsRequest* req,
                                               v1::AppendEventsResponse* resp) {
  return handler_.Read(ctx, "AppendEvents", *req, Validate, [&](const common::Principal& p) {
    return logic_.AppendEvents(p, *req, *resp);
  });
}

grpc::Status AuditLogServiceImpl::GetCheckpoint(grpc::ServerContext* ctx,
                                                const v1::GetCheckpointRequest* req,
                                                v1::Checkpoint* resp) {
  return handler_.Read(ctx, "GetCheckpoint", *req, Validate, [&](const common::Principal& p) {
    return logic_.GetCheckpoint(p, *req, *resp);
  });
}

grpc::Status AuditLogServiceImpl::GetPublicKey(grpc::ServerContext* ctx,
                                               const v1::GetPublicKeyRequest* req,
                                               v1::PublicKey* resp) {
  return handler_.Read(ctx, "GetPublicKey", *req, Validate, [&](const common::Principal& p) {
    return logic_.GetPublicKey(p, *req, *resp);
  });
}

grpc::Status AuditLogServiceImpl::GetLeavesByRange(grpc::ServerContext* ctx,
                                                   const v1::GetLeavesByRangeRequest* req,
                                                   v1::GetLeavesByRangeResponse* resp) {
  return handler_.Read(ctx, "GetLeavesByRange", *req, Validate, [&](const common::Principal& p) {
    return logic_.GetLeavesByRange(p, *req, *resp);
  });
}

grpc::Status AuditLogServiceImpl::GetInclusionProof(grpc::ServerContext* ctx,
                                                    const v1::GetInclusionProofRequest* req,
                                                    v1::InclusionProof* resp) {
  return handler_.Read(ctx, "GetInclusionProof", *req, Validate, [&](const common::Principal& p) {
    return logic_.GetInclusionProof(p, *req, *resp);
  });
}

grpc::Status AuditLogServiceImpl::GetInclusionProofByEventId(
    grpc::ServerContext* ctx, const v1::GetInclusionProofByEventIdRequest* req,
    v1::InclusionProof* resp) {
  return handler_.Read(ctx, "GetInclusionProofByEventId", *req, Validate,
                       [&](const common::Principal& p) {
                         return logic_.GetInclusionProofByEventId(p, *req, *resp);
                       });
}

grpc::Status AuditLogServiceImpl::GetConsistencyProof(grpc::ServerContext* ctx,
                                                      const v1::GetConsistencyProofRequest* req,
                                                      v1::ConsistencyProof* resp) {
  return handler_.Read(ctx, "GetConsistencyProof", *req, Validate, [&](const common::Principal& p) {
    return logic_.GetConsistencyProof(p, *req, *resp);
  });
}

grpc::Status AuditLogServiceImpl::GetInclusionProofs(grpc::ServerContext* ctx,
                                                     const v1::GetInclusionProofsRequest* req,
                                                     v1::GetInclusionProofsResponse* resp) {
  return handler_.Read(ctx, "GetInclusionProofs", *req, Validate, [&](const common::Principal& p) {
    return logic_.GetInclusionProofs(p, *req, *resp);
  });
}

grpc::Status AuditLogServiceImpl::ListEntityEvents(grpc::ServerContext* ctx,
                                                   const v1::ListEntityEventsRequest* req,
                                                   v1::ListEventsResponse* resp) {
  return handler_.Read(ctx, "ListEntityEvents", *req, Validate, [&](const common::Principal& p) {
    return logic_.ListEntityEvents(p, *req, *resp);
  });
}

grpc::Status AuditLogServiceImpl::ListRegionEvents(grpc::ServerContext* ctx,
                                                   const v1::ListRegionEventsRequest* req,
                                                   v1::ListEventsResponse* resp) {
  return handler_.Read(ctx, "ListRegionEvents", *req, Validate, [&](const common::Principal& p) {
    return logic_.ListRegionEvents(p, *req, *resp);
  });
}

}  // namespace tuopin::auditlog
