#include "services/tasks/tasks_service.h"

#include "services/tasks/tasks_validate.h"

namespace tuopin::tasks {

grpc::Status TasksServiceImpl::CreateCampaign(grpc::ServerContext* ctx,
                                              const v1::CreateCampaignRequest* req,
                                              v1::Campaign* resp) {
  return handler_.Mutate(
      ctx, "CreateCampaign", *req, Validate,
      [&](const common::MutationContext& m) { return logic_.CreateCampaign(m, *req, *resp); });
}

grpc::Status TasksServiceImpl::GetCampaign(grpc::ServerContext* ctx,
                                           const v1::GetCampaignRequest* req, v1::Campaign* resp) {
  return handler_.Read(ctx, "GetCampaign", *req, Validate, [&](const common::Principal& p) {
    return logic_.GetCampaign(p, *req, *resp);
  });
}

grpc::Status TasksServiceImpl::CreateTask(grpc::ServerContext* ctx,
                                          const v1::CreateTaskRequest* req, v1::Task* resp) {
  return handler_.Mutate(ctx, "CreateTask", *req, Validate, [&](const common::MutationContext& m) {
    return logic_.CreateTask(m, *req, *resp);
  });
}

grpc::Status TasksServiceImpl::GetTask(grpc::ServerContext* ctx, const v1::GetTaskRequest* req,
                                       v1::Task* resp) {
  return handler_.Read(ctx, "GetTask", *req, Validate,
                       [&](const common::Principal& p) { return logic_.GetTask(p, *req, *resp); });
}

grpc::Status TasksServiceImpl::ListTasks(grpc::ServerContext* ctx, const v1::ListTasksRequest* req,
                                         v1::ListTasksResponse* resp) {
  return handler_.Read(ctx, "ListTasks", *req, Validate, [&](const common::Principal& p) {
    return logic_.ListTasks(p, *req, *resp);
  });
}

grpc::Status TasksServiceImpl::UpdateTask(grpc::ServerContext* ctx,
                                          const v1::UpdateTaskRequest* req, v1::Task* resp) {
  return handler_.Mutate(ctx, "UpdateTask", *req, Validate, [&](const common::MutationContext& m) {
    return logic_.UpdateTask(m, *req, *resp);
  });
}

grpc::Status TasksServiceImpl::ReportProgress(grpc::ServerContext* ctx,
                                              const v1::ReportProgressRequest* req,
                                              v1::Task* resp) {
  return handler_.Mutate(
      ctx, "ReportProgress", *req, Validate,
      [&](const common::MutationContext& m) { return logic_.ReportProgress(m, *req, *resp); });
}

grpc::Status TasksServiceImpl::CompleteTask(grpc::ServerContext* ctx,
                                            const v1::CompleteTaskRequest* req, v1::Task* resp) {
  return handler_.Mutate(
      ctx, "CompleteTask", *req, Validate,
      [&](const common::MutationContext& m) { return logic_.CompleteTask(m, *req, *resp); });
}

grpc::Status TasksServiceImpl::VerifyTask(grpc::ServerContext* ctx,
                                          const v1::VerifyTaskRequest* req, v1::Task* resp) {
  return handler_.Mutate(ctx, "VerifyTask", *req, Validate, [&](const common::MutationContext& m) {
    return logic_.VerifyTask(m, *req, *resp);
  });
}

grpc::Status TasksServiceImpl::ReopenTask(grpc::ServerContext* ctx,
                                          const v1::ReopenTaskRequest* req, v1::Task* resp) {
  return handler_.Mutate(ctx, "ReopenTask", *req, Validate, [&](const common::MutationContext& m) {
    return logic_.ReopenTask(m, *req, *resp);
  });
}

grpc::Status TasksServiceImpl::CancelTask(grpc::ServerContext* ctx,
                                          const v1::CancelTaskRequest* req, v1::Task* resp) {
  return handler_.Mutate(ctx, "CancelTask", *req, Validate, [&](const common::MutationContext& m) {
    return logic_.CancelTask(m, *req, *resp);
  });
}

grpc::Status TasksServiceImpl::ListEscalations(grpc::ServerContext* ctx,
                                               const v1::ListEscalationsRequest* req,
                                               v1::ListEscalationsResponse* resp) {
  return handler_.Read(ctx, "ListEscalations", *req, Validate, [&](const common::Principal& p) {
    return logic_.ListEscalations(p, *req, *resp);
  });
}

grpc::Status TasksServiceImpl::GetSectorProgress(grpc::ServerContext* ctx,
                                                 const v1::GetSectorProgressRequest* req,
                                                 v1::SectorProgress* resp) {
  return handler_.Read(ctx, "GetSectorProgress", *req, Validate, [&](const common::Principal& p) {
    return logic_.GetSectorProgress(p, *req, *resp);
  });
}

grpc::Status TasksServiceImpl::GetStageGate(grpc::ServerContext* ctx,
                                            const v1::GetStageGateRequest* req,
                                            v1::StageGate* resp) {
  return handler_.Read(ctx, "GetStageGate", *req, Validate, [&](const common::Principal& p) {
    return logic_.GetStageGate(p, *req, *resp);
  });
}

}  // namespace tuopin::tasks
