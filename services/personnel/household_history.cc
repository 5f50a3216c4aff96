// Household history: the as_of reads of GetHousehold and ListHouseholds and
// GetHouseholdHistory, over the versions the store records with every household write
// (PersonnelTx). Scope is judged on the village of the version read; personal data is
// masked as in the reads of the present.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/personnel/personnel_logic.h"

namespace tuopin::personnel {

std::optional<absl::Time> PersonnelLogic::PastAsOf(bool has_as_of,
                                                   const google::protobuf::Timestamp& as_of) const {
  if (!has_as_of) return std::nullopt;
  absl::Time at = common::FromTimestamp(as_of);
  // A time after now reads the present (the current row, not its version).
  if (at >= clock_.Now()) return std::nullopt;
  return at;
}

absl::StatusOr<v1::Household> PersonnelLogic::LoadHouseholdAsOf(const Principal& p,
                                                                const std::string& id,
                                                                absl::Time at) {
  TUOPIN_ASSIGN_OR_RETURN(auto version, store_.GetHouseholdVersion(id, at));
  if (!version.has_value()) {
    // Not yet created (or not yet in the history) then: the household of now decides what
    // the caller is told, so this says nothing to a caller who may not see it now.
    TUOPIN_RETURN_IF_ERROR(LoadHousehold(p, id).status());
    return common::WithReason(absl::NotFoundError(absl::StrCat(
                                  "household ", id, " has no version at ",
                                  absl::FormatTime(absl::RFC3339_full, at, absl::UTCTimeZone()))),
                              common::ErrorReason::NOT_FOUND);
  }
  TUOPIN_RETURN_IF_ERROR(common::RequireRegion(p, version->household().village_code(),
                                               absl::StrCat("households/", id)));
  return std::move(*version->mutable_household());
}

absl::StatusOr<std::vector<v1::Household>> PersonnelLogic::ListHouseholdsAsOf(
    const std::string& region_prefix, int status, absl::Time at, const PageRequest& page) {
  TUOPIN_ASSIGN_OR_RETURN(auto versions,
                          store_.ListHouseholdVersions(region_prefix, status, at, page));
  std::vector<v1::Household> out;
  out.reserve(versions.size());
  for (auto& v : versions) out.push_back(std::move(*v.mutable_household()));
  return out;
}

absl::Status PersonnelLogic::GetHouseholdHistory(const Principal& p,
                                                 const v1::GetHouseholdHistoryRequest& req,
                                                 v1::GetHouseholdHistoryResponse& out) {
  // The caller must see the household now; of its versions, those in a village outside the
  // caller's scope (before a merger or split moved it) are left out.
  TUOPIN_RETURN_IF_ERROR(LoadHousehold(p, req.household_id()).status());
  TUOPIN_ASSIGN_OR_RETURN(PageRequest page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.GetHouseholdHistory(req.household_id(), page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::HouseholdVersion& v) {
        return std::vector<std::string>{absl::StrCat(v.version())};
      },
      out.mutable_versions(), out.mutable_next_page_token());
  auto* versions = out.mutable_versions();
  versions->erase(
      std::remove_if(versions->begin(), versions->end(),
                     [&](const v1::HouseholdVersion& v) {
                       return !common::RequireRegion(p, v.household().village_code(), "").ok();
                     }),
      versions->end());
  if (!SeesPersonalData(p)) {
    for (v1::HouseholdVersion& v : *versions) MaskPersonalData(*v.mutable_household());
  }
  return absl::OkStatus();
}

}  // namespace tuopin::personnel
