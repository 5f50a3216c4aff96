#include "services/auditquery/auditquery_service.h"

#include "absl/strings/str_cat.h"
#include "common/validate.h"
#include "services/auditquery/auditquery_validate.h"

namespace tuopin::auditquery {
namespace {

class AuditQueryServiceImpl final : public v1::AuditQueryService::Service {
 public:
  AuditQueryServiceImpl(AuditQueryLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status GetEntityHistory(grpc::ServerContext* ctx, const v1::GetEntityHistoryRequest* req,
                                v1::EntityHistory* resp) override {
    return Query(ctx, "GetEntityHistory", *req,
                 [&](const MutationContext& m) { return logic_.GetEntityHistory(m, *req, *resp); });
  }

  grpc::Status GetCadreDossier(grpc::ServerContext* ctx, const v1::GetCadreDossierRequest* req,
                               v1::CadreDossier* resp) override {
    return Query(ctx, "GetCadreDossier", *req,
                 [&](const MutationContext& m) { return logic_.GetCadreDossier(m, *req, *resp); });
  }

  grpc::Status TraceFunds(grpc::ServerContext* ctx, const v1::TraceFundsRequest* req,
                          v1::FundTraceWithEvents* resp) override {
    return Query(ctx, "TraceFunds", *req,
                 [&](const MutationContext& m) { return logic_.TraceFunds(m, *req, *resp); });
  }

  grpc::Status GetRectificationStatus(grpc::ServerContext* ctx,
                                      const v1::GetRectificationStatusRequest* req,
                                      v1::RectificationStatusReport* resp) override {
    return Query(ctx, "GetRectificationStatus", *req, [&](const MutationContext& m) {
      return logic_.GetRectificationStatus(m, *req, *resp);
    });
  }

  grpc::Status GetScorecard(grpc::ServerContext* ctx, const v1::GetScorecardRequest* req,
                            v1::Scorecard* resp) override {
    return Query(ctx, "GetScorecard", *req,
                 [&](const MutationContext& m) { return logic_.GetScorecard(m, *req, *resp); });
  }

  grpc::Status ExportAuditBundle(grpc::ServerContext* ctx, const v1::ExportAuditBundleRequest* req,
                                 v1::AuditBundle* resp) override {
    return Query(ctx, "ExportAuditBundle", *req, [&](const MutationContext& m) {
      return logic_.ExportAuditBundle(m, *req, *resp);
    });
  }

  grpc::Status GetAssessmentReport(grpc::ServerContext* ctx,
                                   const v1::GetAssessmentReportRequest* req,
                                   v1::AssessmentReport* resp) override {
    return Query(ctx, "GetAssessmentReport", *req, [&](const MutationContext& m) {
      return logic_.GetAssessmentReport(m, *req, *resp);
    });
  }

 private:
  template <typename Req, typename Fn>
  grpc::Status Query(grpc::ServerContext* ctx, absl::string_view method, const Req& req, Fn&& fn) {
    return handler_.Read(ctx, method, req, Validate, [&](const common::Principal& p) {
      // The gateway forwards a valid request id (or makes one); anything else is not copied
      // into the log.
      std::string request_id;
      auto id = ctx->client_metadata().find("x-request-id");
      if (id != ctx->client_metadata().end()) {
        absl::string_view value(id->second.data(), id->second.size());
        if (common::IsValidId(value)) request_id = std::string(value);
      }
      MutationContext m = common::ContextFor(
          "auditquery", absl::StrCat("/", v1::AuditQueryService::service_full_name(), "/", method),
          p, std::move(request_id), handler_.clock().Now(), req, &handler_.digest_key());
      return fn(m);
    });
  }

  AuditQueryLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace

std::unique_ptr<v1::AuditQueryService::Service> NewAuditQueryService(
    AuditQueryLogic& logic, const common::Handler& handler) {
  return std::make_unique<AuditQueryServiceImpl>(logic, handler);
}

}  // namespace tuopin::auditquery
