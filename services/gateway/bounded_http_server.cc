#include "services/gateway/bounded_http_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/server.h"
#include "prometheus/counter.h"

namespace tuopin::gateway {
namespace {

// A request's head and body together: the head (request line and headers) may take what
// the body limit leaves of this; the body alone is refused past kMaxBodyBytes.
constexpr size_t kMaxRequestBytes = kMaxBodyBytes + (64 << 10);
// How often a worker waiting on a connection looks at the server's load and stop.
constexpr absl::Duration kSlice = absl::Milliseconds(50);

// Connections the front closed before they were done, by reason: "refused" (no worker
// and no room to wait for one), "yielded" (a slow request or an idle keep-alive
// connection gave its worker to a waiting connection), "request_timeout" (a request or
// TLS handshake took longer than --http_request_timeout), "tls_failed" (no TLS, a
// refused client certificate, or none).
prometheus::Counter& ClosedConnections(const std::string& reason) {
  static auto& family =
      prometheus::BuildCounter()
          .Name("tuopin_gateway_http_connections_closed_total")
          .Help("JSON/HTTP connections closed by the gateway before they were done, by reason")
          .Register(common::MetricsRegistry());
  return family.Add({{"reason", reason}});
}

// Set on the accepting thread while it closes a connection no worker can take.
thread_local bool t_refusing = false;

// httplib's worker pool with a bounded queue: a connection no worker or waiting place can
// take is handed back (t_refusing) to be closed at once, on the accepting thread. `busy` is
// true while connections wait for a worker.
class BoundedPool final : public httplib::TaskQueue {
 public:
  BoundedPool(int threads, int max_waiting, std::atomic<bool>& busy)
      : max_waiting_(max_waiting), busy_(busy) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~BoundedPool() override = default;

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!shutdown_ && static_cast<int>(jobs_.size()) < idle_ + max_waiting_) {
        jobs_.push_back(std::move(fn));
        UpdateBusy();
        cv_.notify_one();
        return;
      }
    }
    t_refusing = true;
    fn();
    t_refusing = false;
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void Work() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      ++idle_;
      UpdateBusy();
      cv_.wait(lock, [this] { return !jobs_.empty() || shutdown_; });
      --idle_;
      if (jobs_.empty()) break;  // shut down, nothing left
      std::function<void()> fn = std::move(jobs_.front());
      jobs_.pop_front();
      UpdateBusy();
      lock.unlock();
      fn();  // serves a connection; once stopped, closes it at once
      lock.lock();
    }
  }

  void UpdateBusy() { busy_.store(static_cast<int>(jobs_.size()) > idle_); }

  const int max_waiting_;
  std::atomic<bool>& busy_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  int idle_ = 0;
  bool shutdown_ = false;
};

enum class Wait { kReady, kTimeout, kYield, kStopped, kError };

// One accepted connection, non-blocking, plain or TLS. Every wait is bounded by a deadline
// and, past `yield_at`, by the server being busy. The read buffer outlives a request: a
// pipelined request may arrive with the previous one.
class Connection {
 public:
  Connection(int fd, const BoundedHttpServer::State& server)
      : fd_(fd), server_(server), buf_(16 << 10) {}
  ~Connection() {
    if (ssl_ == nullptr) return;
    if (!broken_) SSL_shutdown(ssl_);  // one close_notify, not waited for
    SSL_free(ssl_);
  }

  SSL* ssl() const { return ssl_; }
  Wait last_wait() const { return last_wait_; }

  Wait Await(short events, absl::Time deadline, absl::Time yield_at) {
    while (true) {
      if (server_.stopping()) return last_wait_ = Wait::kStopped;
      absl::Time now = absl::Now();
      if (now >= deadline) return last_wait_ = Wait::kTimeout;
      if (now >= yield_at && server_.busy.load()) return last_wait_ = Wait::kYield;
      absl::Duration slice = std::min(deadline - now, kSlice);
      pollfd p{fd_, events, 0};
      int ms = std::max<int>(1, static_cast<int>(absl::ToInt64Milliseconds(slice)));
      int r = poll(&p, 1, ms);
      if (r > 0) return last_wait_ = Wait::kReady;  // readiness, or an error the next call sees
      if (r < 0 && errno != EINTR) return last_wait_ = Wait::kError;
    }
  }

