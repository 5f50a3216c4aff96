#pragma once
// The rules of AuditLog's requests that no single field's limits can say. The limits are
// declared in auditlog.proto and checked first by the frame (common/field_limits.h);
// common::ValidateRequest(r, Validate) runs both.

#include "absl/status/status.h"
#include "tuopin/auditlog/v1/auditlog.pb.h"

namespace tuopin::auditlog {

absl::Status Validate(const v1::AppendEventsRequest& r);
absl::Status Validate(const v1::GetCheckpointRequest& r);
absl::Status Validate(const v1::GetPublicKeyRequest& r);
absl::Status Validate(const v1::GetLeavesByRangeRequest& r);
absl::Status Validate(const v1::GetInclusionProofRequest& r);
absl::Status Validate(const v1::GetInclusionProofByEventIdRequest& r);
absl::Status Validate(const v1::GetConsistencyProofRequest& r);
absl::Status Validate(const v1::ListEntityEventsRequest& r);
absl::Status Validate(const v1::GetInclusionProofsRequest& r);
absl::Status Validate(const v1::ListRegionEventsRequest& r);

}  // namespace tuopin::auditlog
