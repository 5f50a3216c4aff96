#include "common/service_main.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/server_flags.h"

ABSL_FLAG(std::string, db_dsn, "",
          "MySQL DSN: mysql://user:password@host:port/database?socket=/path&pool=8.");
ABSL_FLAG(std::string, db_dsn_file, "",
          "File holding the DSN (a Kubernetes Secret); wins over --db_dsn.");
ABSL_FLAG(bool, migrate, true, "Apply schema migrations at start.");
ABSL_FLAG(bool, migrate_only, false, "Apply schema migrations and exit (a Kubernetes Job).");
ABSL_FLAG(std::string, gateway, "127.0.0.1:50051", "The gateway, for calls to other services.");
ABSL_FLAG(bool, relay_outbox, true,
          "Ship this service's audit events to the log (needs a service token).");
ABSL_FLAG(std::string, service_token_file, "",
          "File with this service's own JWT (role service) for calls through the gateway.");

namespace tuopin::common {

ServiceEnv InitService(int argc, char** argv, const std::string& name, int default_port,
                       const std::vector<Migration>& migrations) {
  ParseFlags(
      argc, argv,
      absl::StrCat("the ", name, " service of Tuopin. Every flag --x can also be set as TUOPIN_X.")
          .c_str());
  ServiceEnv env;
  std::string dsn = absl::GetFlag(FLAGS_db_dsn);
  if (!absl::GetFlag(FLAGS_db_dsn_file).empty()) {
    auto s = ReadSecretFile(absl::GetFlag(FLAGS_db_dsn_file));
    if (!s.ok()) FailStartup(name, absl::StrCat("--db_dsn_file: ", s.status().message()));
    dsn = *s;
  }
  if (dsn.empty()) FailStartup(name, "--db_dsn (or TUOPIN_DB_DSN, or --db_dsn_file) is required");
  if (absl::Status st = CheckNotPlaceholder(dsn); !st.ok()) {
    FailStartup(name, absl::StrCat("--db_dsn: ", st.message()));
  }
  auto config = ParseDsn(dsn);
  if (!config.ok()) FailStartup(name, absl::StrCat("--db_dsn: ", config.status().message()));
  auto pool = ConnectionPool::Create(*config);
  if (!pool.ok()) FailStartup(name, std::string(pool.status().message()));
  env.pool = std::move(*pool);
  if (absl::GetFlag(FLAGS_migrate) || absl::GetFlag(FLAGS_migrate_only)) {
    absl::Status st = ApplyMigrations(*env.pool, migrations);
    if (!st.ok()) FailStartup(name, absl::StrCat("migrations failed: ", st.ToString()));
    if (absl::GetFlag(FLAGS_migrate_only)) {
      LogInfo("migrations applied", {{"service", name}});
      std::exit(0);
    }
  }
  env.internal_key = InternalKeyFromFlags(name);
  env.digest_key = DigestKeyFromFlags(name, env.internal_key);
  // Page tokens are signed with a key derived from the internal key, so every replica
  // accepts the tokens of every other.
  env.page_token_key = HmacSha256(env.internal_key, absl::StrCat("tuopin page tokens ", name));
  env.gateway_target = absl::GetFlag(FLAGS_gateway);
  env.service_token_file = absl::GetFlag(FLAGS_service_token_file);
  if (!env.service_token_file.empty()) {
    auto token = ReadSecretFile(env.service_token_file);
    if (!token.ok())
      FailStartup(name, absl::StrCat("--service_token_file: ", token.status().message()));
    env.service_token = *token;
    env.gateway = std::make_unique<GatewayClient>(env.gateway_target, env.service_token);
    env.gateway->WatchTokenFile(env.service_token_file);  // short-lived, rotated in place
  }

  env.server = ServerOptionsFromFlags(name, default_port);
  return env;
}

ServiceEnv::~ServiceEnv() {
  if (relay) relay->Stop();
}

void StartOutboxRelay(ServiceEnv& env) {
  if (!absl::GetFlag(FLAGS_relay_outbox)) return;
  if (!env.gateway) {
    LogWarning("no --service_token_file: audit events stay in the outbox until a relay ships them",
               {{"service", env.server.name}});
    return;
  }
  env.audit_sink = std::make_unique<GatewayAuditSink>(*env.gateway);
  env.relay = std::make_unique<OutboxRelay>(*env.pool, *env.audit_sink);
  env.relay->Start();
}

}  // namespace tuopin::common