  bool Handshake(SSL_CTX* ctx, absl::Time deadline, absl::Time yield_at) {
    ssl_ = SSL_new(ctx);
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) return Broken();
    while (true) {
      ERR_clear_error();
      int r = SSL_accept(ssl_);
      if (r == 1) return true;
      if (!AwaitTls(r, deadline, yield_at)) return false;
    }
  }

  bool Buffered() const { return pos_ < end_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0); }

  // Reads up to n bytes, buffered first: > 0 bytes, 0 the peer closed, -1 failed or late.
  ssize_t Read(char* out, size_t n, absl::Time deadline, absl::Time yield_at) {
    if (pos_ == end_) {
      ssize_t got = Receive(deadline, yield_at);
      if (got <= 0) return got;
      pos_ = 0;
      end_ = static_cast<size_t>(got);
    }
    size_t take = std::min(n, end_ - pos_);
    std::copy_n(buf_.data() + pos_, take, out);
    pos_ += take;
    return static_cast<ssize_t>(take);
  }

  // Writes some of n bytes: how many, or -1 failed or late.
  ssize_t Write(const char* data, size_t n, absl::Time deadline) {
    while (true) {
      if (ssl_ != nullptr) {
        ERR_clear_error();
        int r = SSL_write(ssl_, data, static_cast<int>(std::min<size_t>(n, 1 << 30)));
        if (r > 0) return r;
        if (!AwaitTls(r, deadline, absl::InfiniteFuture())) return -1;
      } else {
        ssize_t r = send(fd_, data, n, MSG_NOSIGNAL);
        if (r >= 0) return r;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        if (Await(POLLOUT, deadline, absl::InfiniteFuture()) != Wait::kReady) return -1;
      }
    }
  }

 private:
  ssize_t Receive(absl::Time deadline, absl::Time yield_at) {
    while (true) {
      if (ssl_ != nullptr) {
        ERR_clear_error();
        int r = SSL_read(ssl_, buf_.data(), static_cast<int>(buf_.size()));
        if (r > 0) return r;
        if (SSL_get_error(ssl_, r) == SSL_ERROR_ZERO_RETURN) return 0;
        if (!AwaitTls(r, deadline, yield_at)) return -1;
      } else {
        ssize_t r = recv(fd_, buf_.data(), buf_.size(), 0);
        if (r >= 0) return r;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        if (Await(POLLIN, deadline, yield_at) != Wait::kReady) return -1;
      }
    }
  }

  // After a TLS call returned r <= 0: waits for what it wants; false when it failed.
  bool AwaitTls(int r, absl::Time deadline, absl::Time yield_at) {
    switch (SSL_get_error(ssl_, r)) {
      case SSL_ERROR_WANT_READ:
        return Await(POLLIN, deadline, yield_at) == Wait::kReady;
      case SSL_ERROR_WANT_WRITE:
        return Await(POLLOUT, deadline, yield_at) == Wait::kReady;
      default:
        return Broken();
    }
  }

  bool Broken() {
    broken_ = true;
    last_wait_ = Wait::kError;
    return false;
  }

  int fd_;
  const BoundedHttpServer::State& server_;
  SSL* ssl_ = nullptr;
  bool broken_ = false;
  Wait last_wait_ = Wait::kReady;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
};

void Address(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len)) != 0) return;
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return;
  }
  ip = host;
  port = std::atoi(serv);
}

// One request on a connection, as httplib reads and answers it: reads end at the request's
// deadline (and past yield_at when the server is busy) and after kMaxRequestBytes; the
// response must be taken by the client within the write timeout from its first byte.
class RequestStream final : public httplib::Stream {
 public:
  RequestStream(Connection& c, int fd, absl::Time read_deadline, absl::Time yield_at,
                absl::Duration write_timeout)
      : c_(c),
        fd_(fd),
        read_deadline_(read_deadline),
        yield_at_(yield_at),
        write_timeout_(write_timeout) {}

