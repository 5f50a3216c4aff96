#pragma once
// The rules of TaskService's requests that no single field's limits can say. The limits
// are declared in tasks.proto and checked first by the frame (common/field_limits.h);
// common::ValidateRequest(r, Validate) runs both.

#include "absl/status/status.h"
#include "tuopin/tasks/v1/tasks.pb.h"

namespace tuopin::tasks {

absl::Status Validate(const v1::CreateCampaignRequest& r);
absl::Status Validate(const v1::GetCampaignRequest& r);
absl::Status Validate(const v1::CreateTaskRequest& r);
absl::Status Validate(const v1::BatchCreateTasksRequest& r);
absl::Status Validate(const v1::GetTaskRequest& r);
absl::Status Validate(const v1::ListTasksRequest& r);
absl::Status Validate(const v1::UpdateTaskRequest& r);
absl::Status Validate(const v1::ReportProgressRequest& r);
absl::Status Validate(const v1::CompleteTaskRequest& r);
absl::Status Validate(const v1::VerifyTaskRequest& r);
absl::Status Validate(const v1::ReopenTaskRequest& r);
absl::Status Validate(const v1::CancelTaskRequest& r);
absl::Status Validate(const v1::ListEscalationsRequest& r);
absl::Status Validate(const v1::GetSectorProgressRequest& r);
absl::Status Validate(const v1::GetStageGateRequest& r);

}  // namespace tuopin::tasks
