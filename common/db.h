#pragma once
// MySQL access over Connector/C++ 1.1: a bounded connection pool (a connection is used
// by one thread at a time), prepared statements cached per connection, and a
// transaction runner that retries deadlocks, lock-wait timeouts and lost connections.
// sql::SQLException never leaves this layer's callers: RunInTransaction turns it into a
// status.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace sql {
class Connection;
class PreparedStatement;
class ResultSet;
class SQLException;
}  // namespace sql

namespace tuopin::common {

struct DbConfig {
  std::string host = "127.0.0.1";
  int port = 3306;
  // When set, connect over this unix socket instead of TCP.
  std::string socket;
  std::string user;
  std::string password;
  std::string database;
  int pool_size = 8;
  absl::Duration acquire_timeout = absl::Seconds(5);
};

// mysql://user:password@host:port/database?socket=/path&pool=8
absl::StatusOr<DbConfig> ParseDsn(absl::string_view dsn);
// The DSN with the password masked, for logs.
std::string RedactDsn(const DbConfig& config);

// MySQL error numbers the runtime acts on.
inline constexpr int kErDupEntry = 1062;
inline constexpr int kErLockWaitTimeout = 1205;
inline constexpr int kErLockDeadlock = 1213;

// ABORTED (reason DB_RETRYABLE) for deadlocks and lock waits, UNAVAILABLE for lost
// connections, ALREADY_EXISTS (reason DB_DUPLICATE) for duplicate keys, INTERNAL else.
absl::Status SqlErrorToStatus(const sql::SQLException& e);
int SqlErrorCode(const absl::Status& status);

// Returned from a transaction body to have RunInTransaction roll back and run the body
// again, as for a deadlock (e.g. a unique key taken by a concurrent transaction, which
// the next attempt will see).
absl::Status RetryTransaction(absl::string_view why);
// The same without the backoff: the body learnt something in this attempt (a transfer id
// that exists) and runs again at once, differently.
absl::Status RetryTransactionNow(absl::string_view why);

// "?, ?, ?" with n placeholders.
std::string Placeholders(size_t n);
// The placeholder count used for an IN list of n values: the next power of two, so a
// connection prepares at most a dozen variants of a statement. Pad the list by repeating
// its last value.
size_t InListSize(size_t n);

// Literals for SQL sent as text (Script, ExecuteRaw). Values enter text SQL only through
// these and through numbers the code formats itself, never as quoted strings:
// - a string or bytes as a hex literal, X'..', which no byte of the value can end;
std::string SqlHex(absl::string_view bytes);
void AppendSqlHex(std::string* out, absl::string_view bytes);
// - a time as a quoted DATETIME(6) literal, UTC.
std::string SqlTime(absl::Time t);

// The rule above, checked: one statement, no comment, no double quote, backquote or
// backslash, and every quoted literal a hex literal (X'0a1b') or a DATETIME literal
// ('2026-11-27 21:00:00.000000'). Script::Add throws std::invalid_argument for text that
// breaks it: a programming error, never a user's.
void CheckTextSql(absl::string_view sql_text);

// One pooled connection, its prepared-statement cache and its transaction state.
class DbSession {
 public:
  explicit DbSession(std::unique_ptr<sql::Connection> conn);
  ~DbSession();
  // A prepared statement for this exact SQL text, prepared once per connection.
  sql::PreparedStatement& Prepare(absl::string_view sql_text);
  // Runs one constant statement (DDL, SET, locks; not checked by CheckTextSql, so never
  // built from values); rows it answers are skipped.
  void ExecuteRaw(absl::string_view sql_text);

  // Transactions (used by RunInTransaction). BEGIN is not sent on its own: it travels
  // with the first statement of the transaction (in the same packet when that statement
  // is text), and a transaction that ran no statement costs no round trip at all.
  void BeginLazily(bool read_only);
  // Sends a BEGIN still pending (before a prepared statement).
  void SendPendingBegin();
  // COMMIT / ROLLBACK of the open transaction; nothing to send when none was begun.
  void Commit();
  void Rollback();
  bool in_transaction() const { return tx_ != Tx::kNone; }

 private:
  friend class Script;
  enum class Tx { kNone, kPending, kOpen };
  std::unique_ptr<sql::Connection> conn_;
  absl::flat_hash_map<std::string, std::unique_ptr<sql::PreparedStatement>> statements_;
  Tx tx_ = Tx::kNone;
  bool read_only_ = false;
};

// Text statements sent to the server in one packet (one round trip) and run in order:
//   Script script(s);
//   script.Add(absl::StrCat("INSERT INTO t (id) VALUES (", SqlHex(id), ")"));
//   script.Add("SELECT ...", [&](sql::ResultSet& rows) { ... });
//   script.Run();
// The server stops at the first statement that fails: Run throws its SQLException and
// failed() tells which statement it was. In a transaction whose BEGIN is pending, the
// BEGIN goes first in the same packet. The connection is opened with multi-statements
// on, so text SQL must follow the rule above (SqlHex, SqlTime, own numbers).
class Script {
 public:
  using RowsReader = std::function<void(sql::ResultSet&)>;
  explicit Script(DbSession& session) : session_(session) {}
  // Appends one statement (without a terminating ';'; checked by CheckTextSql); `rows`,
  // when given, reads the rows it answers (rows of a statement without a reader are
  // skipped). Returns its index.
  size_t Add(std::string sql_text, RowsReader rows = nullptr);
  size_t size() const { return statements_.size(); }
  // Runs the statements added since the last run.
  void Run();
  // Runs them followed by COMMIT, ending the session's transaction in the same round
  // trip: the last step of a transaction body (RunInTransaction then commits nothing).
  void RunAndCommit();
  // The index of the statement that failed in the last run, or -1. The COMMIT of
  // RunAndCommit counts as one past the last statement added.
  int failed() const { return failed_; }

