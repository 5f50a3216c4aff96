#pragma once
// The rules of PersonnelService's requests that no single field's limits can say (a
// required scope, a period's order, a mask). The limits themselves are declared in
// personnel.proto and checked first by the frame (common/field_limits.h);
// common::ValidateRequest(r, Validate) runs both. INVALID_ARGUMENT naming each bad field.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::personnel {

// A resident identity card number (GB 11643-1999): 17 digits and the check digit
// (0-9 or X) of their weighted sum modulo 11.
bool IsValidIdCardNumber(absl::string_view id);

// What a household's national number and members must be beyond their fields' limits
// (digits, the id-card check digit, the phone's shape, member_count equal to the number of
// members when any are given), added to `v` under `prefix` ("household"). The messages
// never hold the values: they are personal data.
void ValidateHouseholdPeople(const v1::Household& h, absl::string_view prefix,
                             common::FieldViolations& v);

absl::Status Validate(const v1::ImportRegionsRequest& r);
absl::Status Validate(const v1::GetRegionRequest& r);
absl::Status Validate(const v1::ListRegionsRequest& r);
// The villages of one township, each named once (region_changes.cc; the logic checks again).
absl::Status Validate(const v1::MergeVillagesRequest& r);
absl::Status Validate(const v1::SplitVillageRequest& r);
absl::Status Validate(const v1::CreateHouseholdRequest& r);
absl::Status Validate(const v1::GetHouseholdRequest& r);
absl::Status Validate(const v1::ListHouseholdsRequest& r);
absl::Status Validate(const v1::GetHouseholdHistoryRequest& r);
absl::Status Validate(const v1::UpdateHouseholdRequest& r);
// Accepts every page: its rows' rules are decided row by row (household_import.cc).
absl::Status Validate(const v1::ImportHouseholdsRequest& r);
// The same, its rows checked one by one (household_diff.cc).
absl::Status Validate(const v1::DiffHouseholdsRequest& r);
absl::Status Validate(const v1::CreateCadreRequest& r);
absl::Status Validate(const v1::GetCadreRequest& r);
absl::Status Validate(const v1::ListCadresRequest& r);
absl::Status Validate(const v1::UpdateCadreRequest& r);
absl::Status Validate(const v1::PostCadreRequest& r);
absl::Status Validate(const v1::EndPostingRequest& r);
absl::Status Validate(const v1::ListPostingsRequest& r);
absl::Status Validate(const v1::PairCadreWithHouseholdRequest& r);
absl::Status Validate(const v1::UnpairCadreRequest& r);
absl::Status Validate(const v1::ListPairingsRequest& r);
absl::Status Validate(const v1::RecordCheckInRequest& r);
absl::Status Validate(const v1::GetAttendanceRequest& r);
absl::Status Validate(const v1::GetCoverageRequest& r);

}  // namespace tuopin::personnel
