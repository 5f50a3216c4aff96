#include "services/funds/mysql_funds_store.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/funds/mysql_funds_rows.h"

// Accounts, transfers and their resolutions. Storage only: which transfers a batch
// accepts, how a resolution or an expiry moves balances and what is audited are the
// deciders' (funds_logic); reports are in mysql_funds_reports.cc.

namespace tuopin::funds {
namespace {

using common::DbSession;
using common::Entity;
using common::EntityRefs;
using common::Query;
using common::ToSqlTime;
using rows::AccountColumns;
using rows::ReadAccount;
using rows::ReadTransfer;
using rows::TransferSelect;

// The statements. Prepared ones bind every value; the text ones of a Script (one round
// trip) are built from these heads with SqlHex, SqlTime and numbers.
constexpr char kInsertAccount[] =
    "INSERT INTO accounts (id, code, kind, name, region_code, source_level, sector,"
    " task_id, guarded, debits_pending, debits_posted, credits_pending, credits_posted,"
    " appropriated_in, allocated_in, disbursed_out, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, ?)";
// After "SELECT " + AccountColumns().
constexpr char kAccountById[] = " FROM accounts WHERE id = ?";
constexpr char kAccountsByIds[] = " FROM accounts WHERE id IN (";
constexpr char kAccountsInRegion[] =
    " FROM accounts WHERE region_code >= ? AND region_code < ?"
    " AND (region_code > ? OR id > ?) ORDER BY region_code, id LIMIT ?";
constexpr char kAccountsOfKindInRegion[] =
    " FROM accounts WHERE kind = ? AND region_code >= ? AND region_code < ?"
    " AND (region_code > ? OR id > ?) ORDER BY region_code, id LIMIT ?";
// Text: the hex ids follow, then kLockAccountsTail.
constexpr char kLockAccountsByIds[] = " FROM accounts WHERE id IN (";
constexpr char kLockAccountsTail[] = ") ORDER BY id FOR UPDATE";
// After TransferSelect().
constexpr char kTransferByIdForUpdate[] = "WHERE t.id = ? FOR UPDATE";
constexpr char kTransfersByIds[] = "WHERE t.id IN (";
// Replicas share the sweep: rows another sweeper holds are skipped. The deadlines of
// unresolved transfers lead (an index range), never a scan of all transfers.
constexpr char kDueTransfers[] =
    "JOIN pending_transfers p ON p.transfer_id = t.id"
    " WHERE p.timeout_at < ? AND r.transfer_id IS NULL"
    " ORDER BY p.timeout_at LIMIT ? FOR UPDATE SKIP LOCKED";
// One side of an account's transfers (after "WHERE t.<side>_account_id"): the keyset is
// (created_at, id), within [after, end).
constexpr char kTransfersOfSide[] =
    " = ? AND t.created_at < ? AND (t.created_at > ? OR (t.created_at = ? AND t.id > ?))"
    " ORDER BY t.created_at, t.id LIMIT ?";
// Text heads.
constexpr char kInsertTransfers[] =
    "INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, kind, linked,"
    " pending, timeout_seconds, timeout_at, memo, created_at, created_by) VALUES ";
constexpr char kInsertDeadlines[] =
    "INSERT INTO pending_transfers (transfer_id, timeout_at) VALUES (";
constexpr char kDeleteDeadline[] = "DELETE FROM pending_transfers WHERE transfer_id = ";
constexpr char kInsertResolution[] =
    "INSERT INTO transfer_resolutions (transfer_id, state, reason, resolved_at, resolved_by)"
    " VALUES (";
// The new balances of up to 256 accounts: the head, a derived table `v` of the values,
// then the SET, whose dates end with the time of the write.
constexpr char kUpdateBalancesHead[] = "UPDATE accounts a JOIN (";
constexpr char kUpdateBalancesSet[] =
    ") v ON a.id = v.id SET a.debits_pending = v.dpe, a.debits_posted = v.dpo,"
    " a.credits_pending = v.cpe, a.credits_posted = v.cpo,"
    " a.appropriated_in = a.appropriated_in + v.app,"
    " a.allocated_in = a.allocated_in + v.alo, a.disbursed_out = a.disbursed_out + v.dis,"
    " a.first_credit_at = IF(v.cr, COALESCE(a.first_credit_at, ";

// Locks the accounts in id order (InnoDB walks an IN list on the primary key in key
// order), so two batches never wait for each other in a cycle. One round trip, which
// also carries the transaction's BEGIN when this is its first statement.
AccountMap LockAccounts(DbSession& s, std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  AccountMap out;
  common::Script script(s);
  for (size_t start = 0; start < ids.size(); start += 1024) {
    std::string sql = absl::StrCat("SELECT ", AccountColumns(), kLockAccountsByIds);
    for (size_t k = start; k < std::min(ids.size(), start + 1024); ++k) {
      if (k > start) sql += ',';
      common::AppendSqlHex(&sql, ids[k]);
    }
    sql += kLockAccountsTail;
    script.Add(std::move(sql), [&](sql::ResultSet& rs) {
      while (rs.next()) {
        v1::Account a = ReadAccount(rs);
        out[a.id()] = std::move(a);
      }
    });
  }
  script.Run();
  return out;
}

// Per-account changes a set of transfers makes to the kind totals and the dates.
struct Projection {
  int64_t appropriated_in = 0, allocated_in = 0, disbursed_out = 0;
  bool credited = false, debited = false;
  // When the account was last credited or debited: the latest call's time (a group writes
  // the calls of several times).
  absl::Time at = absl::InfinitePast();
};

// Adds the effect of posted transfer `t`, written at `at`.
void Project(const v1::Transfer& t, absl::Time at,
             absl::flat_hash_map<std::string, Projection>& p) {
  // No reference into the map is held across an insertion: a rehash would move it.
  p[t.debit_account_id()].debited = true;
  p[t.credit_account_id()].credited = true;
  for (const std::string* id : {&t.debit_account_id(), &t.credit_account_id()}) {
    absl::Time& last = p[*id].at;
    last = std::max(last, at);
  }
  switch (t.kind()) {
    case v1::TRANSFER_KIND_APPROPRIATION:
      p[t.credit_account_id()].appropriated_in += t.amount_fen();
      break;
    case v1::TRANSFER_KIND_ALLOCATION:
      p[t.credit_account_id()].allocated_in += t.amount_fen();
      break;
    case v1::TRANSFER_KIND_DISBURSEMENT:
      p[t.debit_account_id()].disbursed_out += t.amount_fen();
      break;
    default:
      break;
  }
}

// Adds to `script` the write of the new balances of the touched accounts: one UPDATE
// joined with a derived table of the new values per 256 accounts, instead of a
// statement per account.
void AddAccountWrites(common::Script& script, const AccountMap& accounts,
                      const std::vector<std::string>& touched,
                      const absl::flat_hash_map<std::string, Projection>& posted, absl::Time now) {
  std::string when = common::SqlTime(now);
  Projection none;
  for (size_t i = 0; i < touched.size(); i += 256) {
    std::string sql = kUpdateBalancesHead;
    for (size_t k = i; k < std::min(touched.size(), i + 256); ++k) {
      const v1::Account& a = accounts.at(touched[k]);
      auto p = posted.find(a.id());
      const Projection& proj = p == posted.end() ? none : p->second;
      // The first row of the derived table names its columns.
      bool first = k == i;
      auto value = [&](int64_t v, const char* name) {
        absl::StrAppend(&sql, ",", v, first ? name : "");
      };
      sql += first ? "SELECT " : " UNION ALL SELECT ";
      common::AppendSqlHex(&sql, a.id());
      if (first) sql += " AS id";
      value(a.debits_pending_fen(), " AS dpe");
      value(a.debits_posted_fen(), " AS dpo");
      value(a.credits_pending_fen(), " AS cpe");
      value(a.credits_posted_fen(), " AS cpo");
      value(proj.appropriated_in, " AS app");
      value(proj.allocated_in, " AS alo");
      value(proj.disbursed_out, " AS dis");
      value(proj.credited ? 1 : 0, " AS cr");
      value(proj.debited ? 1 : 0, " AS db");
      absl::StrAppend(&sql, ",", proj.at == absl::InfinitePast() ? when : common::SqlTime(proj.at),
                      first ? " AS at" : "");
    }
    absl::StrAppend(&sql, kUpdateBalancesSet,
                    "v.at), a.first_credit_at), a.last_credit_at = IF(v.cr, v.at, "
                    "a.last_credit_at), a.last_debit_at = IF(v.db, v.at, a.last_debit_at)");
    script.Add(std::move(sql));
  }
}

// Adds to `script` the resolution of a pending transfer by `actor` (its deadline leaves).
void AddResolution(common::Script& script, const std::string& id, v1::TransferState state,
                   const std::string& reason, absl::Time now, const std::string& actor) {
  std::string hex_id = common::SqlHex(id);
  script.Add(absl::StrCat(kDeleteDeadline, hex_id));
  script.Add(absl::StrCat(kInsertResolution, hex_id, ",", static_cast<int32_t>(state), ",",
                          common::SqlHex(reason), ",", common::SqlTime(now), ",",
                          common::SqlHex(actor), ")"));
}

// Adds to `script` the INSERT of a batch's transfers (up to 1,000 rows in one
// statement, text rather than prepared: no parameter buffers to allocate and free per
// value, the allocator was the funds service's largest cost in the ledger benchmark) and
// of the deadlines of its pending ones. Returns the index of the transfers' INSERT in the
// script, or -1 when there is nothing to insert.
int AddTransferInserts(common::Script& script, const std::vector<v1::Transfer>& transfers) {
  if (transfers.empty()) return -1;
  std::string sql;
  sql.reserve(256 + transfers.size() * (320 + 2 * transfers[0].created_by().size()));
  sql = kInsertTransfers;
  std::string pending;
  // A batch's transfers share their creation time: formatted once.
  absl::Time created = absl::InfinitePast();
  std::string created_sql;
  for (size_t k = 0; k < transfers.size(); ++k) {
    const v1::Transfer& t = transfers[k];
    if (absl::Time c = common::FromTimestamp(t.create_time()); c != created) {
      created = c;
      created_sql = common::SqlTime(created);
    }
    sql += k == 0 ? "(" : ",(";
    common::AppendSqlHex(&sql, t.id());
    sql += ',';
    common::AppendSqlHex(&sql, t.debit_account_id());
    sql += ',';
    common::AppendSqlHex(&sql, t.credit_account_id());
    absl::StrAppend(&sql, ",", t.amount_fen(), ",", static_cast<int>(t.kind()), ",",
                    t.linked() ? 1 : 0, ",", t.pending() ? 1 : 0, ",",
                    t.pending() ? t.timeout().seconds() : int64_t{0}, ",");
    if (t.pending()) {
      std::string timeout_at = common::SqlTime(created + absl::Seconds(t.timeout().seconds()));
      absl::StrAppend(&sql, timeout_at, ",");
      pending += pending.empty() ? kInsertDeadlines : ",(";
      common::AppendSqlHex(&pending, t.id());
      absl::StrAppend(&pending, ",", timeout_at, ")");
    } else {
      sql += "NULL,";
    }
    common::AppendSqlHex(&sql, t.memo());
    absl::StrAppend(&sql, ",", created_sql, ",");
    common::AppendSqlHex(&sql, t.created_by());
    sql += ')';
  }
  int at = static_cast<int>(script.Add(std::move(sql)));
  if (!pending.empty()) script.Add(std::move(pending));
  return at;
}

// Reads the transfers of `transfers`' ids that exist into `existing` (they never change)
// and adds their accounts to `account_ids`, to be locked with the batch's.
void ReadExisting(DbSession& s, const std::vector<v1::Transfer>& transfers, TransferMap& existing,
                  std::vector<std::string>& account_ids) {
  std::vector<std::string> ids;
  for (const auto& t : transfers) ids.push_back(t.id());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (size_t start = 0; start < ids.size(); start += 1024) {
    std::vector<std::string> chunk(ids.begin() + start,
                                   ids.begin() + std::min(ids.size(), start + 1024));
    auto rs = Query(s, absl::StrCat(TransferSelect(), kTransfersByIds,
                                    common::Placeholders(common::InListSize(chunk.size())), ")"))
                  .InList(chunk)
                  .Rows();
    while (rs->next()) {
      v1::Transfer t = ReadTransfer(*rs);
      account_ids.push_back(t.debit_account_id());
      account_ids.push_back(t.credit_account_id());
      existing[t.id()] = std::move(t);
    }
  }
}

// Whether the ledger refused any transfer of the batch (a result other than OK).
bool AnyRefused(const BatchOutcome& outcome) {
  for (auto r : outcome.results) {
    if (r != v1::TRANSFER_RESULT_OK) return true;
  }
  return false;
}

// The entities of a batch's audit event: the transfers it created, the accounts it changed.
EntityRefs OutcomeEntities(const BatchOutcome& outcome, const AccountMap& accounts) {
  auto region = [&accounts](const std::string& id) {
    auto a = accounts.find(id);
    return a == accounts.end() ? std::string() : a->second.region_code();
  };
  EntityRefs refs;
  for (const auto& t : outcome.accepted) {
    refs.push_back(Entity("transfer", t.id(), region(t.credit_account_id())));
  }
  for (const auto& id : outcome.touched) refs.push_back(Entity("account", id, region(id)));
  return refs;
}

}  // namespace

absl::Status MysqlFundsStore::CreateAccount(const MutationContext& ctx, const v1::Account& a,
                                            v1::Account& out) {
  return common::RunMutation<v1::Account>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::Account& m) -> absl::StatusOr<EntityRefs> {
        std::string id = ids_.NewId();
        try {
          Query(s, kInsertAccount)
              .Arg(id)
              .Arg(a.code())
              .Arg(static_cast<int32_t>(a.kind()))
              .Arg(a.name())
              .Arg(a.region_code())
              .Arg(static_cast<int32_t>(a.source_level()))
              .Arg(static_cast<int32_t>(a.sector()))
              .Arg(a.task_id())
              .Arg(a.debits_must_not_exceed_credits())
              .Arg(ToSqlTime(ctx.now))
              .Exec();
        } catch (const sql::SQLException& e) {
          if (e.getErrorCode() != common::kErDupEntry ||
              !absl::StrContains(e.what(), "uk_accounts_code"))
            throw;
          return common::WithReason(absl::AlreadyExistsError(absl::StrCat(
                                        "an account with code ", a.code(), " already exists")),
                                    common::ErrorReason::ACCOUNT_CODE_TAKEN);
        }
        auto& resp = m;
        resp = a;
        resp.set_id(id);
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        return EntityRefs{Entity("account", id, a.region_code())};
      },
      out);
}

