#pragma once
// The gRPC adapter of FundsService: authorize, validate, call the logic, map the status.

#include "common/handler.h"
#include "services/funds/funds_logic.h"
#include "tuopin/funds/v1/funds.grpc.pb.h"

namespace tuopin::funds {

class FundsServiceImpl final : public v1::FundsService::Service {
 public:
  FundsServiceImpl(FundsLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status CreateAccount(grpc::ServerContext* ctx, const v1::CreateAccountRequest* req,
                             v1::Account* resp) override;
  grpc::Status GetAccount(grpc::ServerContext* ctx, const v1::GetAccountRequest* req,
                          v1::Account* resp) override;
  grpc::Status ListAccounts(grpc::ServerContext* ctx, const v1::ListAccountsRequest* req,
                            v1::ListAccountsResponse* resp) override;
  grpc::Status CreateTransfers(grpc::ServerContext* ctx, const v1::CreateTransfersRequest* req,
                               v1::CreateTransfersResponse* resp) override;
  grpc::Status PostPendingTransfer(grpc::ServerContext* ctx,
                                   const v1::PostPendingTransferRequest* req,
                                   v1::Transfer* resp) override;
  grpc::Status VoidPendingTransfer(grpc::ServerContext* ctx,
                                   const v1::VoidPendingTransferRequest* req,
                                   v1::Transfer* resp) override;
  grpc::Status ListTransfers(grpc::ServerContext* ctx, const v1::ListTransfersRequest* req,
                             v1::ListTransfersResponse* resp) override;
  grpc::Status TraceFunds(grpc::ServerContext* ctx, const v1::TraceFundsRequest* req,
                          v1::FundTrace* resp) override;
  grpc::Status GetUtilization(grpc::ServerContext* ctx, const v1::GetUtilizationRequest* req,
                              v1::Utilization* resp) override;
  grpc::Status ListIdleFunds(grpc::ServerContext* ctx, const v1::ListIdleFundsRequest* req,
                             v1::ListIdleFundsResponse* resp) override;
  grpc::Status ListPublicNotices(grpc::ServerContext* ctx, const v1::ListPublicNoticesRequest* req,
                                 v1::ListPublicNoticesResponse* resp) override;

 private:
  FundsLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace tuopin::funds
