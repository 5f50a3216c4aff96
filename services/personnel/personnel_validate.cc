#include "services/personnel/personnel_validate.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
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

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

bool MaskNames(const google::protobuf::FieldMask& mask, absl::string_view path) {
  for (const auto& p : mask.paths()) {
    if (p == path) return true;
  }
  return false;
}

}  // namespace

bool IsValidIdCardNumber(absl::string_view id) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  if (id.size() != 18 || !AllDigits(id.substr(0, 17))) return false;
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  return id[17] == kCheck[sum % 11];
}

void ValidateHouseholdPeople(const v1::Household& h, absl::string_view prefix, FieldViolations& v) {
  const std::string& number = h.national_household_number();
  if (!number.empty() && !AllDigits(number)) {
    v.Add(absl::StrCat(prefix, ".national_household_number"), "must be digits only");
  }
  if (h.members_size() > 0 && h.member_count() != h.members_size()) {
    v.Add(absl::StrCat(prefix, ".members"),
          absl::StrCat("holds ", h.members_size(), " members but member_count is ",
                       h.member_count(), "; they must be equal"));
  }
  for (int i = 0; i < h.members_size(); ++i) {
    const v1::Member& m = h.members(i);
    std::string at = absl::StrCat(prefix, ".members[", i, "]");
    if (!m.id_card_number().empty() && !IsValidIdCardNumber(m.id_card_number())) {
      v.Add(absl::StrCat(at, ".id_card_number"),
            "is not a valid resident identity card number (17 digits and a check digit 0-9 "
            "or X that matches them)");
    }
    const std::string& phone = m.phone();
    if (!phone.empty() && (phone.size() != 11 || phone[0] != '1' || !AllDigits(phone))) {
      v.Add(absl::StrCat(at, ".phone"), "must be 11 digits starting with 1");
    }
  }
}

absl::Status Validate(const v1::ImportRegionsRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetRegionRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListRegionsRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::CreateHouseholdRequest& r) {
  FieldViolations v;
  ValidateHouseholdPeople(r.household(), "household", v);
  return v.ToStatus();
}
absl::Status Validate(const v1::GetHouseholdRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListHouseholdsRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetHouseholdHistoryRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::UpdateHouseholdRequest& r) {
  FieldViolations v;
  ValidateMask(r.update_mask(), v);
  if (MaskNames(r.update_mask(), "members")) {
    // Only the members are read here: the count they must match is the household's after
    // the update (PersonnelLogic::UpdateHousehold checks it).
    v1::Household people;
    *people.mutable_members() = r.household().members();
    people.set_member_count(r.household().members_size());
    ValidateHouseholdPeople(people, "household", v);
  }
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
