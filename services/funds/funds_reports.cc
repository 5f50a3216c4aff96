#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"
#include "google/protobuf/util/time_util.h"
#include "services/funds/funds_logic.h"

// The reports of FundsLogic: lineage (TraceFunds) and its attribution to source levels,
// utilisation, idle funds and the villages' public notices.

namespace tuopin::funds {
namespace {

using common::RequireRegion;
using common::RequireRegionCode;

constexpr int kMaxTraceLevels = 8;
// A lineage is cut at this many edges (FundTrace.truncated): a read's work is bounded
// whatever the ledger's shape.
constexpr size_t kMaxTraceEdges = 2000;

}  // namespace

std::vector<v1::SourceShare> AttributeSources(
    const std::string& account_id, const std::vector<FundingEdge>& edges,
    const absl::flat_hash_map<std::string, v1::Account>& accounts) {
  absl::flat_hash_map<std::string, std::vector<const FundingEdge*>> incoming;
  for (const auto& e : edges) incoming[e.to].push_back(&e);
  // share[level] of one fen received by `id`, computed recursively with memoisation;
  // `visiting` breaks cycles that reclaims could create.
  absl::flat_hash_map<std::string, std::map<int, double>> memo;
  std::set<std::string> visiting;
  std::function<std::map<int, double>(const std::string&)> fractions =
      [&](const std::string& id) -> std::map<int, double> {
    if (auto m = memo.find(id); m != memo.end()) return m->second;
    std::map<int, double> result;
    auto acc = accounts.find(id);
    if (acc != accounts.end() && acc->second.kind() == v1::ACCOUNT_KIND_SOURCE) {
      result[acc->second.source_level()] = 1.0;
    } else if (!visiting.count(id)) {
      visiting.insert(id);
      double total = 0;
      for (const auto* e : incoming[id]) total += static_cast<double>(e->amount);
      if (total > 0) {
        for (const auto* e : incoming[id]) {
          for (auto [level, f] : fractions(e->from)) result[level] += f * e->amount / total;
        }
      }
      visiting.erase(id);
    }
    memo[id] = result;
    return result;
  };
  int64_t received = 0;
  for (const auto* e : incoming[account_id]) received += e->amount;
  std::vector<v1::SourceShare> out;
  int64_t assigned = 0;
  auto f = fractions(account_id);
  for (auto it = f.begin(); it != f.end(); ++it) {
    v1::SourceShare s;
    s.set_source_level(static_cast<v1::SourceLevel>(it->first));
    // Round each share and give the remainder to the last, so shares sum exactly.
    int64_t amount =
        std::next(it) == f.end() ? received - assigned : std::llround(it->second * received);
    s.set_amount_fen(amount);
    assigned += amount;
    out.push_back(s);
  }
  return out;
}

absl::StatusOr<bool> FundsLogic::Trace(const std::string& account_id,
                                       std::vector<FundingEdge>& edges, std::vector<int>& levels,
                                       absl::flat_hash_map<std::string, v1::Account>& accounts) {
  std::vector<std::string> frontier = {account_id};
  std::set<std::string> seen = {account_id};
  for (int level = 1; level <= kMaxTraceLevels && !frontier.empty(); ++level) {
    TUOPIN_ASSIGN_OR_RETURN(auto incoming, store_.IncomingFunding(frontier));
    frontier.clear();
    bool truncated = edges.size() + incoming.size() > kMaxTraceEdges;
    if (truncated) incoming.resize(kMaxTraceEdges - edges.size());
    std::vector<std::string> missing;
    for (const auto& e : incoming) {
      if (!accounts.contains(e.from)) missing.push_back(e.from);
    }
    std::sort(missing.begin(), missing.end());
    missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
    TUOPIN_ASSIGN_OR_RETURN(auto loaded, store_.GetAccounts(missing));
    for (auto& a : loaded) accounts[a.id()] = std::move(a);
    for (auto& e : incoming) {
      if (seen.insert(e.from).second && accounts[e.from].kind() != v1::ACCOUNT_KIND_SOURCE) {
        frontier.push_back(e.from);
      }
      levels.push_back(level);
      edges.push_back(std::move(e));
    }
    if (truncated) return true;
  }
  return false;
}

absl::Status FundsLogic::TraceFunds(const Principal& p, const v1::TraceFundsRequest& req,
                                    v1::FundTrace& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Account account, LoadAccount(p, req.account_id()));
  std::vector<FundingEdge> edges;
  std::vector<int> levels;
  absl::flat_hash_map<std::string, v1::Account> accounts = {{account.id(), account}};
  TUOPIN_ASSIGN_OR_RETURN(bool truncated, Trace(account.id(), edges, levels, accounts));
  out.set_truncated(truncated);
  out.set_account_id(account.id());
  int64_t received = 0;
  for (size_t i = 0; i < edges.size(); ++i) {
    auto* e = out.add_edges();
    e->set_from_account_id(edges[i].from);
    e->set_to_account_id(edges[i].to);
    e->set_amount_fen(edges[i].amount);
    e->set_level(levels[i]);
    for (const auto& id : edges[i].transfer_ids) e->add_transfer_ids(id);
    if (edges[i].to == account.id()) received += edges[i].amount;
  }
  out.set_received_fen(received);
  for (auto& s : AttributeSources(account.id(), edges, accounts)) *out.add_by_source() = s;
  return absl::OkStatus();
}

