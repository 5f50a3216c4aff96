#pragma once
// The rules of ExitService's and ExitCriteriaService's requests that no single field's
// limits can say. The limits are declared in exit.proto and checked first by the frame
// (common/field_limits.h); common::ValidateRequest(r, Validate) runs both.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tuopin/personnel/v1/exit.pb.h"

namespace tuopin::personnel {

absl::Status Validate(const v1::ProposeExitRequest& r);
// A rejection says why: `note` is required when `approve` is false.
absl::Status Validate(const v1::ReviewExitRequest& r);
absl::Status Validate(const v1::ObjectToExitRequest& r);
absl::Status Validate(const v1::ResolveObjectionRequest& r);
absl::Status Validate(const v1::ConfirmExitRequest& r);
// `reference` names what found the wrongful exit: "findings/<id>" or
// "assessments/<id>/visits/<id>" (who may name an assessment is the logic's rule).
absl::Status Validate(const v1::ReverseExitRequest& r);
// Whether `reference` has one of those two shapes, each id an id (common::IsValidId).
bool IsExitReversalReference(absl::string_view reference);
absl::Status Validate(const v1::GetExitApplicationRequest& r);
absl::Status Validate(const v1::ListExitApplicationsRequest& r);

absl::Status Validate(const v1::SetPovertyStandardRequest& r);
absl::Status Validate(const v1::GetPovertyStandardRequest& r);
absl::Status Validate(const v1::SetVillageProfileRequest& r);
absl::Status Validate(const v1::GetExitStatusRequest& r);

}  // namespace tuopin::personnel
