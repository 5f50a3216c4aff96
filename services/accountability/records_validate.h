#pragma once
// The rules of the accountability records' requests that no single field's limits can say.
// The limits are declared in accountability.proto and checked first by the frame
// (common/field_limits.h); common::ValidateRequest(r, Validate) runs both.

#include "absl/status/status.h"
#include "tuopin/accountability/v1/accountability.pb.h"

namespace tuopin::accountability {

absl::Status Validate(const v1::CreateInspectionRequest& r);
absl::Status Validate(const v1::GetInspectionRequest& r);
absl::Status Validate(const v1::RevealSampleRequest& r);
absl::Status Validate(const v1::RecordVisitRequest& r);
absl::Status Validate(const v1::CreateFindingRequest& r);
absl::Status Validate(const v1::ListFindingsRequest& r);
absl::Status Validate(const v1::IssueRectificationOrderRequest& r);
absl::Status Validate(const v1::SubmitRectificationRequest& r);
absl::Status Validate(const v1::VerifyRectificationRequest& r);
absl::Status Validate(const v1::RejectRectificationRequest& r);
absl::Status Validate(const v1::ListRectificationOrdersRequest& r);
absl::Status Validate(const v1::SummarizeRegionRequest& r);
absl::Status Validate(const v1::RecordAccountabilityActionRequest& r);
absl::Status Validate(const v1::ListAccountabilityActionsRequest& r);

}  // namespace tuopin::accountability
