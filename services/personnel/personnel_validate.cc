#include "services/personnel/personnel_validate.h"

#include "common/status.h"
#include "common/validate.h"

// Single-field limits are declared on the fields of personnel.proto and checked from the
// descriptors (common/field_limits.h) before these rules: here is only what one field
// cannot say.
namespace tuopin::personnel {
namespace {

using common::FieldViolations;

void ValidateMask(const google::protobuf::FieldMask& mask, FieldViolations& v) {
  if (mask.paths().empty()) v.Add("update_mask", "names no field to update");
  if (mask.paths_size() > 20) v.Add("update_mask", "names more than 20 paths");
}

}  // namespace

absl::Status Validate(const v1::ImportRegionsRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetRegionRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListRegionsRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::CreateHouseholdRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetHouseholdRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListHouseholdsRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::UpdateHouseholdRequest& r) {
  FieldViolations v;
  ValidateMask(r.update_mask(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::CreateCadreRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetCadreRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListCadresRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::UpdateCadreRequest& r) {
  FieldViolations v;
  ValidateMask(r.update_mask(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::PostCadreRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::EndPostingRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::ListPostingsRequest& r) {
  if (r.scope_case() != v1::ListPostingsRequest::SCOPE_NOT_SET) return absl::OkStatus();
  return common::InvalidField("scope", "set cadre_id or region_code");
}

absl::Status Validate(const v1::PairCadreWithHouseholdRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::UnpairCadreRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::ListPairingsRequest& r) {
  if (r.scope_case() != v1::ListPairingsRequest::SCOPE_NOT_SET) return absl::OkStatus();
  return common::InvalidField("scope", "set cadre_id, household_id or region_code");
}

absl::Status Validate(const v1::RecordCheckInRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::GetAttendanceRequest& r) {
  FieldViolations v;
  FieldViolations ignored;  // the limits report a bad date
  auto from = common::ValidateDate("from_date", r.from_date(), ignored);
  auto to = common::ValidateDate("to_date", r.to_date(), ignored);
  if (from && to) {
    if (*to < *from) v.Add("to_date", "must not be before from_date");
    if (*to - *from > 365) v.Add("to_date", "the period must be at most 366 days");
  }
  return v.ToStatus();
}

absl::Status Validate(const v1::GetCoverageRequest& r) {
  if (r.counts_only() && r.stale_check_in_days() != 0 && r.stale_check_in_days() != 14)
    return common::InvalidField("stale_check_in_days", "must be 0 (14 days) with counts_only");
  return absl::OkStatus();
}

}  // namespace tuopin::personnel
