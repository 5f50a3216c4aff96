#pragma once
// The gRPC adapter of TaskService: authorize, validate, call the logic, map the status.

#include "common/handler.h"
#include "services/tasks/tasks_logic.h"
#include "tuopin/tasks/v1/tasks.grpc.pb.h"

namespace tuopin::tasks {

class TasksServiceImpl final : public v1::TaskService::Service {
 public:
  TasksServiceImpl(TasksLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status CreateCampaign(grpc::ServerContext* ctx, const v1::CreateCampaignRequest* req,
                              v1::Campaign* resp) override;
  grpc::Status GetCampaign(grpc::ServerContext* ctx, const v1::GetCampaignRequest* req,
                           v1::Campaign* resp) override;
  grpc::Status CreateTask(grpc::ServerContext* ctx, const v1::CreateTaskRequest* req,
                          v1::Task* resp) override;
  grpc::Status GetTask(grpc::ServerContext* ctx, const v1::GetTaskRequest* req,
                       v1::Task* resp) override;
  grpc::Status ListTasks(grpc::ServerContext* ctx, const v1::ListTasksRequest* req,
                         v1::ListTasksResponse* resp) override;
  grpc::Status UpdateTask(grpc::ServerContext* ctx, const v1::UpdateTaskRequest* req,
                          v1::Task* resp) override;
  grpc::Status ReportProgress(grpc::ServerContext* ctx, const v1::ReportProgressRequest* req,
                              v1::Task* resp) override;
  grpc::Status CompleteTask(grpc::ServerContext* ctx, const v1::CompleteTaskRequest* req,
                            v1::Task* resp) override;
  grpc::Status VerifyTask(grpc::ServerContext* ctx, const v1::VerifyTaskRequest* req,
                          v1::Task* resp) override;
  grpc::Status ReopenTask(grpc::ServerContext* ctx, const v1::ReopenTaskRequest* req,
                          v1::Task* resp) override;
  grpc::Status CancelTask(grpc::ServerContext* ctx, const v1::CancelTaskRequest* req,
                          v1::Task* resp) override;
  grpc::Status ListEscalations(grpc::ServerContext* ctx, const v1::ListEscalationsRequest* req,
                               v1::ListEscalationsResponse* resp) override;
  grpc::Status GetSectorProgress(grpc::ServerContext* ctx, const v1::GetSectorProgressRequest* req,
                                 v1::SectorProgress* resp) override;
  grpc::Status GetStageGate(grpc::ServerContext* ctx, const v1::GetStageGateRequest* req,
                            v1::StageGate* resp) override;

 private:
  TasksLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace tuopin::tasks
