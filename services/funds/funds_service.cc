#include "services/funds/funds_service.h"

#include "services/funds/funds_validate.h"

namespace tuopin::funds {

grpc::Status FundsServiceImpl::CreateAccount(grpc::ServerContext* ctx,
                                             const v1::CreateAccountRequest* req,
                                             v1::Account* resp) {
  return handler_.Mutate(
      ctx, "CreateAccount", *req, Validate,
      [&](const common::MutationContext& m) { return logic_.CreateAccount(m, *req, *resp); });
}

grpc::Status FundsServiceImpl::GetAccount(grpc::ServerContext* ctx,
                                          const v1::GetAccountRequest* req, v1::Account* resp) {
  return handler_.Read(ctx, "GetAccount", *req, Validate, [&](const common::Principal& p) {
    return logic_.GetAccount(p, *req, *resp);
  });
}

grpc::Status FundsServiceImpl::ListAccounts(grpc::ServerContext* ctx,
                                            const v1::ListAccountsRequest* req,
                                            v1::ListAccountsResponse* resp) {
  return handler_.Read(ctx, "ListAccounts", *req, Validate, [&](const common::Principal& p) {
    return logic_.ListAccounts(p, *req, *resp);
  });
}

grpc::Status FundsServiceImpl::CreateTransfers(grpc::ServerContext* ctx,
                                               const v1::CreateTransfersRequest* req,
                                               v1::CreateTransfersResponse* resp) {
  return handler_.Mutate(
      ctx, "CreateTransfers", *req, Validate,
      [&](const common::MutationContext& m) { return logic_.CreateTransfers(m, *req, *resp); });
}

grpc::Status FundsServiceImpl::PostPendingTransfer(grpc::ServerContext* ctx,
                                                   const v1::PostPendingTransferRequest* req,
                                                   v1::Transfer* resp) {
  return handler_.Mutate(
      ctx, "PostPendingTransfer", *req, Validate,
      [&](const common::MutationContext& m) { return logic_.PostPendingTransfer(m, *req, *resp); });
}

grpc::Status FundsServiceImpl::VoidPendingTransfer(grpc::ServerContext* ctx,
                                                   const v1::VoidPendingTransferRequest* req,
                                                   v1::Transfer* resp) {
  return handler_.Mutate(
      ctx, "VoidPendingTransfer", *req, Validate,
      [&](const common::MutationContext& m) { return logic_.VoidPendingTransfer(m, *req, *resp); });
}

grpc::Status FundsServiceImpl::ListTransfers(grpc::ServerContext* ctx,
                                             const v1::ListTransfersRequest* req,
                                             v1::ListTransfersResponse* resp) {
  return handler_.Read(ctx, "ListTransfers", *req, Validate, [&](const common::Principal& p) {
    return logic_.ListTransfers(p, *req, *resp);
  });
}

grpc::Status FundsServiceImpl::TraceFunds(grpc::ServerContext* ctx,
                                          const v1::TraceFundsRequest* req, v1::FundTrace* resp) {
  return handler_.Read(ctx, "TraceFunds", *req, Validate, [&](const common::Principal& p) {
    return logic_.TraceFunds(p, *req, *resp);
  });
}

grpc::Status FundsServiceImpl::GetUtilization(grpc::ServerContext* ctx,
                                              const v1::GetUtilizationRequest* req,
                                              v1::Utilization* resp) {
  return handler_.Read(ctx, "GetUtilization", *req, Validate, [&](const common::Principal& p) {
    return logic_.GetUtilization(p, *req, *resp);
  });
}

grpc::Status FundsServiceImpl::ListIdleFunds(grpc::ServerContext* ctx,
                                             const v1::ListIdleFundsRequest* req,
                                             v1::ListIdleFundsResponse* resp) {
  return handler_.Read(ctx, "ListIdleFunds", *req, Validate, [&](const common::Principal& p) {
    return logic_.ListIdleFunds(p, *req, *resp);
  });
}

grpc::Status FundsServiceImpl::ListPublicNotices(grpc::ServerContext* ctx,
                                                 const v1::ListPublicNoticesRequest* req,
                                                 v1::ListPublicNoticesResponse* resp) {
  return handler_.Read(ctx, "ListPublicNotices", *req, Validate, [&](const common::Principal& p) {
    return logic_.ListPublicNotices(p, *req, *resp);
  });
}

}  // namespace tuopin::funds
