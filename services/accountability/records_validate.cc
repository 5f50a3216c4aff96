#include "services/accountability/records_validate.h"

#include "common/status.h"
#include "common/validate.h"

// Single-field limits are declared on the fields of accountability.proto and checked from
// the descriptors (common/field_limits.h) before these rules: here is only what one field
// cannot say (a subject or target named one way or the other, a period's order).
namespace tuopin::accountability {
namespace {

using common::FieldViolations;

void ValidateSubject(const std::string& field, const v1::Subject& s, FieldViolations& v) {
  if (s.subject_case() == v1::Subject::SUBJECT_NOT_SET) v.Add(field, "set cadre_id or department");
}

}  // namespace

absl::Status Validate(const v1::CreateInspectionRequest& r) {
  const auto& in = r.inspection();
  FieldViolations ignored;  // the limits report a bad date
  auto start = common::ValidateDate("inspection.start_date", in.start_date(), ignored);
  auto end = common::ValidateDate("inspection.end_date", in.end_date(), ignored);
  if (start && end && *end < *start)
    return common::InvalidField("inspection.end_date", "must not be before start_date");
  return absl::OkStatus();
}

absl::Status Validate(const v1::GetInspectionRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::RevealSampleRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::RecordVisitRequest& r) {
  if (r.target_case() == v1::RecordVisitRequest::TARGET_NOT_SET)
    return common::InvalidField("target", "set household_id or unit_name");
  return absl::OkStatus();
}

absl::Status Validate(const v1::CreateFindingRequest& r) {
  FieldViolations v;
  ValidateSubject("finding.subject", r.finding().subject(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::SummarizeRegionRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListFindingsRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::IssueRectificationOrderRequest& r) {
  FieldViolations v;
  ValidateSubject("responsible", r.responsible(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::SubmitRectificationRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::VerifyRectificationRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::RejectRectificationRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListRectificationOrdersRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::RecordAccountabilityActionRequest& r) {
  FieldViolations v;
  ValidateSubject("action.subject", r.action().subject(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListAccountabilityActionsRequest&) { return absl::OkStatus(); }

}  // namespace tuopin::accountability
