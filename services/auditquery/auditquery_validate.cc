#include "services/auditquery/auditquery_validate.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"

// Single-field limits are declared on the fields of auditquery.proto and checked from the
// descriptors (common/field_limits.h) before these rules: here is only what one field
// cannot say (a bundle's period).
namespace tuopin::auditquery {

absl::Status Validate(const v1::GetEntityHistoryRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetCadreDossierRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::TraceFundsRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetRectificationStatusRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetScorecardRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetAssessmentReportRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::ExportAuditBundleRequest& r) {
  common::FieldViolations ignored;  // the limits report a bad date
  auto from = common::ValidateDate("from_date", r.from_date(), ignored);
  auto to = common::ValidateDate("to_date", r.to_date(), ignored);
  if (!from.has_value() || !to.has_value()) return absl::OkStatus();
  if (*to < *from) return common::InvalidField("to_date", "must not be before from_date");
  if (*to - *from >= kMaxBundleDays) {
    return common::InvalidField(
        "to_date", absl::StrCat("must be within ", kMaxBundleDays, " days of from_date"));
  }
  return absl::OkStatus();
}

}  // namespace tuopin::auditquery
