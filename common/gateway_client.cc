#include "common/gateway_client.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace tuopin::common {

GatewayClient::GatewayClient(const std::string& target, std::string token)
    : channel_(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())),
      token_(std::move(token)) {}

std::unique_ptr<grpc::ClientContext> GatewayClient::Context(absl::Duration deadline) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  return ctx;
}

}  // namespace tuopin::common
