#include "common/task_client.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "tuopin/tasks/v1/tasks.grpc.pb.h"

namespace tuopin::common {

namespace tv1 = tuopin::tasks::v1;

namespace {

// One call through the gateway. With `named` ("task t-1"), an id task tracking does not
// know, or refuses as malformed, names nothing: NOT_FOUND.
template <typename Response, typename Call>
absl::StatusOr<Response> Ask(const GatewayClient& client, absl::string_view named, Call call) {
  Response out;
  auto stub = tv1::TaskService::NewStub(client.channel());
  grpc::Status st = call(*stub, client.Context().get(), &out);
  if (!named.empty() && (st.error_code() == grpc::StatusCode::NOT_FOUND ||
                         st.error_code() == grpc::StatusCode::INVALID_ARGUMENT)) {
    return absl::NotFoundError(absl::StrCat(named, " not found"));
  }
  if (!st.ok()) return FromGrpcStatus(st);
  return out;
}

}  // namespace

absl::StatusOr<std::string> GatewayTaskClient::TaskVillage(const std::string& task_id) {
  tv1::GetTaskRequest req;
  req.set_id(task_id);
  TUOPIN_ASSIGN_OR_RETURN(tv1::Task task,
                          Ask<tv1::Task>(client_, absl::StrCat("task ", task_id),
                                         [&](auto& stub, auto* ctx, tv1::Task* out) {
                                           return stub.GetTask(ctx, req, out);
                                         }));
  return task.village_code();
}

absl::StatusOr<tv1::Campaign> GatewayTaskClient::GetCampaign(const std::string& campaign_id) {
  tv1::GetCampaignRequest req;
  req.set_id(campaign_id);
  return Ask<tv1::Campaign>(
      client_, absl::StrCat("campaign ", campaign_id),
      [&](auto& stub, auto* ctx, tv1::Campaign* out) { return stub.GetCampaign(ctx, req, out); });
}

absl::StatusOr<tv1::BatchCreateTasksResponse> GatewayTaskClient::BatchCreateTasks(
    const std::string& request_id, const std::vector<tv1::Task>& tasks) {
  tv1::BatchCreateTasksRequest req;
  req.set_request_id(request_id);
  for (const auto& t : tasks) *req.add_tasks() = t;
  return Ask<tv1::BatchCreateTasksResponse>(
      client_, "", [&](auto& stub, auto* ctx, tv1::BatchCreateTasksResponse* out) {
        return stub.BatchCreateTasks(ctx, req, out);
      });
}

absl::StatusOr<tv1::Task> GatewayTaskClient::GetTask(const std::string& task_id) {
  tv1::GetTaskRequest req;
  req.set_id(task_id);
  return Ask<tv1::Task>(client_, "", [&](auto& stub, auto* ctx, tv1::Task* out) {
    return stub.GetTask(ctx, req, out);
  });
}

absl::StatusOr<tv1::Task> GatewayTaskClient::ReopenTask(const std::string& request_id,
                                                        const std::string& task_id,
                                                        const std::string& reason) {
  tv1::ReopenTaskRequest req;
  req.set_request_id(request_id);
  req.set_task_id(task_id);
  req.set_reason(reason);
  return Ask<tv1::Task>(client_, "", [&](auto& stub, auto* ctx, tv1::Task* out) {
    return stub.ReopenTask(ctx, req, out);
  });
}

}  // namespace tuopin::common
