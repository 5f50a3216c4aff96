#include "services/auditlog/auditlog_service.h"

namespace tuopin::auditlog {
namespace {

class AuditLogServiceImpl final : public v1::AuditLog::Service {
 public:
  AuditLogServiceImpl(AuditLogLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status AppendEvents(grpc::ServerContext* ctx, const v1::AppendEventsRequest* req,
                            v1::AppendEventsResponse* resp) override {
    return handler_.Read(ctx, "AppendEvents", *req, Validate, [&](const common::Principal& p) {
      return logic_.AppendEvents(p, *req, *resp);
    });
  }

  grpc::Status GetCheckpoint(grpc::ServerContext* ctx, const v1::GetCheckpointRequest* req,
                             v1::Checkpoint* resp) override {
    return handler_.Read(ctx, "GetCheckpoint", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetCheckpoint(p, *req, *resp);
    });
  }

  grpc::Status GetPublicKey(grpc::ServerContext* ctx, const v1::GetPublicKeyRequest* req,
                            v1::PublicKey* resp) override {
    return handler_.Read(ctx, "GetPublicKey", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetPublicKey(p, *req, *resp);
    });
  }

  grpc::Status GetLeavesByRange(grpc::ServerContext* ctx, const v1::GetLeavesByRangeRequest* req,
                                v1::GetLeavesByRangeResponse* resp) override {
    return handler_.Read(ctx, "GetLeavesByRange", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetLeavesByRange(p, *req, *resp);
    });
  }

  grpc::Status GetInclusionProof(grpc::ServerContext* ctx, const v1::GetInclusionProofRequest* req,
                                 v1::InclusionProof* resp) override {
    return handler_.Read(ctx, "GetInclusionProof", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetInclusionProof(p, *req, *resp);
    });
  }

  grpc::Status GetInclusionProofByEventId(grpc::ServerContext* ctx,
                                          const v1::GetInclusionProofByEventIdRequest* req,
                                          v1::InclusionProof* resp) override {
    return handler_.Read(ctx, "GetInclusionProofByEventId", *req, Validate,
                         [&](const common::Principal& p) {
                           return logic_.GetInclusionProofByEventId(p, *req, *resp);
                         });
  }

  grpc::Status GetConsistencyProof(grpc::ServerContext* ctx,
                                   const v1::GetConsistencyProofRequest* req,
                                   v1::ConsistencyProof* resp) override {
    return handler_.Read(
        ctx, "GetConsistencyProof", *req, Validate,
        [&](const common::Principal& p) { return logic_.GetConsistencyProof(p, *req, *resp); });
  }

  grpc::Status GetInclusionProofs(grpc::ServerContext* ctx,
                                  const v1::GetInclusionProofsRequest* req,
                                  v1::GetInclusionProofsResponse* resp) override {
    return handler_.Read(
        ctx, "GetInclusionProofs", *req, Validate,
        [&](const common::Principal& p) { return logic_.GetInclusionProofs(p, *req, *resp); });
  }

  grpc::Status ListEntityEvents(grpc::ServerContext* ctx, const v1::ListEntityEventsRequest* req,
                                v1::ListEventsResponse* resp) override {
    return handler_.Read(ctx, "ListEntityEvents", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListEntityEvents(p, *req, *resp);
    });
  }

  grpc::Status ListRegionEvents(grpc::ServerContext* ctx, const v1::ListRegionEventsRequest* req,
                                v1::ListEventsResponse* resp) override {
    return handler_.Read(ctx, "ListRegionEvents", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListRegionEvents(p, *req, *resp);
    });
  }

 private:
  AuditLogLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace

std::unique_ptr<v1::AuditLog::Service> NewAuditLogService(AuditLogLogic& logic,
                                                          const common::Handler& handler) {
  return std::make_unique<AuditLogServiceImpl>(logic, handler);
}

}  // namespace tuopin::auditlog
