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
          "The accountability service (inspections, findings, orders, actions).");
ABSL_FLAG(std::string, auditquery_target, "dns:///127.0.0.1:50065", "The audit-query service.");
ABSL_FLAG(std::string, auditlog_target, "dns:///127.0.0.1:50066", "The audit log service.");
ABSL_FLAG(std::string, jwt_hs256_secret_file, "",
          "HS256 secret (local development). Empty: HS256 tokens are refused.");
ABSL_FLAG(std::string, jwt_jwks_file, "", "JWKS document with EdDSA (Ed25519) and RS256 keys.");
ABSL_FLAG(std::string, jwt_issuer, "tuopin-local", "Required `iss`; empty accepts any issuer.");
ABSL_FLAG(std::string, jwt_audience, "tuopin", "Required `aud`.");
ABSL_FLAG(std::string, jwt_algorithms, "HS256,EdDSA,RS256", "Accepted JWT algorithms.");
ABSL_FLAG(absl::Duration, jwt_max_lifetime, absl::Hours(24),
          "Longest lifetime of an accepted token (exp - iat, and exp - now); longer ones are "
          "refused. Mint tokens, service tokens included, no longer than this.");
ABSL_FLAG(absl::Duration, default_deadline, absl::Seconds(10), "Deadline of calls that set none.");
ABSL_FLAG(absl::Duration, max_deadline, absl::Seconds(60), "Longest deadline passed on.");
ABSL_FLAG(double, rate_limit_rps, 200, "Calls per second per principal (token bucket rate).");
ABSL_FLAG(double, rate_limit_burst, 400, "Token bucket size per principal.");
ABSL_FLAG(double, service_rate_limit_rps, 5000,
          "Calls per second per principal with role service (the suite's own services).");
ABSL_FLAG(double, service_rate_limit_burst, 10000, "Token bucket size of a service principal.");
ABSL_FLAG(int, max_inflight_per_backend, 512, "Calls in flight per backend before refusing.");
ABSL_FLAG(int, max_inflight_per_principal, 16,
          "Calls in flight per person (JWT subject) before refusing, so one caller's slow reads "
          "cannot take every backend slot.");
ABSL_FLAG(int, max_inflight_per_service, 128,
          "Calls in flight per service principal (service:<name>) before refusing.");
ABSL_FLAG(int, proxy_threads, 1,
          "Threads forwarding gRPC calls (they poll one completion queue); 0: one per core. "
          "More than one hand events to each other (a futex wake per event): raise it only "
          "when one core is not enough for a replica.");
ABSL_FLAG(bool, access_log, true, "One JSON line per call on stderr.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "Server certificate (PEM): serve gRPC and JSON/HTTP over TLS only.");
ABSL_FLAG(std::string, tls_key_file, "", "Server private key (PEM).");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "CA bundle (PEM): require and verify client certificates (mTLS), on both ports.");
ABSL_FLAG(bool, reflection, false,
          "Serve gRPC server reflection on the gateway's port (to anyone: it needs no token).");
ABSL_FLAG(int, http_threads, 16, "JSON/HTTP connections served at once.");
ABSL_FLAG(int, http_max_waiting, 64,
          "JSON/HTTP connections accepted and waiting for a worker; more are closed at once.");
ABSL_FLAG(absl::Duration, http_request_timeout, absl::Seconds(10),
          "A whole JSON/HTTP request (TLS handshake, head, body) must arrive within this.");
ABSL_FLAG(absl::Duration, http_busy_request_timeout, absl::Seconds(1),
          "While JSON/HTTP connections wait for a worker, a request still arriving after this "
          "gives its worker up, and an idle keep-alive connection does at once.");
ABSL_FLAG(absl::Duration, http_write_timeout, absl::Seconds(10),
          "A JSON/HTTP response must be taken by the client within this.");
ABSL_FLAG(absl::Duration, http_idle_timeout, absl::Seconds(5),
          "How long a keep-alive JSON/HTTP connection waits for its next request.");
