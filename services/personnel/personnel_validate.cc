#include "services/personnel/personnel_validate.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::personnel {
namespace {

using common::FieldViolations;
using common::ValidateEnum;
using common::ValidateId;
using common::ValidateRange;
using common::ValidateRegionCode;
using common::ValidateRequestId;
using common::ValidateText;

constexpr int64_t kMaxIncomeFen = 1'000'000'000;

bool Masked(const google::protobuf::FieldMask& mask, absl::string_view path) {
  for (const auto& p : mask.paths()) {
    if (p == path || (path == "indicators" && p.rfind("indicators.", 0) == 0)) return true;
  }
  return false;
}

void ValidateHouseholdFields(const v1::Household& h, const google::protobuf::FieldMask* mask,
                             FieldViolations& v) {
  auto check = [&](absl::string_view path) { return mask == nullptr || Masked(*mask, path); };
  if (check("head_name")) ValidateText("household.head_name", h.head_name(), 1, 64, v);
  if (check("member_count")) ValidateRange("household.member_count", h.member_count(), 1, 30, v);
  if (check("status"))
    ValidateEnum("household.status", h.status(), v1::HouseholdStatus_descriptor(), v);
  if (check("income_per_head_fen")) {
    ValidateRange("household.income_per_head_fen", h.income_per_head_fen(), 0, kMaxIncomeFen, v);
  }
}

void ValidateEmployeeNumber(const std::string& n, FieldViolations& v) {
  bool ok = !n.empty() && n.size() <= 32;
  for (char c : n) ok = ok && (absl::ascii_isalnum(c) || c == '-');
  if (!ok) v.Add("cadre.employee_number", "must be 1-32 characters of [A-Za-z0-9-]");
}

void ValidateCadreFields(const v1::Cadre& c, const google::protobuf::FieldMask* mask,
                         FieldViolations& v) {
  auto check = [&](absl::string_view path) { return mask == nullptr || Masked(*mask, path); };
  if (check("name")) ValidateText("cadre.name", c.name(), 1, 64, v);
  if (check("origin_level")) {
    ValidateEnum("cadre.origin_level", c.origin_level(), v1::OriginLevel_descriptor(), v);
  }
  if (check("dispatching_unit"))
    ValidateText("cadre.dispatching_unit", c.dispatching_unit(), 1, 128, v);
  if (check("home_region_code"))
    ValidateRegionCode("cadre.home_region_code", c.home_region_code(), v, 9, 12);
}

void ValidateMask(const google::protobuf::FieldMask& mask, FieldViolations& v) {
  if (mask.paths().empty()) v.Add("update_mask", "names no field to update");
  if (mask.paths_size() > 20) v.Add("update_mask", "names more than 20 paths");
}

}  // namespace

absl::Status Validate(const v1::ImportRegionsRequest& r) {
  FieldViolations v;
  ValidateRequestId(r.request_id(), v);
  if (r.regions().empty() || r.regions_size() > 1000) v.Add("regions", "must hold 1-1000 regions");
  for (int i = 0; i < r.regions_size() && i < 1000; ++i) {
    ValidateRegionCode(absl::StrCat("regions[", i, "].code"), r.regions(i).code(), v);
    ValidateText(absl::StrCat("regions[", i, "].name"), r.regions(i).name(), 1, 128, v);
  }
  return v.ToStatus();
}

