#include "services/accountability/records_service.h"

#include "services/accountability/records_validate.h"

namespace tuopin::accountability {
namespace {

class RecordsServiceImpl final : public v1::AccountabilityService::Service {
 public:
  RecordsServiceImpl(RecordsLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status CreateInspection(grpc::ServerContext* ctx, const v1::CreateInspectionRequest* req,
                                v1::Inspection* resp) override {
    return handler_.Mutate(
        ctx, "CreateInspection", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.CreateInspection(m, *req, *resp); });
  }

  grpc::Status GetInspection(grpc::ServerContext* ctx, const v1::GetInspectionRequest* req,
                             v1::Inspection* resp) override {
    return handler_.Read(ctx, "GetInspection", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetInspection(p, *req, *resp);
    });
  }

  grpc::Status RevealSample(grpc::ServerContext* ctx, const v1::RevealSampleRequest* req,
                            v1::Sample* resp) override {
    return handler_.Mutate(
        ctx, "RevealSample", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.RevealSample(m, *req, *resp); });
  }

  grpc::Status RecordVisit(grpc::ServerContext* ctx, const v1::RecordVisitRequest* req,
                           v1::Visit* resp) override {
    return handler_.Mutate(
        ctx, "RecordVisit", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.RecordVisit(m, *req, *resp); });
  }

  grpc::Status CreateFinding(grpc::ServerContext* ctx, const v1::CreateFindingRequest* req,
                             v1::Finding* resp) override {
    return handler_.Mutate(
        ctx, "CreateFinding", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.CreateFinding(m, *req, *resp); });
  }

  grpc::Status SummarizeRegion(grpc::ServerContext* ctx, const v1::SummarizeRegionRequest* req,
                               v1::RegionSummary* resp) override {
    return handler_.Read(ctx, "SummarizeRegion", *req, Validate, [&](const common::Principal& p) {
      return logic_.SummarizeRegion(p, *req, *resp);
    });
  }

  grpc::Status ListFindings(grpc::ServerContext* ctx, const v1::ListFindingsRequest* req,
                            v1::ListFindingsResponse* resp) override {
    return handler_.Read(ctx, "ListFindings", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListFindings(p, *req, *resp);
    });
  }

  grpc::Status IssueRectificationOrder(grpc::ServerContext* ctx,
                                       const v1::IssueRectificationOrderRequest* req,
                                       v1::RectificationOrder* resp) override {
    return handler_.Mutate(ctx, "IssueRectificationOrder", *req, Validate,
                           [&](const common::MutationContext& m) {
                             return logic_.IssueRectificationOrder(m, *req, *resp);
                           });
  }

  grpc::Status SubmitRectification(grpc::ServerContext* ctx,
                                   const v1::SubmitRectificationRequest* req,
                                   v1::RectificationOrder* resp) override {
    return handler_.Mutate(ctx, "SubmitRectification", *req, Validate,
                           [&](const common::MutationContext& m) {
                             return logic_.SubmitRectification(m, *req, *resp);
                           });
  }

  grpc::Status VerifyRectification(grpc::ServerContext* ctx,
                                   const v1::VerifyRectificationRequest* req,
                                   v1::RectificationOrder* resp) override {
    return handler_.Mutate(ctx, "VerifyRectification", *req, Validate,
                           [&](const common::MutationContext& m) {
                             return logic_.VerifyRectification(m, *req, *resp);
                           });
  }

  grpc::Status RejectRectification(grpc::ServerContext* ctx,
                                   const v1::RejectRectificationRequest* req,
                                   v1::RectificationOrder* resp) override {
    return handler_.Mutate(ctx, "RejectRectification", *req, Validate,
                           [&](const common::MutationContext& m) {
                             return logic_.RejectRectification(m, *req, *resp);
                           });
  }

  grpc::Status ListRectificationOrders(grpc::ServerContext* ctx,
                                       const v1::ListRectificationOrdersRequest* req,
                                       v1::ListRectificationOrdersResponse* resp) override {
    return handler_.Read(
        ctx, "ListRectificationOrders", *req, Validate,
        [&](const common::Principal& p) { return logic_.ListRectificationOrders(p, *req, *resp); });
  }

  grpc::Status RecordAccountabilityAction(grpc::ServerContext* ctx,
                                          const v1::RecordAccountabilityActionRequest* req,
                                          v1::AccountabilityAction* resp) override {
    return handler_.Mutate(ctx, "RecordAccountabilityAction", *req, Validate,
                           [&](const common::MutationContext& m) {
                             return logic_.RecordAccountabilityAction(m, *req, *resp);
                           });
  }

  grpc::Status ListAccountabilityActions(grpc::ServerContext* ctx,
                                         const v1::ListAccountabilityActionsRequest* req,
                                         v1::ListAccountabilityActionsResponse* resp) override {
    return handler_.Read(ctx, "ListAccountabilityActions", *req, Validate,
                         [&](const common::Principal& p) {
                           return logic_.ListAccountabilityActions(p, *req, *resp);
                         });
  }

 private:
  RecordsLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace

std::unique_ptr<v1::AccountabilityService::Service> NewRecordsService(
    RecordsLogic& logic, const common::Handler& handler) {
  return std::make_unique<RecordsServiceImpl>(logic, handler);
}

}  // namespace tuopin::accountability
