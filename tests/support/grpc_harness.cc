#include "tests/support/grpc_harness.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace tuopin::testing {

TestServer::TestServer(std::vector<grpc::Service*> services, common::AsyncService* async)
    : async_(async) {
  grpc::ServerBuilder builder;
  if (async_ != nullptr) async_->Register(builder);
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  for (auto* s : services) builder.RegisterService(s);
  server_ = builder.BuildAndStart();
  if (async_ != nullptr) async_->Start();
  channel_ =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
}

TestServer::~TestServer() {
  server_->Shutdown(std::chrono::system_clock::now());
  if (async_ != nullptr) async_->Stop();
}

common::Principal MakePrincipal(const std::string& subject,
                                std::initializer_list<common::Role> roles,
                                std::initializer_list<std::string> regions) {
  common::Principal p;
  p.set_subject(subject);
  for (auto r : roles) p.add_roles(r);
  for (const auto& r : regions) p.add_region_scopes(r);
  return p;
}

std::unique_ptr<grpc::ClientContext> ContextAs(const common::Principal& principal,
                                               const std::string& key) {
  common::Principal p = principal;
  *p.mutable_expires_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
      absl::ToUnixSeconds(absl::Now() + absl::Minutes(1)));
  auto signed_p = common::SignPrincipal(p, key);
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata(common::kPrincipalHeader, signed_p.bytes);
  ctx->AddMetadata(common::kPrincipalSigHeader, signed_p.signature);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

std::string ViolatedField(const grpc::Status& status) {
  auto v = common::FieldViolationsOf(status);
  return v.empty() ? "" : v[0].first;
}

std::string Ed25519PrivateKeyPem() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, len);
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

}  // namespace tuopin::testing
