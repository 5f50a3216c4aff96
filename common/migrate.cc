#include "common/migrate.h"

#include <cppconn/resultset.h>

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto.h"
#include "common/log.h"

namespace tuopin::common {

std::vector<std::string> SplitSqlStatements(const std::string& sql) {
  std::vector<std::string> out;
  std::string current;
  for (absl::string_view line : absl::StrSplit(sql, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "--")) continue;
    absl::StrAppend(&current, line, "\n");
    if (absl::EndsWith(trimmed, ";")) {
      absl::string_view stmt = absl::StripAsciiWhitespace(current);
      stmt.remove_suffix(1);
      out.emplace_back(stmt);
      current.clear();
    }
  }
  if (!absl::StripAsciiWhitespace(current).empty()) {
    out.emplace_back(absl::StripAsciiWhitespace(current));
  }
  return out;
}

absl::Status ApplyMigrations(ConnectionPool& pool, const std::vector<Migration>& migrations) {
  return WithConnection(pool, [&](DbSession& s) -> absl::Status {
    std::string lock_name = absl::StrCat("tuopin_migrate_", pool.config().database);
    {
      auto rs = Query(s, "SELECT GET_LOCK(?, 120)").Arg(lock_name).Rows();
      if (!rs->next() || rs->getInt(1) != 1) {
        return absl::DeadlineExceededError("timed out waiting for the migration lock");
      }
    }
    auto release = [&] { Query(s, "SELECT RELEASE_LOCK(?)").Arg(lock_name).Rows(); };
    // The lock belongs to the connection, which goes back to the pool: release it on
    // every path, including a SQL error thrown half way.
    absl::Status result;
    try {
      result = [&]() -> absl::Status {
        s.ExecuteRaw(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL,"
            " checksum CHAR(64) NOT NULL, applied_at DATETIME(6) NOT NULL"
            ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
        std::map<int, std::string> applied;
        auto rs = Query(s, "SELECT version, checksum FROM schema_migrations").Rows();
        while (rs->next()) applied[rs->getInt(1)] = rs->getString(2).asStdString();
        std::vector<const Migration*> ordered;
        for (const auto& m : migrations) ordered.push_back(&m);
        std::sort(ordered.begin(), ordered.end(),
                  [](const Migration* a, const Migration* b) { return a->version < b->version; });
        for (const Migration* m : ordered) {
          std::string checksum = HexEncode(Sha256(m->sql));
          auto it = applied.find(m->version);
          if (it != applied.end()) {
            if (it->second != checksum) {
              return absl::FailedPreconditionError(
                  absl::StrCat("migration ", m->version, " (", m->name,
                               ") was changed after it was applied; add a new migration instead"));
            }
            continue;
          }
          for (const std::string& stmt : SplitSqlStatements(m->sql)) s.ExecuteRaw(stmt);
          Query(s,
                "INSERT INTO schema_migrations (version, name, checksum, applied_at)"
                " VALUES (?, ?, ?, UTC_TIMESTAMP(6))")
              .Arg(m->version)
              .Arg(m->name)
              .Arg(checksum)
              .Exec();
          LogInfo("applied migration", {{"database", pool.config().database},
                                        {"version", std::to_string(m->version)},
                                        {"name", m->name}});
        }
        return absl::OkStatus();
      }();
    } catch (...) {
      release();
      throw;
    }
    release();
    return result;
  });
}

}  // namespace tuopin::common
