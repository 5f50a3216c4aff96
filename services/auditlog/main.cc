// tuopin-auditlog: the tamper-evident audit log (AuditLog) that every service's outbox
// relay appends to through the gateway. It calls nobody (no service token, no gateway).
//
// One instance is one log: its --log_origin names it and its --db_* flags give it its own
// schema. A county-sharded deployment is configuration only: run one instance per county,
// each with origin `tuopin.<county>/audit-log` and its own database, and route each
// county's relays to its instance (docs/OPERATIONS.md, "One log per county").

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/handler.h"
#include "common/periodic.h"
#include "common/server_flags.h"
#include "common/service_main.h"
#include "services/auditlog/auditlog_service.h"
#include "services/auditlog/mysql_auditlog_store.h"

ABSL_FLAG(std::string, signing_key_file, "", "Ed25519 private key (PEM) that signs checkpoints.");
ABSL_FLAG(std::string, log_origin, "tuopin.local/audit-log",
          "The checkpoints' origin line: the name of this log (one per instance, e.g. "
          "tuopin.<county>/audit-log when each county has its own log).");
ABSL_FLAG(std::string, key_name, "tuopin.local", "The signed note's key name.");
ABSL_FLAG(absl::Duration, checkpoint_interval, absl::Seconds(1),
          "How often a grown tree is checkpointed.");

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& AuditLogMigrations();
}

int main(int argc, char** argv) {
  using namespace tuopin;
  common::ServiceEnv env =
      common::InitService(argc, argv, "auditlog", 50066, generated::AuditLogMigrations());
  if (absl::GetFlag(FLAGS_signing_key_file).empty())
    common::FailStartup("auditlog", "--signing_key_file is required");
  if (absl::GetFlag(FLAGS_log_origin).empty())
    common::FailStartup("auditlog", "--log_origin must name the log");
  auto pem = common::ReadFile(absl::GetFlag(FLAGS_signing_key_file));
  if (!pem.ok()) {
    common::FailStartup("auditlog", absl::StrCat("--signing_key_file: ", pem.status().message()));
  }
  if (absl::Status st = common::CheckNotPlaceholder(*pem); !st.ok()) {
    common::FailStartup("auditlog", absl::StrCat("--signing_key_file: ", st.message()));
  }
  auto signer = auditlog::NoteSigner::FromPem(absl::GetFlag(FLAGS_key_name), *pem);
  if (!signer.ok()) {
    common::FailStartup("auditlog",
                        absl::StrCat("--signing_key_file: ", signer.status().message()));
  }
  common::PageTokenCodec tokens(env.page_token_key);
  auditlog::MysqlAuditLogStore store(*env.pool);
  auditlog::AuditLogLogic logic(store, **signer, absl::GetFlag(FLAGS_log_origin),
                                *common::SystemClock::Get(), tokens);
  const auto* descriptor = common::FindService(auditlog::v1::AuditLog::service_full_name());
  common::Authorizer authorizer(env.internal_key, descriptor, common::SystemClock::Get(),
                                env.digest_key);
  common::Handler handler("auditlog", authorizer, *common::SystemClock::Get());
  auto service = auditlog::NewAuditLogService(logic, handler);
  common::PeriodicTask sequencer("checkpoint sequencer", absl::GetFlag(FLAGS_checkpoint_interval),
                                 [&] { return logic.PublishCheckpoint(); });
  sequencer.Start();
  env.server.services = {service.get()};
  env.server.service_names = {descriptor->full_name()};
  env.server.on_stopping = [&sequencer] { sequencer.Stop(); };
  // No outbox relay: the log is where events end, it emits none of its own.
  return common::RunServer(std::move(env.server));
}
