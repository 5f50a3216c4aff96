#pragma once
// Server-side RPC metrics named and labelled as the gRPC ecosystem names them
// (grpc-ecosystem/go-grpc-prometheus, java-grpc-prometheus), so dashboards and alerts
// written for those work unchanged:
//   grpc_server_handled_total{grpc_type, grpc_service, grpc_method, grpc_code}
//   grpc_server_handling_seconds{grpc_type, grpc_service, grpc_method}  (histogram)
// grpc_code is the code's name as Go's codes.Code.String() spells it ("OK",
// "InvalidArgument", "Unavailable", ...), never its number. Every server but the gateway
// observes its calls from an interceptor (common/server.cc); the gateway observes the calls
// it serves itself (services/gateway), with only the methods of its routes as label values.

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"

namespace tuopin::common {

// The name of gRPC status code `code` as the ecosystem's metrics label it; "Unknown" for a
// number that is no code.
absl::string_view GrpcCodeName(int code);

// The counters and histogram of one method. Children are made on a method's first call
// with each code (not for all 17 codes up front), then only read: Observe takes no lock.
class GrpcMethodMetrics {
 public:
  void Observe(int code, double seconds);
  const std::string& service() const { return service_; }
  const std::string& method() const { return method_; }

 private:
  friend class GrpcServerMetrics;
  GrpcMethodMetrics(std::string type, std::string service, std::string method)
      : type_(std::move(type)), service_(std::move(service)), method_(std::move(method)) {}
  std::string type_, service_, method_;
  std::array<std::atomic<prometheus::Counter*>, 17> handled_{};
  std::atomic<prometheus::Histogram*> latency_{nullptr};
};

class GrpcServerMetrics {
 public:
  static GrpcServerMetrics& Get();
  // Gives every method of the service `service_full_name` ("tuopin.funds.v1.FundsService")
  // its own labels; false when this process's descriptor pool does not know the service.
  // RunServer does this for the services it serves, before it starts.
  bool AddService(absl::string_view service_full_name);
  // Gives the method `full_method` ("/<service>/<method>", found in the descriptor pool)
  // its own labels and returns them (the gateway's routes); Unknown() if the pool does
  // not know it.
  GrpcMethodMetrics* AddMethod(absl::string_view full_method);
  // The metrics of `full_method` ("/tuopin.funds.v1.FundsService/GetLedger") if added
  // above, exactly as gRPC spells the path (the service's full name, "/", the method's);
  // any other path, also one of a service linked in but not served or split elsewhere
  // ("/tuopin.funds.v1/FundsService.GetLedger"), shares the entry labelled "unknown",
  // so a caller cannot grow the label values. That entry's grpc_type is always "unary":
  // what an unknown method would have been is not known.
  GrpcMethodMetrics* ForMethod(absl::string_view full_method);
  GrpcMethodMetrics* Unknown() { return unknown_; }

 private:
  GrpcServerMetrics();
  friend class GrpcMethodMetrics;
  GrpcMethodMetrics* Add(const google::protobuf::MethodDescriptor* d)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& latency_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<GrpcMethodMetrics>> methods_
      ABSL_GUARDED_BY(mu_);
  GrpcMethodMetrics* unknown_;
};

}  // namespace tuopin::common
