#include "common/server_flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"

ABSL_FLAG(std::string, host, "0.0.0.0", "Address to listen on for gRPC.");
ABSL_FLAG(int, port, -1, "gRPC port; -1 means the binary's default, 0 a free port.");
ABSL_FLAG(int, metrics_port, -1, "Prometheus metrics port; -1 means the gRPC port + 1000.");
ABSL_FLAG(std::string, metrics_host, "",
          "Address the metrics listen on; empty means --host, so metrics are never reachable "
          "where gRPC is not.");
ABSL_FLAG(std::string, port_file, "", "Write '<grpc port> <metrics port>' here once listening.");
ABSL_FLAG(std::string, internal_key_file, "",
          "File with the key shared by gateway and services that authenticates forwarded "
          "principals (at least 32 bytes).");
ABSL_FLAG(std::string, digest_key_file, "",
          "File with the deployment's key for the digests of requests and responses in audit "
          "events (at least 32 bytes; the same for every service). Empty: derived from the "
          "internal key.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(2),
          "How long health says NOT_SERVING before draining starts.");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10), "Longest wait for calls in flight.");
ABSL_FLAG(int, max_threads, 64, "Most threads serving calls.");
ABSL_FLAG(int, max_health_watches, 100,
          "Health Watch streams open at once (they hold no thread); more are refused with "
          "RESOURCE_EXHAUSTED. Probes use Check, which is never refused.");

namespace tuopin::common {

void FailStartup(const std::string& name, const std::string& message) {
  std::fprintf(stderr, "tuopin-%s: %s\n", name.c_str(), message.c_str());
  std::exit(2);
}

ServerOptions ServerOptionsFromFlags(const std::string& name, int default_port) {
  ServerOptions o;
  int port = absl::GetFlag(FLAGS_port);
  if (port < 0) port = default_port;
  if (port > 65535) FailStartup(name, "--port must be 0-65535");
  int metrics_port = absl::GetFlag(FLAGS_metrics_port);
  if (metrics_port > 65535) FailStartup(name, "--metrics_port must be -1-65535");
  o.name = name;
  o.host = absl::GetFlag(FLAGS_host);
  o.metrics_host = absl::GetFlag(FLAGS_metrics_host);
  o.port = port;
  o.metrics_port = metrics_port;
  o.port_file = absl::GetFlag(FLAGS_port_file);
  o.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  o.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  o.max_threads = absl::GetFlag(FLAGS_max_threads);
  if (o.max_threads < 2) FailStartup(name, "--max_threads must be at least 2");
  o.max_health_watches = absl::GetFlag(FLAGS_max_health_watches);
  if (o.max_health_watches < 0) FailStartup(name, "--max_health_watches must be >= 0");
  return o;
}

std::string InternalKeyFromFlags(const std::string& name) {
  if (absl::GetFlag(FLAGS_internal_key_file).empty()) {
    FailStartup(name, "--internal_key_file (or TUOPIN_INTERNAL_KEY_FILE) is required");
  }
  auto key = ReadSecretFile(absl::GetFlag(FLAGS_internal_key_file));
  if (!key.ok()) FailStartup(name, absl::StrCat("--internal_key_file: ", key.status().message()));
  if (absl::Status st = CheckKey(*key, 32); !st.ok()) {
    FailStartup(name, absl::StrCat("--internal_key_file: ", st.message()));
  }
  return *key;
}

DigestKey DigestKeyFromFlags(const std::string& name, absl::string_view internal_key) {
  if (absl::GetFlag(FLAGS_digest_key_file).empty()) return DeriveDigestKey(internal_key);
  auto key = ReadSecretFile(absl::GetFlag(FLAGS_digest_key_file));
  if (!key.ok()) FailStartup(name, absl::StrCat("--digest_key_file: ", key.status().message()));
  if (absl::Status st = CheckKey(*key, 32); !st.ok()) {
    FailStartup(name, absl::StrCat("--digest_key_file: ", st.message()));
  }
  return DigestKeyFromSecret(*key);
}

}  // namespace tuopin::common
