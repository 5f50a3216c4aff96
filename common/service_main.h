#pragma once
// The start-up every service binary shares: flags (with TUOPIN_* overrides), the
// database pool, migrations, the gateway's principal key, and the server options.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit_event.h"
#include "common/audit_sink.h"
#include "common/db.h"
#include "common/gateway_client.h"
#include "common/group_commit.h"
#include "common/handler.h"
#include "common/migrate.h"
#include "common/outbox.h"
#include "common/server.h"

namespace tuopin::common {

struct ServiceEnv {
  ServiceEnv() = default;
  ServiceEnv(ServiceEnv&&) = default;
  ServiceEnv& operator=(ServiceEnv&&) = default;
  ~ServiceEnv();
  ServerOptions server;
  std::unique_ptr<ConnectionPool> pool;
  // Shared with the gateway: authenticates the forwarded principal.
  std::string internal_key;
  // Keys the digests in this service's audit events (--digest_key_file).
  DigestKey digest_key;
  // Signs page tokens.
  std::string page_token_key;
  // How to reach the gateway, for calls to other services and the outbox relay.
  std::string gateway_target;
  std::string service_token_file;
  // The token read from service_token_file (empty without one), and the client and the
  // outbox relay built on it: StartOutboxRelay ships this service's audit events to the
  // log through the gateway.
  std::string service_token;
  std::unique_ptr<GatewayClient> gateway;
  std::unique_ptr<GatewayAuditSink> audit_sink;
  std::unique_ptr<OutboxRelay> relay;
};

// --group_commit_*, for a service whose store writes concurrent calls in groups; exits
// with status 2 when they are out of range or take more than half the connection pool.
GroupCommitOptions GroupCommitFromFlags(const ServiceEnv& env);

// Starts the outbox relay when the service has a token (and --relay_outbox is on); logs
// a warning otherwise, since its audit events then stay in its outbox.
// The frame of one gRPC service of a binary: its descriptor, the Authorizer that reads its
// policies (one Authorizer holds one service's descriptor) and the Handler its adapter runs
// every call through. A binary serving several services keeps one frame each.
class ServiceFrame {
 public:
  ServiceFrame(const ServiceEnv& env, std::string service, const std::string& full_name,
               DigestForm digest_form = nullptr)
      : descriptor_(FindService(full_name)),
        authorizer_(env.internal_key, descriptor_, SystemClock::Get(), env.digest_key),
        handler_(std::move(service), authorizer_, *SystemClock::Get(), std::move(digest_form)) {}
  ServiceFrame(const ServiceFrame&) = delete;
  ServiceFrame& operator=(const ServiceFrame&) = delete;

  const Handler& handler() const { return handler_; }
  const std::string& full_name() const { return descriptor_->full_name(); }

 private:
  const google::protobuf::ServiceDescriptor* descriptor_;
  Authorizer authorizer_;
  Handler handler_;
};

void StartOutboxRelay(ServiceEnv& env);

// Parses flags and prepares the service. With --migrate_only it applies migrations and
// exits. Exits with status 2 on bad configuration, with a message naming what is wrong.
ServiceEnv InitService(int argc, char** argv, const std::string& name, int default_port,
                       const std::vector<Migration>& migrations);

}  // namespace tuopin::common
