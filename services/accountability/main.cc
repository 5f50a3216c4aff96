// tuopin-accountability: inspections, findings, rectification orders and actions
// (AccountabilityService), and the tamper-evident audit log (AuditLog).

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/handler.h"
#include "common/periodic.h"
#include "common/server_flags.h"
#include "common/service_main.h"
#include "services/accountability/audit_log_service.h"
#include "services/accountability/records_service.h"

ABSL_FLAG(std::string, signing_key_file, "", "Ed25519 private key (PEM) that signs checkpoints.");
ABSL_FLAG(std::string, log_origin, "tuopin.local/audit-log", "The checkpoints' origin line.");
ABSL_FLAG(std::string, key_name, "tuopin.local", "The signed note's key name.");
ABSL_FLAG(absl::Duration, checkpoint_interval, absl::Seconds(1),
          "How often a grown tree is checkpointed.");

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& AccountabilityMigrations();
}

int main(int argc, char** argv) {
  using namespace tuopin;
  common::ServiceEnv env = common::InitService(argc, argv, "accountability", 50064,
                                               generated::AccountabilityMigrations());
  if (absl::GetFlag(FLAGS_signing_key_file).empty())
    common::FailStartup("accountability", "--signing_key_file is required");
  auto pem = common::ReadFile(absl::GetFlag(FLAGS_signing_key_file));
  if (!pem.ok()) {
    common::FailStartup("accountability",
                        absl::StrCat("--signing_key_file: ", pem.status().message()));
  }
  if (absl::Status st = common::CheckNotPlaceholder(*pem); !st.ok()) {
    common::FailStartup("accountability", absl::StrCat("--signing_key_file: ", st.message()));
  }
  auto signer = accountability::NoteSigner::FromPem(absl::GetFlag(FLAGS_key_name), *pem);
  if (!signer.ok()) {
    common::FailStartup("accountability",
                        absl::StrCat("--signing_key_file: ", signer.status().message()));
  }
  common::PageTokenCodec tokens(env.page_token_key);
  accountability::AuditLogStore store(*env.pool);
  accountability::AuditLogLogic logic(store, **signer, absl::GetFlag(FLAGS_log_origin),
                                      *common::SystemClock::Get(), tokens);
  const auto* log_descriptor =
      common::FindService(accountability::v1::AuditLog::service_full_name());
  common::Authorizer authorizer(env.internal_key, log_descriptor, common::SystemClock::Get(),
                                env.digest_key);
  common::Handler handler("accountability", authorizer, *common::SystemClock::Get());
  accountability::AuditLogServiceImpl log(logic, handler);
  if (!env.gateway) {
    common::FailStartup(
        "accountability",
        "--service_token_file is required: records ask personnel and tasks through the gateway");
  }
  common::GatewayPersonnelDirectory personnel(*env.gateway);
  accountability::GatewayTaskDirectory tasks(*env.gateway);
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
  accountability::RecordsServiceImpl records(records_logic, records_handler);
  common::PeriodicTask sequencer("checkpoint sequencer", absl::GetFlag(FLAGS_checkpoint_interval),
                                 [&] { return logic.PublishCheckpoint(); });
  sequencer.Start();
  env.server.services = {&log, &records};
  env.server.service_names = {log_descriptor->full_name(), records_descriptor->full_name()};
  env.server.on_stopping = [&sequencer] { sequencer.Stop(); };
  common::StartOutboxRelay(env);
  return common::RunServer(std::move(env.server));
}
