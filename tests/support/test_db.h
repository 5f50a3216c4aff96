#pragma once
// A fresh database per test on the private MariaDB that tests/run starts. The server is
// found through TUOPIN_TEST_DSN (a root DSN); the database is dropped afterwards.

#include <memory>
#include <string>
#include <vector>

#include "common/db.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::testing {

class TestDatabase {
 public:
  // Creates database "t_<random>"; fails the test when no server is configured.
  TestDatabase();
  ~TestDatabase();
  const common::DbConfig& config() const { return config_; }
  // A pool on the test database.
  std::unique_ptr<common::ConnectionPool> NewPool(int size = 8) const;
  // "mysql://..." for a child process.
  std::string Dsn() const;

 private:
  common::DbConfig root_;
  common::DbConfig config_;
};

// The first column of the first row of a query, as an integer (-1 when there is none).
int64_t QueryInt(common::ConnectionPool& pool, const std::string& sql);

// The audit events waiting in a service's outbox, oldest first.
std::vector<tuopin::common::v1::AuditEvent> OutboxEvents(common::ConnectionPool& pool);

// The root DSN from TUOPIN_TEST_DSN, or empty.
std::string TestRootDsn();

}  // namespace tuopin::testing
