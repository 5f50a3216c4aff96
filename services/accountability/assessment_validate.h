#pragma once
// The rules of AssessmentService's requests that no single field's limits can say: none so
// far (every rule of the requests is a limit in assessment.proto, checked first by the
// frame; the rules about the assessment's state are in assessment_logic). The overloads
// exist so the frame, the fuzz table and a future cross-field rule have one place.

#include "absl/status/status.h"
#include "tuopin/accountability/v1/assessment.pb.h"

namespace tuopin::accountability {

absl::Status Validate(const v1::CreateAssessmentRequest& r);
absl::Status Validate(const v1::GetAssessmentRequest& r);
absl::Status Validate(const v1::ListAssessmentsRequest& r);
absl::Status Validate(const v1::RevealAssessmentSampleRequest& r);
absl::Status Validate(const v1::GetAssessmentSampleRequest& r);
absl::Status Validate(const v1::RecordAssessmentVisitRequest& r);
absl::Status Validate(const v1::ListAssessmentVisitsRequest& r);
absl::Status Validate(const v1::FinalizeAssessmentRequest& r);

}  // namespace tuopin::accountability