absl::StatusOr<std::optional<v1::Account>> MysqlFundsStore::GetAccount(const std::string& id) {
  std::optional<v1::Account> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, absl::StrCat("SELECT ", AccountColumns(), kAccountById)).Arg(id).Rows();
    if (rs->next()) out = ReadAccount(*rs);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::Account>> MysqlFundsStore::GetAccounts(
    const std::vector<std::string>& ids) {
  std::vector<v1::Account> out;
  if (ids.empty()) return out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    for (size_t start = 0; start < ids.size(); start += 512) {
      std::vector<std::string> chunk(ids.begin() + start,
                                     ids.begin() + std::min(ids.size(), start + 512));
      auto rs = Query(s, absl::StrCat("SELECT ", AccountColumns(), kAccountsByIds,
                                      common::Placeholders(common::InListSize(chunk.size())), ")"))
                    .InList(chunk)
                    .Rows();
      while (rs->next()) out.push_back(ReadAccount(*rs));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::Account>> MysqlFundsStore::ListAccounts(
    const std::string& region_prefix, int kind, const PageRequest& page) {
  std::vector<v1::Account> out;
  std::string after_region = page.after.size() == 2 ? page.after[0] : "";
  std::string after_id = page.after.size() == 2 ? page.after[1] : "";
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s, absl::StrCat("SELECT ", AccountColumns(),
                            kind != 0 ? kAccountsOfKindInRegion : kAccountsInRegion));
    if (kind != 0) q.Arg(kind);
    auto rs = q.Arg(std::max(region_prefix, after_region))
                  .Arg(common::RegionRangeEnd(region_prefix))
                  .Arg(after_region)
                  .Arg(after_id)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(ReadAccount(*rs));
    return absl::OkStatus();
  }));
  return out;
}

