#include "common/db.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <random>
#include <stdexcept>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/status.h"

namespace tuopin::common {
namespace {

constexpr char kSqlErrorUrl[] = "tuopin/sql-error";

bool IsConnectionLost(int code) {
  // CR_SERVER_GONE_ERROR, CR_SERVER_LOST, CR_CONN_HOST_ERROR, CR_SERVER_LOST_EXTENDED,
  // ER_CONNECTION_KILLED, server shutdown in progress.
  return code == 2006 || code == 2013 || code == 2003 || code == 2055 || code == 1927 ||
         code == 1053 || code == 2002;
}

}  // namespace

absl::StatusOr<DbConfig> ParseDsn(absl::string_view dsn) {
  constexpr absl::string_view kScheme = "mysql://";
  if (dsn.substr(0, kScheme.size()) != kScheme) {
    return absl::InvalidArgumentError("database DSN must start with mysql://");
  }
  absl::string_view rest = dsn.substr(kScheme.size());
  DbConfig c;
  absl::string_view query;
  if (size_t q = rest.find('?'); q != absl::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (size_t at = rest.rfind('@'); at != absl::string_view::npos) {
    absl::string_view cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (size_t colon = cred.find(':'); colon != absl::string_view::npos) {
      c.user = std::string(cred.substr(0, colon));
      c.password = std::string(cred.substr(colon + 1));
    } else {
      c.user = std::string(cred);
    }
  }
  absl::string_view hostport = rest;
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    hostport = rest.substr(0, slash);
    c.database = std::string(rest.substr(slash + 1));
  }
  if (!hostport.empty()) {
    if (size_t colon = hostport.rfind(':'); colon != absl::string_view::npos) {
      c.host = std::string(hostport.substr(0, colon));
      if (!absl::SimpleAtoi(hostport.substr(colon + 1), &c.port) || c.port <= 0 || c.port > 65535) {
        return absl::InvalidArgumentError("database DSN has an invalid port");
      }
    } else {
      c.host = std::string(hostport);
    }
  }
  for (absl::string_view kv : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (p.first == "socket") {
      c.socket = std::string(p.second);
    } else if (p.first == "pool") {
      if (!absl::SimpleAtoi(p.second, &c.pool_size) || c.pool_size < 1 || c.pool_size > 1024) {
        return absl::InvalidArgumentError("database DSN: pool must be 1-1024");
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("database DSN: unknown option ", p.first));
    }
  }
  if (c.user.empty()) return absl::InvalidArgumentError("database DSN has no user");
  if (c.database.empty()) return absl::InvalidArgumentError("database DSN has no database");
  return c;
}

std::string RedactDsn(const DbConfig& c) {
  return absl::StrCat("mysql://", c.user, ":***@", c.host, ":", c.port, "/", c.database,
                      c.socket.empty() ? "" : absl::StrCat("?socket=", c.socket));
}

absl::Status SqlErrorToStatus(const sql::SQLException& e) {
  int code = e.getErrorCode();
  std::string msg = absl::StrCat("database error ", code, ": ", e.what());
  absl::Status status;
  if (code == kErLockDeadlock || code == kErLockWaitTimeout) {
    status = WithReason(absl::AbortedError(msg), ErrorReason::DB_RETRYABLE);
  } else if (IsConnectionLost(code)) {
    status = WithReason(absl::UnavailableError(msg), ErrorReason::DB_UNAVAILABLE);
  } else if (code == kErDupEntry) {
    status = WithReason(absl::AlreadyExistsError(msg), ErrorReason::DB_DUPLICATE);
  } else {
    status = absl::InternalError(msg);
  }
  status.SetPayload(kSqlErrorUrl, absl::Cord(std::to_string(code)));
  return status;
}

int SqlErrorCode(const absl::Status& status) {
  auto payload = status.GetPayload(kSqlErrorUrl);
  int code = 0;
  if (payload.has_value()) (void)absl::SimpleAtoi(std::string(*payload), &code);
  return code;
}

absl::Status RetryTransaction(absl::string_view why) {
  absl::Status status = WithReason(absl::AbortedError(why), ErrorReason::DB_RETRYABLE);
  status.SetPayload(kSqlErrorUrl, absl::Cord(std::to_string(kErLockDeadlock)));
  return status;
}

namespace {
constexpr char kRetryNowUrl[] = "tuopin.dev/retry-now";
}  // namespace

absl::Status RetryTransactionNow(absl::string_view why) {
  absl::Status status = RetryTransaction(why);
  status.SetPayload(kRetryNowUrl, absl::Cord("1"));
  return status;
}

std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

size_t InListSize(size_t n) {
  size_t size = 1;
  while (size < n) size <<= 1;
  return size;
}

std::string SqlHex(absl::string_view bytes) {
  std::string out;
  AppendSqlHex(&out, bytes);
  return out;
}

void AppendSqlHex(std::string* out, absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  size_t at = out->size();
  out->resize(at + 3 + 2 * bytes.size());
  char* p = out->data() + at;
  *p++ = 'X';
  *p++ = '\'';
  for (unsigned char c : bytes) {
    *p++ = kDigits[c >> 4];
    *p++ = kDigits[c & 15];
  }
  *p = '\'';
}

std::string SqlTime(absl::Time t) { return absl::StrCat("'", ToSqlTime(t), "'"); }

void CheckTextSql(absl::string_view sql) {
  auto refuse = [&](size_t at, absl::string_view why) {
    throw std::invalid_argument(absl::StrCat("text SQL ", why, " at byte ", at, ": ",
                                             sql.substr(0, std::min<size_t>(sql.size(), 120))));
  };
  auto is_ident = [](char c) { return absl::ascii_isalnum(c) || c == '_' || c == '$'; };
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    switch (c) {
      case ';':
        refuse(i, "holds a second statement");
        break;
      case '"':
      case '`':
      case '\\':
        refuse(i, "holds a character outside the rule");
        break;
      case '#':
        refuse(i, "holds a comment");
        break;
      case '-':
      case '/':
        if (i + 1 < sql.size() && sql[i + 1] == (c == '-' ? '-' : '*'))
          refuse(i, "holds a comment");
        break;
      case '\'': {
        size_t j = i + 1;
        if (i > 0 && (sql[i - 1] == 'X' || sql[i - 1] == 'x') && (i < 2 || !is_ident(sql[i - 2]))) {
          while (j < sql.size() && absl::ascii_isxdigit(sql[j])) ++j;
        } else {
          // Exactly YYYY-MM-DD hh:mm:ss[.ffffff], as SqlTime writes it.
          static constexpr char kShape[] = "dddd-dd-dd dd:dd:dd";
          for (const char* p = kShape; *p != '\0'; ++p, ++j) {
            if (j >= sql.size() || (*p == 'd' ? !absl::ascii_isdigit(sql[j]) : sql[j] != *p)) {
              refuse(i, "quotes a string that is not a literal of SqlHex or SqlTime");
            }
          }
          if (j < sql.size() && sql[j] == '.') {
            size_t digits = 0;
            for (++j; j < sql.size() && absl::ascii_isdigit(sql[j]); ++j) ++digits;
            if (digits == 0 || digits > 6) refuse(i, "quotes a time with bad fractions");
          }
        }
        if (j >= sql.size() || sql[j] != '\'') {
          refuse(i, "quotes a string that is not a literal of SqlHex or SqlTime");
        }
        i = j;
        break;
      }
      default:
        break;
    }
  }
}

