#include "services/funds/funds_service.h"

#include "services/funds/funds_validate.h"

namespace tuopin::funds {
namespace {

class FundsServiceImpl final : public v1::FundsService::Service {
 public:
  FundsServiceImpl(FundsLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status CreateAccount(grpc::ServerContext* ctx, const v1::CreateAccountRequest* req,
                             v1::Account* resp) override {
    return handler_.Mutate(
        ctx, "CreateAccount", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.CreateAccount(m, *req, *resp); });
  }

  grpc::Status GetAccount(grpc::ServerContext* ctx, const v1::GetAccountRequest* req,
                          v1::Account* resp) override {
    return handler_.Read(ctx, "GetAccount", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetAccount(p, *req, *resp);
    });
  }

  grpc::Status ListAccounts(grpc::ServerContext* ctx, const v1::ListAccountsRequest* req,
                            v1::ListAccountsResponse* resp) override {
    return handler_.Read(ctx, "ListAccounts", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListAccounts(p, *req, *resp);
    });
  }

  grpc::Status CreateTransfers(grpc::ServerContext* ctx, const v1::CreateTransfersRequest* req,
                               v1::CreateTransfersResponse* resp) override {
    return handler_.Mutate(
        ctx, "CreateTransfers", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.CreateTransfers(m, *req, *resp); });
  }

  grpc::Status PostPendingTransfer(grpc::ServerContext* ctx,
                                   const v1::PostPendingTransferRequest* req,
                                   v1::Transfer* resp) override {
    return handler_.Mutate(ctx, "PostPendingTransfer", *req, Validate,
                           [&](const common::MutationContext& m) {
                             return logic_.PostPendingTransfer(m, *req, *resp);
                           });
  }

  grpc::Status VoidPendingTransfer(grpc::ServerContext* ctx,
                                   const v1::VoidPendingTransferRequest* req,
                                   v1::Transfer* resp) override {
    return handler_.Mutate(ctx, "VoidPendingTransfer", *req, Validate,
                           [&](const common::MutationContext& m) {
                             return logic_.VoidPendingTransfer(m, *req, *resp);
                           });
  }

  grpc::Status ListTransfers(grpc::ServerContext* ctx, const v1::ListTransfersRequest* req,
                             v1::ListTransfersResponse* resp) override {
    return handler_.Read(ctx, "ListTransfers", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListTransfers(p, *req, *resp);
    });
  }

  grpc::Status TraceFunds(grpc::ServerContext* ctx, const v1::TraceFundsRequest* req,
                          v1::FundTrace* resp) override {
    return handler_.Read(ctx, "TraceFunds", *req, Validate, [&](const common::Principal& p) {
      return logic_.TraceFunds(p, *req, *resp);
    });
  }

  grpc::Status GetUtilization(grpc::ServerContext* ctx, const v1::GetUtilizationRequest* req,
                              v1::Utilization* resp) override {
    return handler_.Read(ctx, "GetUtilization", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetUtilization(p, *req, *resp);
    });
  }

  grpc::Status ListIdleFunds(grpc::ServerContext* ctx, const v1::ListIdleFundsRequest* req,
                             v1::ListIdleFundsResponse* resp) override {
    return handler_.Read(ctx, "ListIdleFunds", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListIdleFunds(p, *req, *resp);
    });
  }

  grpc::Status ListPublicNotices(grpc::ServerContext* ctx, const v1::ListPublicNoticesRequest* req,
                                 v1::ListPublicNoticesResponse* resp) override {
    return handler_.Read(ctx, "ListPublicNotices", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListPublicNotices(p, *req, *resp);
    });
  }

 private:
  FundsLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace

std::unique_ptr<v1::FundsService::Service> NewFundsService(FundsLogic& logic,
                                                           const common::Handler& handler) {
  return std::make_unique<FundsServiceImpl>(logic, handler);
}

}  // namespace tuopin::funds
