#include "services/personnel/exit_criteria_service.h"

#include "services/personnel/exit_validate.h"

namespace tuopin::personnel {
namespace {

class ExitCriteriaServiceImpl final : public v1::ExitCriteriaService::Service {
 public:
  ExitCriteriaServiceImpl(ExitCriteriaLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status SetPovertyStandard(grpc::ServerContext* ctx,
                                  const v1::SetPovertyStandardRequest* req,
                                  v1::PovertyStandard* resp) override {
    return handler_.Mutate(ctx, "SetPovertyStandard", *req, Validate,
                           [&](const common::MutationContext& m) {
                             return logic_.SetPovertyStandard(m, *req, *resp);
                           });
  }

  grpc::Status GetPovertyStandard(grpc::ServerContext* ctx,
                                  const v1::GetPovertyStandardRequest* req,
                                  v1::PovertyStandard* resp) override {
    return handler_.Read(
        ctx, "GetPovertyStandard", *req, Validate,
        [&](const common::Principal& p) { return logic_.GetPovertyStandard(p, *req, *resp); });
  }

  grpc::Status SetVillageProfile(grpc::ServerContext* ctx, const v1::SetVillageProfileRequest* req,
                                 v1::VillageProfile* resp) override {
    return handler_.Mutate(
        ctx, "SetVillageProfile", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.SetVillageProfile(m, *req, *resp); });
  }

  grpc::Status GetExitStatus(grpc::ServerContext* ctx, const v1::GetExitStatusRequest* req,
                             v1::ExitStatus* resp) override {
    return handler_.Read(ctx, "GetExitStatus", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetExitStatus(p, *req, *resp);
    });
  }

 private:
  ExitCriteriaLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace

std::unique_ptr<v1::ExitCriteriaService::Service> NewExitCriteriaService(
    ExitCriteriaLogic& logic, const common::Handler& handler) {
  return std::make_unique<ExitCriteriaServiceImpl>(logic, handler);
}

}  // namespace tuopin::personnel
