#include "tests/support/fake_funds_store.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/db.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::testing {
namespace {

namespace v1 = funds::v1;
using common::Entity;
using common::EntityRefs;

absl::Time TimeOf(const google::protobuf::Timestamp& t) { return common::FromTimestamp(t); }

bool InRegion(const std::string& region, const std::string& prefix) {
  return region >= prefix && region < common::RegionRangeEnd(prefix);
}

// The rows of a keyset page: those after `after` (by `key`), at most `limit`.
template <typename T, typename Key>
std::vector<T> PageOf(std::vector<T> rows, const Key& key, const std::vector<std::string>& after,
                      int limit) {
  std::sort(rows.begin(), rows.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
  std::vector<T> out;
  for (auto& r : rows) {
    if (!after.empty() && !(after < key(r))) continue;
    if (static_cast<int>(out.size()) == limit) break;
    out.push_back(std::move(r));
  }
  return out;
}

bool Posted(const v1::Transfer& t) {
  return !t.pending() || t.state() == v1::TRANSFER_STATE_POSTED;
}

int64_t Balance(const v1::Account& a) {
  return a.credits_posted_fen() - a.debits_posted_fen() - a.debits_pending_fen();
}

}  // namespace

void FakeFundsStore::Put(const v1::Account& account) {
  accounts[account.id()] = account;
  totals[account.id()];
}

funds::AccountMap FakeFundsStore::Lock(const std::vector<std::string>& ids) const {
  funds::AccountMap out;
  for (const auto& id : ids) {
    if (auto a = accounts.find(id); a != accounts.end()) out[id] = a->second;
  }
  return out;
}

void FakeFundsStore::Write(const funds::AccountMap& locked, const std::vector<std::string>& touched,
                           const std::vector<v1::Transfer>& posted, absl::Time now) {
  for (const auto& id : touched) accounts[id] = locked.at(id);
  for (const auto& t : posted) {
    Totals& debit = totals[t.debit_account_id()];
    Totals& credit = totals[t.credit_account_id()];
    if (t.kind() == v1::TRANSFER_KIND_APPROPRIATION) credit.appropriated_in += t.amount_fen();
    if (t.kind() == v1::TRANSFER_KIND_ALLOCATION) credit.allocated_in += t.amount_fen();
    if (t.kind() == v1::TRANSFER_KIND_DISBURSEMENT) debit.disbursed_out += t.amount_fen();
    if (credit.first_credit == absl::InfinitePast()) credit.first_credit = now;
    credit.last_credit = now;
    debit.last_debit = now;
  }
}

absl::Status FakeFundsStore::CreateAccount(const funds::MutationContext& ctx,
                                           const v1::Account& account, v1::Account& out) {
  return mutations.Run<v1::Account>(
      ctx,
      [&](v1::Account& created) -> absl::StatusOr<EntityRefs> {
        for (const auto& [id, a] : accounts) {
          if (a.code() == account.code()) {
            return common::WithReason(
                absl::AlreadyExistsError(
                    absl::StrCat("an account with code ", account.code(), " already exists")),
                common::ErrorReason::ACCOUNT_CODE_TAKEN);
          }
        }
        created = account;
        created.set_id(ids_.NewId());
        *created.mutable_create_time() = common::ToTimestamp(ctx.now);
        Put(created);
        return EntityRefs{Entity("account", created.id(), created.region_code())};
      },
      out);
}

absl::StatusOr<std::optional<v1::Account>> FakeFundsStore::GetAccount(const std::string& id) {
  auto a = accounts.find(id);
  if (a == accounts.end()) return std::optional<v1::Account>();
  return std::optional<v1::Account>(a->second);
}

absl::StatusOr<std::vector<v1::Account>> FakeFundsStore::ListAccounts(
    const std::string& region_prefix, int kind, const funds::PageRequest& page) {
  std::vector<v1::Account> rows;
  for (const auto& [id, a] : accounts) {
    if (InRegion(a.region_code(), region_prefix) && (kind == 0 || a.kind() == kind)) {
      rows.push_back(a);
    }
  }
  return PageOf(
      std::move(rows),
      [](const v1::Account& a) {
        return std::vector<std::string>{a.region_code(), a.id()};
      },
      page.after, page.limit);
}

absl::Status FakeFundsStore::CreateTransfers(const funds::MutationContext& ctx,
                                             const std::vector<v1::Transfer>& batch,
                                             const BatchDecider& decide,
                                             v1::CreateTransfersResponse& out) {
  return mutations.Run<v1::CreateTransfersResponse>(
      ctx,
      [&](v1::CreateTransfersResponse& resp) -> absl::StatusOr<EntityRefs> {
        std::vector<std::string> ids;
        funds::TransferMap existing;
        for (const auto& t : batch) {
          ids.push_back(t.debit_account_id());
          ids.push_back(t.credit_account_id());
          if (auto prior = transfers.find(t.id()); prior != transfers.end()) {
            existing[t.id()] = prior->second;
            ids.push_back(prior->second.debit_account_id());
            ids.push_back(prior->second.credit_account_id());
          }
        }
        funds::AccountMap locked = Lock(ids);
        funds::BatchOutcome outcome = decide(locked, existing);
        if (!outcome.refused.ok()) return outcome.refused;
        std::vector<v1::Transfer> posted;
        EntityRefs refs;
        for (const auto& t : outcome.accepted) {
          transfers[t.id()] = t;
          if (t.pending()) {
            deadlines_[t.id()] = TimeOf(t.create_time()) + absl::Seconds(t.timeout().seconds());
          } else {
            posted.push_back(t);
          }
          refs.push_back(Entity("transfer", t.id(), locked[t.credit_account_id()].region_code()));
        }
        Write(locked, outcome.touched, posted, ctx.now);
        for (const auto& id : outcome.touched) {
          refs.push_back(Entity("account", id, locked[id].region_code()));
        }
        for (auto r : outcome.results) resp.add_results(r);
        return refs;
      },
      out);
}

absl::Status FakeFundsStore::ResolvePending(const funds::MutationContext& ctx,
                                            const std::string& transfer_id, v1::TransferState state,
                                            const std::string& reason, const ResolveDecider& decide,
                                            v1::Transfer& out) {
  return mutations.Run<v1::Transfer>(
      ctx,
      [&](v1::Transfer& resolved) -> absl::StatusOr<EntityRefs> {
        auto found = transfers.find(transfer_id);
        if (found == transfers.end()) {
          return common::WithReason(
              absl::NotFoundError(absl::StrCat("transfer ", transfer_id, " not found")),
              common::ErrorReason::NOT_FOUND);
        }
        v1::Transfer t = found->second;
        std::vector<std::string> sides = {t.debit_account_id(), t.credit_account_id()};
        funds::AccountMap locked = Lock(sides);
        TUOPIN_RETURN_IF_ERROR(decide(t, locked));
        t.set_state(state);
        *t.mutable_resolve_time() = common::ToTimestamp(ctx.now);
        t.set_resolved_by(ctx.principal.subject());
        transfers[t.id()] = t;
        resolution_reasons[t.id()] = reason;
        deadlines_.erase(t.id());
        std::vector<v1::Transfer> posted;
        if (state == v1::TRANSFER_STATE_POSTED) posted.push_back(t);
        Write(locked, sides, posted, ctx.now);
        resolved = t;
        return EntityRefs{Entity("transfer", t.id(), locked[t.credit_account_id()].region_code()),
                          Entity("account", sides[0], locked[sides[0]].region_code()),
                          Entity("account", sides[1], locked[sides[1]].region_code())};
      },
      out);
}

absl::StatusOr<int> FakeFundsStore::ExpirePending(absl::Time now, int limit,
                                                  const ExpiryDecider& decide) {
  std::vector<std::pair<absl::Time, std::string>> order;
  for (const auto& [id, timeout] : deadlines_) {
    if (timeout < now) order.emplace_back(timeout, id);
  }
  std::sort(order.begin(), order.end());
  if (static_cast<int>(order.size()) > limit) order.resize(limit);
  if (order.empty()) return 0;
  std::vector<v1::Transfer> due;
  std::vector<std::string> ids;
  for (const auto& [timeout, id] : order) {
    due.push_back(transfers.at(id));
    ids.push_back(due.back().debit_account_id());
    ids.push_back(due.back().credit_account_id());
  }
  funds::AccountMap locked = Lock(ids);
  TUOPIN_ASSIGN_OR_RETURN(funds::ExpiryOutcome outcome, decide(due, locked));
  for (const auto& t : outcome.expired) {
    transfers[t.id()] = t;
    resolution_reasons[t.id()] = outcome.reason;
    deadlines_.erase(t.id());
  }
  for (auto& event : outcome.events) mutations.events.push_back(std::move(event));
  Write(locked, outcome.touched, {}, now);
  return static_cast<int>(outcome.expired.size());
}

absl::StatusOr<std::vector<v1::Transfer>> FakeFundsStore::ListTransfers(
    const std::string& account_id, absl::Time start, absl::Time end,
    const funds::PageRequest& page) {
  std::vector<v1::Transfer> rows;
  for (const auto& [id, t] : transfers) {
    absl::Time created = TimeOf(t.create_time());
    if ((t.debit_account_id() == account_id || t.credit_account_id() == account_id) &&
        created >= start && created < end) {
      rows.push_back(t);
    }
  }
  // The keyset is (create_time in microseconds, id), compared as numbers then ids.
  std::sort(rows.begin(), rows.end(), [](const v1::Transfer& a, const v1::Transfer& b) {
    return std::make_pair(TimeOf(a.create_time()), a.id()) <
           std::make_pair(TimeOf(b.create_time()), b.id());
  });
  std::vector<v1::Transfer> out;
  int64_t after_micros = 0;
  bool keyed = page.after.size() == 2 && absl::SimpleAtoi(page.after[0], &after_micros);
  for (auto& t : rows) {
    auto key = std::make_pair(absl::ToUnixMicros(TimeOf(t.create_time())), t.id());
    if (keyed && !(std::make_pair(after_micros, page.after[1]) < key)) continue;
    if (static_cast<int>(out.size()) == page.limit) break;
    out.push_back(std::move(t));
  }
  return out;
}

absl::StatusOr<std::vector<funds::FundingEdge>> FakeFundsStore::IncomingFunding(
    const std::vector<std::string>& to_accounts) {
  ++incoming_funding_reads;
  std::set<std::string> to(to_accounts.begin(), to_accounts.end());
  std::map<std::pair<std::string, std::string>, funds::FundingEdge> edges;
  for (const auto& [id, t] : transfers) {
    if (!to.contains(t.credit_account_id()) || !Posted(t) ||
        (t.kind() != v1::TRANSFER_KIND_APPROPRIATION && t.kind() != v1::TRANSFER_KIND_ALLOCATION)) {
      continue;
    }
    funds::FundingEdge& e = edges[{t.debit_account_id(), t.credit_account_id()}];
    e.from = t.debit_account_id();
    e.to = t.credit_account_id();
    e.amount += t.amount_fen();
    e.transfer_ids.push_back(t.id());
  }
  std::vector<funds::FundingEdge> out;
  for (auto& [key, e] : edges) out.push_back(std::move(e));
  return out;
}

absl::StatusOr<v1::Utilization> FakeFundsStore::Utilization(const std::string& region_prefix,
                                                            int sector, bool by_sector,
                                                            std::optional<absl::Time> idle_before) {
  // Without a cut-off nothing counts as idle, as in the MySQL store.
  absl::Time cutoff = idle_before.value_or(absl::UnixEpoch());
  v1::Utilization u;
  std::map<int, v1::SectorUtilization> sectors;
  for (const auto& [id, a] : accounts) {
    if (!InRegion(a.region_code(), region_prefix)) continue;
    const Totals& t = totals[id];
    if (a.kind() == v1::ACCOUNT_KIND_POOL)
      u.set_appropriated_fen(u.appropriated_fen() + t.appropriated_in);
    if (a.kind() != v1::ACCOUNT_KIND_PROJECT || (sector != 0 && a.sector() != sector)) continue;
    bool idle = Balance(a) > 0 && t.last_credit != absl::InfinitePast() && t.last_credit < cutoff &&
                t.last_debit < cutoff;
    v1::SectorUtilization& s = sectors[a.sector()];
    s.set_sector(a.sector());
    s.set_allocated_fen(s.allocated_fen() + t.allocated_in);
    s.set_disbursed_fen(s.disbursed_fen() + t.disbursed_out);
    s.set_idle_fen(s.idle_fen() + (idle ? Balance(a) : 0));
  }
  for (const auto& [key, s] : sectors) {
    u.set_allocated_fen(u.allocated_fen() + s.allocated_fen());
    u.set_disbursed_fen(u.disbursed_fen() + s.disbursed_fen());
    u.set_idle_fen(u.idle_fen() + s.idle_fen());
    if (by_sector) *u.add_sectors() = s;
  }
  return u;
}

absl::StatusOr<std::vector<v1::IdleFund>> FakeFundsStore::IdleFunds(
    const std::string& region_prefix, absl::Time credited_before, const funds::PageRequest& page) {
  std::vector<v1::IdleFund> rows;
  for (const auto& [id, a] : accounts) {
    const Totals& t = totals[id];
    if (a.kind() != v1::ACCOUNT_KIND_PROJECT || !InRegion(a.region_code(), region_prefix) ||
        Balance(a) <= 0 || t.last_credit == absl::InfinitePast() ||
        !(t.last_credit < credited_before) || !(t.last_debit < credited_before)) {
      continue;
    }
    v1::IdleFund& f = rows.emplace_back();
    f.set_project_account_id(id);
    f.set_region_code(a.region_code());
    f.set_sector(a.sector());
    f.set_idle_fen(Balance(a));
    *f.mutable_last_allocation_time() = common::ToTimestamp(t.last_credit);
  }
  return PageOf(
      std::move(rows),
      [](const v1::IdleFund& f) { return std::vector<std::string>{f.project_account_id()}; },
      page.after, page.limit);
}

absl::StatusOr<std::vector<v1::Account>> FakeFundsStore::VillageProjects(
    const std::string& village_code, const funds::PageRequest& page) {
  std::vector<v1::Account> rows;
  for (const auto& [id, a] : accounts) {
    if (a.kind() == v1::ACCOUNT_KIND_PROJECT && a.region_code() == village_code) rows.push_back(a);
  }
  return PageOf(
      std::move(rows), [](const v1::Account& a) { return std::vector<std::string>{a.id()}; },
      page.after, page.limit);
}

absl::StatusOr<std::pair<absl::Time, absl::Time>> FakeFundsStore::ProjectDates(
    const std::string& account_id) {
  auto t = totals.find(account_id);
  if (t == totals.end()) return std::make_pair(absl::InfinitePast(), absl::InfinitePast());
  return std::make_pair(t->second.first_credit, t->second.last_debit);
}

}  // namespace tuopin::testing
