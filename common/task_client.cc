#include "common/task_client.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "tuopin/tasks/v1/tasks.grpc.pb.h"

namespace tuopin::common {

absl::StatusOr<std::string> GatewayTaskLookup::TaskVillage(const std::string& task_id) {
  namespace tv1 = tuopin::tasks::v1;
  tv1::GetTaskRequest req;
  req.set_id(task_id);
  tv1::Task task;
  grpc::Status st =
      tv1::TaskService::NewStub(client_.channel())->GetTask(client_.Context().get(), req, &task);
  // An id task tracking does not know (or refuses as malformed) names no task.
  if (st.error_code() == grpc::StatusCode::NOT_FOUND ||
      st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return absl::NotFoundError(absl::StrCat("task ", task_id, " not found"));
  }
  if (!st.ok()) return FromGrpcStatus(st);
  return task.village_code();
}

}  // namespace tuopin::common
