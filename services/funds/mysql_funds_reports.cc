#include <cppconn/resultset.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/funds/mysql_funds_rows.h"
#include "services/funds/mysql_funds_store.h"

// The reads behind lineage, utilisation, idle funds and public notices: aggregates kept
// per account (appropriated_in, allocated_in, disbursed_out and the dates) by the writes
// of mysql_funds_store.cc. What they mean (rates, attribution) is the logic's.

namespace tuopin::funds {
namespace {

using common::DbSession;
using common::Query;
using common::ToSqlTime;

// Posted appropriations and allocations (bound: the two kinds, the posted state) into
// the accounts of the IN list that follows.
constexpr char kIncomingFunding[] =
    "SELECT t.debit_account_id, t.credit_account_id, t.amount, t.id FROM transfers t"
    " LEFT JOIN transfer_resolutions r ON r.transfer_id = t.id"
    " WHERE t.kind IN (?, ?) AND (t.pending = 0 OR r.state = ?) AND t.credit_account_id IN (";
constexpr char kAppropriatedInRegion[] =
    "SELECT COALESCE(SUM(appropriated_in), 0) FROM accounts WHERE kind = ?"
    " AND region_code >= ? AND region_code < ?";
// Per sector of the region's projects: allocated, disbursed and idle money as IdleFunds
// counts it (a positive balance, nothing credited or debited since the cut-off).
// The filter of one sector, kSectorFilter, goes between head and tail.
constexpr char kProjectTotalsHead[] =
    "SELECT sector, COALESCE(SUM(allocated_in), 0), COALESCE(SUM(disbursed_out), 0),"
    " COALESCE(SUM(CASE WHEN credits_posted - debits_posted - debits_pending > 0"
    " AND last_credit_at < ? AND (last_debit_at IS NULL OR last_debit_at < ?)"
    " THEN credits_posted - debits_posted - debits_pending ELSE 0 END), 0)"
    " FROM accounts WHERE kind = ? AND ";
constexpr char kSectorFilter[] = "sector = ? AND ";
constexpr char kProjectTotalsTail[] =
    "region_code >= ? AND region_code < ? GROUP BY sector ORDER BY sector";
constexpr char kIdleFunds[] =
    "SELECT id, region_code, sector, credits_posted - debits_posted - debits_pending,"
    " last_credit_at FROM accounts WHERE kind = ? AND region_code >= ? AND region_code < ?"
    " AND credits_posted - debits_posted - debits_pending > 0 AND last_credit_at < ?"
    " AND (last_debit_at IS NULL OR last_debit_at < ?) AND id > ? ORDER BY id LIMIT ?";
// After "SELECT " + AccountColumns().
constexpr char kVillageProjects[] =
    " FROM accounts WHERE kind = ? AND region_code = ? AND id > ? ORDER BY id LIMIT ?";
constexpr char kProjectDates[] = "SELECT first_credit_at, last_debit_at FROM accounts WHERE id = ?";

}  // namespace

absl::StatusOr<std::vector<FundingEdge>> MysqlFundsStore::IncomingFunding(
    const std::vector<std::string>& to_accounts) {
  std::map<std::pair<std::string, std::string>, FundingEdge> edges;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    for (size_t start = 0; start < to_accounts.size(); start += 1024) {
      std::vector<std::string> chunk(
          to_accounts.begin() + start,
          to_accounts.begin() + std::min(to_accounts.size(), start + 1024));
      auto rs = Query(s, absl::StrCat(kIncomingFunding,
                                      common::Placeholders(common::InListSize(chunk.size())), ")"))
                    .Arg(static_cast<int32_t>(v1::TRANSFER_KIND_APPROPRIATION))
                    .Arg(static_cast<int32_t>(v1::TRANSFER_KIND_ALLOCATION))
                    .Arg(static_cast<int32_t>(v1::TRANSFER_STATE_POSTED))
                    .InList(chunk)
                    .Rows();
      while (rs->next()) {
        auto key = std::make_pair(rs->getString(1).asStdString(), rs->getString(2).asStdString());
        FundingEdge& e = edges[key];
        e.from = key.first;
        e.to = key.second;
        e.amount += rs->getInt64(3);
        e.transfer_ids.push_back(rs->getString(4).asStdString());
      }
    }
    return absl::OkStatus();
  }));
  std::vector<FundingEdge> out;
  for (auto& [key, e] : edges) out.push_back(std::move(e));
  return out;
}