MysqlFundsStore::MysqlFundsStore(common::ConnectionPool& pool, common::IdGenerator& ids,
                                 common::GroupCommitOptions group_commit)
    : pool_(pool), ids_(ids) {
  create_transfers_group_ = std::make_unique<common::GroupCommit<TransferCall>>(
      "CreateTransfers", pool_, ids_, group_commit,
      [this](DbSession& s, std::vector<common::GroupedCall*>& calls) {
        return CreateTransfersGroup(s, calls);
      },
      [this](const MutationContext& ctx, const TransferCall& call, google::protobuf::Message& out) {
        return CreateTransfersAlone(ctx, call.transfers, call.decide,
                                    static_cast<v1::CreateTransfersResponse&>(out));
      });
}

MysqlFundsStore::~MysqlFundsStore() = default;

absl::Status MysqlFundsStore::CreateTransfers(const MutationContext& ctx,
                                              const std::vector<v1::Transfer>& transfers,
                                              const BatchDecider& decide,
                                              v1::CreateTransfersResponse& out) {
  // Calls of one transfer are written in groups (common::GroupCommit); batches are
  // already one.
  if (transfers.size() == 1) {
    return create_transfers_group_->Run(ctx, TransferCall{transfers, decide}, out);
  }
  return CreateTransfersAlone(ctx, transfers, decide, out);
}

