#include "common/server.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_metrics.h"
#include "common/health.h"
#include "common/log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/server.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/exposer.h"

namespace tuopin::common {
namespace {

// Observes each call's method, status and latency. (Interceptors in gRPC 1.51 cannot
// reject calls; they only watch here.)
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(grpc::experimental::ServerRpcInfo* info)
      : metrics_(info->method() ? GrpcServerMetrics::Get().ForMethod(info->method())
                                : GrpcServerMetrics::Get().Unknown()),
        start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_);
      metrics_->Observe(methods->GetSendStatus().error_code(), elapsed.count());
    }
    methods->Proceed();
  }

 private:
  GrpcMethodMetrics* metrics_;
  std::chrono::steady_clock::time_point start_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(info);
  }
};

// Removes the server reflection plugin, which gRPC's reflection library registers for every
// server builder when it is loaded.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
      return p->name() == "proto_server_reflection";
    });
  }
};

}  // namespace

namespace {
// The exposer holds collectables by weak_ptr: the registry must stay owned for the
// whole process.
const std::shared_ptr<prometheus::Registry>& SharedRegistry() {
  static auto* registry =
      new std::shared_ptr<prometheus::Registry>(std::make_shared<prometheus::Registry>());
  return *registry;
}
}  // namespace

prometheus::Registry& MetricsRegistry() { return *SharedRegistry(); }

namespace {
// Log lines dropped because the asynchronous log's queue was full (the access log), read
// at each scrape: nothing is dropped without a trace.
class DroppedLogLines final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily family;
    family.name = "tuopin_log_dropped_lines_total";
    family.help = "Log lines (the access log) dropped because the log queue was full.";
    family.type = prometheus::MetricType::Counter;
    prometheus::ClientMetric metric;
    metric.counter.value = static_cast<double>(DroppedAsyncLogLines());
    family.metric.push_back(std::move(metric));
    return {std::move(family)};
  }
};
const std::shared_ptr<DroppedLogLines>& SharedDroppedLogLines() {
  static auto* c = new std::shared_ptr<DroppedLogLines>(std::make_shared<DroppedLogLines>());
  return *c;
}
}  // namespace

int RunServer(ServerOptions options) {
  // Signals are taken by sigwait below; every thread created from here on inherits the
  // mask, so none of gRPC's threads is interrupted by them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Debian's Abseil keeps mutex deadlock detection on: a global lock-order graph
  // updated on every lock, a debugging aid that costs every RPC. Off in servers.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  GrpcServerMetrics::Get();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  HealthService health(options.max_health_watches);

  grpc::ServerBuilder builder;
  int bound_port = 0;
  auto creds = options.credentials ? options.credentials : grpc::InsecureServerCredentials();
  builder.AddListeningPort(absl::StrCat(options.host, ":", options.port), creds, &bound_port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  // gRPC listens with SO_REUSEPORT by default: a second process of the same user may bind
  // the same port and the kernel then splits the connections between the two. A stray or
  // misconfigured process would silently take part of this service's calls (in the test
  // suite, another suite's gateway answered a service's calls). A port in use is a failure
  // to start instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // No BDP-probe pings after reads: unary calls of a few kilobytes gain nothing from a
  // larger flow-control window and pay a wakeup for each ping and its answer.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  // A thread that served a call waits for the next instead of exiting: with gRPC's
  // default (at most two idle pollers) a service under load created and destroyed a
  // thread every few calls (140 clone3/s in the ledger benchmark). Threads stay up to
  // max_threads, the bound the resource quota sets anyway.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              options.max_threads);
  grpc::ResourceQuota quota(absl::StrCat("tuopin-", options.name));
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  if (!options.reflection) builder.SetOption(std::make_unique<WithoutReflection>());
  for (grpc::Service* s : options.services) builder.RegisterService(s);
  if (options.async_service != nullptr) options.async_service->Register(builder);
  health.Register(builder,
                  options.async_service != nullptr ? options.async_service->queue() : nullptr);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  if (options.rpc_metrics) {
    // Only the methods this server serves get their own label values; any other path a
    // caller sends, of a service merely linked in too, is "unknown".
    for (const auto& name : options.service_names) {
      if (!GrpcServerMetrics::Get().AddService(name)) {
        LogError("service not in the descriptor pool: its calls are counted as unknown",
                 {{"service", name}});
      }
    }
    GrpcServerMetrics::Get().AddService("grpc.health.v1.Health");
    if (options.reflection) {
      GrpcServerMetrics::Get().AddService("grpc.reflection.v1alpha.ServerReflection");
    }
    factories.push_back(std::make_unique<MetricsInterceptorFactory>());
    builder.experimental().SetInterceptorCreators(std::move(factories));
  }

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    LogError("cannot listen", {{"address", absl::StrCat(options.host, ":", options.port)}});
    return 1;
  }
  if (options.async_service != nullptr) options.async_service->Start();

  int metrics_port = options.metrics_port;
  if (metrics_port < 0) metrics_port = options.port == 0 ? 0 : options.port + 1000;
  std::unique_ptr<prometheus::Exposer> exposer;
  const std::string& metrics_host =
      options.metrics_host.empty() ? options.host : options.metrics_host;
  try {
    exposer = std::make_unique<prometheus::Exposer>(absl::StrCat(metrics_host, ":", metrics_port));
    exposer->RegisterCollectable(SharedRegistry());
    exposer->RegisterCollectable(SharedDroppedLogLines());
    metrics_port = exposer->GetListeningPorts().at(0);
  } catch (const std::exception& e) {
    LogError("cannot serve metrics", {{"port", std::to_string(metrics_port)}, {"error", e.what()}});
    server->Shutdown();
    if (options.async_service != nullptr) options.async_service->Stop();
    return 1;
  }

  // Health calls wait unanswered until here (milliseconds); a server that failed to start
  // has none to finish.
  health.Start();
  health.SetServingStatus("", true);
  for (const auto& name : options.service_names) health.SetServingStatus(name, true);
  if (!options.port_file.empty()) {
    std::string tmp = options.port_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << bound_port << " " << metrics_port << options.port_file_extra << "\n";
    }
    std::rename(tmp.c_str(), options.port_file.c_str());
  }
  LogInfo("serving", {{"service", options.name},
                      {"grpc_port", std::to_string(bound_port)},
                      {"metrics_port", std::to_string(metrics_port)},
                      {"metrics_host", metrics_host}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  LogInfo("stopping", {{"service", options.name}, {"signal", std::to_string(sig)}});
  health.SetServingStatus(false);
  if (options.on_stopping) options.on_stopping();
  absl::SleepFor(options.shutdown_grace);
  health.Shutdown();  // ends Watch streams, which would otherwise hold the drain
  server->Shutdown(std::chrono::system_clock::now() +
                   absl::ToChronoMilliseconds(options.drain_timeout));
  health.Stop();  // before the queue it may share with the async service closes
  if (options.async_service != nullptr) options.async_service->Stop();
  server->Wait();
  FlushAsyncLog();
  LogInfo("stopped", {{"service", options.name}});
  return 0;
}

}  // namespace tuopin::common
