#pragma once
// Request validation for AuditLog against the limits documented in auditlog.proto.

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
