#pragma once
// How a service calls another service: through the gateway, with its own service-role
// token, never by reading the other's schema. One channel, shared by all calls. Service
// tokens are short-lived (the gateway refuses any that lives longer than its
// --jwt_max_lifetime): WatchTokenFile picks up a rotated one without a restart.

#include <chrono>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace tuopin::common {

class GatewayClient {
 public:
  // `target` like "dns:///gateway:50051"; `token` the service's JWT (role service).
  GatewayClient(const std::string& target, std::string token);
  GatewayClient(std::shared_ptr<grpc::Channel> channel, std::string token)
      : channel_(std::move(channel)), token_(std::make_shared<TokenSource>(std::move(token))) {}

  // Reads the token again from `path` at most every `every` (when a call needs it), so a
  // re-minted token (a rewritten file, a Kubernetes Secret volume updated in place) is
  // used without a restart. While the file is unreadable or empty the last token stays.
  // Copies of the client share the token.
  void WatchTokenFile(std::string path, absl::Duration every = absl::Seconds(30));

  // A context carrying the token and a deadline.
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration deadline = absl::Seconds(5)) const;
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // The token the next call carries.
  std::string Token() const;

 private:
  struct TokenSource {
    explicit TokenSource(std::string t) : token(std::move(t)) {}
    absl::Mutex mu;
    std::string token ABSL_GUARDED_BY(mu);
    std::string file ABSL_GUARDED_BY(mu);
    absl::Duration reread_every ABSL_GUARDED_BY(mu) = absl::InfiniteDuration();
    absl::Time next_read ABSL_GUARDED_BY(mu) = absl::InfiniteFuture();
  };

  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<TokenSource> token_;
};

}  // namespace tuopin::common
