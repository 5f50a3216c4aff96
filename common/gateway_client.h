#pragma once
// How a service calls another service: through the gateway, with its own service-role
// token, never by reading the other's schema. One channel, shared by all calls.

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace tuopin::common {

class GatewayClient {
 public:
  // `target` like "dns:///gateway:50051"; `token` the service's JWT (role service).
  GatewayClient(const std::string& target, std::string token);
  GatewayClient(std::shared_ptr<grpc::Channel> channel, std::string token)
      : channel_(std::move(channel)), token_(std::move(token)) {}

  // A context carrying the token and a deadline.
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration deadline = absl::Seconds(5)) const;
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::string token_;
};

}  // namespace tuopin::common
