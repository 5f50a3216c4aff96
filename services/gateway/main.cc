// tuopin-gateway: the one door to the suite. gRPC on --port (default 50051) and JSON over
// HTTP on --http_port (default 8080); see services/gateway/gateway.h.

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/config.h"
#include "common/log.h"
#include "common/server_flags.h"
#include "grpcpp/security/server_credentials.h"
#include "services/gateway/http_front.h"
#include "services/gateway/proxy.h"

ABSL_FLAG(int, http_port, 8080, "JSON/HTTP port; -1 turns it off, 0 picks a free port.");
ABSL_FLAG(std::string, personnel_target, "dns:///127.0.0.1:50061", "The personnel service.");
ABSL_FLAG(std::string, funds_target, "dns:///127.0.0.1:50062", "The funds service.");
ABSL_FLAG(std::string, tasks_target, "dns:///127.0.0.1:50063", "The tasks service.");
ABSL_FLAG(std::string, accountability_target, "dns:///127.0.0.1:50064",
          "The accountability service (records and audit log).");
ABSL_FLAG(std::string, auditquery_target, "dns:///127.0.0.1:50065", "The audit-query service.");
ABSL_FLAG(std::string, jwt_hs256_secret_file, "",
          "HS256 secret (local development). Empty: HS256 tokens are refused.");
ABSL_FLAG(std::string, jwt_jwks_file, "", "JWKS document with EdDSA (Ed25519) and RS256 keys.");
ABSL_FLAG(std::string, jwt_issuer, "tuopin-local", "Required `iss`; empty accepts any issuer.");
ABSL_FLAG(std::string, jwt_audience, "tuopin", "Required `aud`.");
ABSL_FLAG(std::string, jwt_algorithms, "HS256,EdDSA,RS256", "Accepted JWT algorithms.");
ABSL_FLAG(absl::Duration, default_deadline, absl::Seconds(10), "Deadline of calls that set none.");
ABSL_FLAG(absl::Duration, max_deadline, absl::Seconds(60), "Longest deadline passed on.");
ABSL_FLAG(double, rate_limit_rps, 200, "Calls per second per principal (token bucket rate).");
ABSL_FLAG(double, rate_limit_burst, 400, "Token bucket size per principal.");
ABSL_FLAG(double, service_rate_limit_rps, 5000,
          "Calls per second per principal with role service (the suite's own services).");
ABSL_FLAG(double, service_rate_limit_burst, 10000, "Token bucket size of a service principal.");
ABSL_FLAG(int, max_inflight_per_backend, 512, "Calls in flight per backend before refusing.");
ABSL_FLAG(int, proxy_threads, 1,
          "Threads forwarding gRPC calls (they poll one completion queue); 0: one per core. "
          "More than one hand events to each other (a futex wake per event): raise it only "
          "when one core is not enough for a replica.");
ABSL_FLAG(bool, access_log, true, "One JSON line per call on stderr.");
ABSL_FLAG(std::string, tls_cert_file, "", "Server certificate (PEM): serve gRPC over TLS.");
ABSL_FLAG(std::string, tls_key_file, "", "Server private key (PEM).");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "CA bundle (PEM): require and verify client certificates (mTLS).");

