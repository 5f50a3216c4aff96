#include "services/personnel/mysql_coverage_store.h"

#include <cppconn/resultset.h>

#include <map>
#include <variant>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/region_code.h"
#include "common/validate.h"

namespace tuopin::personnel {
namespace {

using common::DbSession;
using common::Query;

// Region range [lo, hi) is bound as "? AND ... < ?"; enum values are bound from the
// generated enums, never written into the text.

// Per-village counts: (village_code, count) rows.
constexpr char kVillagesInRange[] =
    "SELECT code FROM regions WHERE level = ? AND valid_to IS NULL AND code >= ? AND code < ?";
constexpr char kRegisteredPoorByVillage[] =
    "SELECT village_code, COUNT(*) FROM households WHERE status = ? AND village_code >= ?"
    " AND village_code < ? GROUP BY village_code";
constexpr char kUnpairedPoorByVillage[] =
    "SELECT h.village_code, COUNT(*) FROM households h LEFT JOIN pairings p"
    " ON p.active_household_key = h.id WHERE h.status = ? AND h.village_code >= ?"
    " AND h.village_code < ? AND p.id IS NULL GROUP BY h.village_code";
// A cadre over the limit counts in the first village (by code) of his or her pairings.
constexpr char kCadresOverLimitByVillage[] =
    "SELECT village_code, COUNT(*) FROM (SELECT MIN(village_code) AS village_code FROM pairings"
    " WHERE active = 1 AND village_code >= ? AND village_code < ? GROUP BY cadre_id"
    " HAVING COUNT(*) > ?) t GROUP BY village_code";
constexpr char kHomeVillagePostingsByVillage[] =
    "SELECT village_code, COUNT(*) FROM postings WHERE active = 1 AND home_village = 1"
    " AND village_code >= ? AND village_code < ? GROUP BY village_code";
constexpr char kStaleCadresByVillage[] =
    "SELECT p.village_code, COUNT(*) FROM postings p WHERE p.active = 1 AND NOT EXISTS"
    " (SELECT 1 FROM checkins c WHERE c.cadre_id = p.cadre_id AND c.checkin_time >= ?)"
    " AND p.village_code >= ? AND p.village_code < ? GROUP BY p.village_code";
constexpr char kVillagesWithFirstSecretary[] =
    "SELECT active_first_secretary_key FROM postings WHERE"
    " active_first_secretary_key >= ? AND active_first_secretary_key < ?";

// The lists of a full answer, each ending in LIMIT max_listed.
constexpr char kVillagesWithoutFirstSecretary[] =
    "SELECT r.code FROM regions r LEFT JOIN postings p ON p.active_first_secretary_key = r.code"
    " WHERE r.level = ? AND r.valid_to IS NULL AND r.code >= ? AND r.code < ? AND p.id IS NULL"
    " ORDER BY r.code LIMIT ?";
// In the status index's order, so the scan stops at the first max_listed.
constexpr char kUnpairedPoor[] =
    "SELECT h.id FROM households h LEFT JOIN pairings p ON p.active_household_key = h.id"
    " WHERE h.status = ? AND h.village_code >= ? AND h.village_code < ? AND p.id IS NULL"
    " ORDER BY h.village_code, h.id LIMIT ?";
constexpr char kCadresOverLimit[] =
    "SELECT cadre_id FROM pairings WHERE active = 1 AND village_code >= ?"
    " AND village_code < ? GROUP BY cadre_id HAVING COUNT(*) > ? ORDER BY cadre_id LIMIT ?";
constexpr char kHomeVillagePostings[] =
    "SELECT id FROM postings WHERE active = 1 AND home_village = 1 AND village_code >= ?"
    " AND village_code < ? ORDER BY id LIMIT ?";
constexpr char kStaleCadres[] =
    "SELECT p.cadre_id FROM postings p WHERE p.active = 1 AND NOT EXISTS (SELECT 1 FROM"
    " checkins c WHERE c.cadre_id = p.cadre_id AND c.checkin_time >= ?)"
    " AND p.village_code >= ? AND p.village_code < ? ORDER BY p.cadre_id LIMIT ?";

// The summary behind counts_only answers.
constexpr char kDeleteSummary[] = "DELETE FROM coverage_summary";
constexpr char kInsertSummary[] =
    "INSERT INTO coverage_summary (village_code, registered_poor, unpaired_poor,"
    " first_secretary, cadres_over_limit, home_village_postings, stale_cadres,"
    " computed_at) VALUES ";
constexpr char kSummaryRow[] = "(?, ?, ?, ?, ?, ?, ?, ?)";
constexpr size_t kSummaryRowsPerInsert = 256;
constexpr char kSummaryCounts[] =
    "SELECT COUNT(*), SUM(registered_poor), SUM(unpaired_poor), SUM(1 - first_secretary),"
    " SUM(cadres_over_limit), SUM(home_village_postings), SUM(stale_cadres), MIN(computed_at)"
    " FROM coverage_summary WHERE village_code >= ? AND village_code < ?";

// Every region's counts, written with the summary: a counts_only answer reads one row.
constexpr char kDeleteRollup[] = "DELETE FROM coverage_rollup";
constexpr char kInsertRollup[] =
    "INSERT INTO coverage_rollup (level, region_code, villages, registered_poor, unpaired_poor,"
    " without_first_secretary, cadres_over_limit, home_village_postings, stale_cadres,"
    " computed_at) VALUES ";
constexpr char kRollupRow[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kRollupCounts[] =
    "SELECT villages, registered_poor, unpaired_poor, without_first_secretary,"
    " cadres_over_limit, home_village_postings, stale_cadres, computed_at FROM coverage_rollup"
    " WHERE level = ? AND region_code = ?";

constexpr int32_t kVillage = v1::REGION_LEVEL_VILLAGE;
constexpr int32_t kRegisteredPoor = v1::HOUSEHOLD_STATUS_REGISTERED_POOR;

using Arg = std::variant<std::string, int64_t>;
std::unique_ptr<sql::ResultSet> Rows(DbSession& s, const char* sql_text,
                                     std::initializer_list<Arg> args) {
  Query q(s, sql_text);
  for (const Arg& a : args) std::visit([&q](const auto& v) { q.Arg(v); }, a);
  return q.Rows();
}

// Every village of [lo, hi) with its counts: a handful of grouped passes over the region.
std::map<std::string, VillageCoverage> ComputeVillageCoverage(DbSession& s, const std::string& lo,
                                                              const std::string& hi,
                                                              absl::Time stale_before,
                                                              int pairing_limit) {
  std::map<std::string, VillageCoverage> v;
  for (auto rs = Rows(s, kVillagesInRange, {kVillage, lo, hi}); rs->next();) {
    v[rs->getString(1).asStdString()];
  }
  auto grouped = [&](const char* sql_text, std::initializer_list<Arg> args,
                     int64_t VillageCoverage::*field) {
    for (auto rs = Rows(s, sql_text, args); rs->next();) {
      auto it = v.find(rs->getString(1).asStdString());
      if (it != v.end()) it->second.*field += rs->getInt64(2);
    }
  };
  std::string stale = common::ToSqlTime(stale_before);
  grouped(kRegisteredPoorByVillage, {kRegisteredPoor, lo, hi}, &VillageCoverage::registered_poor);
  grouped(kUnpairedPoorByVillage, {kRegisteredPoor, lo, hi}, &VillageCoverage::unpaired_poor);
  grouped(kCadresOverLimitByVillage, {lo, hi, pairing_limit}, &VillageCoverage::cadres_over_limit);
  grouped(kHomeVillagePostingsByVillage, {lo, hi}, &VillageCoverage::home_village_postings);
  grouped(kStaleCadresByVillage, {stale, lo, hi}, &VillageCoverage::stale_cadres);
  for (auto rs = Rows(s, kVillagesWithFirstSecretary, {lo, hi}); rs->next();) {
    auto it = v.find(rs->getString(1).asStdString());
    if (it != v.end()) it->second.first_secretary = true;
  }
  return v;
}

}  // namespace

absl::StatusOr<v1::Coverage> MysqlCoverageStore::GetCoverage(const CoverageQuery& q) {
  v1::Coverage c;
  const std::string lo = q.region_code, hi = common::RegionRangeEnd(q.region_code);
  TUOPIN_RETURN_IF_ERROR(common::RunInTransaction(
      pool_,
      [&](DbSession& s) -> absl::Status {
        c.Clear();
        c.set_region_code(q.region_code);
        auto villages = ComputeVillageCoverage(s, lo, hi, q.stale_before, q.pairing_limit);
        CoverageCounts counts;
        for (const auto& [code, v] : villages) counts.Add(v);
        counts.SetOn(c);
        auto list = [&](const char* sql_text, std::initializer_list<Arg> args, auto* field) {
          for (auto rs = Rows(s, sql_text, args); rs->next();) {
            *field->Add() = rs->getString(1).asStdString();
          }
        };
        int64_t max = q.max_listed;
        std::string stale_before = common::ToSqlTime(q.stale_before);
        list(kVillagesWithoutFirstSecretary, {kVillage, lo, hi, max},
             c.mutable_villages_without_first_secretary());
        list(kUnpairedPoor, {kRegisteredPoor, lo, hi, max}, c.mutable_households_without_cadre());
        list(kCadresOverLimit, {lo, hi, q.pairing_limit, max},
             c.mutable_cadres_over_pairing_limit());
        list(kHomeVillagePostings, {lo, hi, max}, c.mutable_home_village_posting_ids());
        list(kStaleCadres, {stale_before, lo, hi, max}, c.mutable_cadres_without_recent_check_in());
        return absl::OkStatus();
      },
      common::TxOptions{.read_only = true}));
  return c;
}

absl::Status MysqlCoverageStore::RefreshCoverageSummary(absl::Time stale_before, int pairing_limit,
                                                        absl::Time now) {
  return common::RunInTransaction(pool_, [&](DbSession& s) -> absl::Status {
    auto villages =
        ComputeVillageCoverage(s, "", common::RegionRangeEnd(""), stale_before, pairing_limit);
    s.ExecuteRaw(kDeleteSummary);
    std::vector<std::pair<const std::string*, const VillageCoverage*>> rows;
    for (const auto& [code, v] : villages) rows.emplace_back(&code, &v);
    std::string when = common::ToSqlTime(now);
    for (size_t start = 0; start < rows.size(); start += kSummaryRowsPerInsert) {
      size_t n = std::min(kSummaryRowsPerInsert, rows.size() - start);
      std::string sql = kInsertSummary;
      for (size_t k = 0; k < n; ++k) absl::StrAppend(&sql, k ? ", " : "", kSummaryRow);
      Query q(s, sql);
      for (size_t k = start; k < start + n; ++k) {
        const VillageCoverage& v = *rows[k].second;
        q.Arg(*rows[k].first)
            .Arg(v.registered_poor)
            .Arg(v.unpaired_poor)
            .Arg(static_cast<int64_t>(v.first_secretary))
            .Arg(v.cadres_over_limit)
            .Arg(v.home_village_postings)
            .Arg(v.stale_cadres)
            .Arg(when);
      }
      q.Exec();
    }
    s.ExecuteRaw(kDeleteRollup);
    auto regions = RollUpCoverage(villages);
    std::vector<std::pair<const std::string*, const CoverageCounts*>> region_rows;
    for (const auto& [code, c] : regions) region_rows.emplace_back(&code, &c);
    common::InsertRows(s, kInsertRollup, kRollupRow, region_rows, [&](Query& q, const auto& r) {
      const CoverageCounts& c = *r.second;
      q.Arg(static_cast<int32_t>(common::RegionLevelOf(*r.first)))
          .Arg(*r.first)
          .Arg(c.villages)
          .Arg(c.registered_poor)
          .Arg(c.unpaired_poor)
          .Arg(c.without_first_secretary)
          .Arg(c.cadres_over_limit)
          .Arg(c.home_village_postings)
          .Arg(c.stale_cadres)
          .Arg(when);
    });
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> MysqlCoverageStore::WrittenSince(absl::Time since) {
  bool written = false;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) -> absl::Status {
    // An index range (idx_idempotency_created), at most one row.
    written = Query(s, "SELECT 1 FROM idempotency WHERE created_at >= ? LIMIT 1")
                  .Arg(common::ToSqlTime(since))
                  .Rows()
                  ->next();
    return absl::OkStatus();
  }));
  return written;
}

absl::StatusOr<v1::Coverage> MysqlCoverageStore::GetCoverageCounts(const CoverageQuery& q) {
  v1::Coverage c;
  c.set_region_code(q.region_code);
  int level = common::RegionLevelOf(q.region_code);
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) -> absl::Status {
    // A region of a known level reads its one row of the roll-up; the as-of time is that of
    // the refresh that wrote it. No row: no village, or never computed (as_of unset).
    auto rs = level != 0
                  ? Rows(s, kRollupCounts, {level, q.region_code})
                  : Rows(s, kSummaryCounts, {q.region_code, common::RegionRangeEnd(q.region_code)});
    if (!rs->next()) return absl::OkStatus();
    CoverageCounts{.villages = rs->getInt64(1),
                   .registered_poor = rs->getInt64(2),
                   .unpaired_poor = rs->getInt64(3),
                   .without_first_secretary = rs->getInt64(4),
                   .cadres_over_limit = rs->getInt64(5),
                   .home_village_postings = rs->getInt64(6),
                   .stale_cadres = rs->getInt64(7)}
        .SetOn(c);
    // No row: the summary was never computed (as_of stays unset).
    if (!rs->isNull(8)) {
      *c.mutable_as_of() = common::ToTimestamp(common::FromSqlTime(rs->getString(8).asStdString()));
    }
    return absl::OkStatus();
  }));
  return c;
}

}  // namespace tuopin::personnel