absl::Status MysqlFundsStore::CreateTransfersAlone(const MutationContext& ctx,
                                                   const std::vector<v1::Transfer>& transfers,
                                                   const BatchDecider& decide,
                                                   v1::CreateTransfersResponse& out) {
  bool load_existing = false;
  return common::RunMutation<v1::CreateTransfersResponse>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::CreateTransfersResponse& m) -> absl::StatusOr<EntityRefs> {
        std::vector<std::string> account_ids;
        for (const auto& t : transfers) {
          account_ids.push_back(t.debit_account_id());
          account_ids.push_back(t.credit_account_id());
        }
        // Ids are new almost always: the first attempt assumes so, and a duplicate key
        // on insert proves otherwise; only then are the existing transfers read (they
        // never change), and their accounts locked with the batch's in one sorted pass:
        // the ledger answers EXISTS only to a caller who sees them.
        TransferMap existing;
        if (load_existing) ReadExisting(s, transfers, existing, account_ids);
        AccountMap accounts = LockAccounts(s, account_ids);
        BatchOutcome outcome = decide(accounts, existing);
        if (!outcome.refused.ok()) return outcome.refused;
        // A transfer that exists is answered EXISTS before any other check (as in a
        // group, which always reads them): a refused transfer may be one that exists, so
        // the batch is decided again knowing them.
        if (!load_existing && AnyRefused(outcome)) {
          load_existing = true;
          return common::RetryTransactionNow("a refused transfer may exist");
        }
        absl::flat_hash_map<std::string, Projection> posted;
        for (const auto& t : outcome.accepted) {
          if (!t.pending()) Project(t, ctx.now, posted);
        }
        // The transfers, their deadlines and the new balances: one round trip.
        common::Script writes(s);
        int insert_at = AddTransferInserts(writes, outcome.accepted);
        AddAccountWrites(writes, accounts, outcome.touched, posted, ctx.now);
        try {
          writes.Run();
        } catch (const sql::SQLException& e) {
          if (e.getErrorCode() != common::kErDupEntry || writes.failed() != insert_at) throw;
          // An id exists (an earlier batch, or a concurrent one that just committed): the
          // next attempt reads the existing transfers and answers EXISTS for them.
          load_existing = true;
          return common::RetryTransactionNow("a transfer id already exists");
        }
        for (auto r : outcome.results) m.add_results(r);
        return OutcomeEntities(outcome, accounts);
      },
      out);
}

