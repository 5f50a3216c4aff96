#include "tests/support/test_db.h"

#include <cppconn/resultset.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "gtest/gtest.h"

namespace tuopin::testing {

int64_t QueryInt(common::ConnectionPool& pool, const std::string& sql) {
  int64_t v = -1;
  absl::Status st = common::WithConnection(pool, [&](common::DbSession& s) {
    auto rs = common::Query(s, sql).Rows();
    if (rs->next() && !rs->isNull(1)) v = rs->getInt64(1);
    return absl::OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st << " in " << sql;
  return v;
}

std::vector<tuopin::common::v1::AuditEvent> OutboxEvents(common::ConnectionPool& pool) {
  std::vector<tuopin::common::v1::AuditEvent> out;
  absl::Status st = common::WithConnection(pool, [&](common::DbSession& s) {
    auto rs = common::Query(s, "SELECT event FROM outbox ORDER BY seq").Rows();
    while (rs->next()) {
      if (!out.emplace_back().ParseFromString(rs->getString(1).asStdString()))
        return absl::DataLossError("an outbox event does not parse");
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st;
  return out;
}

std::string TestRootDsn() {
  const char* dsn = std::getenv("TUOPIN_TEST_DSN");
  return dsn == nullptr ? "" : dsn;
}

TestDatabase::TestDatabase() {
  std::string dsn = TestRootDsn();
  if (dsn.empty()) {
    ADD_FAILURE() << "TUOPIN_TEST_DSN is not set: run the tests with tests/run, which starts a "
                     "private MariaDB";
    std::abort();
  }
  auto root = common::ParseDsn(dsn);
  if (!root.ok()) {
    ADD_FAILURE() << root.status();
    std::abort();
  }
  root_ = *root;
  config_ = root_;
  config_.database = absl::StrCat("t_", common::HexEncode(common::RandomBytes(6)));
  auto pool = common::ConnectionPool::Create(root_);
  if (!pool.ok()) {
    ADD_FAILURE() << pool.status();
    std::abort();
  }
  absl::Status st = common::WithConnection(**pool, [&](common::DbSession& s) {
    s.ExecuteRaw(absl::StrCat("CREATE DATABASE ", config_.database,
                              " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"));
    return absl::OkStatus();
  });
  if (!st.ok()) {
    ADD_FAILURE() << st;
    std::abort();
  }
}

TestDatabase::~TestDatabase() {
  auto pool = common::ConnectionPool::Create(root_);
  if (!pool.ok()) return;
  (void)common::WithConnection(**pool, [&](common::DbSession& s) {
    s.ExecuteRaw(absl::StrCat("DROP DATABASE IF EXISTS ", config_.database));
    return absl::OkStatus();
  });
}

std::unique_ptr<common::ConnectionPool> TestDatabase::NewPool(int size) const {
  common::DbConfig c = config_;
  c.pool_size = size;
  auto pool = common::ConnectionPool::Create(c);
  EXPECT_TRUE(pool.ok()) << pool.status();
  return pool.ok() ? std::move(*pool) : nullptr;
}

std::string TestDatabase::Dsn() const {
  return absl::StrCat("mysql://", config_.user, ":", config_.password, "@", config_.host, ":",
                      config_.port, "/", config_.database,
                      config_.socket.empty() ? "" : absl::StrCat("?socket=", config_.socket));
}

}  // namespace tuopin::testing
