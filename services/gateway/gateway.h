#pragma once
// The gateway's core, shared by its gRPC proxy and its JSON/HTTP front: authenticate the
// bearer JWT, authorize the method by the roles declared in the contract, rate-limit per
// principal, bound the calls in flight per backend, fix the deadline, and prepare the
// backend call (signed principal, request id, trace context). Nothing here queues: past
// a limit a call is refused with RESOURCE_EXHAUSTED at once.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/grpc_metrics.h"
#include "common/jwt.h"
#include "grpcpp/generic/generic_stub.h"

namespace tuopin::gateway {

struct Backend {
  std::string name;    // "personnel"
  std::string target;  // "dns:///127.0.0.1:50061"
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
  std::atomic<int> in_flight{0};
};

struct GatewayConfig {
  // Full service name ("tuopin.funds.v1.FundsService") -> backend name; backend name ->
  // target.
  std::map<std::string, std::string> routes;
  std::map<std::string, std::string> targets;
  std::string internal_key;
  absl::Duration default_deadline = absl::Seconds(10);
  absl::Duration max_deadline = absl::Seconds(60);
  double rate_per_second = 200;
  double burst = 400;
  // Principals with role service (the suite's own services calling each other, the
  // outbox relays, audit-query's fan-out) get their own, larger bucket.
  double service_rate_per_second = 5000;
  double service_burst = 10000;
  int max_in_flight_per_backend = 512;
  // Calls in flight per principal (per gateway replica): one caller's slow reads cannot
  // take every slot of a backend from everyone else. Services fan out, so they get more.
  int max_in_flight_per_principal = 16;
  int max_in_flight_per_service = 128;
  // How long a forwarded principal's signature is valid.
  absl::Duration principal_ttl = absl::Minutes(2);
};

// The services of the suite and the backend each lives in.
std::map<std::string, std::string> DefaultRoutes();

// A token bucket per principal subject, sharded to keep lock contention low. Limits are
// per gateway replica.
class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst) : rate_(rate_per_second), burst_(burst) {}
  bool Allow(const std::string& subject, absl::Time now);

 private:
  struct Bucket {
    double tokens;
    absl::Time last;
  };
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, Bucket> buckets ABSL_GUARDED_BY(mu);
  };
  static constexpr int kShards = 16;
  static constexpr size_t kMaxBucketsPerShard = 65536;
  double rate_, burst_;
  Shard shards_[kShards];
};

// Calls in flight per principal subject, sharded like the rate limiter. Entries at zero
// are removed, so memory follows the callers in flight, not all callers ever seen.
class InFlightLimiter {
 public:
  bool TryAcquire(const std::string& subject, int limit);
  void Release(const std::string& subject);

 private:
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, int> counts ABSL_GUARDED_BY(mu);
  };
  static constexpr int kShards = 16;
  Shard shards_[kShards];
};

// One admitted call: who, where to, until when.
struct Admission {
  std::string method;
  const google::protobuf::Descriptor* input = nullptr;  // the request message type
  Backend* backend = nullptr;
  // The verified caller and the principal's bytes as forwarded to the backend (signed for
  // this call's method in PrepareBackendContext).
  std::shared_ptr<const void> token;
  const std::string* principal_bytes = nullptr;
  std::string subject;
  std::string request_id;
  std::chrono::system_clock::time_point deadline;
};

struct CallMetadata {
  absl::string_view authorization;  // "Bearer <jwt>"
  absl::string_view request_id;
  absl::string_view traceparent;
  absl::string_view tracestate;
  // The client's deadline; time_point::max() when none.
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
};

class Gateway {
 public:
  static absl::StatusOr<std::unique_ptr<Gateway>> Create(GatewayConfig config,
                                                         std::unique_ptr<common::JwtVerifier> jwt,
                                                         const common::Clock* clock);

  // Authenticates and authorizes; on success the call holds an in-flight slot of its
  // backend until Release.
  absl::StatusOr<Admission> Admit(absl::string_view method, const CallMetadata& md,
                                  std::string* subject_out);
  void Release(const Admission& a) {
    a.backend->in_flight.fetch_sub(1, std::memory_order_relaxed);
    principal_in_flight_.Release(a.subject);
  }
  // Sets deadline and metadata of the backend call.
  void PrepareBackendContext(const Admission& a, const CallMetadata& md,
                             grpc::ClientContext& ctx) const;
  // The backend serving `service` ("tuopin.auditlog.v1.AuditLog"), or null.
  Backend* BackendOf(absl::string_view service) const;
  // Deadline and metadata of a call the gateway makes as itself, the service principal
  // "service:gateway" (an export's record in the audit log): the gateway signs every
  // principal it forwards, so it vouches for its own without a token.
  void PrepareOwnContext(absl::string_view method, grpc::ClientContext& ctx) const;
  // Counts a finished call and writes its access-log line; `backend` is null for a call
  // refused before it was routed.
  void AccessLog(const Backend* backend, absl::string_view method, absl::string_view subject,
                 int code, absl::Duration latency, absl::string_view request_id) const;
  void set_access_log(bool on) { access_log_ = on; }

  const common::MethodPolicies& policies() const { return policies_; }

 private:
  Gateway(GatewayConfig config, std::unique_ptr<common::JwtVerifier> jwt,
          const common::Clock* clock)
      : config_(std::move(config)),
        jwt_(std::move(jwt)),
        clock_(clock),
        limiter_(config_.rate_per_second, config_.burst),
        service_limiter_(config_.service_rate_per_second, config_.service_burst) {}
  struct CachedToken {
    common::Principal principal;
    std::string principal_bytes;  // the forwarded principal, with its short expiry
    absl::Time valid_until;
  };
  absl::StatusOr<std::shared_ptr<const CachedToken>> Authenticate(absl::string_view authorization);

  GatewayConfig config_;
  std::unique_ptr<common::JwtVerifier> jwt_;
  const common::Clock* clock_;
  RateLimiter limiter_;
  RateLimiter service_limiter_;
  InFlightLimiter principal_in_flight_;
  common::MethodPolicies policies_;
  std::map<std::string, std::unique_ptr<Backend>> backends_;
  absl::flat_hash_map<std::string, Backend*> service_backend_;
  bool access_log_ = true;
  // grpc_server_handled_total and _handling_seconds of each routed method
  // ("/tuopin.funds.v1.FundsService/GetLedger"), from arrival to status; any other method
  // is counted as "unknown".
  absl::flat_hash_map<std::string, common::GrpcMethodMetrics*> method_metrics_;

  // Verified tokens, so that a client's repeated calls skip JWT verification and
  // principal signing until the signed principal nears its expiry.
  absl::Mutex cache_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const CachedToken>> token_cache_
      ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace tuopin::gateway