absl::StatusOr<v1::Utilization> MysqlFundsStore::Utilization(
    const std::string& region_prefix, int sector, bool by_sector,
    std::optional<absl::Time> idle_before) {
  v1::Utilization u;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto pools = Query(s, kAppropriatedInRegion)
                     .Arg(static_cast<int32_t>(v1::ACCOUNT_KIND_POOL))
                     .Arg(region_prefix)
                     .Arg(common::RegionRangeEnd(region_prefix))
                     .Rows();
    pools->next();
    u.set_appropriated_fen(pools->getInt64(1));
    // One pass over the region's projects, grouped by sector; idle money as IdleFunds
    // counts it (a positive balance, nothing credited or debited since the cut-off).
    Query q(s,
            absl::StrCat(kProjectTotalsHead, sector != 0 ? kSectorFilter : "", kProjectTotalsTail));
    // Without a cut-off nothing counts as idle: a time before every account.
    std::string cutoff = ToSqlTime(idle_before.value_or(absl::UnixEpoch()));
    q.Arg(cutoff).Arg(cutoff).Arg(static_cast<int32_t>(v1::ACCOUNT_KIND_PROJECT));
    if (sector != 0) q.Arg(sector);
    auto rows = q.Arg(region_prefix).Arg(common::RegionRangeEnd(region_prefix)).Rows();
    int64_t allocated = 0, disbursed = 0, idle = 0;
    while (rows->next()) {
      allocated += rows->getInt64(2);
      disbursed += rows->getInt64(3);
      idle += rows->getInt64(4);
      if (by_sector) {
        auto* e = u.add_sectors();
        e->set_sector(static_cast<tuopin::common::v1::Sector>(rows->getInt(1)));
        e->set_allocated_fen(rows->getInt64(2));
        e->set_disbursed_fen(rows->getInt64(3));
        e->set_idle_fen(rows->getInt64(4));
      }
    }
    u.set_allocated_fen(allocated);
    u.set_disbursed_fen(disbursed);
    u.set_idle_fen(idle);
    return absl::OkStatus();
  }));
  return u;
}

absl::StatusOr<std::vector<v1::IdleFund>> MysqlFundsStore::IdleFunds(
    const std::string& region_prefix, absl::Time credited_before, const PageRequest& page) {
  std::vector<v1::IdleFund> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, kIdleFunds)
                  .Arg(static_cast<int32_t>(v1::ACCOUNT_KIND_PROJECT))
                  .Arg(region_prefix)
                  .Arg(common::RegionRangeEnd(region_prefix))
                  .Arg(ToSqlTime(credited_before))
                  .Arg(ToSqlTime(credited_before))
                  .Arg(after)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) {
      v1::IdleFund& f = out.emplace_back();
      f.set_project_account_id(rs->getString(1).asStdString());
      f.set_region_code(rs->getString(2).asStdString());
      f.set_sector(static_cast<tuopin::common::v1::Sector>(rs->getInt(3)));
      f.set_idle_fen(rs->getInt64(4));
      *f.mutable_last_allocation_time() =
          common::ToTimestamp(common::FromSqlTime(rs->getString(5).asStdString()));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::Account>> MysqlFundsStore::VillageProjects(
    const std::string& village_code, const PageRequest& page) {
  std::vector<v1::Account> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, absl::StrCat("SELECT ", rows::AccountColumns(), kVillageProjects))
                  .Arg(static_cast<int32_t>(v1::ACCOUNT_KIND_PROJECT))
                  .Arg(village_code)
                  .Arg(after)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(rows::ReadAccount(*rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::pair<absl::Time, absl::Time>> MysqlFundsStore::ProjectDates(
    const std::string& account_id) {
  std::pair<absl::Time, absl::Time> out{absl::InfinitePast(), absl::InfinitePast()};
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, kProjectDates).Arg(account_id).Rows();
    if (rs->next()) {
      if (!rs->isNull(1)) out.first = common::FromSqlTime(rs->getString(1).asStdString());
      if (!rs->isNull(2)) out.second = common::FromSqlTime(rs->getString(2).asStdString());
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace tuopin::funds
