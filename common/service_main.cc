#include "common/service_main.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/log.h"

ABSL_FLAG(std::string, host, "0.0.0.0", "Address to listen on for gRPC.");
ABSL_FLAG(int, port, -1, "gRPC port; -1 means the service's default, 0 a free port.");
ABSL_FLAG(int, metrics_port, -1, "Prometheus metrics port; -1 means the gRPC port + 1000.");
ABSL_FLAG(std::string, port_file, "", "Write '<grpc port> <metrics port>' here once listening.");
ABSL_FLAG(std::string, db_dsn, "",
          "MySQL DSN: mysql://user:password@host:port/database?socket=/path&pool=8.");
ABSL_FLAG(std::string, db_dsn_file, "",
          "File holding the DSN (a Kubernetes Secret); wins over --db_dsn.");
ABSL_FLAG(bool, migrate, true, "Apply schema migrations at start.");
ABSL_FLAG(bool, migrate_only, false, "Apply schema migrations and exit (a Kubernetes Job).");
ABSL_FLAG(std::string, internal_key_file, "",
          "File with the key shared with the gateway that authenticates forwarded principals.");
ABSL_FLAG(std::string, gateway, "127.0.0.1:50051", "The gateway, for calls to other services.");
ABSL_FLAG(std::string, service_token_file, "",
          "File with this service's own JWT (role service) for calls through the gateway.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(2),
          "How long health says NOT_SERVING before draining starts.");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10), "Longest wait for calls in flight.");
ABSL_FLAG(int, max_threads, 64, "Most threads serving calls.");

namespace tuopin::common {
namespace {
[[noreturn]] void Fail(const std::string& name, const std::string& message) {
  std::fprintf(stderr, "tuopin-%s: %s\n", name.c_str(), message.c_str());
  std::exit(2);
}
}  // namespace

ServiceEnv InitService(int argc, char** argv, const std::string& name, int default_port,
                       const std::vector<Migration>& migrations) {
  ParseFlags(argc, argv,
             absl::StrCat("tuopin-", name, ": the ", name,
                          " service of Tuopin. Every flag --x can also be set as TUOPIN_X.")
                 .c_str());
  ServiceEnv env;
  std::string dsn = absl::GetFlag(FLAGS_db_dsn);
  if (!absl::GetFlag(FLAGS_db_dsn_file).empty()) {
    auto s = ReadSecretFile(absl::GetFlag(FLAGS_db_dsn_file));
    if (!s.ok()) Fail(name, absl::StrCat("--db_dsn_file: ", s.status().message()));
    dsn = *s;
  }
  if (dsn.empty()) Fail(name, "--db_dsn (or TUOPIN_DB_DSN, or --db_dsn_file) is required");
  auto config = ParseDsn(dsn);
  if (!config.ok()) Fail(name, absl::StrCat("--db_dsn: ", config.status().message()));
  auto pool = ConnectionPool::Create(*config);
  if (!pool.ok()) Fail(name, std::string(pool.status().message()));
  env.pool = std::move(*pool);
  if (absl::GetFlag(FLAGS_migrate) || absl::GetFlag(FLAGS_migrate_only)) {
    absl::Status st = ApplyMigrations(*env.pool, migrations);
    if (!st.ok()) Fail(name, absl::StrCat("migrations failed: ", st.ToString()));
    if (absl::GetFlag(FLAGS_migrate_only)) {
      LogInfo("migrations applied", {{"service", name}});
      std::exit(0);
    }
  }
  if (absl::GetFlag(FLAGS_internal_key_file).empty()) {
    Fail(name, "--internal_key_file (or TUOPIN_INTERNAL_KEY_FILE) is required");
  }
  auto key = ReadSecretFile(absl::GetFlag(FLAGS_internal_key_file));
  if (!key.ok()) Fail(name, absl::StrCat("--internal_key_file: ", key.status().message()));
  if (key->size() < 32) Fail(name, "--internal_key_file: the key must be at least 32 bytes");
  env.internal_key = *key;
  // Page tokens are signed with a key derived from the internal key, so every replica
  // accepts the tokens of every other.
  env.page_token_key = HmacSha256(*key, absl::StrCat("tuopin page tokens ", name));
  env.gateway_target = absl::GetFlag(FLAGS_gateway);
  env.service_token_file = absl::GetFlag(FLAGS_service_token_file);

  int port = absl::GetFlag(FLAGS_port);
  if (port < 0) port = default_port;
  if (port > 65535) Fail(name, "--port must be 0-65535");
  env.server.name = name;
  env.server.host = absl::GetFlag(FLAGS_host);
  env.server.port = port;
  env.server.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  env.server.port_file = absl::GetFlag(FLAGS_port_file);
  env.server.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  env.server.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  env.server.max_threads = absl::GetFlag(FLAGS_max_threads);
  return env;
}

}  // namespace tuopin::common
