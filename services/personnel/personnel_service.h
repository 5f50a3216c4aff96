#pragma once
// The gRPC adapter of PersonnelService: authorize, validate, call the logic, map the
// status. No SQL and no business rules here.

#include "common/handler.h"
#include "services/personnel/personnel_logic.h"
#include "tuopin/personnel/v1/personnel.grpc.pb.h"

namespace tuopin::personnel {

class PersonnelServiceImpl final : public v1::PersonnelService::Service {
 public:
  PersonnelServiceImpl(PersonnelLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status ImportRegions(grpc::ServerContext* ctx, const v1::ImportRegionsRequest* req,
                             v1::ImportRegionsResponse* resp) override;
  grpc::Status GetRegion(grpc::ServerContext* ctx, const v1::GetRegionRequest* req,
                         v1::Region* resp) override;
  grpc::Status ListRegions(grpc::ServerContext* ctx, const v1::ListRegionsRequest* req,
                           v1::ListRegionsResponse* resp) override;
  grpc::Status CreateHousehold(grpc::ServerContext* ctx, const v1::CreateHouseholdRequest* req,
                               v1::Household* resp) override;
  grpc::Status GetHousehold(grpc::ServerContext* ctx, const v1::GetHouseholdRequest* req,
                            v1::Household* resp) override;
  grpc::Status ListHouseholds(grpc::ServerContext* ctx, const v1::ListHouseholdsRequest* req,
                              v1::ListHouseholdsResponse* resp) override;
  grpc::Status UpdateHousehold(grpc::ServerContext* ctx, const v1::UpdateHouseholdRequest* req,
                               v1::Household* resp) override;
  grpc::Status CreateCadre(grpc::ServerContext* ctx, const v1::CreateCadreRequest* req,
                           v1::Cadre* resp) override;
  grpc::Status GetCadre(grpc::ServerContext* ctx, const v1::GetCadreRequest* req,
                        v1::Cadre* resp) override;
  grpc::Status ListCadres(grpc::ServerContext* ctx, const v1::ListCadresRequest* req,
                          v1::ListCadresResponse* resp) override;
  grpc::Status UpdateCadre(grpc::ServerContext* ctx, const v1::UpdateCadreRequest* req,
                           v1::Cadre* resp) override;
  grpc::Status PostCadre(grpc::ServerContext* ctx, const v1::PostCadreRequest* req,
                         v1::Posting* resp) override;
  grpc::Status EndPosting(grpc::ServerContext* ctx, const v1::EndPostingRequest* req,
                          v1::Posting* resp) override;
  grpc::Status ListPostings(grpc::ServerContext* ctx, const v1::ListPostingsRequest* req,
                            v1::ListPostingsResponse* resp) override;
  grpc::Status PairCadreWithHousehold(grpc::ServerContext* ctx,
                                      const v1::PairCadreWithHouseholdRequest* req,
                                      v1::Pairing* resp) override;
  grpc::Status UnpairCadre(grpc::ServerContext* ctx, const v1::UnpairCadreRequest* req,
                           v1::Pairing* resp) override;
  grpc::Status ListPairings(grpc::ServerContext* ctx, const v1::ListPairingsRequest* req,
                            v1::ListPairingsResponse* resp) override;
  grpc::Status RecordCheckIn(grpc::ServerContext* ctx, const v1::RecordCheckInRequest* req,
                             v1::CheckIn* resp) override;
  grpc::Status GetAttendance(grpc::ServerContext* ctx, const v1::GetAttendanceRequest* req,
                             v1::Attendance* resp) override;
  grpc::Status GetCoverage(grpc::ServerContext* ctx, const v1::GetCoverageRequest* req,
                           v1::Coverage* resp) override;

 private:
  PersonnelLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace tuopin::personnel
