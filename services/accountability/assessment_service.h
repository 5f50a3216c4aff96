#pragma once
// The gRPC adapter of AssessmentService: authorize, validate, call the logic, map the status.

#include <memory>

#include "common/handler.h"
#include "services/accountability/assessment_logic.h"
#include "tuopin/accountability/v1/assessment.grpc.pb.h"

namespace tuopin::accountability {

// The returned adapter keeps references to `logic` and `handler`, which must outlive it.
std::unique_ptr<v1::AssessmentService::Service> NewAssessmentService(
    AssessmentLogic& logic, const common::Handler& handler);

}  // namespace tuopin::accountability