absl::Status FundsLogic::GetUtilization(const Principal& p, const v1::GetUtilizationRequest& req,
                                        v1::Utilization& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
  absl::Time now = clock_.Now();
  // The roll-up keeps one idle period: another is summed at the call.
  bool summed = false;
  if (req.from_summary() && rollup_ != nullptr &&
      (req.idle_older_than_days() == 0 || req.idle_older_than_days() == rollup_idle_days_)) {
    TUOPIN_ASSIGN_OR_RETURN(std::optional<absl::Time> as_of, refresher_->Read([&] {
      return rollup_->Read(req.region_code(), req.sector(), req.by_sector(), out);
    }));
    if (as_of) {
      if (req.idle_older_than_days() == 0) {
        out.set_idle_fen(0);
        for (auto& s : *out.mutable_sectors()) s.set_idle_fen(0);
      }
      *out.mutable_as_of() = common::ToTimestamp(*as_of);
    }
    summed = as_of.has_value();
  }
  if (!summed) {  // no roll-up asked for, kept, or refreshed yet: summed at the call
    out.Clear();
    std::optional<absl::Time> idle_before;
    if (req.idle_older_than_days() > 0)
      idle_before = now - absl::Hours(24) * req.idle_older_than_days();
    TUOPIN_ASSIGN_OR_RETURN(
        out, store_.Utilization(req.region_code(), req.sector(), req.by_sector(), idle_before));
    if (req.from_summary()) *out.mutable_as_of() = common::ToTimestamp(now);
  }
  auto rate = [](int64_t disbursed, int64_t allocated) {
    return allocated == 0
               ? 0
               : static_cast<int32_t>(static_cast<__int128>(disbursed) * 10000 / allocated);
  };
  out.set_disbursement_rate_bp(rate(out.disbursed_fen(), out.allocated_fen()));
  for (auto& s : *out.mutable_sectors())
    s.set_disbursement_rate_bp(rate(s.disbursed_fen(), s.allocated_fen()));
  return absl::OkStatus();
}

void FundsLogic::SetUtilizationRollup(UtilizationRollupStore* rollup,
                                      common::RollupOptions options, int idle_days) {
  rollup_ = rollup;
  rollup_idle_days_ = idle_days;
  refresher_.emplace(options, [this, overlap = options.overlap](absl::Time now, bool full) {
    return rollup_->Refresh(now, absl::Hours(24) * rollup_idle_days_, overlap, full);
  });
}

absl::Status FundsLogic::RefreshUtilizationRollup() {
  return rollup_ == nullptr ? absl::OkStatus() : refresher_->Pass(clock_.Now());
}

absl::Status FundsLogic::ListIdleFunds(const Principal& p, const v1::ListIdleFundsRequest& req,
                                       v1::ListIdleFundsResponse& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  absl::Time before = clock_.Now() - absl::Hours(24) * req.older_than_days();
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.IdleFunds(req.region_code(), before, page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::IdleFund& f) { return std::vector<std::string>{f.project_account_id()}; },
      out.mutable_idle_funds(), out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status FundsLogic::ListPublicNotices(const Principal& p,
                                           const v1::ListPublicNoticesRequest& req,
                                           v1::ListPublicNoticesResponse& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.village_code()));
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  TUOPIN_ASSIGN_OR_RETURN(auto projects, store_.VillageProjects(req.village_code(), page));
  std::vector<v1::PublicNotice> notices;
  for (const auto& project : projects) {
    std::vector<FundingEdge> edges;
    std::vector<int> levels;
    absl::flat_hash_map<std::string, v1::Account> accounts = {{project.id(), project}};
    TUOPIN_RETURN_IF_ERROR(Trace(project.id(), edges, levels, accounts).status());
    v1::PublicNotice& n = notices.emplace_back();
    n.set_project_account_id(project.id());
    n.set_project_name(project.name());
    n.set_sector(project.sector());
    for (auto& s : AttributeSources(project.id(), edges, accounts)) *n.add_sources() = s;
    n.set_allocated_fen(project.credits_posted_fen());
    n.set_disbursed_fen(project.debits_posted_fen());
    TUOPIN_ASSIGN_OR_RETURN(auto dates, store_.ProjectDates(project.id()));
    if (dates.first != absl::InfinitePast())
      *n.mutable_first_allocation_time() = common::ToTimestamp(dates.first);
    if (dates.second != absl::InfinitePast())
      *n.mutable_last_disbursement_time() = common::ToTimestamp(dates.second);
  }
  common::FinishPage(
      notices, page, tokens_, req,
      [](const v1::PublicNotice& n) { return std::vector<std::string>{n.project_account_id()}; },
      out.mutable_notices(), out.mutable_next_page_token());
  return absl::OkStatus();
}

}  // namespace tuopin::funds
