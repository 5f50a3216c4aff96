#pragma once
// Schema migrations: each service's schema/NNN_*.sql, embedded in its binary at build
// time, applied in order and recorded in schema_migrations. A MariaDB named lock makes
// replicas that start at once apply each migration exactly once.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/db.h"

namespace tuopin::common {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// Splits a migration into statements: a statement ends with ';' at the end of a line.
// Lines starting with "--" are comments.
std::vector<std::string> SplitSqlStatements(const std::string& sql);

// Applies the migrations not yet recorded. Fails if a recorded migration's checksum
// differs from the embedded one (somebody edited an applied migration).
absl::Status ApplyMigrations(ConnectionPool& pool, const std::vector<Migration>& migrations);

}  // namespace tuopin::common
