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
  common::ServiceFrame records_frame(
      env, "accountability", accountability::v1::AccountabilityService::service_full_name());
  auto records = accountability::NewRecordsService(records_logic, records_frame.handler());
  accountability::MysqlAssessmentStore assessment_store(*env.pool, ids);
  accountability::AssessmentLogic assessment_logic(assessment_store, personnel, tokens);
  common::ServiceFrame assessment_frame(env, "accountability",
                                        accountability::v1::AssessmentService::service_full_name());
  auto assessments =
      accountability::NewAssessmentService(assessment_logic, assessment_frame.handler());
  env.server.services = {records.get(), assessments.get()};
  env.server.service_names = {records_frame.full_name(), assessment_frame.full_name()};
  common::StartOutboxRelay(env);
  return common::RunServer(std::move(env.server));
}