absl::Status MysqlFundsStore::CreateTransfersGroup(DbSession& s,
                                                   std::vector<common::GroupedCall*>& calls) {
  using Group = common::GroupCommit<TransferCall>;
  // The transfers that exist are read first (a group is many callers: one retried
  // transfer id must not send the whole group to be written alone), and every account
  // the group names is locked in one sorted pass.
  std::vector<v1::Transfer> all;
  std::vector<std::string> account_ids;
  for (const common::GroupedCall* c : calls) {
    for (const auto& t : Group::InputOf(*c).transfers) {
      all.push_back(t);
      account_ids.push_back(t.debit_account_id());
      account_ids.push_back(t.credit_account_id());
    }
  }
  TransferMap existing;
  ReadExisting(s, all, existing, account_ids);
  AccountMap accounts = LockAccounts(s, account_ids);
  // Each call is decided on the balances the calls before it left.
  std::vector<v1::Transfer> accepted;
  std::vector<std::string> touched;
  absl::flat_hash_set<std::string> touched_set;
  absl::flat_hash_map<std::string, Projection> posted;
  absl::Time now = absl::InfinitePast();
  for (common::GroupedCall* c : calls) {
    const TransferCall& call = Group::InputOf(*c);
    // A refused call leaves the balances as it found them.
    std::vector<std::pair<std::string, std::optional<v1::Account>>> before;
    for (const auto& t : call.transfers) {
      for (const std::string& id : {t.debit_account_id(), t.credit_account_id()}) {
        auto a = accounts.find(id);
        before.emplace_back(
            id, a == accounts.end() ? std::nullopt : std::optional<v1::Account>(a->second));
      }
    }
    BatchOutcome outcome = call.decide(accounts, existing);
    if (!outcome.refused.ok()) {
      for (auto it = before.rbegin(); it != before.rend(); ++it) {
        if (it->second.has_value()) {
          accounts[it->first] = *it->second;
        } else {
          accounts.erase(it->first);
        }
      }
      c->status = outcome.refused;
      continue;
    }
    now = std::max(now, c->ctx->now);
    auto& response = static_cast<v1::CreateTransfersResponse&>(*c->response);
    for (auto r : outcome.results) response.add_results(r);
    c->entities.push_back(OutcomeEntities(outcome, accounts));
    for (const auto& t : outcome.accepted) {
      if (!t.pending()) Project(t, c->ctx->now, posted);
      existing[t.id()] = t;  // a later call naming the same id finds it
      accepted.push_back(t);
    }
    for (const auto& id : outcome.touched) {
      if (touched_set.insert(id).second) touched.push_back(id);
    }
  }
  // Every accepted call's transfers and the balances they leave: one round trip. A
  // duplicate id here is a concurrent caller's, committed after the read above: the
  // group is decided again, and the next read finds it.
  common::Script writes(s);
  int insert_at = AddTransferInserts(writes, accepted);
  AddAccountWrites(writes, accounts, touched, posted, now);
  if (writes.size() == 0) return absl::OkStatus();
  try {
    writes.Run();
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != common::kErDupEntry || writes.failed() != insert_at) throw;
    return common::RetryTransactionNow("a transfer id of the group was created concurrently");
  }
  return absl::OkStatus();
}