DbSession::DbSession(std::unique_ptr<sql::Connection> conn) : conn_(std::move(conn)) {}
DbSession::~DbSession() {
  statements_.clear();
  try {
    if (conn_) conn_->close();
  } catch (const sql::SQLException&) {
  }
}

sql::PreparedStatement& DbSession::Prepare(absl::string_view sql_text) {
  auto it = statements_.find(sql_text);
  if (it != statements_.end()) return *it->second;
  std::unique_ptr<sql::PreparedStatement> stmt(conn_->prepareStatement(std::string(sql_text)));
  auto& ref = *stmt;
  statements_.emplace(std::string(sql_text), std::move(stmt));
  return ref;
}

void DbSession::ExecuteRaw(absl::string_view sql_text) {
  Script script(*this);
  script.AddConstant(std::string(sql_text));
  script.Run();
}

void DbSession::BeginLazily(bool read_only) {
  tx_ = Tx::kPending;
  read_only_ = read_only;
}

void DbSession::SendPendingBegin() {
  if (tx_ != Tx::kPending) return;
  tx_ = Tx::kOpen;
  ExecuteRaw(read_only_ ? "START TRANSACTION READ ONLY" : "START TRANSACTION");
}

void DbSession::Commit() {
  if (tx_ == Tx::kPending) tx_ = Tx::kNone;
  // Open until the server confirms the COMMIT: a failed one is followed by a ROLLBACK.
  if (tx_ == Tx::kOpen) Script(*this).RunAndCommit();
}

void DbSession::Rollback() {
  Tx was = tx_;
  tx_ = Tx::kNone;
  if (was == Tx::kOpen) ExecuteRaw("ROLLBACK");
}

size_t Script::Add(std::string sql_text, RowsReader rows) {
  CheckTextSql(sql_text);
  statements_.emplace_back(std::move(sql_text), std::move(rows));
  return statements_.size() - 1;
}

size_t Script::AddConstant(std::string sql_text) {
  statements_.emplace_back(std::move(sql_text), nullptr);
  return statements_.size() - 1;
}

