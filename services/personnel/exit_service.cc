#include "services/personnel/exit_service.h"

#include "services/personnel/exit_validate.h"

namespace tuopin::personnel {
namespace {

class ExitServiceImpl final : public v1::ExitService::Service {
 public:
  ExitServiceImpl(ExitLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status ProposeExit(grpc::ServerContext* ctx, const v1::ProposeExitRequest* req,
                           v1::ExitApplication* resp) override {
    return handler_.Mutate(
        ctx, "ProposeExit", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.ProposeExit(m, *req, *resp); });
  }

  grpc::Status ReviewExit(grpc::ServerContext* ctx, const v1::ReviewExitRequest* req,
                          v1::ExitApplication* resp) override {
    return handler_.Mutate(
        ctx, "ReviewExit", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.ReviewExit(m, *req, *resp); });
  }

  grpc::Status ObjectToExit(grpc::ServerContext* ctx, const v1::ObjectToExitRequest* req,
                            v1::ExitApplication* resp) override {
    return handler_.Mutate(
        ctx, "ObjectToExit", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.ObjectToExit(m, *req, *resp); });
  }

  grpc::Status ResolveObjection(grpc::ServerContext* ctx, const v1::ResolveObjectionRequest* req,
                                v1::ExitApplication* resp) override {
    return handler_.Mutate(
        ctx, "ResolveObjection", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.ResolveObjection(m, *req, *resp); });
  }

  grpc::Status ConfirmExit(grpc::ServerContext* ctx, const v1::ConfirmExitRequest* req,
                           v1::ExitApplication* resp) override {
    return handler_.Mutate(
        ctx, "ConfirmExit", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.ConfirmExit(m, *req, *resp); });
  }

  grpc::Status ReverseExit(grpc::ServerContext* ctx, const v1::ReverseExitRequest* req,
                           v1::Household* resp) override {
    return handler_.Mutate(
        ctx, "ReverseExit", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.ReverseExit(m, *req, *resp); });
  }

  grpc::Status GetExitApplication(grpc::ServerContext* ctx,
                                  const v1::GetExitApplicationRequest* req,
                                  v1::ExitApplication* resp) override {
    return handler_.Read(
        ctx, "GetExitApplication", *req, Validate,
        [&](const common::Principal& p) { return logic_.GetExitApplication(p, *req, *resp); });
  }

  grpc::Status ListExitApplications(grpc::ServerContext* ctx,
                                    const v1::ListExitApplicationsRequest* req,
                                    v1::ListExitApplicationsResponse* resp) override {
    return handler_.Read(
        ctx, "ListExitApplications", *req, Validate,
        [&](const common::Principal& p) { return logic_.ListExitApplications(p, *req, *resp); });
  }

 private:
  ExitLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace

std::unique_ptr<v1::ExitService::Service> NewExitService(ExitLogic& logic,
                                                         const common::Handler& handler) {
  return std::make_unique<ExitServiceImpl>(logic, handler);
}

}  // namespace tuopin::personnel
