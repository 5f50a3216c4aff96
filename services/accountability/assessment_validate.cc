#include "services/accountability/assessment_validate.h"

namespace tuopin::accountability {

absl::Status Validate(const v1::CreateAssessmentRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetAssessmentRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListAssessmentsRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::RevealAssessmentSampleRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetAssessmentSampleRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::RecordAssessmentVisitRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListAssessmentVisitsRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::FinalizeAssessmentRequest&) { return absl::OkStatus(); }

}  // namespace tuopin::accountability