 private:
  friend class DbSession;
  size_t AddConstant(std::string sql_text);
  void Send(bool commit);
  DbSession& session_;
  std::vector<std::pair<std::string, RowsReader>> statements_;
  int failed_ = -1;
};

// Binds parameters in order and runs a cached prepared statement:
//   Query(s, "SELECT a FROM t WHERE id = ?").Arg(id).Rows();
// A pending BEGIN of the session is sent first, on its own.
class Query {
 public:
  Query(DbSession& session, absl::string_view sql_text);
  Query& Arg(absl::string_view v);
  Query& Arg(const std::string& v) { return Arg(absl::string_view(v)); }
  Query& Arg(const char* v) { return Arg(absl::string_view(v)); }
  Query& Arg(int64_t v);
  Query& Arg(int32_t v) { return Arg(static_cast<int64_t>(v)); }
  Query& Arg(uint32_t v) { return Arg(static_cast<int64_t>(v)); }
  Query& Arg(bool v) { return Arg(static_cast<int64_t>(v ? 1 : 0)); }
  Query& Null();
  // Binds an IN list padded to InListSize(values.size()) by repeating the last value.
  Query& InList(const std::vector<std::string>& values);
  // Binds NULL when empty.
  Query& OptionalArg(absl::string_view v) { return v.empty() ? Null() : Arg(v); }
  std::unique_ptr<sql::ResultSet> Rows();
  // Returns the number of affected rows.
  int64_t Exec();

 private:
  DbSession& session_;
  sql::PreparedStatement& stmt_;
  unsigned int next_ = 1;
};

// Multi-row inserts: "<head>(row), (row), ..." in chunks of 64, 32, ... 1 rows, so that a
// connection prepares at most seven texts of the statement whatever the count; bind(q, r)
// binds one row, in order.
template <typename Row, typename Bind>
void InsertRows(DbSession& s, const std::string& head, absl::string_view row,
                const std::vector<Row>& rows, Bind bind) {
  size_t i = 0;
  while (i < rows.size()) {
    size_t n = 64;
    while (n > rows.size() - i) n >>= 1;
    std::string sql = head;
    for (size_t k = 0; k < n; ++k) {
      if (k > 0) sql += ", ";
      sql.append(row.data(), row.size());
    }
    Query q(s, sql);
    for (size_t k = i; k < i + n; ++k) bind(q, rows[k]);
    q.Exec();
    i += n;
  }
}

class ConnectionPool {
 public:
  // Hands out one connection; returns it to the pool when destroyed.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<DbSession> session)
        : pool_(pool), session_(std::move(session)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease();
    DbSession& operator*() { return *session_; }
    DbSession* operator->() { return session_.get(); }
    // The connection is broken: close it instead of returning it.
    void Discard() { discard_ = true; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<DbSession> session_;
    bool discard_ = false;
  };

  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Create(const DbConfig& config);
  ~ConnectionPool();

  // Waits up to the configured acquire timeout; UNAVAILABLE past it.
  absl::StatusOr<Lease> Acquire();
  const DbConfig& config() const { return config_; }
  int peak_in_use() const;

 private:
  explicit ConnectionPool(DbConfig config) : config_(std::move(config)) {}
  absl::StatusOr<std::unique_ptr<DbSession>> Connect();
  void Release(std::unique_ptr<DbSession> session, bool discard);

  DbConfig config_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<DbSession>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
  int peak_in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

struct TxOptions {
  int max_attempts = 6;
  bool read_only = false;
  // Filled with the number of attempts made, when not null.
  int* attempts = nullptr;
};

// Runs `fn` in one transaction and commits (unless `fn` committed it last, with
// Script::RunAndCommit). Deadlocks, lock-wait timeouts and lost
// connections roll back and run `fn` again (at most max_attempts, with jittered
// backoff), so `fn` must have no effects outside the transaction. A non-OK status from
// `fn` rolls back and is returned.
absl::Status RunInTransaction(ConnectionPool& pool,
                              const std::function<absl::Status(DbSession&)>& fn,
                              TxOptions options = {});

// Runs `fn` on a pooled connection in autocommit mode, converting SQL exceptions.
absl::Status WithConnection(ConnectionPool& pool,
                            const std::function<absl::Status(DbSession&)>& fn);

// Region codes are digits, so [prefix, RegionRangeEnd(prefix)) is exactly the subtree
// of a region: an index range scan.
inline std::string RegionRangeEnd(const std::string& prefix) { return prefix + ":"; }

// Time conversion for DATETIME(6) columns, always UTC.
std::string ToSqlTime(absl::Time t);
// DATE columns: "YYYY-MM-DD".
std::string ToSqlDate(absl::CivilDay day);
absl::CivilDay FromSqlDate(absl::string_view s);
absl::Time FromSqlTime(absl::string_view s);

}  // namespace tuopin::common
