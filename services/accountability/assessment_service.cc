#include "services/accountability/assessment_service.h"

#include "services/accountability/assessment_validate.h"

namespace tuopin::accountability {
namespace {

class AssessmentServiceImpl final : public v1::AssessmentService::Service {
 public:
  AssessmentServiceImpl(AssessmentLogic& logic, const common::Handler& handler)
      : logic_(logic), handler_(handler) {}

  grpc::Status CreateAssessment(grpc::ServerContext* ctx, const v1::CreateAssessmentRequest* req,
                                v1::Assessment* resp) override {
    return handler_.Mutate(
        ctx, "CreateAssessment", *req, Validate,
        [&](const common::MutationContext& m) { return logic_.CreateAssessment(m, *req, *resp); });
  }

  grpc::Status GetAssessment(grpc::ServerContext* ctx, const v1::GetAssessmentRequest* req,
                             v1::Assessment* resp) override {
    return handler_.Read(ctx, "GetAssessment", *req, Validate, [&](const common::Principal& p) {
      return logic_.GetAssessment(p, *req, *resp);
    });
  }

  grpc::Status ListAssessments(grpc::ServerContext* ctx, const v1::ListAssessmentsRequest* req,
                               v1::ListAssessmentsResponse* resp) override {
    return handler_.Read(ctx, "ListAssessments", *req, Validate, [&](const common::Principal& p) {
      return logic_.ListAssessments(p, *req, *resp);
    });
  }

  grpc::Status RevealAssessmentSample(grpc::ServerContext* ctx,
                                      const v1::RevealAssessmentSampleRequest* req,
                                      v1::AssessmentSample* resp) override {
    return handler_.Mutate(ctx, "RevealAssessmentSample", *req, Validate,
                           [&](const common::MutationContext& m) {
                             return logic_.RevealAssessmentSample(m, *req, *resp);
                           });
  }

  grpc::Status GetAssessmentSample(grpc::ServerContext* ctx,
                                   const v1::GetAssessmentSampleRequest* req,
                                   v1::AssessmentSample* resp) override {
    return handler_.Read(
        ctx, "GetAssessmentSample", *req, Validate,
        [&](const common::Principal& p) { return logic_.GetAssessmentSample(p, *req, *resp); });
  }

  grpc::Status RecordAssessmentVisit(grpc::ServerContext* ctx,
                                     const v1::RecordAssessmentVisitRequest* req,
                                     v1::AssessmentVisit* resp) override {
    return handler_.Mutate(ctx, "RecordAssessmentVisit", *req, Validate,
                           [&](const common::MutationContext& m) {
                             return logic_.RecordAssessmentVisit(m, *req, *resp);
                           });
  }

  grpc::Status ListAssessmentVisits(grpc::ServerContext* ctx,
                                    const v1::ListAssessmentVisitsRequest* req,
                                    v1::ListAssessmentVisitsResponse* resp) override {
    return handler_.Read(
        ctx, "ListAssessmentVisits", *req, Validate,
        [&](const common::Principal& p) { return logic_.ListAssessmentVisits(p, *req, *resp); });
  }

  grpc::Status FinalizeAssessment(grpc::ServerContext* ctx,
                                  const v1::FinalizeAssessmentRequest* req,
                                  v1::Assessment* resp) override {
    return handler_.Mutate(ctx, "FinalizeAssessment", *req, Validate,
                           [&](const common::MutationContext& m) {
                             return logic_.FinalizeAssessment(m, *req, *resp);
                           });
  }

 private:
  AssessmentLogic& logic_;
  const common::Handler& handler_;
};

}  // namespace

std::unique_ptr<v1::AssessmentService::Service> NewAssessmentService(
    AssessmentLogic& logic, const common::Handler& handler) {
  return std::make_unique<AssessmentServiceImpl>(logic, handler);
}

}  // namespace tuopin::accountability
