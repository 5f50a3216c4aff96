// tuopin-auditquery: the auditors' read-only views (AuditQueryService). It owns no
// database: it reads the other services through the gateway with its own service token
// and appends its access events to the audit log the same way.

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/auth.h"
#include "common/config.h"
#include "common/gateway_client.h"
#include "common/handler.h"
#include "common/server_flags.h"
#include "services/auditquery/auditquery_service.h"
#include "services/auditquery/suite_reader.h"

ABSL_FLAG(std::string, gateway, "127.0.0.1:50051", "The gateway, for calls to other services.");
ABSL_FLAG(std::string, service_token_file, "",
          "File with this service's own JWT (role service) for calls through the gateway.");

int main(int argc, char** argv) {
  using namespace tuopin;
  common::ParseFlags(argc, argv,
                     "the audit-query service of Tuopin. Every flag --x can also be set as "
                     "TUOPIN_X.");
  common::ServerOptions server = common::ServerOptionsFromFlags("auditquery", 50065);
  std::string internal_key = common::InternalKeyFromFlags("auditquery");
  if (absl::GetFlag(FLAGS_service_token_file).empty()) {
    common::FailStartup("auditquery",
                        "--service_token_file is required: audit-query reads the suite through "
                        "the gateway");
  }
  auto token = common::ReadSecretFile(absl::GetFlag(FLAGS_service_token_file));
  if (!token.ok()) {
    common::FailStartup("auditquery",
                        absl::StrCat("--service_token_file: ", token.status().message()));
  }
  common::GatewayClient gateway(absl::GetFlag(FLAGS_gateway), *token);
  gateway.WatchTokenFile(absl::GetFlag(FLAGS_service_token_file));
  auditquery::GatewaySuiteReader suite(gateway);
  common::RandomIdGenerator ids;
  auditquery::AuditQueryLogic logic(suite, ids, *common::SystemClock::Get());
  const auto* descriptor =
      common::FindService(auditquery::v1::AuditQueryService::service_full_name());
  common::Authorizer authorizer(internal_key, descriptor, common::SystemClock::Get(),
                                common::DigestKeyFromFlags("auditquery", internal_key));
  common::Handler handler("auditquery", authorizer, *common::SystemClock::Get());
  auto service = auditquery::NewAuditQueryService(logic, handler);
  server.services = {service.get()};
  server.service_names = {descriptor->full_name()};
  return common::RunServer(std::move(server));
}
