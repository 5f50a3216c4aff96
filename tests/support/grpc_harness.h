#pragma once
// Serves real service implementations on a loopback port for integration tests, and
// makes client contexts that carry a principal signed the way the gateway signs it.

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "common/auth.h"
#include "common/server.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server.h"

namespace tuopin::testing {

inline constexpr char kTestInternalKey[] = "test-internal-key-0123456789abcdef0123456789";

class TestServer {
 public:
  // async: started with the server and stopped when it is destroyed (the gateway's proxy).
  explicit TestServer(std::vector<grpc::Service*> services, common::AsyncService* async = nullptr);
  ~TestServer();
  int port() const { return port_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  common::AsyncService* async_ = nullptr;
  std::shared_ptr<grpc::Channel> channel_;
  int port_ = 0;
};

common::Principal MakePrincipal(const std::string& subject,
                                std::initializer_list<common::Role> roles,
                                std::initializer_list<std::string> regions);

// A context carrying the principal, signed with `key` for the method it is used for (by
// the interceptor of TestServer's and SigningChannel's channels), valid for a minute of
// real time, with a 30 s deadline.
std::unique_ptr<grpc::ClientContext> ContextAs(const common::Principal& p,
                                               const std::string& key = kTestInternalKey);

// A channel to `target` whose calls sign the principal of a ContextAs for their method.
std::shared_ptr<grpc::Channel> SigningChannel(const std::string& target);

// A fresh Ed25519 private key in PEM, for checkpoint signers in tests.
std::string Ed25519PrivateKeyPem();

// The first field violation's field of a status, or "".
std::string ViolatedField(const grpc::Status& status);

}  // namespace tuopin::testing