  bool is_readable() const override {
    return c_.Buffered() || c_.Await(POLLIN, read_deadline_, yield_at_) == Wait::kReady;
  }
  bool is_writable() const override {
    return c_.Await(POLLOUT, WriteDeadline(), absl::InfiniteFuture()) == Wait::kReady;
  }
  ssize_t read(char* ptr, size_t size) override {
    // A write before the request is read ("100 Continue") does not start the response's
    // clock: the handler may take its time before the response is written.
    write_deadline_ = absl::InfiniteFuture();
    if (read_ >= kMaxRequestBytes) return -1;
    ssize_t n = c_.Read(ptr, std::min(size, kMaxRequestBytes - read_), read_deadline_, yield_at_);
    if (n > 0) read_ += static_cast<size_t>(n);
    return n;
  }
  ssize_t write(const char* ptr, size_t size) override {
    return c_.Write(ptr, size, WriteDeadline());
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Address(fd_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Address(fd_, false, ip, port);
  }
  // httplib 0.11 reads this only to answer 500 when the descriptor is past FD_SETSIZE, the
  // limit of its own select() calls; this stream polls, so a gateway holding many gRPC
  // connections does not make its JSON front fail.
  socket_t socket() const override { return fd_ < FD_SETSIZE ? fd_ : INVALID_SOCKET; }

 private:
  absl::Time WriteDeadline() const {
    if (write_deadline_ == absl::InfiniteFuture()) write_deadline_ = absl::Now() + write_timeout_;
    return write_deadline_;
  }

  Connection& c_;
  int fd_;
  absl::Time read_deadline_, yield_at_;
  absl::Duration write_timeout_;
  mutable absl::Time write_deadline_ = absl::InfiniteFuture();
  size_t read_ = 0;
};

// Reads PEM certificates; at least one.
absl::StatusOr<std::vector<X509*>> ReadCertificates(const std::string& pem, const char* what) {
  std::vector<X509*> certs;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) certs.push_back(cert);
  BIO_free(bio);
  ERR_clear_error();  // the end of the PEM text
  if (certs.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": no PEM certificate"));
  return certs;
}

