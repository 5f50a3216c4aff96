#include "services/tasks/tasks_validate.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

// Single-field limits are declared on the fields of tasks.proto and checked from the
// descriptors (common/field_limits.h) before these rules: here is only what one field
// cannot say.
namespace tuopin::tasks {

using common::FieldViolations;

absl::Status Validate(const v1::CreateCampaignRequest& r) {
  const auto& c = r.campaign();
  if (!c.stage_days().empty() && c.stage_days_size() != 3)
    return common::InvalidField("campaign.stage_days", "must hold three lengths (or none)");
  return absl::OkStatus();
}

absl::Status Validate(const v1::GetCampaignRequest&) { return absl::OkStatus(); }

namespace {
// A task is a household's or a village's, and someone's.
void ValidateNewTask(const v1::Task& t, const std::string& prefix, FieldViolations& v) {
  if (t.household_id().empty() && t.village_code().empty())
    v.Add(prefix + ".village_code", "is required");
  if (t.assignee_case() == v1::Task::ASSIGNEE_NOT_SET)
    v.Add(prefix + ".assignee", "set assignee_cadre_id or assignee_department");
}
}  // namespace

absl::Status Validate(const v1::CreateTaskRequest& r) {
  FieldViolations v;
  ValidateNewTask(r.task(), "task", v);
  return v.ToStatus();
}

absl::Status Validate(const v1::BatchCreateTasksRequest& r) {
  FieldViolations v;
  for (int i = 0; i < r.tasks_size(); ++i)
    ValidateNewTask(r.tasks(i), absl::StrCat("tasks[", i, "]"), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::GetTaskRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListTasksRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::UpdateTaskRequest& r) {
  if (r.update_mask().paths().empty())
    return common::InvalidField("update_mask", "names no field to update");
  return absl::OkStatus();
}

absl::Status Validate(const v1::ReportProgressRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::CompleteTaskRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::VerifyTaskRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ReopenTaskRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::CancelTaskRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListEscalationsRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetSectorProgressRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetStageGateRequest&) { return absl::OkStatus(); }

}  // namespace tuopin::tasks