ABSL_FLAG(int, http_max_requests_per_connection, 100,
          "Requests on one JSON/HTTP connection before it is closed.");

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
  server.rpc_metrics = false;  // Gateway::AccessLog observes grpc_server_* itself

  common::JwtConfig jwt;
  jwt.issuer = absl::GetFlag(FLAGS_jwt_issuer);
  jwt.audience = absl::GetFlag(FLAGS_jwt_audience);
  jwt.algorithms.clear();
  for (absl::string_view alg :
       absl::StrSplit(absl::GetFlag(FLAGS_jwt_algorithms), ',', absl::SkipEmpty())) {
    jwt.algorithms.insert(std::string(alg));
  }
  jwt.max_lifetime = absl::GetFlag(FLAGS_jwt_max_lifetime);
  if (jwt.max_lifetime <= absl::ZeroDuration() || jwt.max_lifetime == absl::InfiniteDuration()) {
    common::FailStartup("gateway", "--jwt_max_lifetime must be a positive, finite duration");
  }
  if (!absl::GetFlag(FLAGS_jwt_hs256_secret_file).empty()) {
    jwt.hs256_secret =
        ReadOrFail("jwt_hs256_secret_file", absl::GetFlag(FLAGS_jwt_hs256_secret_file), true);
    if (absl::Status st = common::CheckKey(jwt.hs256_secret, 32); !st.ok()) {
      common::FailStartup("gateway", absl::StrCat("--jwt_hs256_secret_file: ", st.message()));
    }
  }
  if (!absl::GetFlag(FLAGS_jwt_jwks_file).empty()) {
    jwt.jwks_json = ReadOrFail("jwt_jwks_file", absl::GetFlag(FLAGS_jwt_jwks_file), false);
  }
  if (jwt.hs256_secret.empty() && jwt.jwks_json.empty()) {
    common::FailStartup(
        "gateway", "set --jwt_hs256_secret_file or --jwt_jwks_file: no token could be verified");
  }
  auto verifier = common::JwtVerifier::Create(jwt);
  if (!verifier.ok()) {
    common::FailStartup("gateway", absl::StrCat("--jwt_jwks_file/--jwt_hs256_secret_file: ",
                                                verifier.status().message()));
  }

  gateway::GatewayConfig config;
  config.routes = gateway::DefaultRoutes();
  config.targets = {{"personnel", absl::GetFlag(FLAGS_personnel_target)},
                    {"funds", absl::GetFlag(FLAGS_funds_target)},
                    {"tasks", absl::GetFlag(FLAGS_tasks_target)},
                    {"accountability", absl::GetFlag(FLAGS_accountability_target)},
                    {"auditquery", absl::GetFlag(FLAGS_auditquery_target)},
                    {"auditlog", absl::GetFlag(FLAGS_auditlog_target)}};
  config.internal_key = common::InternalKeyFromFlags("gateway");
  config.default_deadline = absl::GetFlag(FLAGS_default_deadline);
  config.max_deadline = absl::GetFlag(FLAGS_max_deadline);
  config.rate_per_second = absl::GetFlag(FLAGS_rate_limit_rps);
  config.burst = absl::GetFlag(FLAGS_rate_limit_burst);
  config.service_rate_per_second = absl::GetFlag(FLAGS_service_rate_limit_rps);
  config.service_burst = absl::GetFlag(FLAGS_service_rate_limit_burst);
  config.max_in_flight_per_backend = absl::GetFlag(FLAGS_max_inflight_per_backend);
  config.max_in_flight_per_principal = absl::GetFlag(FLAGS_max_inflight_per_principal);
  config.max_in_flight_per_service = absl::GetFlag(FLAGS_max_inflight_per_service);
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

  server.reflection = absl::GetFlag(FLAGS_reflection);
  gateway::HttpFrontOptions http_options;
  http_options.threads = absl::GetFlag(FLAGS_http_threads);
  http_options.max_waiting = absl::GetFlag(FLAGS_http_max_waiting);
  http_options.request_timeout = absl::GetFlag(FLAGS_http_request_timeout);
  http_options.busy_request_timeout = absl::GetFlag(FLAGS_http_busy_request_timeout);
  http_options.write_timeout = absl::GetFlag(FLAGS_http_write_timeout);
  http_options.idle_timeout = absl::GetFlag(FLAGS_http_idle_timeout);
  http_options.max_requests_per_connection = absl::GetFlag(FLAGS_http_max_requests_per_connection);
  if (http_options.threads < 1 || http_options.max_waiting < 0 ||
      http_options.max_requests_per_connection < 1) {
    common::FailStartup("gateway",
                        "need --http_threads >= 1, --http_max_waiting >= 0 and "
                        "--http_max_requests_per_connection >= 1");
  }
  for (absl::Duration d : {http_options.request_timeout, http_options.busy_request_timeout,
                           http_options.write_timeout, http_options.idle_timeout}) {
    if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
      common::FailStartup("gateway", "the --http_*_timeout flags must be positive and finite");
    }
  }
  if (!absl::GetFlag(FLAGS_tls_cert_file).empty()) {
    // The JSON/HTTP port takes the same certificate and client CAs as the gRPC port.
    http_options.tls_key_pem = ReadOrFail("tls_key_file", absl::GetFlag(FLAGS_tls_key_file), false);
    http_options.tls_cert_pem =
        ReadOrFail("tls_cert_file", absl::GetFlag(FLAGS_tls_cert_file), false);
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({http_options.tls_key_pem, http_options.tls_cert_pem});
    if (!absl::GetFlag(FLAGS_tls_client_ca_file).empty()) {
      http_options.tls_client_ca_pem =
          ReadOrFail("tls_client_ca_file", absl::GetFlag(FLAGS_tls_client_ca_file), false);
      ssl.pem_root_certs = http_options.tls_client_ca_pem;
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    server.credentials = grpc::SslServerCredentials(ssl);
  } else if (!absl::GetFlag(FLAGS_tls_client_ca_file).empty()) {
    common::FailStartup("gateway", "--tls_client_ca_file needs --tls_cert_file and --tls_key_file");
  }

  if (absl::GetFlag(FLAGS_proxy_threads) < 0)
    common::FailStartup("gateway", "--proxy_threads must be >= 0");
  gateway::ProxyService proxy(**gw, absl::GetFlag(FLAGS_proxy_threads));
  gateway::HttpFront http(**gw, http_options);
  int http_port = absl::GetFlag(FLAGS_http_port);
  if (http_port >= 0) {
    std::string error;
    int bound = http.Start(server.host, http_port, &error);
    if (bound < 0) common::FailStartup("gateway", absl::StrCat("JSON/HTTP: ", error));
    common::LogInfo("serving JSON over HTTP",
                    {{"http_port", std::to_string(bound)},
                     {"tls", http_options.tls_cert_pem.empty()        ? "off"
                             : http_options.tls_client_ca_pem.empty() ? "on"
                                                                      : "mutual"}});
    if (!server.port_file.empty()) server.port_file_extra = absl::StrCat(" ", bound);
  }
  server.async_service = &proxy;
  server.on_stopping = [&http] { http.Stop(); };
  return common::RunServer(std::move(server));
}
