#include "services/personnel/personnel_service.h"

#include "services/personnel/personnel_validate.h"

namespace tuopin::personnel {
namespace {

class PersonnelServiceImpl final : public v1::PersonnelService::Service {
 public:
  PersonnelServiceImpl(PersonnelLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status ImportRegions(grpc::ServerContext* ctx, const v1::ImportRegionsRequest* req,
                             v1::ImportRegionsResponse* resp) override {
    return handler_.Mutate(
        ctx, "ImportRegions", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.ImportRegions(m, *req, *resp); });
  }

  grpc::Status MergeVillages(grpc::ServerContext* ctx, const v1::MergeVillagesRequest* req,
                             v1::MergeVillagesResponse* resp) override {
    return handler_.Mutate(
        ctx, "MergeVillages", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.MergeVillages(m, *req, *resp); });
  }

  grpc::Status SplitVillage(grpc::ServerContext* ctx, const v1::SplitVillageRequest* req,
                            v1::SplitVillageResponse* resp) override {
    return handler_.Mutate(
        ctx, "SplitVillage", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.SplitVillage(m, *req, *resp); });
  }

  grpc::Status GetRegion(grpc::ServerContext* ctx, const v1::GetRegionRequest* req,
                         v1::Region* resp) override {
    return handler_.Read(ctx, "GetRegion", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetRegion(p, *req, *resp);
    });
  }

  grpc::Status ListRegions(grpc::ServerContext* ctx, const v1::ListRegionsRequest* req,
                           v1::ListRegionsResponse* resp) override {
    return handler_.Read(ctx, "ListRegions", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListRegions(p, *req, *resp);
    });
  }

  grpc::Status CreateHousehold(grpc::ServerContext* ctx, const v1::CreateHouseholdRequest* req,
                               v1::Household* resp) override {
    return handler_.Mutate(
        ctx, "CreateHousehold", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.CreateHousehold(m, *req, *resp); });
  }

  grpc::Status GetHousehold(grpc::ServerContext* ctx, const v1::GetHouseholdRequest* req,
                            v1::Household* resp) override {
    return handler_.Read(ctx, "GetHousehold", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetHousehold(p, *req, *resp);
    });
  }

  grpc::Status ListHouseholds(grpc::ServerContext* ctx, const v1::ListHouseholdsRequest* req,
                              v1::ListHouseholdsResponse* resp) override {
    return handler_.Read(ctx, "ListHouseholds", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListHouseholds(p, *req, *resp);
    });
  }

  grpc::Status GetHouseholdHistory(grpc::ServerContext* ctx,
                                   const v1::GetHouseholdHistoryRequest* req,
                                   v1::GetHouseholdHistoryResponse* resp) override {
    return handler_.Read(
        ctx, "GetHouseholdHistory", *req, Validate,
        [&](const common::Principal& p) { return logic_.GetHouseholdHistory(p, *req, *resp); });
  }

  grpc::Status UpdateHousehold(grpc::ServerContext* ctx, const v1::UpdateHouseholdRequest* req,
                               v1::Household* resp) override {
    return handler_.Mutate(
        ctx, "UpdateHousehold", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.UpdateHousehold(m, *req, *resp); });
  }

  grpc::Status ImportHouseholds(grpc::ServerContext* ctx, const v1::ImportHouseholdsRequest* req,
                                v1::ImportHouseholdsResponse* resp) override {
    // A dry run is a read: no request id claimed, no audit event (personnel.proto).
    if (req->dry_run()) {
      return handler_.Read(ctx, "ImportHouseholds", *req, Validate,
                           [&](const common::Principal& p) {
                             return logic_.DryRunImportHouseholds(p, *req, *resp);
                           });
    }
    return handler_.Mutate(
        ctx, "ImportHouseholds", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.ImportHouseholds(m, *req, *resp); });
  }

  grpc::Status DiffHouseholds(grpc::ServerContext* ctx, const v1::DiffHouseholdsRequest* req,
                              v1::DiffHouseholdsResponse* resp) override {
    return handler_.Read(ctx, "DiffHouseholds", *req, Validate, [&](const common::Principal& p) {
      return logic_.DiffHouseholds(p, *req, *resp);
    });
  }

  grpc::Status CreateCadre(grpc::ServerContext* ctx, const v1::CreateCadreRequest* req,
                           v1::Cadre* resp) override {
    return handler_.Mutate(
        ctx, "CreateCadre", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.CreateCadre(m, *req, *resp); });
  }

  grpc::Status GetCadre(grpc::ServerContext* ctx, const v1::GetCadreRequest* req,
                        v1::Cadre* resp) override {
    return handler_.Read(ctx, "GetCadre", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetCadre(p, *req, *resp);
    });
  }

  grpc::Status ListCadres(grpc::ServerContext* ctx, const v1::ListCadresRequest* req,
                          v1::ListCadresResponse* resp) override {
    return handler_.Read(ctx, "ListCadres", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListCadres(p, *req, *resp);
    });
  }

  grpc::Status UpdateCadre(grpc::ServerContext* ctx, const v1::UpdateCadreRequest* req,
                           v1::Cadre* resp) override {
    return handler_.Mutate(
        ctx, "UpdateCadre", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.UpdateCadre(m, *req, *resp); });
  }

  grpc::Status PostCadre(grpc::ServerContext* ctx, const v1::PostCadreRequest* req,
                         v1::Posting* resp) override {
    return handler_.Mutate(ctx, "PostCadre", *req, Validate, [&](const common::MutationContext& m) {
      return logic_.PostCadre(m, *req, *resp);
    });
  }

  grpc::Status EndPosting(grpc::ServerContext* ctx, const v1::EndPostingRequest* req,
                          v1::Posting* resp) override {
    return handler_.Mutate(
        ctx, "EndPosting", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.EndPosting(m, *req, *resp); });
  }

  grpc::Status ListPostings(grpc::ServerContext* ctx, const v1::ListPostingsRequest* req,
                            v1::ListPostingsResponse* resp) override {
    return handler_.Read(ctx, "ListPostings", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListPostings(p, *req, *resp);
    });
  }

  grpc::Status PairCadreWithHousehold(grpc::ServerContext* ctx,
                                      const v1::PairCadreWithHouseholdRequest* req,
                                      v1::Pairing* resp) override {
    return handler_.Mutate(ctx, "PairCadreWithHousehold", *req, Validate,
                           [&](const common::MutationContext& m) {
                             return logic_.PairCadreWithHousehold(m, *req, *resp);
                           });
  }

  grpc::Status UnpairCadre(grpc::ServerContext* ctx, const v1::UnpairCadreRequest* req,
                           v1::Pairing* resp) override {
    return handler_.Mutate(
        ctx, "UnpairCadre", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.UnpairCadre(m, *req, *resp); });
  }

  grpc::Status ListPairings(grpc::ServerContext* ctx, const v1::ListPairingsRequest* req,
                            v1::ListPairingsResponse* resp) override {
    return handler_.Read(ctx, "ListPairings", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListPairings(p, *req, *resp);
    });
  }

  grpc::Status RecordCheckIn(grpc::ServerContext* ctx, const v1::RecordCheckInRequest* req,
                             v1::CheckIn* resp) override {
    return handler_.Mutate(
        ctx, "RecordCheckIn", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.RecordCheckIn(m, *req, *resp); });
  }

  grpc::Status GetAttendance(grpc::ServerContext* ctx, const v1::GetAttendanceRequest* req,
                             v1::Attendance* resp) override {
    return handler_.Read(ctx, "GetAttendance", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetAttendance(p, *req, *resp);
    });
  }

  grpc::Status GetCoverage(grpc::ServerContext* ctx, const v1::GetCoverageRequest* req,
                           v1::Coverage* resp) override {
    return handler_.Read(ctx, "GetCoverage", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetCoverage(p, *req, *resp);
    });
  }

 private:
  PersonnelLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace

std::unique_ptr<v1::PersonnelService::Service> NewPersonnelService(PersonnelLogic& logic,
                                                                   const common::Handler& handler) {
  return std::make_unique<PersonnelServiceImpl>(logic, handler);
}

}  // namespace tuopin::personnel
