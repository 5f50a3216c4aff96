#include "common/personnel_client.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "tuopin/personnel/v1/exit.grpc.pb.h"
#include "tuopin/personnel/v1/personnel.grpc.pb.h"

namespace tuopin::common {
namespace {

namespace pv1 = tuopin::personnel::v1;

// Another service's NOT_FOUND or PERMISSION_DENIED about an id the caller gave is a
// problem with the caller's request; anything else is ours (UNAVAILABLE, ...).
absl::Status AsArgument(const grpc::Status& st, absl::string_view field, absl::string_view what) {
  if (st.error_code() == grpc::StatusCode::NOT_FOUND ||
      st.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
      st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return InvalidField(field, absl::StrCat("is not a known ", what));
  }
  return FromGrpcStatus(st);
}

// An object personnel does not know (or an id it refuses as malformed, which names no
// object either) is NOT_FOUND for the caller's logic to answer; anything else is ours.
absl::Status AsLookup(const grpc::Status& st, absl::string_view what, absl::string_view id) {
  if (st.error_code() == grpc::StatusCode::NOT_FOUND ||
      st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return absl::NotFoundError(absl::StrCat(what, " ", id, " not found"));
  }
  return FromGrpcStatus(st);
}

}  // namespace

absl::Status GatewayPersonnelDirectory::CheckVillage(const std::string& code) {
  {
    absl::MutexLock lock(&mu_);
    auto known = known_villages_.find(code);
    if (known != known_villages_.end() && absl::Now() - known->second < kKnownVillageTtl)
      return absl::OkStatus();
  }
  pv1::GetRegionRequest req;
  req.set_code(code);
  pv1::Region region;
  grpc::Status st = pv1::PersonnelService::NewStub(client_.channel())
                        ->GetRegion(client_.Context().get(), req, &region);
  if (!st.ok()) return AsArgument(st, "task.village_code", "village");
  if (region.level() != pv1::REGION_LEVEL_VILLAGE)
    return InvalidField("task.village_code", "is not a village");
  if (region.has_valid_to()) {
    // Merged or split: nothing new goes into it (its successor takes the work).
    return Precondition(
        absl::StrCat("task.village_code: village ", code, " left the tree (merged or split)",
                     region.successor_code().empty()
                         ? ""
                         : absl::StrCat(", into ", region.successor_code())),
        ErrorReason::REGION_RETIRED);
  }
  absl::MutexLock lock(&mu_);
  if (known_villages_.size() >= kMaxKnownVillages) known_villages_.clear();
  known_villages_[code] = absl::Now();
  return absl::OkStatus();
}

absl::StatusOr<std::string> GatewayPersonnelDirectory::HouseholdVillage(
    const std::string& household_id) {
  pv1::GetHouseholdRequest req;
  req.set_id(household_id);
  pv1::Household h;
  grpc::Status st = pv1::PersonnelService::NewStub(client_.channel())
                        ->GetHousehold(client_.Context().get(), req, &h);
  if (!st.ok()) return AsLookup(st, "household", household_id);
  return h.village_code();
}

absl::StatusOr<std::string> GatewayPersonnelDirectory::CadreRegion(const std::string& cadre_id) {
  pv1::GetCadreRequest req;
  req.set_id(cadre_id);
  pv1::Cadre c;
  grpc::Status st =
      pv1::PersonnelService::NewStub(client_.channel())->GetCadre(client_.Context().get(), req, &c);
  if (!st.ok()) return AsLookup(st, "cadre", cadre_id);
  return c.managing_region_code();
}

absl::Status GatewayPersonnelDirectory::SetIndicator(const std::string& household_id,
                                                     const std::string& indicator,
                                                     const std::string& request_id) {
  pv1::UpdateHouseholdRequest req;
  req.set_request_id(request_id);
  req.mutable_household()->set_id(household_id);
  const auto* field = pv1::Indicators::descriptor()->FindFieldByName(indicator);
  if (field == nullptr) return absl::InternalError(absl::StrCat("unknown indicator ", indicator));
  auto* ind = req.mutable_household()->mutable_indicators();
  ind->GetReflection()->SetBool(ind, field, true);
  req.mutable_update_mask()->add_paths(absl::StrCat("indicators.", indicator));
  pv1::Household h;
  return FromGrpcStatus(pv1::PersonnelService::NewStub(client_.channel())
                            ->UpdateHousehold(client_.Context().get(), req, &h));
}

namespace {

// Every household of a region's subtree with `status` (any status when UNSPECIFIED), page
// by page, handed to `add`. `field` names the region in the caller's request.
absl::Status ListAllHouseholds(const GatewayClient& client, const std::string& region_code,
                               pv1::HouseholdStatus status, absl::string_view field,
                               const std::function<void(const pv1::Household&)>& add) {
  pv1::ListHouseholdsRequest req;
  req.set_region_code(region_code);
  req.set_status(status);
  req.set_page_size(1000);
  auto stub = pv1::PersonnelService::NewStub(client.channel());
  for (int page = 0; page < 10000; ++page) {
    pv1::ListHouseholdsResponse resp;
    grpc::Status st = stub->ListHouseholds(client.Context(absl::Seconds(30)).get(), req, &resp);
    if (!st.ok()) return AsArgument(st, field, "region");
    for (const auto& h : resp.households()) add(h);
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> GatewayPersonnelDirectory::RegisteredHouseholds(
    const std::string& region_code) {
  std::vector<std::string> ids;
  TUOPIN_RETURN_IF_ERROR(ListAllHouseholds(
      client_, region_code, pv1::HOUSEHOLD_STATUS_REGISTERED_POOR, "inspection.target_region_codes",
      [&](const pv1::Household& h) { ids.push_back(h.id()); }));
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::Status GatewayPersonnelDirectory::CheckRegion(const std::string& code) {
  pv1::GetRegionRequest req;
  req.set_code(code);
  pv1::Region region;
  grpc::Status st = pv1::PersonnelService::NewStub(client_.channel())
                        ->GetRegion(client_.Context().get(), req, &region);
  if (!st.ok()) return AsLookup(st, "region", code);
  if (region.has_valid_to()) {
    return Precondition(absl::StrCat("region ", code, " left the tree (merged or split)"),
                        ErrorReason::REGION_RETIRED);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<HouseholdRecord>> GatewayPersonnelDirectory::HouseholdsInRegion(
    const std::string& region_code) {
  std::vector<HouseholdRecord> out;
  TUOPIN_RETURN_IF_ERROR(
      ListAllHouseholds(client_, region_code, pv1::HOUSEHOLD_STATUS_UNSPECIFIED, "region_code",
                        [&](const pv1::Household& h) {
                          out.push_back({h.id(), h.village_code(), h.status(), h.member_count()});
                        }));
  std::sort(out.begin(), out.end(),
            [](const HouseholdRecord& a, const HouseholdRecord& b) { return a.id < b.id; });
  return out;
}

absl::StatusOr<pv1::ExitStatus> GatewayPersonnelDirectory::ExitStatus(
    const std::string& region_code, int32_t year) {
  pv1::GetExitStatusRequest req;
  req.set_region_code(region_code);
  req.set_year(year);
  pv1::ExitStatus out;
  grpc::Status st = pv1::ExitCriteriaService::NewStub(client_.channel())
                        ->GetExitStatus(client_.Context(absl::Seconds(30)).get(), req, &out);
  if (!st.ok()) return FromGrpcStatus(st);
  return out;
}

absl::StatusOr<pv1::PovertyStandard> GatewayPersonnelDirectory::PovertyStandard(
    int32_t year, const std::string& province_code) {
  pv1::GetPovertyStandardRequest req;
  req.set_year(year);
  req.set_province_code(province_code);
  pv1::PovertyStandard out;
  grpc::Status st = pv1::ExitCriteriaService::NewStub(client_.channel())
                        ->GetPovertyStandard(client_.Context().get(), req, &out);
  if (!st.ok()) return AsLookup(st, "poverty standard", absl::StrCat(year, "/", province_code));
  return out;
}

absl::StatusOr<pv1::Household> GatewayPersonnelDirectory::ReverseExit(
    const std::string& household_id, const std::string& reference, const std::string& request_id) {
  pv1::ReverseExitRequest req;
  req.set_request_id(request_id);
  req.set_household_id(household_id);
  req.set_reference(reference);
  pv1::Household out;
  grpc::Status st =
      pv1::ExitService::NewStub(client_.channel())->ReverseExit(client_.Context().get(), req, &out);
  if (!st.ok()) return FromGrpcStatus(st);
  return out;
}

}  // namespace tuopin::common
