#pragma once
// The rules of AuditQueryService's requests that no single field's limits can say. The
// limits are declared in auditquery.proto and checked first by the frame
// (common/field_limits.h); common::ValidateRequest(r, Validate) runs both.

#include "absl/status/status.h"
#include "tuopin/auditquery/v1/auditquery.pb.h"

namespace tuopin::auditquery {

// The longest period one bundle exports, in days.
inline constexpr int kMaxBundleDays = 366;

absl::Status Validate(const v1::GetEntityHistoryRequest& r);
absl::Status Validate(const v1::GetCadreDossierRequest& r);
absl::Status Validate(const v1::TraceFundsRequest& r);
absl::Status Validate(const v1::GetRectificationStatusRequest& r);
absl::Status Validate(const v1::GetScorecardRequest& r);
absl::Status Validate(const v1::ExportAuditBundleRequest& r);
absl::Status Validate(const v1::GetAssessmentReportRequest& r);

}  // namespace tuopin::auditquery
