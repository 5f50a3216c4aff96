#include "common/grpc_metrics.h"

#include "absl/strings/str_cat.h"
#include "common/server.h"

namespace tuopin::common {

absl::string_view GrpcCodeName(int code) {
  // grpc-go's codes.Code.String(), which go-grpc-prometheus puts in grpc_code.
  static constexpr std::array<absl::string_view, 17> kNames = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  if (code < 0 || code >= static_cast<int>(kNames.size())) return "Unknown";
  return kNames[code];
}

void GrpcMethodMetrics::Observe(int code, double seconds) {
  if (code < 0 || code >= static_cast<int>(handled_.size())) code = 2;  // UNKNOWN
  auto& metrics = GrpcServerMetrics::Get();
  prometheus::Counter* counter = handled_[code].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the existing child for the same labels: a race only repeats it.
    counter = &metrics.handled_.Add({{"grpc_type", type_},
                                     {"grpc_service", service_},
                                     {"grpc_method", method_},
                                     {"grpc_code", std::string(GrpcCodeName(code))}});
    handled_[code].store(counter, std::memory_order_release);
  }
  prometheus::Histogram* histogram = latency_.load(std::memory_order_acquire);
  if (histogram == nullptr) {
    histogram = &metrics.latency_.Add(
        {{"grpc_type", type_}, {"grpc_service", service_}, {"grpc_method", method_}},
        prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
    latency_.store(histogram, std::memory_order_release);
  }
  counter->Increment();
  histogram->Observe(seconds);
}

GrpcServerMetrics& GrpcServerMetrics::Get() {
  static GrpcServerMetrics* m = new GrpcServerMetrics();
  return *m;
}

GrpcServerMetrics::GrpcServerMetrics()
    : handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("Total number of RPCs completed on the server, regardless of success or "
                         "failure.")
                   .Register(MetricsRegistry())),
      latency_(prometheus::BuildHistogram()
                   .Name("grpc_server_handling_seconds")
                   .Help("Histogram of response latency (seconds) of gRPC that had been "
                         "application-level handled by the server.")
                   .Register(MetricsRegistry())) {
  auto unknown =
      std::unique_ptr<GrpcMethodMetrics>(new GrpcMethodMetrics("unary", "unknown", "unknown"));
  unknown_ = unknown.get();
  methods_[""] = std::move(unknown);
}

bool GrpcServerMetrics::AddService(absl::string_view service_full_name) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(service_full_name));
  if (service == nullptr) return false;
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < service->method_count(); ++i) Add(service->method(i));
  return true;
}

GrpcMethodMetrics* GrpcServerMetrics::AddMethod(absl::string_view full_method) {
  // "/<service>/<method>", both known to the descriptor pool.
  const google::protobuf::MethodDescriptor* d = nullptr;
  if (full_method.size() > 1 && full_method[0] == '/') {
    absl::string_view path = full_method.substr(1);
    size_t slash = path.find('/');
    if (slash != absl::string_view::npos) {
      d = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          absl::StrCat(path.substr(0, slash), ".", path.substr(slash + 1)));
    }
  }
  if (d == nullptr) return unknown_;
  absl::MutexLock lock(&mu_);
  return Add(d);
}

GrpcMethodMetrics* GrpcServerMetrics::Add(const google::protobuf::MethodDescriptor* d) {
  // Kept under the path gRPC gives the method, whatever split found it.
  std::string key = absl::StrCat("/", d->service()->full_name(), "/", d->name());
  auto it = methods_.find(key);
  if (it != methods_.end()) return it->second.get();
  const char* type = d->client_streaming()
                         ? (d->server_streaming() ? "bidi_stream" : "client_stream")
                         : (d->server_streaming() ? "server_stream" : "unary");
  auto m = std::unique_ptr<GrpcMethodMetrics>(
      new GrpcMethodMetrics(type, d->service()->full_name(), d->name()));
  GrpcMethodMetrics* out = m.get();
  methods_.emplace(std::move(key), std::move(m));
  return out;
}

GrpcMethodMetrics* GrpcServerMetrics::ForMethod(absl::string_view full_method) {
  // Only methods added (served) have an entry; nothing here grows the map.
  absl::ReaderMutexLock lock(&mu_);
  auto it = methods_.find(full_method);
  return it != methods_.end() ? it->second.get() : unknown_;
}

}  // namespace tuopin::common
