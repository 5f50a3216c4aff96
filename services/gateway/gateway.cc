#include "services/gateway/gateway.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/audit_event.h"
#include "common/crypto.h"
#include "common/grpc_metrics.h"
#include "common/log.h"
#include "common/server.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace tuopin::gateway {
namespace {

constexpr size_t kMaxCachedTokens = 50000;
constexpr size_t kMaxCachedTokenBytes = 2048;

absl::Status Exhausted(absl::string_view what, common::ErrorReason reason) {
  absl::Status st = common::WithReason(absl::ResourceExhaustedError(what), reason);
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(1);
  st.SetPayload("type.googleapis.com/google.rpc.RetryInfo", absl::Cord(retry.SerializeAsString()));
  return st;
}

// A request id a client may choose: printable ASCII without spaces, at most 128 bytes.
bool AcceptableRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace

std::map<std::string, std::string> DefaultRoutes() {
  return {
      {"tuopin.personnel.v1.PersonnelService", "personnel"},
      {"tuopin.personnel.v1.ExitService", "personnel"},
      {"tuopin.personnel.v1.ExitCriteriaService", "personnel"},
      {"tuopin.funds.v1.FundsService", "funds"},
      {"tuopin.tasks.v1.TaskService", "tasks"},
      {"tuopin.accountability.v1.AccountabilityService", "accountability"},
      {"tuopin.accountability.v1.AssessmentService", "accountability"},
      {"tuopin.auditlog.v1.AuditLog", "auditlog"},
      {"tuopin.auditquery.v1.AuditQueryService", "auditquery"},
  };
}

bool RateLimiter::Allow(const std::string& subject, absl::Time now) {
  Shard& shard = shards_[std::hash<std::string>{}(subject) % kShards];
  absl::MutexLock lock(&shard.mu);
  if (shard.buckets.size() > kMaxBucketsPerShard) shard.buckets.clear();  // bounded memory
  auto [it, inserted] = shard.buckets.try_emplace(subject, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted) {
    b.tokens = std::min(burst_, b.tokens + absl::ToDoubleSeconds(now - b.last) * rate_);
    b.last = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

bool InFlightLimiter::TryAcquire(const std::string& subject, int limit) {
  Shard& shard = shards_[std::hash<std::string>{}(subject) % kShards];
  absl::MutexLock lock(&shard.mu);
  int& n = shard.counts[subject];
  if (n >= limit) {
    if (n == 0) shard.counts.erase(subject);
    return false;
  }
  ++n;
  return true;
}

void InFlightLimiter::Release(const std::string& subject) {
  Shard& shard = shards_[std::hash<std::string>{}(subject) % kShards];
  absl::MutexLock lock(&shard.mu);
  auto it = shard.counts.find(subject);
  if (it == shard.counts.end()) return;
  if (--it->second <= 0) shard.counts.erase(it);
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(GatewayConfig config,
                                                         std::unique_ptr<common::JwtVerifier> jwt,
                                                         const common::Clock* clock) {
  if (config.internal_key.size() < 32) {
    return absl::InvalidArgumentError("the internal key must be at least 32 bytes");
  }
  std::unique_ptr<Gateway> gw(new Gateway(std::move(config), std::move(jwt), clock));
  for (const auto& [service, backend_name] : gw->config_.routes) {
    auto target = gw->config_.targets.find(backend_name);
    if (target == gw->config_.targets.end()) {
      return absl::InvalidArgumentError(absl::StrCat("no target for backend ", backend_name));
    }
    auto& backend = gw->backends_[backend_name];
    if (!backend) {
      backend = std::make_unique<Backend>();
      backend->name = backend_name;
      backend->target = target->second;
      grpc::ChannelArguments args;
      // Spread calls over every address the name resolves to (scaled-out backends).
      args.SetLoadBalancingPolicyName("round_robin");
      args.SetMaxReceiveMessageSize(16 << 20);
      // Calls are not retried by gRPC (the caller decides; mutations carry request ids),
      // so the retry filter would only copy every request; and BDP probing pings the
      // backend after reads, more wakeups than a short unary call is worth.
      args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
      args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
      backend->channel =
          grpc::CreateCustomChannel(target->second, grpc::InsecureChannelCredentials(), args);
      backend->stub = std::make_unique<grpc::GenericStub>(backend->channel);
    }
    gw->service_backend_[service] = backend.get();
    const google::protobuf::ServiceDescriptor* descriptor = common::FindService(service);
    gw->policies_.AddService(descriptor);
    // The gateway's server has no metrics interceptor (gRPC's interceptor machinery cost
    // the proxy ~10 % of its throughput): it observes the calls it serves itself, under
    // the same grpc_server_* families. Only its routes' methods get their own labels.
    for (int i = 0; i < descriptor->method_count(); ++i) {
      std::string path = absl::StrCat("/", service, "/", descriptor->method(i)->name());
      gw->method_metrics_[path] = common::GrpcServerMetrics::Get().AddMethod(path);
    }
  }
  return gw;
}

absl::StatusOr<std::shared_ptr<const Gateway::CachedToken>> Gateway::Authenticate(
    absl::string_view authorization) {
  absl::string_view token = authorization;
  if (token.size() < 7 || !absl::EqualsIgnoreCase(token.substr(0, 7), "bearer ")) {
    return common::WithReason(absl::UnauthenticatedError("missing 'authorization: Bearer <token>'"),
                              common::ErrorReason::NO_TOKEN);
  }
  token.remove_prefix(7);
  absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&cache_mu_);
    auto it = token_cache_.find(token);
    if (it != token_cache_.end() && it->second->valid_until > now) return it->second;
  }
  TUOPIN_ASSIGN_OR_RETURN(common::VerifiedToken verified, jwt_->Verify(token, now));
  common::Principal forwarded = verified.principal;
  absl::Time expires = std::min(verified.expires, now + config_.principal_ttl);
  *forwarded.mutable_expires_at() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(expires));
  auto entry = std::make_shared<const CachedToken>(
      CachedToken{verified.principal, forwarded.SerializeAsString(),
                  // Verify again well before the forwarded signature expires.
                  expires - absl::Seconds(30)});
  if (token.size() <= kMaxCachedTokenBytes) {
    absl::MutexLock lock(&cache_mu_);
    if (token_cache_.size() >= kMaxCachedTokens) token_cache_.clear();
    token_cache_[std::string(token)] = entry;
  }
  return entry;
}

absl::StatusOr<Admission> Gateway::Admit(absl::string_view method, const CallMetadata& md,
                                         std::string* subject_out) {
  Admission a;
  a.method = std::string(method);
  TUOPIN_ASSIGN_OR_RETURN(std::shared_ptr<const CachedToken> token, Authenticate(md.authorization));
  const common::Principal& principal = token->principal;
  a.principal_bytes = &token->principal_bytes;
  a.token = token;
  a.subject = principal.subject();
  *subject_out = a.subject;
  // "/pkg.Service/Method"
  size_t slash = method.rfind('/');
  absl::string_view service = slash == absl::string_view::npos || slash == 0
                                  ? absl::string_view()
                                  : method.substr(1, slash - 1);
  auto backend = service_backend_.find(service);
  const tuopin::common::v1::MethodPolicy* policy = policies_.Find(method);
  if (backend == service_backend_.end() || policy == nullptr) {
    return common::WithReason(
        absl::PermissionDeniedError(
            absl::StrCat("Permission denied on method '", method, "' (or it might not exist)")),
        common::ErrorReason::NO_POLICY);
  }
  TUOPIN_RETURN_IF_ERROR(common::CheckPolicy(principal, *policy, method));
  bool is_service = common::HasRole(principal, tuopin::common::v1::ROLE_SERVICE);
  RateLimiter& limiter = is_service ? service_limiter_ : limiter_;
  if (!limiter.Allow(a.subject, clock_->Now())) {
    return Exhausted("rate limit exceeded for this principal; retry later",
                     common::ErrorReason::RATE_LIMITED);
  }
  a.backend = backend->second;
  a.input = policies_.InputType(method);
  if (!principal_in_flight_.TryAcquire(a.subject, is_service
                                                      ? config_.max_in_flight_per_service
                                                      : config_.max_in_flight_per_principal)) {
    return Exhausted("too many calls in flight for this principal; retry later",
                     common::ErrorReason::PRINCIPAL_BUSY);
  }
  if (a.backend->in_flight.fetch_add(1, std::memory_order_relaxed) >=
      config_.max_in_flight_per_backend) {
    a.backend->in_flight.fetch_sub(1, std::memory_order_relaxed);
    principal_in_flight_.Release(a.subject);
    return Exhausted(absl::StrCat("too many calls in flight to ", a.backend->name),
                     common::ErrorReason::BACKEND_BUSY);
  }
  a.request_id = AcceptableRequestId(md.request_id) ? std::string(md.request_id)
                                                    : common::HexEncode(common::UniqueBytes(16));
  auto now = std::chrono::system_clock::now();
  auto max = now + absl::ToChronoMilliseconds(config_.max_deadline);
  a.deadline = md.deadline == std::chrono::system_clock::time_point::max()
                   ? now + absl::ToChronoMilliseconds(config_.default_deadline)
                   : std::min(md.deadline, max);
  return a;
}

void Gateway::PrepareBackendContext(const Admission& a, const CallMetadata& md,
                                    grpc::ClientContext& ctx) const {
  // The remaining budget travels to the backend as grpc-timeout.
  ctx.set_deadline(a.deadline);
  // Signed for this method only: a principal captured on one hop is refused on any other.
  ctx.AddMetadata(common::kPrincipalHeader, *a.principal_bytes);
  ctx.AddMetadata(common::kPrincipalSigHeader,
                  common::PrincipalSignature(*a.principal_bytes, a.method, config_.internal_key));
  ctx.AddMetadata("x-request-id", a.request_id);
  if (!md.traceparent.empty() && md.traceparent.size() <= 128) {
    ctx.AddMetadata("traceparent", std::string(md.traceparent));
  }
  if (!md.tracestate.empty() && md.tracestate.size() <= 512) {
    ctx.AddMetadata("tracestate", std::string(md.tracestate));
  }
}

Backend* Gateway::BackendOf(absl::string_view service) const {
  auto it = service_backend_.find(service);
  return it == service_backend_.end() ? nullptr : it->second;
}

void Gateway::PrepareOwnContext(absl::string_view method, grpc::ClientContext& ctx) const {
  common::Principal self;
  self.set_subject(common::ServicePrincipalSubject("gateway"));
  self.add_roles(tuopin::common::v1::ROLE_SERVICE);
  self.add_region_scopes("*");
  absl::Time now = clock_->Now();
  *self.mutable_expires_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
      absl::ToUnixSeconds(now + absl::Seconds(60)));
  std::string bytes = self.SerializeAsString();
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ctx.AddMetadata(common::kPrincipalHeader, bytes);
  ctx.AddMetadata(common::kPrincipalSigHeader,
                  common::PrincipalSignature(bytes, method, config_.internal_key));
}

void Gateway::AccessLog(const Backend* backend, absl::string_view method, absl::string_view subject,
                        int code, absl::Duration latency, absl::string_view request_id) const {
  // Every call the gateway served, gRPC and JSON/HTTP alike.
  auto it = method_metrics_.find(method);
  (it != method_metrics_.end() ? it->second : common::GrpcServerMetrics::Get().Unknown())
      ->Observe(code, absl::ToDoubleSeconds(latency));
  if (!access_log_) return;
  // Written by a background thread: the call does not wait for stderr.
  common::LogAsync(common::LogLevel::kInfo, "access",
                   {{"method", std::string(method)},
                    {"subject", std::string(subject)},
                    {"code", std::to_string(code)},
                    {"latency_us", std::to_string(absl::ToInt64Microseconds(latency))},
                    {"request_id", std::string(request_id)},
                    {"backend", backend != nullptr ? backend->name : ""}});
}

}  // namespace tuopin::gateway
