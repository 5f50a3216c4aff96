#include "tests/support/fake_task_directory.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "grpcpp/support/status.h"

namespace tuopin::testing {

namespace tv1 = tuopin::tasks::v1;

void FakeTaskDirectory::AddCampaign(const std::string& id, const std::string& region) {
  tv1::Campaign& c = campaigns[id];
  c.set_id(id);
  c.set_region_code(region);
  c.set_current_stage(tv1::STAGE_FIX_SHORTCOMINGS);
}

absl::StatusOr<tv1::Campaign> FakeTaskDirectory::GetCampaign(const std::string& id) {
  auto it = campaigns.find(id);
  if (it == campaigns.end())
    return absl::NotFoundError(absl::StrCat("campaign ", id, " not found"));
  return it->second;
}

absl::StatusOr<tv1::BatchCreateTasksResponse> FakeTaskDirectory::BatchCreateTasks(
    const std::string& request_id, const std::vector<tv1::Task>& batch) {
  for (const auto& task : batch) created.emplace_back(request_id, task);
  if (auto it = batch_answers_.find(request_id); it != batch_answers_.end()) return it->second;
  // As the tasks service answers accountability: one refused task is the call's error,
  // nothing is created and nothing recorded (a retry is asked again).
  if (refuse_index >= 0 && refuse_index < static_cast<int>(batch.size())) {
    return common::FromGrpcStatus(grpc::Status(static_cast<grpc::StatusCode>(refusal.code()),
                                               refusal.message(), refusal.SerializeAsString()));
  }
  tv1::BatchCreateTasksResponse answer;
  for (const auto& task : batch) {
    tv1::Task t = task;
    t.set_id(absl::StrCat("task-", tasks.size() + 1));
    t.set_status(tv1::TASK_STATUS_OPEN);
    if (!move_to_village.empty()) t.set_village_code(move_to_village);
    tasks[t.id()] = t;
    *answer.add_results()->mutable_task() = t;
  }
  int created_count = 0;
  for (const auto& r : answer.results()) created_count += r.has_task();
  answer.set_created_count(created_count);
  batch_answers_[request_id] = answer;
  return answer;
}

absl::StatusOr<tv1::Task> FakeTaskDirectory::GetTask(const std::string& id) {
  auto it = tasks.find(id);
  if (it == tasks.end()) return absl::NotFoundError(absl::StrCat("task ", id, " not found"));
  return it->second;
}

absl::StatusOr<tv1::Task> FakeTaskDirectory::ReopenTask(const std::string& request_id,
                                                        const std::string& task_id,
                                                        const std::string& reason) {
  reopen_request_ids.push_back(request_id);
  if (auto it = reopen_answers_.find(request_id); it != reopen_answers_.end()) return it->second;
  if (fail_reopen.erase(task_id) > 0) return absl::UnavailableError("tasks is restarting");
  auto it = tasks.find(task_id);
  if (it == tasks.end()) return absl::NotFoundError(absl::StrCat("task ", task_id, " not found"));
  tv1::Task& t = it->second;
  if (t.status() != tv1::TASK_STATUS_COMPLETED && t.status() != tv1::TASK_STATUS_VERIFIED)
    return absl::FailedPreconditionError("cannot reopen");
  // The real service requires a reason (1-500 characters).
  if (reason.empty()) return absl::InvalidArgumentError("reason is required");
  t.set_status(tv1::TASK_STATUS_IN_PROGRESS);
  t.set_reopen_count(t.reopen_count() + 1);
  ++reopens_applied[task_id];
  reopen_answers_[request_id] = t;
  return t;
}

}  // namespace tuopin::testing