void Script::Run() { Send(false); }
void Script::RunAndCommit() { Send(true); }

void Script::Send(bool commit) {
  failed_ = -1;
  std::vector<std::pair<std::string, RowsReader>> statements;
  statements.swap(statements_);
  // A pending BEGIN goes first (a failure there leaves failed() at -1).
  int first = 0;
  std::string text;
  if (session_.tx_ == DbSession::Tx::kPending) {
    text = session_.read_only_ ? "START TRANSACTION READ ONLY" : "START TRANSACTION";
    first = -1;
    // Open from here on: were the packet lost, a ROLLBACK is what the session needs.
    session_.tx_ = DbSession::Tx::kOpen;
  }
  for (const auto& st : statements) {
    if (!text.empty()) text += ";\n";
    text += st.first;
  }
  if (commit) text += text.empty() ? "COMMIT" : ";\nCOMMIT";
  if (text.empty()) return;
  int last = static_cast<int>(statements.size()) - (commit ? 0 : 1);
  std::unique_ptr<sql::Statement> stmt(session_.conn_->createStatement());
  int at = first;
  try {
    // Multi-statements: execute() answers for the first statement, getMoreResults()
    // moves to the next one. Connector/C++ 1.1 cannot tell "no more results" from "a
    // statement without rows", so the loop counts the statements it sent.
    bool has_rows = stmt->execute(text);
    for (;;) {
      if (has_rows) {
        std::unique_ptr<sql::ResultSet> rows(stmt->getResultSet());
        const RowsReader* reader =
            at >= 0 && at < static_cast<int>(statements.size()) && statements[at].second
                ? &statements[at].second
                : nullptr;
        if (reader != nullptr) {
          (*reader)(*rows);
        } else {
          while (rows->next()) {
          }
        }
      }
      if (at == last) break;
      ++at;
      has_rows = stmt->getMoreResults();
    }
  } catch (const sql::SQLException&) {
    failed_ = at;
    throw;
  }
  if (commit) session_.tx_ = DbSession::Tx::kNone;
}

Query::Query(DbSession& session, absl::string_view sql_text)
    : session_(session), stmt_(session.Prepare(sql_text)) {
  stmt_.clearParameters();
}
Query& Query::Arg(absl::string_view v) {
  stmt_.setString(next_++, sql::SQLString(v.data(), v.size()));
  return *this;
}
Query& Query::Arg(int64_t v) {
  stmt_.setInt64(next_++, v);
  return *this;
}
Query& Query::Null() {
  stmt_.setNull(next_++, 0);
  return *this;
}
Query& Query::InList(const std::vector<std::string>& values) {
  size_t n = InListSize(values.size());
  for (size_t i = 0; i < n; ++i)
    Arg(values.empty() ? std::string() : values[std::min(i, values.size() - 1)]);
  return *this;
}

std::unique_ptr<sql::ResultSet> Query::Rows() {
  session_.SendPendingBegin();
  return std::unique_ptr<sql::ResultSet>(stmt_.executeQuery());
}
int64_t Query::Exec() {
  session_.SendPendingBegin();
  return stmt_.executeUpdate();
}

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Create(const DbConfig& config) {
  if (config.pool_size < 1) return absl::InvalidArgumentError("pool size must be at least 1");
  std::unique_ptr<ConnectionPool> pool(new ConnectionPool(config));
  // Connect once now so that a wrong DSN fails at start, not at the first request.
  auto first = pool->Connect();
  if (!first.ok()) return first.status();
  absl::MutexLock lock(&pool->mu_);
  pool->idle_.push_back(std::move(*first));
  pool->open_ = 1;
  return pool;
}

ConnectionPool::~ConnectionPool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

absl::StatusOr<std::unique_ptr<DbSession>> ConnectionPool::Connect() {
  try {
    sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
    sql::ConnectOptionsMap opts;
    if (!config_.socket.empty()) {
      opts["hostName"] = sql::SQLString(absl::StrCat("unix://", config_.socket));
    } else {
      opts["hostName"] = sql::SQLString(absl::StrCat("tcp://", config_.host, ":", config_.port));
    }
    opts["userName"] = sql::SQLString(config_.user);
    opts["password"] = sql::SQLString(config_.password);
    opts["schema"] = sql::SQLString(config_.database);
    opts["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    opts["OPT_CONNECT_TIMEOUT"] = 5;
    opts["OPT_RECONNECT"] = false;
    // Several statements per round trip (Script). Text SQL takes values only as
    // SqlHex/SqlTime literals and numbers, so this opens no door to stacked injection.
    opts["CLIENT_MULTI_STATEMENTS"] = true;
    std::unique_ptr<sql::Connection> conn(driver->connect(opts));
    auto session = std::make_unique<DbSession>(std::move(conn));
    // Strict mode: out-of-range or truncated values are errors, never silently changed.
    session->ExecuteRaw(
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
        "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00', "
        "innodb_lock_wait_timeout = 10");
    return session;
  } catch (const sql::SQLException& e) {
    absl::Status s = SqlErrorToStatus(e);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", RedactDsn(config_), ": ", s.message()));
  }
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire() {
  std::unique_ptr<DbSession> session;
  bool must_connect = false;
  {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < config_.pool_size;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&available), config_.acquire_timeout)) {
      return WithReason(absl::UnavailableError("database connection pool exhausted"),
                        ErrorReason::DB_POOL_EXHAUSTED);
    }
    if (!idle_.empty()) {
      session = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;
      must_connect = true;
    }
    ++in_use_;
    peak_in_use_ = std::max(peak_in_use_, in_use_);
  }
  if (must_connect) {
    auto connected = Connect();
    if (!connected.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
      --in_use_;
      return connected.status();
    }
    session = std::move(*connected);
  }
  return Lease(this, std::move(session));
}

