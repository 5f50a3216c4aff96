#pragma once
// The gRPC adapter of AccountabilityService: authorize, validate, call the logic, map the status.

#include "common/handler.h"
#include "services/accountability/records_logic.h"
#include "tuopin/accountability/v1/accountability.grpc.pb.h"

namespace tuopin::accountability {

class RecordsServiceImpl final : public v1::AccountabilityService::Service {
 public:
  RecordsServiceImpl(RecordsLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status CreateInspection(grpc::ServerContext* ctx, const v1::CreateInspectionRequest* req,
                                v1::Inspection* resp) override;
  grpc::Status GetInspection(grpc::ServerContext* ctx, const v1::GetInspectionRequest* req,
                             v1::Inspection* resp) override;
  grpc::Status RevealSample(grpc::ServerContext* ctx, const v1::RevealSampleRequest* req,
                            v1::Sample* resp) override;
  grpc::Status RecordVisit(grpc::ServerContext* ctx, const v1::RecordVisitRequest* req,
                           v1::Visit* resp) override;
  grpc::Status CreateFinding(grpc::ServerContext* ctx, const v1::CreateFindingRequest* req,
                             v1::Finding* resp) override;
  grpc::Status ListFindings(grpc::ServerContext* ctx, const v1::ListFindingsRequest* req,
                            v1::ListFindingsResponse* resp) override;
  grpc::Status SummarizeRegion(grpc::ServerContext* ctx, const v1::SummarizeRegionRequest* req,
                               v1::RegionSummary* resp) override;
  grpc::Status IssueRectificationOrder(grpc::ServerContext* ctx,
                                       const v1::IssueRectificationOrderRequest* req,
                                       v1::RectificationOrder* resp) override;
  grpc::Status SubmitRectification(grpc::ServerContext* ctx,
                                   const v1::SubmitRectificationRequest* req,
                                   v1::RectificationOrder* resp) override;
  grpc::Status VerifyRectification(grpc::ServerContext* ctx,
                                   const v1::VerifyRectificationRequest* req,
                                   v1::RectificationOrder* resp) override;
  grpc::Status RejectRectification(grpc::ServerContext* ctx,
                                   const v1::RejectRectificationRequest* req,
                                   v1::RectificationOrder* resp) override;
  grpc::Status ListRectificationOrders(grpc::ServerContext* ctx,
                                       const v1::ListRectificationOrdersRequest* req,
                                       v1::ListRectificationOrdersResponse* resp) override;
  grpc::Status RecordAccountabilityAction(grpc::ServerContext* ctx,
                                          const v1::RecordAccountabilityActionRequest* req,
                                          v1::AccountabilityAction* resp) override;
  grpc::Status ListAccountabilityActions(grpc::ServerContext* ctx,
                                         const v1::ListAccountabilityActionsRequest* req,
                                         v1::ListAccountabilityActionsResponse* resp) override;

 private:
  RecordsLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace tuopin::accountability