absl::Status MysqlFundsStore::ResolvePending(const MutationContext& ctx,
                                             const std::string& transfer_id,
                                             v1::TransferState state, const std::string& reason,
                                             const ResolveDecider& decide, v1::Transfer& out) {
  return common::RunMutation<v1::Transfer>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::Transfer& m) -> absl::StatusOr<EntityRefs> {
        auto rs = Query(s, absl::StrCat(TransferSelect(), kTransferByIdForUpdate))
                      .Arg(transfer_id)
                      .Rows();
        if (!rs->next()) {
          return common::WithReason(
              absl::NotFoundError(absl::StrCat("transfer ", transfer_id, " not found")),
              common::ErrorReason::NOT_FOUND);
        }
        v1::Transfer t = ReadTransfer(*rs);
        AccountMap accounts = LockAccounts(s, {t.debit_account_id(), t.credit_account_id()});
        TUOPIN_RETURN_IF_ERROR(decide(t, accounts));
        absl::flat_hash_map<std::string, Projection> posted;
        if (state == v1::TRANSFER_STATE_POSTED) Project(t, ctx.now, posted);
        common::Script writes(s);
        AddResolution(writes, t.id(), state, reason, ctx.now, ctx.principal.subject());
        AddAccountWrites(writes, accounts, {t.debit_account_id(), t.credit_account_id()}, posted,
                         ctx.now);
        writes.Run();
        t.set_state(state);
        *t.mutable_resolve_time() = common::ToTimestamp(ctx.now);
        t.set_resolved_by(ctx.principal.subject());
        m = t;
        return EntityRefs{
            Entity("transfer", t.id(), accounts[t.credit_account_id()].region_code()),
            Entity("account", t.debit_account_id(), accounts[t.debit_account_id()].region_code()),
            Entity("account", t.credit_account_id(),
                   accounts[t.credit_account_id()].region_code())};
      },
      out);
}

