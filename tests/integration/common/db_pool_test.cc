// The database runtime against a real MariaDB: the pool under concurrency, racing
// migrations, deadlock retries and scripts.

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <atomic>
#include <barrier>
#include <stdexcept>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/db.h"
#include "common/migrate.h"
#include "gtest/gtest.h"
#include "tests/support/test_db.h"

namespace tuopin::common {
namespace {

using testing::TestDatabase;

void Exec(ConnectionPool& pool, const std::string& sql) {
  ASSERT_TRUE(WithConnection(pool, [&](DbSession& s) {
                s.ExecuteRaw(sql);
                return absl::OkStatus();
              }).ok());
}

TEST(DsnTest, ParsesAndRejects) {
  auto c = ParseDsn("mysql://u:p@h:3310/db?socket=/tmp/s.sock&pool=4");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->user, "u");
  EXPECT_EQ(c->password, "p");
  EXPECT_EQ(c->host, "h");
  EXPECT_EQ(c->port, 3310);
  EXPECT_EQ(c->database, "db");
  EXPECT_EQ(c->socket, "/tmp/s.sock");
  EXPECT_EQ(c->pool_size, 4);
  EXPECT_FALSE(ParseDsn("postgres://u@h/db").ok());
  EXPECT_FALSE(ParseDsn("mysql://u@h:99999/db").ok());
  EXPECT_FALSE(ParseDsn("mysql://u@h/db?bogus=1").ok());
  EXPECT_FALSE(ParseDsn("mysql://h/db").ok());
  EXPECT_EQ(RedactDsn(*c).find(":p@"), std::string::npos);
}

TEST(PoolTest, SixteenThreadsShareABoundedPool) {
  TestDatabase db;
  auto pool = db.NewPool(4);
  Exec(*pool, "CREATE TABLE counter (id INT PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB");
  Exec(*pool, "INSERT INTO counter VALUES (1, 0)");
  constexpr int kThreads = 16, kIncrements = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        absl::Status st = RunInTransaction(*pool, [&](DbSession& s) {
          auto rs = Query(s, "SELECT n FROM counter WHERE id = 1 FOR UPDATE").Rows();
          rs->next();
          int64_t n = rs->getInt64(1);
          Query(s, "UPDATE counter SET n = ? WHERE id = 1").Arg(n + 1).Exec();
          return absl::OkStatus();
        });
        if (!st.ok()) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT n FROM counter WHERE id = 1"), kThreads * kIncrements);
  EXPECT_LE(pool->peak_in_use(), 4);
  EXPECT_GE(pool->peak_in_use(), 2) << "16 threads never overlapped: the test proves nothing";
}

TEST(PoolTest, ExhaustedPoolAnswersUnavailable) {
  TestDatabase db;
  DbConfig c = db.config();
  c.pool_size = 1;
  c.acquire_timeout = absl::Milliseconds(50);
  auto pool = ConnectionPool::Create(c);
  ASSERT_TRUE(pool.ok());
  auto held = (*pool)->Acquire();
  ASSERT_TRUE(held.ok());
  auto second = (*pool)->Acquire();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(PoolTest, SqlErrorsBecomeStatuses) {
  TestDatabase db;
  auto pool = db.NewPool();
  absl::Status st = WithConnection(*pool, [](DbSession& s) {
    s.ExecuteRaw("SELECT * FROM no_such_table");
    return absl::OkStatus();
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(SqlErrorCode(st), 1146);
}

TEST(PoolTest, BinaryValuesRoundTrip) {
  TestDatabase db;
  auto pool = db.NewPool();
  Exec(*pool, "CREATE TABLE b (id INT PRIMARY KEY, v LONGBLOB)");
  std::string value("a\0b\xff\x01z", 6);
  std::string back;
  ASSERT_TRUE(WithConnection(*pool, [&](DbSession& s) {
                Query(s, "INSERT INTO b VALUES (1, ?)").Arg(value).Exec();
                auto rs = Query(s, "SELECT v FROM b WHERE id = 1").Rows();
                rs->next();
                back = rs->getString(1).asStdString();
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(back, value);
}

TEST(MigrationsTest, TwoRacingRunnersApplyEachMigrationOnce) {
  TestDatabase db;
  // Migration 2 is not idempotent: applied twice, it would insert two rows.
  std::vector<Migration> ms = {
      {1, "001_table", "CREATE TABLE m (id INT AUTO_INCREMENT PRIMARY KEY, v INT);"},
      {2, "002_row", "INSERT INTO m (v) VALUES (1);\nINSERT INTO m (v) VALUES (2);"},
  };
  auto pool_a = db.NewPool(2);
  auto pool_b = db.NewPool(2);
  std::barrier start(2);
  absl::Status a, b;
  std::thread ta([&] {
    start.arrive_and_wait();
    a = ApplyMigrations(*pool_a, ms);
  });
  std::thread tb([&] {
    start.arrive_and_wait();
    b = ApplyMigrations(*pool_b, ms);
  });
  ta.join();
  tb.join();
  EXPECT_TRUE(a.ok()) << a;
  EXPECT_TRUE(b.ok()) << b;
  EXPECT_EQ(testing::QueryInt(*pool_a, "SELECT COUNT(*) FROM m"), 2);
  EXPECT_EQ(testing::QueryInt(*pool_a, "SELECT COUNT(*) FROM schema_migrations"), 2);
  // Running again changes nothing.
  EXPECT_TRUE(ApplyMigrations(*pool_a, ms).ok());
  EXPECT_EQ(testing::QueryInt(*pool_a, "SELECT COUNT(*) FROM m"), 2);
}

TEST(MigrationsTest, AnEditedAppliedMigrationIsRefused) {
  TestDatabase db;
  auto pool = db.NewPool();
  ASSERT_TRUE(ApplyMigrations(*pool, {{1, "001", "CREATE TABLE x (id INT PRIMARY KEY);"}}).ok());
  absl::Status st = ApplyMigrations(*pool, {{1, "001", "CREATE TABLE x (id BIGINT PRIMARY KEY);"}});
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(MigrationsTest, SplitsStatementsAndSkipsComments) {
  auto stmts = SplitSqlStatements("-- c\nCREATE TABLE a (x INT);\n\nINSERT INTO a\n VALUES (1);\n");
  ASSERT_EQ(stmts.size(), 2u);
  EXPECT_EQ(stmts[0], "CREATE TABLE a (x INT)");
}

TEST(TransactionTest, RealDeadlockIsRetriedToSuccess) {
  TestDatabase db;
  auto pool = db.NewPool(4);
  Exec(*pool, "CREATE TABLE acct (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB");
  Exec(*pool, "INSERT INTO acct VALUES (1, 0), (2, 0)");
  // Each transaction locks one row, waits until the other has locked the other row (on
  // the first attempt only), then locks the other: a lock cycle InnoDB must break.
  std::barrier both_locked(2);
  std::atomic<int> first_attempts_done{0};
  int attempts_a = 0, attempts_b = 0;
  auto body = [&](int first, int second, int* attempts) {
    return RunInTransaction(
        *pool,
        [&, first, second, attempts](DbSession& s) {
          Query(s, "UPDATE acct SET n = n + 1 WHERE id = ?").Arg(first).Exec();
          if (*attempts == 1) {
            both_locked.arrive_and_wait();
            first_attempts_done++;
          }
          Query(s, "UPDATE acct SET n = n + 1 WHERE id = ?").Arg(second).Exec();
          return absl::OkStatus();
        },
        TxOptions{.max_attempts = 6, .attempts = attempts});
  };
  absl::Status a, b;
  std::thread ta([&] { a = body(1, 2, &attempts_a); });
  std::thread tb([&] { b = body(2, 1, &attempts_b); });
  ta.join();
  tb.join();
  EXPECT_TRUE(a.ok()) << a;
  EXPECT_TRUE(b.ok()) << b;
  EXPECT_EQ(first_attempts_done.load(), 2);
  EXPECT_GE(std::max(attempts_a, attempts_b), 2) << "no deadlock happened";
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT SUM(n) FROM acct"), 4);
}

TEST(TransactionTest, ErrorFromBodyRollsBack) {
  TestDatabase db;
  auto pool = db.NewPool();
  Exec(*pool, "CREATE TABLE r (id INT PRIMARY KEY) ENGINE=InnoDB");
  absl::Status st = RunInTransaction(*pool, [](DbSession& s) {
    Query(s, "INSERT INTO r VALUES (1)").Exec();
    return absl::FailedPreconditionError("business rule");
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT COUNT(*) FROM r"), 0);
}

// A body that throws something other than an SQL error (a bug: CheckTextSql refusing a
// statement, an out-of-range lookup) must not hand its open transaction, with its locks
// and uncommitted rows, to the next caller of the pooled connection.
TEST(TransactionTest, ABodyThatThrowsLeavesNoOpenTransactionBehind) {
  TestDatabase db;
  auto pool = db.NewPool(1);
  Exec(*pool, "CREATE TABLE x (id INT PRIMARY KEY) ENGINE=InnoDB");
  EXPECT_THROW(RunInTransaction(*pool,
                                [](DbSession& s) -> absl::Status {
                                  Query(s, "INSERT INTO x VALUES (1)").Exec();
                                  throw std::runtime_error("a bug");
                                }),
               std::runtime_error);
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT COUNT(*) FROM x"), 0);
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT @@in_transaction"), 0);
}

// Connector/C++ 1.1.12's Connection::commit() ignores the server's answer: a COMMIT
// whose connection died (the server crashed or killed it) returned as if it committed,
// and the service acknowledged a write that was rolled back. Found by the MariaDB-kill
// chaos test; RunInTransaction must report such a commit as failed and run it again.
TEST(TransactionTest, ACommitOnADeadConnectionIsAFailureNotASuccess) {
  TestDatabase db;
  auto pool = db.NewPool(4);
  Exec(*pool, "CREATE TABLE c (id INT PRIMARY KEY) ENGINE=InnoDB");
  auto kill_own_connection = [&](DbSession& s) {
    auto rs = Query(s, "SELECT CONNECTION_ID()").Rows();
    EXPECT_TRUE(rs->next());
    int64_t id = rs->getInt64(1);
    // From another connection, as a server crash or an operator's KILL would.
    auto other = common::ConnectionPool::Create(db.config());
    EXPECT_TRUE(other.ok());
    Exec(**other, absl::StrCat("KILL CONNECTION ", id));
  };
  TxOptions once;
  once.max_attempts = 1;
  absl::Status st = RunInTransaction(
      *pool,
      [&](DbSession& s) {
        Query(s, "INSERT INTO c VALUES (1)").Exec();
        kill_own_connection(s);
        return absl::OkStatus();
      },
      once);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT COUNT(*) FROM c"), 0);
  // With retries, the next attempt (on a fresh connection) commits it, once.
  int attempts = 0;
  st = RunInTransaction(*pool, [&](DbSession& s) {
    Query(s, "INSERT INTO c VALUES (2)").Exec();
    if (++attempts == 1) kill_own_connection(s);
    return absl::OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT COUNT(*) FROM c WHERE id = 2"), 1);
}

// Script: text statements in one round trip. Every value here goes through SqlHex and
// SqlTime, and every byte value must come back as it went in.
TEST(ScriptTest, RunsStatementsInOrderAndHandsEachItsRows) {
  TestDatabase db;
  auto pool = db.NewPool();
  Exec(*pool, "CREATE TABLE s (id INT PRIMARY KEY, v VARBINARY(600), t DATETIME(6)) ENGINE=InnoDB");
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  const std::string quoted = "it's a \\'; DROP TABLE s; --";
  absl::Time when = absl::FromUnixMicros(1'790'000'000'123'456);
  std::string first, second, time_back;
  int64_t count = -1;
  ASSERT_TRUE(WithConnection(*pool, [&](DbSession& s) {
                Script script(s);
                script.Add(absl::StrCat("INSERT INTO s VALUES (1, ", SqlHex(every_byte), ", ",
                                        SqlTime(when), ")"));
                script.Add(absl::StrCat("INSERT INTO s VALUES (2, ", SqlHex(quoted), ", NULL)"));
                // Rows without a reader are skipped; the readers after it still get theirs.
                script.Add("SELECT id FROM s");
                EXPECT_EQ(script.Add("SELECT v, t FROM s WHERE id = 1",
                                     [&](sql::ResultSet& rs) {
                                       ASSERT_TRUE(rs.next());
                                       first = rs.getString(1).asStdString();
                                       time_back = rs.getString(2).asStdString();
                                     }),
                          3u);
                script.Add("UPDATE s SET v = v WHERE id = 2");
                script.Add("SELECT v FROM s WHERE id = 2", [&](sql::ResultSet& rs) {
                  ASSERT_TRUE(rs.next());
                  second = rs.getString(1).asStdString();
                });
                script.Add("SELECT COUNT(*) FROM s", [&](sql::ResultSet& rs) {
                  ASSERT_TRUE(rs.next());
                  count = rs.getInt64(1);
                });
                script.Run();
                EXPECT_EQ(script.failed(), -1);
                EXPECT_EQ(script.size(), 0u);  // a run consumes its statements
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(first, every_byte);
  EXPECT_EQ(second, quoted);
  EXPECT_EQ(FromSqlTime(time_back), when);
  EXPECT_EQ(count, 2);
}

TEST(ScriptTest, RefusesTextOutsideTheRule) {
  // What the stores build: hex literals, time literals, numbers (negative too).
  for (const std::string& ok :
       {absl::StrCat("INSERT INTO t VALUES (", SqlHex("it's"), ", -5, ", SqlTime(absl::UnixEpoch()),
                     ")"),
        std::string("UPDATE a SET n = n + 1 WHERE id = X'00ff' AND b = x''"),
        std::string("SELECT 1")}) {
    EXPECT_NO_THROW(CheckTextSql(ok)) << ok;
  }
  // A value pasted in as a quoted string, a second statement, comments, other quotes.
  for (const std::string& bad :
       {std::string("SELECT * FROM t WHERE name = 'Zhang'"),
        std::string("SELECT * FROM t WHERE id = '1' OR '1' = '1'"),
        std::string("SELECT 1; DROP TABLE t"), std::string("SELECT 1 -- and the rest"),
        std::string("SELECT 1 /* hidden */"), std::string("SELECT 1 # hidden"),
        std::string("SELECT \"x\""), std::string("SELECT `x` FROM t"), std::string("SELECT X'4g'"),
        std::string("SELECT AX'41'"), std::string("SELECT '2026"), std::string("SELECT X'41\\'")}) {
    EXPECT_THROW(CheckTextSql(bad), std::invalid_argument) << bad;
  }
  // Script::Add applies it.
  TestDatabase db;
  auto pool = db.NewPool();
  ASSERT_TRUE(WithConnection(*pool, [](DbSession& s) {
                Script script(s);
                EXPECT_THROW(script.Add("SELECT 'a'"), std::invalid_argument);
                EXPECT_EQ(script.size(), 0u);
                return absl::OkStatus();
              }).ok());
}

TEST(ScriptTest, StopsAtTheFailingStatementAndNamesIt) {
  TestDatabase db;
  auto pool = db.NewPool(1);
  Exec(*pool, "CREATE TABLE f (id INT PRIMARY KEY) ENGINE=InnoDB");
  // Autocommit: the statement before the failure stays, the ones after it never ran.
  ASSERT_TRUE(WithConnection(*pool, [&](DbSession& s) {
                Script script(s);
                script.Add("INSERT INTO f VALUES (1)");
                script.Add("INSERT INTO f VALUES (1)");
                script.Add("INSERT INTO f VALUES (3)");
                try {
                  script.Run();
                  ADD_FAILURE() << "a duplicate key did not fail the script";
                } catch (const sql::SQLException& e) {
                  EXPECT_EQ(e.getErrorCode(), kErDupEntry);
                  EXPECT_EQ(script.failed(), 1);
                }
                // The connection is in step again.
                auto rs = Query(s, "SELECT COUNT(*) FROM f").Rows();
                EXPECT_TRUE(rs->next());
                EXPECT_EQ(rs->getInt64(1), 1);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT COUNT(*) FROM f WHERE id = 1"), 1);
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT COUNT(*) FROM f WHERE id = 3"), 0);
}

TEST(ScriptTest, TravelsWithTheTransactionsBeginAndCanEndItWithCommit) {
  TestDatabase db;
  auto pool = db.NewPool(1);
  Exec(*pool, "CREATE TABLE g (id INT PRIMARY KEY) ENGINE=InnoDB");
  // The lazily sent BEGIN goes first in the script's packet: the body's error rolls
  // the script's write back.
  absl::Status st = RunInTransaction(*pool, [](DbSession& s) {
    EXPECT_TRUE(s.in_transaction());
    Script script(s);
    script.Add("INSERT INTO g VALUES (1)");
    script.Run();
    return absl::FailedPreconditionError("business rule");
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT COUNT(*) FROM g"), 0);
  // A failing statement in the middle: the transaction keeps none of the script.
  st = RunInTransaction(*pool, [](DbSession& s) {
    Script script(s);
    script.Add("INSERT INTO g VALUES (2)");
    script.Add("INSERT INTO no_such_table VALUES (3)");
    script.Run();
    return absl::OkStatus();
  });
  EXPECT_EQ(SqlErrorCode(st), 1146);
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT COUNT(*) FROM g"), 0);
  // READ ONLY travels too: a write in a read-only transaction is refused.
  TxOptions read_only;
  read_only.read_only = true;
  st = RunInTransaction(
      *pool,
      [](DbSession& s) {
        Script script(s);
        script.Add("INSERT INTO g VALUES (4)");
        script.Run();
        return absl::OkStatus();
      },
      read_only);
  EXPECT_EQ(SqlErrorCode(st), 1792) << st;  // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  // RunAndCommit ends the transaction in the same round trip; nothing is left open.
  st = RunInTransaction(*pool, [](DbSession& s) {
    Query(s, "INSERT INTO g VALUES (5)").Exec();
    Script script(s);
    script.Add("INSERT INTO g VALUES (6)");
    script.RunAndCommit();
    EXPECT_FALSE(s.in_transaction());
    return absl::OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT COUNT(*) FROM g WHERE id IN (5, 6)"), 2);
  EXPECT_EQ(testing::QueryInt(*pool, "SELECT @@in_transaction"), 0);
}

}  // namespace
}  // namespace tuopin::common
