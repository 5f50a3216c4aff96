#include "common/personnel_client.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status.h"
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
    if (known_villages_.contains(code)) return absl::OkStatus();
  }
  pv1::GetRegionRequest req;
  req.set_code(code);
  pv1::Region region;
  grpc::Status st = pv1::PersonnelService::NewStub(client_.channel())
                        ->GetRegion(client_.Context().get(), req, &region);
  if (!st.ok()) return AsArgument(st, "task.village_code", "village");
  if (region.level() != pv1::REGION_LEVEL_VILLAGE)
    return InvalidField("task.village_code", "is not a village");
  absl::MutexLock lock(&mu_);
  if (known_villages_.size() >= kMaxKnownVillages) known_villages_.clear();
  known_villages_.insert(code);
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

absl::StatusOr<std::vector<std::string>> GatewayPersonnelDirectory::RegisteredHouseholds(
    const std::string& region_code) {
  pv1::ListHouseholdsRequest req;
  req.set_region_code(region_code);
  req.set_status(pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  req.set_page_size(1000);
  std::vector<std::string> ids;
  auto stub = pv1::PersonnelService::NewStub(client_.channel());
  for (int page = 0; page < 10000; ++page) {
    pv1::ListHouseholdsResponse resp;
    grpc::Status st = stub->ListHouseholds(client_.Context(absl::Seconds(30)).get(), req, &resp);
    if (!st.ok()) return AsArgument(st, "inspection.target_region_codes", "region");
    for (const auto& h : resp.households()) ids.push_back(h.id());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace tuopin::common