absl::StatusOr<int> MysqlFundsStore::ExpirePending(absl::Time now, int limit,
                                                   const ExpiryDecider& decide) {
  int expired = 0;
  TUOPIN_RETURN_IF_ERROR(common::RunInTransaction(pool_, [&](DbSession& s) -> absl::Status {
    expired = 0;
    std::vector<v1::Transfer> due;
    auto rs = Query(s, absl::StrCat(TransferSelect(), kDueTransfers))
                  .Arg(ToSqlTime(now))
                  .Arg(limit)
                  .Rows();
    while (rs->next()) due.push_back(ReadTransfer(*rs));
    if (due.empty()) return absl::OkStatus();
    std::vector<std::string> account_ids;
    for (const auto& t : due) {
      account_ids.push_back(t.debit_account_id());
      account_ids.push_back(t.credit_account_id());
    }
    AccountMap accounts = LockAccounts(s, account_ids);
    TUOPIN_ASSIGN_OR_RETURN(ExpiryOutcome outcome, decide(due, accounts));
    common::Script writes(s);
    for (const auto& t : outcome.expired) {
      AddResolution(writes, t.id(), t.state(), outcome.reason, now, t.resolved_by());
    }
    common::AddOutboxInserts(writes, outcome.events);
    AddAccountWrites(writes, accounts, outcome.touched, {}, now);
    writes.RunAndCommit();
    expired = static_cast<int>(outcome.expired.size());
    return absl::OkStatus();
  }));
  return expired;
}

absl::StatusOr<std::vector<v1::Transfer>> MysqlFundsStore::ListTransfers(
    const std::string& account_id, absl::Time start, absl::Time end, const PageRequest& page) {
  std::vector<v1::Transfer> out;
  // The keyset is (created_at, id); the first page starts at `start`.
  std::string after_time = ToSqlTime(std::max(start, absl::FromUnixSeconds(946684800)));
  std::string after_id;
  if (page.after.size() == 2) {
    int64_t micros = 0;
    (void)absl::SimpleAtoi(page.after[0], &micros);
    after_time = ToSqlTime(absl::FromUnixMicros(micros));
    after_id = page.after[1];
  }
  std::string end_time = ToSqlTime(std::min(end, absl::FromUnixSeconds(4133980799)));
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s, absl::StrCat("(", TransferSelect(), "WHERE t.debit_account_id", kTransfersOfSide,
                            ") UNION ALL (", TransferSelect(), "WHERE t.credit_account_id",
                            kTransfersOfSide, ") ORDER BY ", rows::TransferColumn("t.created_at"),
                            ", ", rows::TransferColumn("t.id"), " LIMIT ?"));
    for (int side = 0; side < 2; ++side) {
      q.Arg(account_id).Arg(end_time).Arg(after_time).Arg(after_time).Arg(after_id).Arg(page.limit);
    }
    auto rs = q.Arg(page.limit).Rows();
    while (rs->next()) out.push_back(ReadTransfer(*rs));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace tuopin::funds
