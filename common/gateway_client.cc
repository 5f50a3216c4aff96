#include "common/gateway_client.h"

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace tuopin::common {

GatewayClient::GatewayClient(const std::string& target, std::string token)
    : channel_(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())),
      token_(std::make_shared<TokenSource>(std::move(token))) {}

void GatewayClient::WatchTokenFile(std::string path, absl::Duration every) {
  absl::MutexLock lock(&token_->mu);
  token_->file = std::move(path);
  token_->reread_every = every;
  token_->next_read = absl::Now() + every;
}

std::string GatewayClient::Token() const {
  TokenSource& t = *token_;
  absl::MutexLock lock(&t.mu);
  absl::Time now = absl::Now();
  if (now >= t.next_read) {
    t.next_read = now + t.reread_every;
    if (auto token = ReadSecretFile(t.file); token.ok()) t.token = *std::move(token);
  }
  return t.token;
}

std::unique_ptr<grpc::ClientContext> GatewayClient::Context(absl::Duration deadline) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", Token()));
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  return ctx;
}

}  // namespace tuopin::common
