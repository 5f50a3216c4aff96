#pragma once
// JSON over HTTP for web applications and curl: POST /v1/<package.Service>/<Method> with
// the protobuf JSON mapping in and out, the same authentication, policy and limits as the
// gRPC face, gRPC codes mapped to HTTP statuses and errors in Google's JSON error shape;
// and GET /v1/export/<package.Service>/<Method> for CSV/XLSX downloads (http_export.h).

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "services/gateway/gateway.h"

namespace tuopin::gateway {

// google.rpc.Code -> HTTP status, as Google's HTTP/JSON transcoding maps them.
int HttpStatusForCode(int grpc_code);

// The front's transport and its limits. A connection holds a worker from the moment one
// takes it until it closes; the limits keep callers that connect and then send slowly or
// not at all from holding every worker, and keep the connections waiting for a worker
// bounded.
struct HttpFrontOptions {
  // PEM. A certificate and key: HTTPS only, as the gRPC port. With a client CA bundle too:
  // client certificates are required and verified (mTLS).
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string tls_client_ca_pem;
  // Connections served at once.
  int threads = 16;
  // Connections accepted and waiting for a worker; beyond them, a new connection is
  // closed at once (plain HTTP: after a 503).
  int max_waiting = 64;
  // A whole request (TLS handshake, head and body) must arrive within this, measured from
  // when a worker took the connection or began the request.
  absl::Duration request_timeout = absl::Seconds(10);
  // While connections wait for a worker: a request (or TLS handshake) still arriving after
  // this gives its worker up, and so does a keep-alive connection waiting for its next
  // request, at once.
  absl::Duration busy_request_timeout = absl::Seconds(1);
  // A whole response must be taken by the client within this.
  absl::Duration write_timeout = absl::Seconds(10);
  // A keep-alive connection waits this long for its next request.
  absl::Duration idle_timeout = absl::Seconds(5);
  int max_requests_per_connection = 100;
};

class BoundedHttpServer;

class HttpFront {
 public:
  explicit HttpFront(Gateway& gateway, HttpFrontOptions options = {});
  ~HttpFront();
  // Binds (port 0 picks a free port) and serves on a thread; returns the bound port, or -1
  // with the reason in *error.
  int Start(const std::string& host, int port, std::string* error = nullptr);
  void Stop();

 private:
  Gateway& gateway_;
  std::unique_ptr<BoundedHttpServer> server_;
  std::thread thread_;
  std::atomic<bool> loop_ended_{false};
};

}  // namespace tuopin::gateway
