#pragma once
// An in-memory FundsStore for logic unit tests. It keeps what the MySQL store keeps
// (accounts with their per-kind totals and dates, transfers, resolutions, deadlines, the
// idempotency records and the audit events) and runs the logic's deciders on copies of
// the accounts it hands them, so the ledger engine's rules hold here as they do on
// MariaDB; a decider's refusal leaves everything as it was.
// Header-only, so that adding a primitive to the store changes this one file.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/funds/funds_store.h"
#include "tests/support/fake_mutations.h"
#include "tests/support/fake_rows.h"

namespace tuopin::testing {

class FakeFundsStore final : public funds::FundsStore {
 public:
  // What the MySQL store keeps per account beside the balances.
  struct Totals {
    int64_t appropriated_in = 0, allocated_in = 0, disbursed_out = 0;
    absl::Time first_credit = absl::InfinitePast(), last_credit = absl::InfinitePast(),
               last_debit = absl::InfinitePast();
  };

  std::map<std::string, funds::v1::Account> accounts;
  std::map<std::string, Totals> totals;
  // By id; state, resolve_time and resolved_by follow the resolution.
  std::map<std::string, funds::v1::Transfer> transfers;
  std::map<std::string, std::string> resolution_reasons;  // transfer id -> reason
  // RunMutation's frame; its events are those of every committed mutation and expiry.
  FakeMutations mutations;
  // How many times IncomingFunding was asked (one read a lineage level).
  int incoming_funding_reads = 0;

  // Puts an account as it is (balances included), as if written earlier.
  void Put(const funds::v1::Account& account);

  absl::Status CreateAccount(const funds::MutationContext& ctx, const funds::v1::Account& account,
                             funds::v1::Account& out) override;
  absl::StatusOr<std::optional<funds::v1::Account>> GetAccount(const std::string& id) override;
  absl::StatusOr<std::vector<funds::v1::Account>> ListAccounts(
      const std::string& region_prefix, int kind, const funds::PageRequest& page) override;
  absl::Status CreateTransfers(const funds::MutationContext& ctx,
                               const std::vector<funds::v1::Transfer>& transfers,
                               const BatchDecider& decide,
                               funds::v1::CreateTransfersResponse& out) override;
  absl::Status ResolvePending(const funds::MutationContext& ctx, const std::string& transfer_id,
                              funds::v1::TransferState state, const std::string& reason,
                              const ResolveDecider& decide, funds::v1::Transfer& out) override;
  absl::StatusOr<int> ExpirePending(absl::Time now, int limit,
                                    const ExpiryDecider& decide) override;
  absl::StatusOr<std::vector<funds::v1::Transfer>> ListTransfers(
      const std::string& account_id, absl::Time start, absl::Time end,
      const funds::PageRequest& page) override;
  absl::StatusOr<std::vector<funds::FundingEdge>> IncomingFunding(
      const std::vector<std::string>& to_accounts) override;
  absl::StatusOr<funds::v1::Utilization> Utilization(
      const std::string& region_prefix, int sector, bool by_sector,
      std::optional<absl::Time> idle_before) override;
  absl::StatusOr<std::vector<funds::v1::IdleFund>> IdleFunds(
      const std::string& region_prefix, absl::Time credited_before,
      const funds::PageRequest& page) override;
  absl::StatusOr<std::vector<funds::v1::Account>> VillageProjects(
      const std::string& village_code, const funds::PageRequest& page) override;
  absl::StatusOr<std::pair<absl::Time, absl::Time>> ProjectDates(
      const std::string& account_id) override;

 private:
  // The accounts of `ids` that exist, copied for a decider.
  funds::AccountMap Lock(const std::vector<std::string>& ids) const;
  // Writes back the touched accounts, and the per-kind totals and dates of the posted
  // transfers among `moved`, at `now`.
  void Write(const funds::AccountMap& locked, const std::vector<std::string>& touched,
             const std::vector<funds::v1::Transfer>& posted, absl::Time now);

