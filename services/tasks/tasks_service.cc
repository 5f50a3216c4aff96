#include "services/tasks/tasks_service.h"

#include "services/tasks/tasks_validate.h"

namespace tuopin::tasks {
namespace {

class TasksServiceImpl final : public v1::TaskService::Service {
 public:
  TasksServiceImpl(TasksLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status CreateCampaign(grpc::ServerContext* ctx, const v1::CreateCampaignRequest* req,
                              v1::Campaign* resp) override {
    return handler_.Mutate(
        ctx, "CreateCampaign", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.CreateCampaign(m, *req, *resp); });
  }

  grpc::Status GetCampaign(grpc::ServerContext* ctx, const v1::GetCampaignRequest* req,
                           v1::Campaign* resp) override {
    return handler_.Read(ctx, "GetCampaign", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetCampaign(p, *req, *resp);
    });
  }

  grpc::Status CreateTask(grpc::ServerContext* ctx, const v1::CreateTaskRequest* req,
                          v1::Task* resp) override {
    return handler_.Mutate(
        ctx, "CreateTask", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.CreateTask(m, *req, *resp); });
  }

  grpc::Status BatchCreateTasks(grpc::ServerContext* ctx, const v1::BatchCreateTasksRequest* req,
                                v1::BatchCreateTasksResponse* resp) override {
    return handler_.Mutate(
        ctx, "BatchCreateTasks", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.BatchCreateTasks(m, *req, *resp); });
  }

  grpc::Status GetTask(grpc::ServerContext* ctx, const v1::GetTaskRequest* req,
                       v1::Task* resp) override {
    return handler_.Read(ctx, "GetTask", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetTask(p, *req, *resp);
    });
  }

  grpc::Status ListTasks(grpc::ServerContext* ctx, const v1::ListTasksRequest* req,
                         v1::ListTasksResponse* resp) override {
    return handler_.Read(ctx, "ListTasks", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListTasks(p, *req, *resp);
    });
  }

  grpc::Status UpdateTask(grpc::ServerContext* ctx, const v1::UpdateTaskRequest* req,
                          v1::Task* resp) override {
    return handler_.Mutate(
        ctx, "UpdateTask", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.UpdateTask(m, *req, *resp); });
  }

  grpc::Status ReportProgress(grpc::ServerContext* ctx, const v1::ReportProgressRequest* req,
                              v1::Task* resp) override {
    return handler_.Mutate(
        ctx, "ReportProgress", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.ReportProgress(m, *req, *resp); });
  }

  grpc::Status CompleteTask(grpc::ServerContext* ctx, const v1::CompleteTaskRequest* req,
                            v1::Task* resp) override {
    return handler_.Mutate(
        ctx, "CompleteTask", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.CompleteTask(m, *req, *resp); });
  }

  grpc::Status VerifyTask(grpc::ServerContext* ctx, const v1::VerifyTaskRequest* req,
                          v1::Task* resp) override {
    return handler_.Mutate(
        ctx, "VerifyTask", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.VerifyTask(m, *req, *resp); });
  }

  grpc::Status ReopenTask(grpc::ServerContext* ctx, const v1::ReopenTaskRequest* req,
                          v1::Task* resp) override {
    return handler_.Mutate(
        ctx, "ReopenTask", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.ReopenTask(m, *req, *resp); });
  }

  grpc::Status CancelTask(grpc::ServerContext* ctx, const v1::CancelTaskRequest* req,
                          v1::Task* resp) override {
    return handler_.Mutate(
        ctx, "CancelTask", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.CancelTask(m, *req, *resp); });
  }

  grpc::Status ListEscalations(grpc::ServerContext* ctx, const v1::ListEscalationsRequest* req,
                               v1::ListEscalationsResponse* resp) override {
    return handler_.Read(ctx, "ListEscalations", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListEscalations(p, *req, *resp);
    });
  }

  grpc::Status GetSectorProgress(grpc::ServerContext* ctx, const v1::GetSectorProgressRequest* req,
                                 v1::SectorProgress* resp) override {
    return handler_.Read(ctx, "GetSectorProgress", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetSectorProgress(p, *req, *resp);
    });
  }

  grpc::Status GetStageGate(grpc::ServerContext* ctx, const v1::GetStageGateRequest* req,
                            v1::StageGate* resp) override {
    return handler_.Read(ctx, "GetStageGate", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetStageGate(p, *req, *resp);
    });
  }

 private:
  TasksLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace

std::unique_ptr<v1::TaskService::Service> NewTasksService(TasksLogic& logic,
                                                          const common::Handler& handler) {
  return std::make_unique<TasksServiceImpl>(logic, handler);
}

}  // namespace tuopin::tasks