absl::Status Validate(const v1::GetRegionRequest& r) {
  FieldViolations v;
  ValidateRegionCode("code", r.code(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListRegionsRequest& r) {
  FieldViolations v;
  if (!r.parent_code().empty()) ValidateRegionCode("parent_code", r.parent_code(), v);
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::CreateHouseholdRequest& r) {
  FieldViolations v;
  ValidateRequestId(r.request_id(), v);
  ValidateRegionCode("household.village_code", r.household().village_code(), v, 12, 12);
  ValidateHouseholdFields(r.household(), nullptr, v);
  return v.ToStatus();
}

absl::Status Validate(const v1::GetHouseholdRequest& r) {
  FieldViolations v;
  ValidateId("id", r.id(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListHouseholdsRequest& r) {
  FieldViolations v;
  ValidateRegionCode("region_code", r.region_code(), v);
  if (r.status() != 0) ValidateEnum("status", r.status(), v1::HouseholdStatus_descriptor(), v);
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::UpdateHouseholdRequest& r) {
  FieldViolations v;
  ValidateRequestId(r.request_id(), v);
  ValidateId("household.id", r.household().id(), v);
  if (r.household().etag().size() > 64) v.Add("household.etag", "must be at most 64 bytes");
  ValidateMask(r.update_mask(), v);
  ValidateHouseholdFields(r.household(), &r.update_mask(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::CreateCadreRequest& r) {
  FieldViolations v;
  ValidateRequestId(r.request_id(), v);
  ValidateEmployeeNumber(r.cadre().employee_number(), v);
  ValidateCadreFields(r.cadre(), nullptr, v);
  ValidateRegionCode("cadre.managing_region_code", r.cadre().managing_region_code(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::GetCadreRequest& r) {
  FieldViolations v;
  ValidateId("id", r.id(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListCadresRequest& r) {
  FieldViolations v;
  ValidateRegionCode("region_code", r.region_code(), v);
  if (r.origin_level() != 0)
    ValidateEnum("origin_level", r.origin_level(), v1::OriginLevel_descriptor(), v);
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::UpdateCadreRequest& r) {
  FieldViolations v;
  ValidateRequestId(r.request_id(), v);
  ValidateId("cadre.id", r.cadre().id(), v);
  if (r.cadre().etag().size() > 64) v.Add("cadre.etag", "must be at most 64 bytes");
  ValidateMask(r.update_mask(), v);
  ValidateCadreFields(r.cadre(), &r.update_mask(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::PostCadreRequest& r) {
  FieldViolations v;
  ValidateRequestId(r.request_id(), v);
  ValidateId("cadre_id", r.cadre_id(), v);
  ValidateRegionCode("village_code", r.village_code(), v, 12, 12);
  ValidateEnum("role", r.role(), v1::PostingRole_descriptor(), v);
  common::ValidateDate("start_date", r.start_date(), v);
  if (!r.home_waiver().empty()) ValidateText("home_waiver", r.home_waiver(), 1, 1000, v);
  return v.ToStatus();
}

absl::Status Validate(const v1::EndPostingRequest& r) {
  FieldViolations v;
  ValidateRequestId(r.request_id(), v);
  ValidateId("posting_id", r.posting_id(), v);
  ValidateText("reason", r.reason(), 1, 500, v);
  common::ValidateDate("end_date", r.end_date(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListPostingsRequest& r) {
  FieldViolations v;
  switch (r.scope_case()) {
    case v1::ListPostingsRequest::kCadreId:
      ValidateId("cadre_id", r.cadre_id(), v);
      break;
    case v1::ListPostingsRequest::kRegionCode:
      ValidateRegionCode("region_code", r.region_code(), v);
      break;
    default:
      v.Add("scope", "set cadre_id or region_code");
  }
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::PairCadreWithHouseholdRequest& r) {
  FieldViolations v;
  ValidateRequestId(r.request_id(), v);
  ValidateId("cadre_id", r.cadre_id(), v);
  ValidateId("household_id", r.household_id(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::UnpairCadreRequest& r) {
  FieldViolations v;
  ValidateRequestId(r.request_id(), v);
  ValidateId("pairing_id", r.pairing_id(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListPairingsRequest& r) {
  FieldViolations v;
  switch (r.scope_case()) {
    case v1::ListPairingsRequest::kCadreId:
      ValidateId("cadre_id", r.cadre_id(), v);
      break;
    case v1::ListPairingsRequest::kHouseholdId:
      ValidateId("household_id", r.household_id(), v);
      break;
    case v1::ListPairingsRequest::kRegionCode:
      ValidateRegionCode("region_code", r.region_code(), v);
      break;
    default:
      v.Add("scope", "set cadre_id, household_id or region_code");
  }
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::RecordCheckInRequest& r) {
  FieldViolations v;
  ValidateRequestId(r.request_id(), v);
  ValidateId("cadre_id", r.cadre_id(), v);
  ValidateRegionCode("village_code", r.village_code(), v, 12, 12);
  if (!r.has_time()) {
    v.Add("time", "is required");
  } else {
    common::ValidateTimestamp("time", r.time(), v);
  }
  ValidateEnum("method", r.method(), v1::CheckInMethod_descriptor(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::GetAttendanceRequest& r) {
  FieldViolations v;
  ValidateId("cadre_id", r.cadre_id(), v);
  auto from = common::ValidateDate("from_date", r.from_date(), v);
  auto to = common::ValidateDate("to_date", r.to_date(), v);
  if (from && to) {
    if (*to < *from) v.Add("to_date", "must not be before from_date");
    if (*to - *from > 365) v.Add("to_date", "the period must be at most 366 days");
  }
  return v.ToStatus();
}

absl::Status Validate(const v1::GetCoverageRequest& r) {
  FieldViolations v;
  ValidateRegionCode("region_code", r.region_code(), v);
  ValidateRange("stale_check_in_days", r.stale_check_in_days(), 0, 90, v);
  if (r.counts_only() && r.stale_check_in_days() != 0 && r.stale_check_in_days() != 14)
    v.Add("stale_check_in_days", "must be 0 (14 days) with counts_only");
  return v.ToStatus();
}

}  // namespace tuopin::personnel
