#include "services/tasks/tasks_validate.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::tasks {
namespace {

using common::FieldViolations;
using tuopin::common::v1::Sector_descriptor;

void ValidateEvidence(const google::protobuf::RepeatedPtrField<v1::Evidence>& evidence,
                      FieldViolations& v) {
  if (evidence.size() > 20) v.Add("evidence", "must hold at most 20 items");
  for (int i = 0; i < evidence.size() && i < 20; ++i) {
    const auto& e = evidence[i];
    std::string f = absl::StrCat("evidence[", i, "]");
    common::ValidateText(f + ".uri", e.uri(), 1, 2048, v);
    if (!e.uri().empty() && e.uri().find("://") == std::string::npos)
      v.Add(f + ".uri", "must be an absolute URI");
    bool hex = e.sha256_hex().size() == 64;
    for (char c : e.sha256_hex()) hex = hex && (absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'));
    if (!hex) v.Add(f + ".sha256_hex", "must be 64 lower-case hex characters");
  }
}

void ValidateTaskFields(const v1::Task& t, const google::protobuf::FieldMask* mask,
                        FieldViolations& v) {
  auto check = [&](const char* path) {
    if (mask == nullptr) return true;
    for (const auto& p : mask->paths()) {
      if (p == path) return true;
    }
    return false;
  };
  if (check("title")) common::ValidateText("task.title", t.title(), 1, 200, v);
  if (check("description")) common::ValidateText("task.description", t.description(), 0, 4000, v);
  if (check("deadline")) common::ValidateDate("task.deadline", t.deadline(), v);
  if (check("priority"))
    common::ValidateEnum("task.priority", t.priority(), v1::Priority_descriptor(), v);
  if (check("assignee_cadre_id") && mask != nullptr)
    common::ValidateId("task.assignee_cadre_id", t.assignee_cadre_id(), v);
  if (check("assignee_department") && mask != nullptr) {
    common::ValidateText("task.assignee_department", t.assignee_department(), 1, 128, v);
  }
}

}  // namespace

absl::Status Validate(const v1::CreateCampaignRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  const auto& c = r.campaign();
  common::ValidateRegionCode("campaign.region_code", c.region_code(), v, 2, 6);
  common::ValidateText("campaign.name", c.name(), 1, 128, v);
  common::ValidateDate("campaign.start_date", c.start_date(), v);
  if (!c.stage_days().empty() && c.stage_days_size() != 3)
    v.Add("campaign.stage_days", "must hold three lengths (or none)");
  for (int i = 0; i < c.stage_days_size(); ++i) {
    common::ValidateRange(absl::StrCat("campaign.stage_days[", i, "]"), c.stage_days(i), 1, 1000,
                          v);
  }
  return v.ToStatus();
}

absl::Status Validate(const v1::GetCampaignRequest& r) {
  FieldViolations v;
  common::ValidateId("id", r.id(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::CreateTaskRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  const auto& t = r.task();
  common::ValidateId("task.campaign_id", t.campaign_id(), v);
  common::ValidateEnum("task.stage", t.stage(), v1::Stage_descriptor(), v);
  common::ValidateEnum("task.sector", t.sector(), Sector_descriptor(), v);
  if (t.household_id().empty()) {
    common::ValidateRegionCode("task.village_code", t.village_code(), v, 12, 12);
  } else {
    common::ValidateId("task.household_id", t.household_id(), v);
    if (!t.village_code().empty())
      common::ValidateRegionCode("task.village_code", t.village_code(), v, 12, 12);
  }
  ValidateTaskFields(t, nullptr, v);
  switch (t.assignee_case()) {
    case v1::Task::kAssigneeCadreId:
      common::ValidateId("task.assignee_cadre_id", t.assignee_cadre_id(), v);
      break;
    case v1::Task::kAssigneeDepartment:
      common::ValidateText("task.assignee_department", t.assignee_department(), 1, 128, v);
      break;
    default:
      v.Add("task.assignee", "set assignee_cadre_id or assignee_department");
  }
  common::ValidateId("task.rectification_order_id", t.rectification_order_id(), v,
                     /*required=*/false);
  return v.ToStatus();
}

absl::Status Validate(const v1::GetTaskRequest& r) {
  FieldViolations v;
  common::ValidateId("id", r.id(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListTasksRequest& r) {
  FieldViolations v;
  common::ValidateRegionCode("region_code", r.region_code(), v);
  common::ValidateId("campaign_id", r.campaign_id(), v, false);
  common::ValidateId("assignee_cadre_id", r.assignee_cadre_id(), v, false);
  if (r.sector() != 0) common::ValidateEnum("sector", r.sector(), Sector_descriptor(), v);
  if (r.stage() != 0) common::ValidateEnum("stage", r.stage(), v1::Stage_descriptor(), v);
  if (r.status() != 0) common::ValidateEnum("status", r.status(), v1::TaskStatus_descriptor(), v);
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::UpdateTaskRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("task.id", r.task().id(), v);
  if (r.update_mask().paths().empty()) v.Add("update_mask", "names no field to update");
  ValidateTaskFields(r.task(), &r.update_mask(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ReportProgressRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("task_id", r.task_id(), v);
  common::ValidateRange("percent", r.percent(), 0, 100, v);
  common::ValidateText("note", r.note(), 0, 2000, v);
  ValidateEvidence(r.evidence(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::CompleteTaskRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("task_id", r.task_id(), v);
  ValidateEvidence(r.evidence(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::VerifyTaskRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("task_id", r.task_id(), v);
  common::ValidateText("note", r.note(), 0, 2000, v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ReopenTaskRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("task_id", r.task_id(), v);
  common::ValidateText("reason", r.reason(), 1, 500, v);
  return v.ToStatus();
}

absl::Status Validate(const v1::CancelTaskRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("task_id", r.task_id(), v);
  common::ValidateText("reason", r.reason(), 1, 500, v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListEscalationsRequest& r) {
  FieldViolations v;
  common::ValidateRegionCode("region_code", r.region_code(), v);
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::GetSectorProgressRequest& r) {
  FieldViolations v;
  common::ValidateRegionCode("region_code", r.region_code(), v);
  common::ValidateId("campaign_id", r.campaign_id(), v);
  common::ValidateRange("tolerance_points", r.tolerance_points(), 0, 100, v);
  return v.ToStatus();
}

absl::Status Validate(const v1::GetStageGateRequest& r) {
  FieldViolations v;
  common::ValidateId("campaign_id", r.campaign_id(), v);
  return v.ToStatus();
}

}  // namespace tuopin::tasks