namespace {
std::string ReadOrFail(const std::string& flag, const std::string& path, bool secret) {
  auto content = secret ? tuopin::common::ReadSecretFile(path) : tuopin::common::ReadFile(path);
  if (!content.ok())
    tuopin::common::FailStartup("gateway",
                                absl::StrCat("--", flag, ": ", content.status().message()));
  return *content;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace tuopin;
  common::ParseFlags(argc, argv,
                     "authentication, policy, limits and routing for the Tuopin "
                     "suite. Every flag --x can also be set as TUOPIN_X.");
  common::ServerOptions server = common::ServerOptionsFromFlags("gateway", 50051);
  server.rpc_metrics = false;  // tuopin_gateway_calls_total and _call_seconds instead

  common::JwtConfig jwt;
  jwt.issuer = absl::GetFlag(FLAGS_jwt_issuer);
  jwt.audience = absl::GetFlag(FLAGS_jwt_audience);
  jwt.algorithms.clear();
  for (absl::string_view alg :
       absl::StrSplit(absl::GetFlag(FLAGS_jwt_algorithms), ',', absl::SkipEmpty())) {
    jwt.algorithms.insert(std::string(alg));
  }
  if (!absl::GetFlag(FLAGS_jwt_hs256_secret_file).empty()) {
    jwt.hs256_secret =
        ReadOrFail("jwt_hs256_secret_file", absl::GetFlag(FLAGS_jwt_hs256_secret_file), true);
  }
  if (!absl::GetFlag(FLAGS_jwt_jwks_file).empty()) {
    jwt.jwks_json = ReadOrFail("jwt_jwks_file", absl::GetFlag(FLAGS_jwt_jwks_file), false);
  }
  if (jwt.hs256_secret.empty() && jwt.jwks_json.empty()) {
    common::FailStartup(
        "gateway", "set --jwt_hs256_secret_file or --jwt_jwks_file: no token could be verified");
  }
  auto verifier = common::JwtVerifier::Create(jwt);
  if (!verifier.ok()) common::FailStartup("gateway", std::string(verifier.status().message()));

  gateway::GatewayConfig config;
  config.routes = gateway::DefaultRoutes();
  config.targets = {{"personnel", absl::GetFlag(FLAGS_personnel_target)},
                    {"funds", absl::GetFlag(FLAGS_funds_target)},
                    {"tasks", absl::GetFlag(FLAGS_tasks_target)},
                    {"accountability", absl::GetFlag(FLAGS_accountability_target)},
                    {"auditquery", absl::GetFlag(FLAGS_auditquery_target)}};
  config.internal_key = common::InternalKeyFromFlags("gateway");
  config.default_deadline = absl::GetFlag(FLAGS_default_deadline);
  config.max_deadline = absl::GetFlag(FLAGS_max_deadline);
  config.rate_per_second = absl::GetFlag(FLAGS_rate_limit_rps);
  config.burst = absl::GetFlag(FLAGS_rate_limit_burst);
  config.service_rate_per_second = absl::GetFlag(FLAGS_service_rate_limit_rps);
  config.service_burst = absl::GetFlag(FLAGS_service_rate_limit_burst);
  config.max_in_flight_per_backend = absl::GetFlag(FLAGS_max_inflight_per_backend);
  if (config.rate_per_second <= 0 || config.burst < 1 || config.service_rate_per_second <= 0 ||
      config.service_burst < 1) {
    common::FailStartup("gateway", "--rate_limit_rps must be > 0 and --rate_limit_burst >= 1");
  }
  if (config.default_deadline <= absl::ZeroDuration() ||
      config.max_deadline < config.default_deadline) {
    common::FailStartup("gateway", "need 0 < --default_deadline <= --max_deadline");
  }
  auto gw = gateway::Gateway::Create(config, std::move(*verifier), common::SystemClock::Get());
  if (!gw.ok()) common::FailStartup("gateway", std::string(gw.status().message()));
  (*gw)->set_access_log(absl::GetFlag(FLAGS_access_log));

  if (!absl::GetFlag(FLAGS_tls_cert_file).empty()) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back(
        {ReadOrFail("tls_key_file", absl::GetFlag(FLAGS_tls_key_file), false),
         ReadOrFail("tls_cert_file", absl::GetFlag(FLAGS_tls_cert_file), false)});
    if (!absl::GetFlag(FLAGS_tls_client_ca_file).empty()) {
      ssl.pem_root_certs =
          ReadOrFail("tls_client_ca_file", absl::GetFlag(FLAGS_tls_client_ca_file), false);
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    server.credentials = grpc::SslServerCredentials(ssl);
  }

  if (absl::GetFlag(FLAGS_proxy_threads) < 0)
    common::FailStartup("gateway", "--proxy_threads must be >= 0");
  gateway::ProxyService proxy(**gw, absl::GetFlag(FLAGS_proxy_threads));
  gateway::HttpFront http(**gw);
  int http_port = absl::GetFlag(FLAGS_http_port);
  if (http_port >= 0) {
    int bound = http.Start(server.host, http_port);
    if (bound < 0)
      common::FailStartup("gateway", absl::StrCat("cannot listen for HTTP on port ", http_port));
    common::LogInfo("serving JSON over HTTP", {{"http_port", std::to_string(bound)}});
    if (!server.port_file.empty()) server.port_file_extra = absl::StrCat(" ", bound);
  }
  server.async_service = &proxy;
  server.on_stopping = [&http] { http.Stop(); };
  return common::RunServer(std::move(server));
}
