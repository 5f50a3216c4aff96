#pragma once
// The gRPC adapter of AuditQueryService: authorize (auditor or admin), validate, and give
// the logic the context its access event is built from (caller, method, request digest,
// x-request-id, time).

#include "common/handler.h"
#include "services/auditquery/auditquery_logic.h"
#include "tuopin/auditquery/v1/auditquery.grpc.pb.h"

namespace tuopin::auditquery {

class AuditQueryServiceImpl final : public v1::AuditQueryService::Service {
 public:
  AuditQueryServiceImpl(AuditQueryLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status GetEntityHistory(grpc::ServerContext* ctx, const v1::GetEntityHistoryRequest* req,
                                v1::EntityHistory* resp) override;
  grpc::Status GetCadreDossier(grpc::ServerContext* ctx, const v1::GetCadreDossierRequest* req,
                               v1::CadreDossier* resp) override;
  grpc::Status TraceFunds(grpc::ServerContext* ctx, const v1::TraceFundsRequest* req,
                          v1::FundTraceWithEvents* resp) override;
  grpc::Status GetRectificationStatus(grpc::ServerContext* ctx,
                                      const v1::GetRectificationStatusRequest* req,
                                      v1::RectificationStatusReport* resp) override;
  grpc::Status GetScorecard(grpc::ServerContext* ctx, const v1::GetScorecardRequest* req,
                            v1::Scorecard* resp) override;
  grpc::Status ExportAuditBundle(grpc::ServerContext* ctx, const v1::ExportAuditBundleRequest* req,
                                 v1::AuditBundle* resp) override;

 private:
  template <typename Req, typename Fn>
  grpc::Status Query(grpc::ServerContext* ctx, absl::string_view method, const Req& req, Fn&& fn);

  AuditQueryLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace tuopin::auditquery
