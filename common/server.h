#pragma once
// RunServer: how every Tuopin binary serves. grpc.health.v1 (overall "" and each
// service), server reflection, Prometheus metrics over HTTP (requests by method and code,
// latency histograms), and a graceful stop on SIGTERM/SIGINT: health NOT_SERVING first,
// a grace period for load balancers to notice, then a bounded drain.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "prometheus/registry.h"

namespace tuopin::common {

// What a tag on a completion queue RunServer's services share points to: one step of one
// call, done when the queue returns the tag.
class CompletionStep {
 public:
  virtual void Done(bool ok) = 0;

 protected:
  ~CompletionStep() = default;
};

// A service driven by its own completion-queue threads (the gateway's proxy): registered
// before the server starts, started after, stopped once the server has shut down.
class AsyncService {
 public:
  virtual ~AsyncService() = default;
  virtual void Register(grpc::ServerBuilder& builder) = 0;
  virtual void Start() = 0;
  // After grpc::Server::Shutdown returned and every other service posting on queue() has
  // stopped: finishes what is left and joins the threads.
  virtual void Stop() = 0;
  // Once registered, the queue its threads poll, if every tag on it is a CompletionStep*:
  // the server's health service then posts its calls there instead of polling a queue of
  // its own, since a second thread polling hands events between threads
  // (docs/BENCHMARKS.md).
  virtual grpc::ServerCompletionQueue* queue() { return nullptr; }
};

struct ServerOptions {
  std::string name;
  std::string host = "0.0.0.0";
  // 0 picks a free port (tests).
  int port = 0;
  // -1: port + 1000, or a free port when port is 0. 0: a free port.
  int metrics_port = -1;
  // Empty: the gRPC host, so metrics are never reachable where the service is not.
  std::string metrics_host;
  // When set, "<grpc port> <metrics port><port_file_extra>\n" is written there once
  // listening.
  std::string port_file;
  std::string port_file_extra;
  absl::Duration shutdown_grace = absl::Seconds(2);
  absl::Duration drain_timeout = absl::Seconds(10);
  int max_receive_message_bytes = 4 << 20;
  int max_threads = 64;
  // Health Watch streams open at once (each is memory, not a thread); more are refused.
  int max_health_watches = 100;
  // Server reflection. Off on the gateway unless asked for: it answers anyone, holds a
  // thread of the synchronous pool per stream and describes every registered service.
  bool reflection = true;
  std::vector<grpc::Service*> services;
  // Full names of the services, for per-service health ("tuopin.funds.v1.FundsService");
  // with rpc_metrics, only their methods (and health's, reflection's) get their own label
  // values, any other method is "unknown" (common/grpc_metrics.h).
  std::vector<std::string> service_names;
  // Serves every method no registered service has (the gateway's proxy).
  AsyncService* async_service = nullptr;
  // grpc_server_handled_total and grpc_server_handling_seconds (common/grpc_metrics.h), from
  // a gRPC interceptor on every call. Off in the gateway, which times what it forwards itself
  // (the interceptor machinery cost its proxy ~10 % of its throughput).
  bool rpc_metrics = true;
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Called when the stop begins (health already NOT_SERVING), e.g. to stop a relay.
  std::function<void()> on_stopping;
};

// The metrics registry of this process, served by RunServer.
prometheus::Registry& MetricsRegistry();

// Serves until SIGTERM or SIGINT, then stops gracefully. Returns the process exit code.
int RunServer(ServerOptions options);

}  // namespace tuopin::common
