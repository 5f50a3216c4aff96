#include "common/region_rollup.h"

#include <cppconn/resultset.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/region_code.h"

ABSL_FLAG(absl::Duration, rollup_refresh_interval, absl::Seconds(10),
          "How often the per-region roll-ups (from_summary answers) are refreshed.");
ABSL_FLAG(absl::Duration, rollup_overlap, absl::Seconds(60),
          "How far before the last refresh a refresh looks for writes (a write committing "
          "later than this after its update time waits for a full refresh).");
ABSL_FLAG(absl::Duration, rollup_full_refresh_interval, absl::Hours(1),
          "How often a roll-up refresh recomputes every village instead of those written.");

namespace tuopin::common {
namespace {

constexpr char kLockMark[] =
    "SELECT refreshed_at, as_of_day FROM rollup_state WHERE name = ? FOR UPDATE";
constexpr char kReadMark[] = "SELECT refreshed_at, as_of_day FROM rollup_state WHERE name = ?";
constexpr char kSaveMark[] =
    "INSERT INTO rollup_state (name, refreshed_at, as_of_day) VALUES (?, ?, ?)"
    " ON DUPLICATE KEY UPDATE refreshed_at = VALUES(refreshed_at), as_of_day = VALUES(as_of_day)";

RollupMark ReadMark(DbSession& s, const char* sql_text, absl::string_view name) {
  RollupMark m;
  auto rs = Query(s, sql_text).Arg(name).Rows();
  if (rs->next() && !rs->isNull(1)) {
    m.refreshed_at = FromSqlTime(rs->getString(1).asStdString());
    absl::ParseCivilTime(rs->getString(2).asStdString(), &m.as_of_day);
  }
  return m;
}

void DeleteOwnRows(DbSession& s, const RollupTable& t, const std::vector<std::string>& codes) {
  for (size_t start = 0; start < codes.size(); start += 256) {
    std::vector<std::string> chunk(codes.begin() + start,
                                   codes.begin() + std::min(codes.size(), start + 256));
    Query(s, absl::StrCat("DELETE FROM ", t.name, " WHERE level = 0 AND region_code IN (",
                          Placeholders(InListSize(chunk.size())), ")"))
        .InList(chunk)
        .Exec();
  }
}

void DeleteAllRows(DbSession& s, const RollupTable& t) {
  s.ExecuteRaw(absl::StrCat("DELETE FROM ", t.name));
}

void RollUpRegions(DbSession& s, const RollupTable& t, const std::set<std::string>& codes) {
  std::vector<std::string> sums;
  for (const std::string& c : t.sums) sums.push_back(absl::StrCat("SUM(", c, ")"));
  const std::string del =
      absl::StrCat("DELETE FROM ", t.name, " WHERE level = ? AND region_code = ?");
  // The rows read are the refresher's own (no writer touches the table), so INSERT ...
  // SELECT locks nothing anyone waits for.
  const std::string insert = absl::StrCat(
      "INSERT INTO ", t.name, " (level, region_code, ", t.keys, ", ", absl::StrJoin(t.sums, ", "),
      ") SELECT ?, ?, ", t.keys, ", ", absl::StrJoin(sums, ", "), " FROM ", t.name,
      " WHERE (level = 0 AND region_code = ?) OR (level = ? AND region_code >= ?"
      " AND region_code < ?) GROUP BY ",
      t.keys);
  for (int level = kVillageLevel; level >= kProvinceLevel; --level) {
    std::set<std::string> regions;
    size_t len = RegionCodeLength(level);
    for (const std::string& c : codes) {
      if (c.size() >= len) regions.insert(c.substr(0, len));
    }
    for (const std::string& r : regions) {
      Query(s, del).Arg(level).Arg(r).Exec();
      Query(s, insert).Arg(level).Arg(r).Arg(r).Arg(level + 1).Arg(r).Arg(RegionRangeEnd(r)).Exec();
    }
  }
}

RollupMark LockRollupMark(DbSession& s, absl::string_view name) {
  return ReadMark(s, kLockMark, name);
}

void SaveRollupMark(DbSession& s, absl::string_view name, const RollupMark& mark) {
  Query q(s, kSaveMark);
  q.Arg(name);
  if (mark.refreshed_at) {
    q.Arg(ToSqlTime(*mark.refreshed_at));
  } else {
    q.Null();
  }
  q.Arg(ToSqlDate(mark.as_of_day)).Exec();
}

}  // namespace

RollupMark ReadRollupMark(DbSession& s, absl::string_view name) {
  return ReadMark(s, kReadMark, name);
}

absl::Status RefreshRollup(ConnectionPool& pool, const RollupTable& t, absl::string_view name,
                           const RollupMark& next, bool everything, const ChangedCodesFn& changed,
                           const WriteOwnRowsFn& write_own) {
  return RunInTransaction(pool, [&](DbSession& s) -> absl::Status {
    RollupMark last = LockRollupMark(s, name);
    // Another replica's pass, begun later, committed while this one waited for the lock:
    // this one would move the mark back.
    if (last.refreshed_at && next.refreshed_at && *next.refreshed_at <= *last.refreshed_at)
      return absl::OkStatus();
    std::set<std::string> codes;
    if (!last.refreshed_at || everything) {
      DeleteAllRows(s, t);
      codes = write_own(s, nullptr);
    } else {
      codes = changed(s, last);
      std::vector<std::string> all(codes.begin(), codes.end());
      DeleteOwnRows(s, t, all);
      for (size_t start = 0; start < all.size(); start += 256) {
        std::vector<std::string> chunk(all.begin() + start,
                                       all.begin() + std::min(all.size(), start + 256));
        write_own(s, &chunk);
      }
    }
    RollUpRegions(s, t, codes);
    SaveRollupMark(s, name, next);
    return absl::OkStatus();
  });
}

absl::Status RollupRefresher::Pass(absl::Time now) {
  bool full;
  {
    absl::MutexLock lock(&mu_);
    full = !last_full_ || now - *last_full_ >= options_.full_every;
  }
  absl::Status st = pass_(now, full);
  if (st.ok() && full) {
    absl::MutexLock lock(&mu_);
    last_full_ = now;
  }
  return st;
}

absl::StatusOr<std::optional<absl::Time>> RollupRefresher::Read(const ReadFn& read) {
  // Never refreshed (a new database, the first pass still running): nullopt, and the
  // caller sums at the call. A read never runs a pass: a pass is the timer's, so that
  // readers cannot make the service refresh (and hold connections) at will.
  return read();
}

absl::StatusOr<RollupOptions> RollupOptionsFromFlags() {
  RollupOptions o{.interval = absl::GetFlag(FLAGS_rollup_refresh_interval),
                  .overlap = absl::GetFlag(FLAGS_rollup_overlap),
                  .full_every = absl::GetFlag(FLAGS_rollup_full_refresh_interval)};
  if (o.interval < absl::Seconds(1) || o.interval > absl::Hours(1))
    return absl::InvalidArgumentError("--rollup_refresh_interval must be between 1s and 1h");
  if (o.overlap < absl::Seconds(1) || o.overlap > absl::Hours(24))
    return absl::InvalidArgumentError("--rollup_overlap must be between 1s and 24h");
  if (o.full_every < o.interval || o.full_every > absl::Hours(24 * 7))
    return absl::InvalidArgumentError(
        "--rollup_full_refresh_interval must be at least --rollup_refresh_interval and at most "
        "168h");
  return o;
}

}  // namespace tuopin::common
