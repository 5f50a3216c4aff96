#include "tests/support/grpc_harness.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/client_interceptor.h"

namespace tuopin::testing {
namespace {

// ContextAs cannot know the method a context will be used for; the test channel's
// interceptor signs the principal for it, as the gateway does, with the key ContextAs
// left in a test-only header (never sent).
constexpr char kTestSignKeyHeader[] = "x-tuopin-test-sign-key-bin";

class SigningInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit SigningInterceptor(grpc::experimental::ClientRpcInfo* info) : method_(info->method()) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      auto* md = methods->GetSendInitialMetadata();
      auto key = md->find(kTestSignKeyHeader);
      auto bytes = md->find(common::kPrincipalHeader);
      if (key != md->end() && bytes != md->end()) {
        md->emplace(common::kPrincipalSigHeader,
                    common::PrincipalSignature(bytes->second, method_, key->second));
      }
      if (key != md->end()) md->erase(key);
    }
    methods->Proceed();
  }

 private:
  std::string method_;
};

class SigningInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    return new SigningInterceptor(info);
  }
};

}  // namespace

std::shared_ptr<grpc::Channel> SigningChannel(const std::string& target) {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<SigningInterceptorFactory>());
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, grpc::InsecureChannelCredentials(), grpc::ChannelArguments(), std::move(factories));
}

TestServer::TestServer(std::vector<grpc::Service*> services, common::AsyncService* async)
    : async_(async) {
  grpc::ServerBuilder builder;
  if (async_ != nullptr) async_->Register(builder);
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);  // as common/server.cc
  for (auto* s : services) builder.RegisterService(s);
  server_ = builder.BuildAndStart();
  if (async_ != nullptr) async_->Start();
  channel_ = SigningChannel(absl::StrCat("127.0.0.1:", port_));
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
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata(common::kPrincipalHeader, p.SerializeAsString());
  ctx->AddMetadata(kTestSignKeyHeader, key);  // signed for its method by the channel
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
