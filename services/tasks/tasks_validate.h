#pragma once
// Request validation for TaskService against the limits documented in tasks.proto.

#include "absl/status/status.h"
#include "tuopin/tasks/v1/tasks.pb.h"

namespace tuopin::tasks {


absl::Status Validate(const v1::CreateCampaignRequest& r);
absl::Status Validate(const v1::GetCampaignRequest& r);
absl::Status Validate(const v1::CreateTaskRequest& r);
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