void ConnectionPool::Release(std::unique_ptr<DbSession> session, bool discard) {
  absl::MutexLock lock(&mu_);
  --in_use_;
  if (discard) {
    --open_;
    return;  // `session` closes as it goes out of scope.
  }
  idle_.push_back(std::move(session));
}

int ConnectionPool::peak_in_use() const {
  absl::MutexLock lock(&mu_);
  return peak_in_use_;
}

ConnectionPool::Lease::~Lease() {
  // A connection still in a transaction (its body threw something other than an SQL
  // error) is closed, which rolls the transaction back, rather than handed to the next
  // caller with its locks.
  if (pool_ != nullptr && session_ != nullptr) {
    bool discard = discard_ || session_->in_transaction();
    pool_->Release(std::move(session_), discard);
  }
}

namespace {

bool IsRetryable(const absl::Status& s) {
  return s.code() == absl::StatusCode::kAborted || s.code() == absl::StatusCode::kUnavailable;
}

void Backoff(int attempt) {
  thread_local std::mt19937 rng(std::random_device{}());
  int cap_ms = std::min(200, 5 << attempt);
  std::uniform_int_distribution<int> dist(1, cap_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(dist(rng)));
}

}  // namespace

absl::Status RunInTransaction(ConnectionPool& pool,
                              const std::function<absl::Status(DbSession&)>& fn,
                              TxOptions options) {
  absl::Status last;
  for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
    if (options.attempts != nullptr) *options.attempts = attempt;
    auto lease = pool.Acquire();
    if (!lease.ok()) return lease.status();
    DbSession& s = **lease;
    try {
      s.BeginLazily(options.read_only);
      absl::Status st = fn(s);
      // COMMIT and ROLLBACK as statements: Connector/C++ 1.1.12's Connection::commit()
      // ignores the server's answer, so a commit on a connection that died (server
      // crash, KILL) looked successful and an acknowledged write could be lost.
      if (st.ok()) {
        s.Commit();
        return absl::OkStatus();
      }
      s.Rollback();
      // A retryable error raised inside fn (already converted) is retried too.
      if (!IsRetryable(st) || SqlErrorCode(st) == 0) return st;
      last = st;
      // Not contention: the body knows what to do differently next time.
      if (st.GetPayload(kRetryNowUrl).has_value()) continue;
    } catch (const sql::SQLException& e) {
      last = SqlErrorToStatus(e);
      if (last.code() == absl::StatusCode::kUnavailable) {
        lease->Discard();
      } else if (s.in_transaction()) {
        try {
          s.Rollback();
        } catch (const sql::SQLException&) {
          lease->Discard();
        }
      }
      if (!IsRetryable(last)) return last;
    }
    if (attempt < options.max_attempts) Backoff(attempt);
  }
  return last;
}

absl::Status WithConnection(ConnectionPool& pool,
                            const std::function<absl::Status(DbSession&)>& fn) {
  auto lease = pool.Acquire();
  if (!lease.ok()) return lease.status();
  try {
    return fn(**lease);
  } catch (const sql::SQLException& e) {
    absl::Status st = SqlErrorToStatus(e);
    if (st.code() == absl::StatusCode::kUnavailable) lease->Discard();
    return st;
  }
}

std::string ToSqlTime(absl::Time t) {
  std::string out;
  AppendUtcMicros(&out, t, ' ');
  return out;
}

std::string ToSqlDate(absl::CivilDay d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

absl::CivilDay FromSqlDate(absl::string_view s) {
  absl::CivilDay d;
  (void)absl::ParseCivilTime(std::string(s), &d);
  return d;
}

absl::Time FromSqlTime(absl::string_view s) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%d %H:%M:%E*S", std::string(s), absl::UTCTimeZone(), &t, &err)) {
    return t;
  }
  return absl::InfinitePast();
}

}  // namespace tuopin::common