  std::map<std::string, absl::Time> deadlines_;  // pending transfer id -> timeout
  common::SequentialIdGenerator ids_{"fake-"};
};

namespace fake_funds_detail {

namespace v1 = funds::v1;

inline absl::Time TimeOf(const google::protobuf::Timestamp& t) { return common::FromTimestamp(t); }

inline bool InRegion(const std::string& region, const std::string& prefix) {
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

inline bool Posted(const v1::Transfer& t) {
  return !t.pending() || t.state() == v1::TRANSFER_STATE_POSTED;
}

inline int64_t Balance(const v1::Account& a) {
  return a.credits_posted_fen() - a.debits_posted_fen() - a.debits_pending_fen();
}

}  // namespace fake_funds_detail

inline void FakeFundsStore::Put(const funds::v1::Account& account) {
  accounts[account.id()] = account;
  totals[account.id()];
}

inline funds::AccountMap FakeFundsStore::Lock(const std::vector<std::string>& ids) const {
  funds::AccountMap out;
  for (const auto& id : ids) {
    if (auto a = accounts.find(id); a != accounts.end()) out[id] = a->second;
  }
  return out;
}

inline void FakeFundsStore::Write(const funds::AccountMap& locked,
                                  const std::vector<std::string>& touched,
                                  const std::vector<funds::v1::Transfer>& posted, absl::Time now) {
  for (const auto& id : touched) accounts[id] = locked.at(id);
  for (const auto& t : posted) {
    Totals& debit = totals[t.debit_account_id()];
    Totals& credit = totals[t.credit_account_id()];
    if (t.kind() == funds::v1::TRANSFER_KIND_APPROPRIATION)
      credit.appropriated_in += t.amount_fen();
    if (t.kind() == funds::v1::TRANSFER_KIND_ALLOCATION) credit.allocated_in += t.amount_fen();
    if (t.kind() == funds::v1::TRANSFER_KIND_DISBURSEMENT) debit.disbursed_out += t.amount_fen();
    if (credit.first_credit == absl::InfinitePast()) credit.first_credit = now;
    credit.last_credit = now;
    debit.last_debit = now;
  }
}

inline absl::Status FakeFundsStore::CreateAccount(const funds::MutationContext& ctx,
                                                  const funds::v1::Account& account,
                                                  funds::v1::Account& out) {
  return mutations.Run<funds::v1::Account>(
      ctx,
      [&](funds::v1::Account& created) -> absl::StatusOr<common::EntityRefs> {
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
        return common::EntityRefs{common::Entity("account", created.id(), created.region_code())};
      },
      out);
}

inline absl::StatusOr<std::optional<funds::v1::Account>> FakeFundsStore::GetAccount(
    const std::string& id) {
  return FindRow(accounts, id);
}

inline absl::StatusOr<std::vector<funds::v1::Account>> FakeFundsStore::ListAccounts(
    const std::string& region_prefix, int kind, const funds::PageRequest& page) {
  std::vector<funds::v1::Account> rows;
  for (const auto& [id, a] : accounts) {
    if (fake_funds_detail::InRegion(a.region_code(), region_prefix) &&
        (kind == 0 || a.kind() == kind)) {
      rows.push_back(a);
    }
  }
  return fake_funds_detail::PageOf(
      std::move(rows),
      [](const funds::v1::Account& a) {
        return std::vector<std::string>{a.region_code(), a.id()};
      },
      page.after, page.limit);
}

inline absl::Status FakeFundsStore::CreateTransfers(const funds::MutationContext& ctx,
                                                    const std::vector<funds::v1::Transfer>& batch,
                                                    const BatchDecider& decide,
                                                    funds::v1::CreateTransfersResponse& out) {
  return mutations.Run<funds::v1::CreateTransfersResponse>(
      ctx,
      [&](funds::v1::CreateTransfersResponse& resp) -> absl::StatusOr<common::EntityRefs> {
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
        std::vector<funds::v1::Transfer> posted;
        common::EntityRefs refs;
        for (const auto& t : outcome.accepted) {
          transfers[t.id()] = t;
          if (t.pending()) {
            deadlines_[t.id()] =
                fake_funds_detail::TimeOf(t.create_time()) + absl::Seconds(t.timeout().seconds());
          } else {
            posted.push_back(t);
          }
          refs.push_back(
              common::Entity("transfer", t.id(), locked[t.credit_account_id()].region_code()));
        }
        Write(locked, outcome.touched, posted, ctx.now);
        for (const auto& id : outcome.touched) {
          refs.push_back(common::Entity("account", id, locked[id].region_code()));
        }
        for (auto r : outcome.results) resp.add_results(r);
        return refs;
      },
      out);
}

inline absl::Status FakeFundsStore::ResolvePending(const funds::MutationContext& ctx,
                                                   const std::string& transfer_id,
                                                   funds::v1::TransferState state,
                                                   const std::string& reason,
                                                   const ResolveDecider& decide,
                                                   funds::v1::Transfer& out) {
  return mutations.Run<funds::v1::Transfer>(
      ctx,
      [&](funds::v1::Transfer& resolved) -> absl::StatusOr<common::EntityRefs> {
        auto found = transfers.find(transfer_id);
        if (found == transfers.end()) {
          return common::WithReason(
              absl::NotFoundError(absl::StrCat("transfer ", transfer_id, " not found")),
              common::ErrorReason::NOT_FOUND);
        }
        funds::v1::Transfer t = found->second;
        std::vector<std::string> sides = {t.debit_account_id(), t.credit_account_id()};
        funds::AccountMap locked = Lock(sides);
        TUOPIN_RETURN_IF_ERROR(decide(t, locked));
        t.set_state(state);
        *t.mutable_resolve_time() = common::ToTimestamp(ctx.now);
        t.set_resolved_by(ctx.principal.subject());
        transfers[t.id()] = t;
        resolution_reasons[t.id()] = reason;
        deadlines_.erase(t.id());
        std::vector<funds::v1::Transfer> posted;
        if (state == funds::v1::TRANSFER_STATE_POSTED) posted.push_back(t);
        Write(locked, sides, posted, ctx.now);
        resolved = t;
        return common::EntityRefs{
            common::Entity("transfer", t.id(), locked[t.credit_account_id()].region_code()),
            common::Entity("account", sides[0], locked[sides[0]].region_code()),
            common::Entity("account", sides[1], locked[sides[1]].region_code())};
      },
      out);
}

inline absl::StatusOr<int> FakeFundsStore::ExpirePending(absl::Time now, int limit,
                                                         const ExpiryDecider& decide) {
  std::vector<std::pair<absl::Time, std::string>> order;
  for (const auto& [id, timeout] : deadlines_) {
    if (timeout < now) order.emplace_back(timeout, id);
  }
  std::sort(order.begin(), order.end());
  if (static_cast<int>(order.size()) > limit) order.resize(limit);
  if (order.empty()) return 0;
  std::vector<funds::v1::Transfer> due;
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

inline absl::StatusOr<std::vector<funds::v1::Transfer>> FakeFundsStore::ListTransfers(
    const std::string& account_id, absl::Time start, absl::Time end,
    const funds::PageRequest& page) {
  std::vector<funds::v1::Transfer> rows;
  for (const auto& [id, t] : transfers) {
    absl::Time created = fake_funds_detail::TimeOf(t.create_time());
    if ((t.debit_account_id() == account_id || t.credit_account_id() == account_id) &&
        created >= start && created < end) {
      rows.push_back(t);
    }
  }
  // The keyset is (create_time in microseconds, id), compared as numbers then ids.
  std::sort(rows.begin(), rows.end(),
            [](const funds::v1::Transfer& a, const funds::v1::Transfer& b) {
              return std::make_pair(fake_funds_detail::TimeOf(a.create_time()), a.id()) <
                     std::make_pair(fake_funds_detail::TimeOf(b.create_time()), b.id());
            });
  std::vector<funds::v1::Transfer> out;
  int64_t after_micros = 0;
  bool keyed = page.after.size() == 2 && absl::SimpleAtoi(page.after[0], &after_micros);
  for (auto& t : rows) {
    auto key =
        std::make_pair(absl::ToUnixMicros(fake_funds_detail::TimeOf(t.create_time())), t.id());
    if (keyed && !(std::make_pair(after_micros, page.after[1]) < key)) continue;
    if (static_cast<int>(out.size()) == page.limit) break;
    out.push_back(std::move(t));
  }
  return out;
}

inline absl::StatusOr<std::vector<funds::FundingEdge>> FakeFundsStore::IncomingFunding(
    const std::vector<std::string>& to_accounts) {
  ++incoming_funding_reads;
  std::set<std::string> to(to_accounts.begin(), to_accounts.end());
  std::map<std::pair<std::string, std::string>, funds::FundingEdge> edges;
  for (const auto& [id, t] : transfers) {
    if (!to.contains(t.credit_account_id()) || !fake_funds_detail::Posted(t) ||
        (t.kind() != funds::v1::TRANSFER_KIND_APPROPRIATION &&
         t.kind() != funds::v1::TRANSFER_KIND_ALLOCATION)) {
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

inline absl::StatusOr<funds::v1::Utilization> FakeFundsStore::Utilization(
    const std::string& region_prefix, int sector, bool by_sector,
    std::optional<absl::Time> idle_before) {
  // Without a cut-off nothing counts as idle, as in the MySQL store.
  absl::Time cutoff = idle_before.value_or(absl::UnixEpoch());
  funds::v1::Utilization u;
  std::map<int, funds::v1::SectorUtilization> sectors;
  for (const auto& [id, a] : accounts) {
    if (!fake_funds_detail::InRegion(a.region_code(), region_prefix)) continue;
    const Totals& t = totals[id];
    if (a.kind() == funds::v1::ACCOUNT_KIND_POOL)
      u.set_appropriated_fen(u.appropriated_fen() + t.appropriated_in);
    if (a.kind() != funds::v1::ACCOUNT_KIND_PROJECT || (sector != 0 && a.sector() != sector))
      continue;
    bool idle = fake_funds_detail::Balance(a) > 0 && t.last_credit != absl::InfinitePast() &&
                t.last_credit < cutoff && t.last_debit < cutoff;
    funds::v1::SectorUtilization& s = sectors[a.sector()];
    s.set_sector(a.sector());
    s.set_allocated_fen(s.allocated_fen() + t.allocated_in);
    s.set_disbursed_fen(s.disbursed_fen() + t.disbursed_out);
    s.set_idle_fen(s.idle_fen() + (idle ? fake_funds_detail::Balance(a) : 0));
  }
  for (const auto& [key, s] : sectors) {
    u.set_allocated_fen(u.allocated_fen() + s.allocated_fen());
    u.set_disbursed_fen(u.disbursed_fen() + s.disbursed_fen());
    u.set_idle_fen(u.idle_fen() + s.idle_fen());
    if (by_sector) *u.add_sectors() = s;
  }
  return u;
}

inline absl::StatusOr<std::vector<funds::v1::IdleFund>> FakeFundsStore::IdleFunds(
    const std::string& region_prefix, absl::Time credited_before, const funds::PageRequest& page) {
  std::vector<funds::v1::IdleFund> rows;
  for (const auto& [id, a] : accounts) {
    const Totals& t = totals[id];
    if (a.kind() != funds::v1::ACCOUNT_KIND_PROJECT ||
        !fake_funds_detail::InRegion(a.region_code(), region_prefix) ||
        fake_funds_detail::Balance(a) <= 0 || t.last_credit == absl::InfinitePast() ||
        !(t.last_credit < credited_before) || !(t.last_debit < credited_before)) {
      continue;
    }
    funds::v1::IdleFund& f = rows.emplace_back();
    f.set_project_account_id(id);
    f.set_region_code(a.region_code());
    f.set_sector(a.sector());
    f.set_idle_fen(fake_funds_detail::Balance(a));
    *f.mutable_last_allocation_time() = common::ToTimestamp(t.last_credit);
  }
  return fake_funds_detail::PageOf(
      std::move(rows),
      [](const funds::v1::IdleFund& f) { return std::vector<std::string>{f.project_account_id()}; },
      page.after, page.limit);
}

inline absl::StatusOr<std::vector<funds::v1::Account>> FakeFundsStore::VillageProjects(
    const std::string& village_code, const funds::PageRequest& page) {
  std::vector<funds::v1::Account> rows;
  for (const auto& [id, a] : accounts) {
    if (a.kind() == funds::v1::ACCOUNT_KIND_PROJECT && a.region_code() == village_code)
      rows.push_back(a);
  }
  return fake_funds_detail::PageOf(
      std::move(rows), [](const funds::v1::Account& a) { return std::vector<std::string>{a.id()}; },
      page.after, page.limit);
}

inline absl::StatusOr<std::pair<absl::Time, absl::Time>> FakeFundsStore::ProjectDates(
    const std::string& account_id) {
  auto t = totals.find(account_id);
  if (t == totals.end()) return std::make_pair(absl::InfinitePast(), absl::InfinitePast());
  return std::make_pair(t->second.first_credit, t->second.last_debit);
}

}  // namespace tuopin::testing
