#include "services/funds/mysql_funds_rollup.h"

#include <cppconn/resultset.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "common/region_code.h"
#include "common/region_rollup.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::funds {
namespace {

using common::DbSession;
using common::Query;
using common::ToSqlTime;

constexpr char kMark[] = "utilization";
const common::RollupTable& Table() {
  static const auto* t =
      new common::RollupTable{"utilization_rollup",
                              "kind, sector",
                              {"appropriated_in", "allocated_in", "disbursed_out", "idle"}};
  return *t;
}

// Codes of accounts written since a time (idx_accounts_updated), and of project accounts
// whose last credit or debit lies in [from, to) (idx_accounts_activity): idle at the cut-off
// `to` but not at `from` when their balance is positive.
constexpr char kUpdatedCodes[] = "SELECT DISTINCT region_code FROM accounts WHERE updated_at >= ?";
constexpr char kNewlyIdleCodes[] =
    "SELECT DISTINCT region_code FROM accounts WHERE kind = ? AND last_activity_at >= ?"
    " AND last_activity_at < ?";
// A code's own pool and project accounts (bound: the cut-off twice, the two kinds), as
// MysqlFundsStore::Utilization sums them; optionally for an IN list of codes.
constexpr char kOwnTotals[] =
    "SELECT region_code, kind, sector, SUM(appropriated_in), SUM(allocated_in),"
    " SUM(disbursed_out), SUM(CASE WHEN credits_posted - debits_posted - debits_pending > 0"
    " AND last_credit_at < ? AND (last_debit_at IS NULL OR last_debit_at < ?)"
    " THEN credits_posted - debits_posted - debits_pending ELSE 0 END) FROM accounts"
    " WHERE kind IN (?, ?)";
constexpr char kOwnTotalsGroup[] = " GROUP BY region_code, kind, sector";
constexpr char kInsertHead[] =
    "INSERT INTO utilization_rollup (level, region_code, kind, sector, appropriated_in,"
    " allocated_in, disbursed_out, idle) VALUES ";
constexpr char kInsertRow[] = "(?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kRead[] =
    "SELECT kind, sector, appropriated_in, allocated_in, disbursed_out, idle"
    " FROM utilization_rollup WHERE level = ? AND region_code = ? ORDER BY kind, sector";

struct OwnRow {
  std::string code;
  int64_t kind, sector, appropriated, allocated, disbursed, idle;
};

std::vector<OwnRow> OwnTotals(DbSession& s, const std::vector<std::string>* codes,
                              absl::Time cutoff) {
  std::string sql = kOwnTotals;
  if (codes) {
    absl::StrAppend(&sql, " AND region_code IN (",
                    common::Placeholders(common::InListSize(codes->size())), ")");
  }
  sql += kOwnTotalsGroup;
  Query q(s, sql);
  q.Arg(ToSqlTime(cutoff))
      .Arg(ToSqlTime(cutoff))
      .Arg(static_cast<int32_t>(v1::ACCOUNT_KIND_POOL))
      .Arg(static_cast<int32_t>(v1::ACCOUNT_KIND_PROJECT));
  if (codes) q.InList(*codes);
  std::vector<OwnRow> out;
  for (auto rs = q.Rows(); rs->next();) {
    out.push_back({rs->getString(1).asStdString(), rs->getInt(2), rs->getInt(3), rs->getInt64(4),
                   rs->getInt64(5), rs->getInt64(6), rs->getInt64(7)});
  }
  return out;
}

void WriteOwn(DbSession& s, const std::vector<OwnRow>& rows) {
  common::InsertRows(s, kInsertHead, kInsertRow, rows, [](Query& q, const OwnRow& r) {
    q.Arg(int32_t{0})  // a code's own rows
        .Arg(r.code)
        .Arg(r.kind)
        .Arg(r.sector)
        .Arg(r.appropriated)
        .Arg(r.allocated)
        .Arg(r.disbursed)
        .Arg(r.idle);
  });
}

}  // namespace

absl::Status MysqlUtilizationRollupStore::Refresh(absl::Time now, absl::Duration idle_after,
                                                  absl::Duration overlap, bool everything) {
  absl::Time cutoff = now - idle_after;
  auto changed = [&](DbSession& s, const common::RollupMark& last) {
    std::set<std::string> codes;
    auto rs = Query(s, kUpdatedCodes).Arg(ToSqlTime(*last.refreshed_at - overlap)).Rows();
    while (rs->next()) codes.insert(rs->getString(1).asStdString());
    absl::Time last_cutoff = *last.refreshed_at - idle_after;
    if (cutoff > last_cutoff) {
      rs = Query(s, kNewlyIdleCodes)
               .Arg(static_cast<int32_t>(v1::ACCOUNT_KIND_PROJECT))
               .Arg(ToSqlTime(last_cutoff))
               .Arg(ToSqlTime(cutoff))
               .Rows();
      while (rs->next()) codes.insert(rs->getString(1).asStdString());
    }
    return codes;
  };
  auto write_own = [&](DbSession& s, const std::vector<std::string>* codes) {
    std::vector<OwnRow> rows = OwnTotals(s, codes, cutoff);
    WriteOwn(s, rows);
    std::set<std::string> written;
    for (const OwnRow& r : rows) written.insert(r.code);
    return written;
  };
  return common::RefreshRollup(pool_, Table(), kMark, {now, common::ChinaDay(now)}, everything,
                               changed, write_own);
}

absl::StatusOr<std::optional<absl::Time>> MysqlUtilizationRollupStore::Read(
    const std::string& region_code, int sector, bool by_sector, v1::Utilization& out) {
  int level = common::RegionLevelOf(region_code);
  if (level == 0) return absl::InvalidArgumentError("not a region code of any level");
  std::optional<absl::Time> as_of;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    // The mark first: the rows read after it are of that pass or a later one.
    as_of = common::ReadRollupMark(s, kMark).refreshed_at;
    out.Clear();
    int64_t appropriated = 0, allocated = 0, disbursed = 0, idle = 0;
    auto rs = Query(s, kRead).Arg(level).Arg(region_code).Rows();
    while (rs->next()) {
      if (rs->getInt(1) == v1::ACCOUNT_KIND_POOL) {
        appropriated += rs->getInt64(3);
        continue;
      }
      int row_sector = rs->getInt(2);
      if (sector != 0 && row_sector != sector) continue;
      allocated += rs->getInt64(4);
      disbursed += rs->getInt64(5);
      idle += rs->getInt64(6);
      if (by_sector) {
        auto* e = out.add_sectors();
        e->set_sector(static_cast<tuopin::common::v1::Sector>(row_sector));
        e->set_allocated_fen(rs->getInt64(4));
        e->set_disbursed_fen(rs->getInt64(5));
        e->set_idle_fen(rs->getInt64(6));
      }
    }
    out.set_appropriated_fen(appropriated);
    out.set_allocated_fen(allocated);
    out.set_disbursed_fen(disbursed);
    out.set_idle_fen(idle);
    return absl::OkStatus();
  }));
  return as_of;
}

}  // namespace tuopin::funds