absl::StatusOr<SSL_CTX*> TlsContext(const HttpFrontOptions& o) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError("cannot create a TLS context");
  auto fail = [ctx](const std::string& why) {
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return absl::InvalidArgumentError(why);
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

  auto chain = ReadCertificates(o.tls_cert_pem, "the server certificate");
  if (!chain.ok()) return fail(std::string(chain.status().message()));
  bool used = SSL_CTX_use_certificate(ctx, (*chain)[0]) == 1;
  X509_free((*chain)[0]);
  for (size_t i = 1; i < chain->size(); ++i) {
    // The context owns what it accepted.
    if (!used || SSL_CTX_add_extra_chain_cert(ctx, (*chain)[i]) != 1) {
      X509_free((*chain)[i]);
      used = false;
    }
  }
  if (!used) return fail("the server certificate chain is not usable");
  BIO* bio = BIO_new_mem_buf(o.tls_key_pem.data(), static_cast<int>(o.tls_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  bool key_ok = key != nullptr && SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
                SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  if (!key_ok) return fail("the private key is not PEM or does not match the certificate");

  if (!o.tls_client_ca_pem.empty()) {
    auto cas = ReadCertificates(o.tls_client_ca_pem, "the client CA bundle");
    if (!cas.ok()) return fail(std::string(cas.status().message()));
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    bool ok = true;
    for (X509* ca : *cas) {
      ok = ok && X509_STORE_add_cert(store, ca) == 1 && SSL_CTX_add_client_CA(ctx, ca) == 1;
      X509_free(ca);
    }
    if (!ok) return fail("the client CA bundle is not usable");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  static const unsigned char kSessionContext[] = "tuopin-gateway-http";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  return ctx;
}

const char* Reason(Wait w) {
  switch (w) {
    case Wait::kTimeout:
      return "request_timeout";
    case Wait::kYield:
      return "yielded";
    default:
      return nullptr;  // the client closed, or the server is stopping
  }
}

void CountClose(const char* reason) {
  if (reason != nullptr) ClosedConnections(reason).Increment();
}

}  // namespace

BoundedHttpServer::BoundedHttpServer(const HttpFrontOptions& options)
    : options_(options), state_{busy_, [this] { return svr_sock_ == INVALID_SOCKET; }} {
  new_task_queue = [this] {
    return new BoundedPool(options_.threads, options_.max_waiting, busy_);
  };
  // httplib listens with SO_REUSEPORT, so another process could share the port and take
  // part of the connections; SO_REUSEADDR alone restarts on a port in TIME_WAIT and makes
  // a port in use a failure to start (as the gRPC port, common/server.cc).
  set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Only what the responses' Keep-Alive header says: the loop below applies the limits.
  set_keep_alive_max_count(static_cast<size_t>(options_.max_requests_per_connection));
  set_keep_alive_timeout(std::max<time_t>(1, absl::ToInt64Seconds(options_.idle_timeout)));
}

BoundedHttpServer::~BoundedHttpServer() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

void BoundedHttpServer::RaiseBacklog() {
  ::listen(svr_sock_, std::max(128, options_.threads + options_.max_waiting));
}

absl::Status BoundedHttpServer::Init() {
  if (options_.tls_cert_pem.empty()) return absl::OkStatus();
  auto ctx = TlsContext(options_);
  if (!ctx.ok()) return ctx.status();
  ctx_ = *ctx;
  return absl::OkStatus();
}

bool BoundedHttpServer::process_and_close_socket(socket_t sock) {
  bool ok = t_refusing ? Refuse(sock) : Serve(sock);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

bool BoundedHttpServer::Refuse(int sock) {
  ClosedConnections("refused").Increment();
  if (ctx_ == nullptr) {
    static constexpr char k503[] =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)send(sock, k503, sizeof(k503) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  return false;
}

bool BoundedHttpServer::Serve(int sock) {
  int flags = fcntl(sock, F_GETFL);
  if (flags < 0 || fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0) return false;
  Connection c(sock, state_);
  const absl::Time taken = absl::Now();
  if (ctx_ != nullptr &&
      !c.Handshake(ctx_, taken + options_.request_timeout, taken + options_.busy_request_timeout)) {
    CountClose(c.last_wait() == Wait::kError ? "tls_failed" : Reason(c.last_wait()));
    return false;
  }
  bool ok = false;
  for (int n = 0; n < options_.max_requests_per_connection; ++n) {
    // The first request is timed from when a worker took the connection; a keep-alive
    // connection waiting for its next one gives its worker up at once when others wait.
    absl::Time deadline =
        n == 0 ? taken + options_.request_timeout : absl::Now() + options_.idle_timeout;
    absl::Time yield_at = n == 0 ? taken + options_.busy_request_timeout : absl::Now();
    if (!c.Buffered() && c.Await(POLLIN, deadline, yield_at) != Wait::kReady) {
      if (n == 0 || c.last_wait() == Wait::kYield) CountClose(Reason(c.last_wait()));
      break;
    }
    absl::Time start = n == 0 ? taken : absl::Now();
    RequestStream strm(c, sock, start + options_.request_timeout,
                       start + options_.busy_request_timeout, options_.write_timeout);
    bool closed = false;
    ok = process_request(strm, n + 1 == options_.max_requests_per_connection, closed,
                         [&c](httplib::Request& req) { req.ssl = c.ssl(); });
    if (!ok) {
      CountClose(Reason(c.last_wait()));
      break;
    }
    if (closed) break;
  }
  return ok;
}

}  // namespace tuopin::gateway
