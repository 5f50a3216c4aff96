// tuopin-accountability: inspections, findings, rectification orders and actions
// (AccountabilityService), and the county exit assessments (AssessmentService). The audit log is
// its own binary, tuopin-auditlog.

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/handler.h"
#include "common/server_flags.h"
#include "common/service_main.h"
#include "services/accountability/assessment_service.h"
#include "services/accountability/records_service.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& AccountabilityMigrations();
}

int main(int argc, char** argv) {
  using namespace tuopin;
  common::ServiceEnv env = common::InitService(argc, argv, "accountability", 50064,
                                               generated::AccountabilityMigrations());
  if (!env.gateway) {
    common::FailStartup(
        "accountability",
        "--service_token_file is required: records ask personnel and tasks through the gateway");
  }
  common::PageTokenCodec tokens(env.page_token_key);
  common::GatewayPersonnelDirectory personnel(*env.gateway);
  common::GatewayTaskClient tasks(*env.gateway);
  common::RandomIdGenerator ids;
  accountability::MysqlRecordsStore records_store(*env.pool, ids);
  accountability::RecordsLogic records_logic(records_store, personnel, tasks,
                                             *common::SystemClock::Get(), tokens);
  const auto* records_descriptor =
      common::FindService(accountability::v1::AccountabilityService::service_full_name());
  common::Authorizer records_authorizer(env.internal_key, records_descriptor,
                                        common::SystemClock::Get(), env.digest_key);
  common::Handler records_handler("accountability", records_authorizer,
                                  *common::SystemClock::Get());
  auto records = accountability::NewRecordsService(records_logic, records_handler);
  accountability::MysqlAssessmentStore assessment_store(*env.pool, ids);
  accountability::AssessmentLogic assessment_logic(assessment_store, personnel, tokens);
  const auto* assessment_descriptor =
      common::FindService(accountability::v1::AssessmentService::service_full_name());
  common::Authorizer assessment_authorizer(env.internal_key, assessment_descriptor,
                                           common::SystemClock::Get(), env.digest_key);
  common::Handler assessment_handler("accountability", assessment_authorizer,
                                     *common::SystemClock::Get());
  auto assessments = accountability::NewAssessmentService(assessment_logic, assessment_handler);
  env.server.services = {records.get(), assessments.get()};
  env.server.service_names = {records_descriptor->full_name(), assessment_descriptor->full_name()};
  common::StartOutboxRelay(env);
  return common::RunServer(std::move(env.server));
}
