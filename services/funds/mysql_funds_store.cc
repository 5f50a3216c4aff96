#include "services/funds/mysql_funds_store.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status.h"
#include "common/validate.h"
#include "google/protobuf/util/time_util.h"

namespace tuopin::funds {
namespace {

using common::DbSession;
using common::Entity;
using common::EntityRefs;
using common::Query;
using common::ToSqlTime;
using google::protobuf::util::TimeUtil;

constexpr char kAccountCols[] =
    "id, code, kind, name, region_code, source_level, sector, task_id, guarded, debits_pending,"
    " debits_posted, credits_pending, credits_posted, created_at";

v1::Account AccountFromRow(sql::ResultSet& rs) {
  v1::Account a;
  a.set_id(rs.getString(1).asStdString());
  a.set_code(rs.getString(2).asStdString());
  a.set_kind(static_cast<v1::AccountKind>(rs.getInt(3)));
  a.set_name(rs.getString(4).asStdString());
  a.set_region_code(rs.getString(5).asStdString());
  a.set_source_level(static_cast<v1::SourceLevel>(rs.getInt(6)));
  a.set_sector(static_cast<tuopin::common::v1::Sector>(rs.getInt(7)));
  a.set_task_id(rs.getString(8).asStdString());
  a.set_debits_must_not_exceed_credits(rs.getInt(9) != 0);
  a.set_debits_pending_fen(rs.getInt64(10));
  a.set_debits_posted_fen(rs.getInt64(11));
  a.set_credits_pending_fen(rs.getInt64(12));
  a.set_credits_posted_fen(rs.getInt64(13));
  *a.mutable_create_time() =
      common::ToTimestamp(common::FromSqlTime(rs.getString(14).asStdString()));
  return a;
}

// A transfer row joined with its resolution (if any).
constexpr char kTransferSelect[] =
    "SELECT t.id, t.debit_account_id, t.credit_account_id, t.amount, t.kind, t.linked, t.pending,"
    " t.timeout_seconds, t.memo, t.created_at, r.state, r.resolved_at, t.created_by,"
    " r.resolved_by FROM transfers t"
    " LEFT JOIN transfer_resolutions r ON r.transfer_id = t.id ";

v1::Transfer TransferFromRow(sql::ResultSet& rs) {
  v1::Transfer t;
  t.set_id(rs.getString(1).asStdString());
  t.set_debit_account_id(rs.getString(2).asStdString());
  t.set_credit_account_id(rs.getString(3).asStdString());
  t.set_amount_fen(rs.getInt64(4));
  t.set_kind(static_cast<v1::TransferKind>(rs.getInt(5)));
  t.set_linked(rs.getInt(6) != 0);
  t.set_pending(rs.getInt(7) != 0);
  if (t.pending()) t.mutable_timeout()->set_seconds(rs.getInt64(8));
  t.set_memo(rs.getString(9).asStdString());
  *t.mutable_create_time() =
      common::ToTimestamp(common::FromSqlTime(rs.getString(10).asStdString()));
  t.set_created_by(rs.getString(13).asStdString());
  if (!rs.isNull(11)) {
    t.set_state(static_cast<v1::TransferState>(rs.getInt(11)));
    *t.mutable_resolve_time() =
        common::ToTimestamp(common::FromSqlTime(rs.getString(12).asStdString()));
    t.set_resolved_by(rs.getString(14).asStdString());
  } else {
    t.set_state(t.pending() ? v1::TRANSFER_STATE_PENDING : v1::TRANSFER_STATE_POSTED);
  }
  return t;
}

// Locks the accounts in id order (InnoDB walks an IN list on the primary key in key
// order), so two batches never wait for each other in a cycle. One round trip, which
// also carries the transaction's BEGIN when this is its first statement.
AccountMap LockAccounts(DbSession& s, std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  AccountMap out;
  common::Script script(s);
  for (size_t start = 0; start < ids.size(); start += 1024) {
    std::string sql = absl::StrCat("SELECT ", kAccountCols, " FROM accounts WHERE id IN (");
    for (size_t k = start; k < std::min(ids.size(), start + 1024); ++k) {
      if (k > start) sql += ',';
      common::AppendSqlHex(&sql, ids[k]);
    }
    sql += ") ORDER BY id FOR UPDATE";
    script.Add(std::move(sql), [&](sql::ResultSet& rs) {
      while (rs.next()) {
        v1::Account a = AccountFromRow(rs);
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
};

void Project(const v1::Transfer& t, absl::flat_hash_map<std::string, Projection>& p) {
  // No reference into the map is held across an insertion: a rehash would move it.
  p[t.debit_account_id()].debited = true;
  p[t.credit_account_id()].credited = true;
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
    std::string sql = "UPDATE accounts a JOIN (";
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
    }
    absl::StrAppend(
        &sql,
        ") v ON a.id = v.id SET a.debits_pending = v.dpe, a.debits_posted = v.dpo,"
        " a.credits_pending = v.cpe, a.credits_posted = v.cpo,"
        " a.appropriated_in = a.appropriated_in + v.app,"
        " a.allocated_in = a.allocated_in + v.alo, a.disbursed_out = a.disbursed_out + v.dis,"
        " a.first_credit_at = IF(v.cr, COALESCE(a.first_credit_at, ",
        when, "), a.first_credit_at), a.last_credit_at = IF(v.cr, ", when,
        ", a.last_credit_at), a.last_debit_at = IF(v.db, ", when, ", a.last_debit_at)");
    script.Add(std::move(sql));
  }
}

// Adds to `script` the resolution of a pending transfer by `actor` (its deadline leaves).
void AddResolution(common::Script& script, const std::string& id, v1::TransferState state,
                   const std::string& reason, absl::Time now, const std::string& actor) {
  std::string hex_id = common::SqlHex(id);
  script.Add(absl::StrCat("DELETE FROM pending_transfers WHERE transfer_id = ", hex_id));
  script.Add(
      absl::StrCat("INSERT INTO transfer_resolutions (transfer_id, state, reason,"
                   " resolved_at, resolved_by) VALUES (",
                   hex_id, ",", static_cast<int32_t>(state), ",", common::SqlHex(reason), ",",
                   common::SqlTime(now), ",", common::SqlHex(actor), ")"));
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
  sql =
      "INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, kind, linked,"
      " pending, timeout_seconds, timeout_at, memo, created_at, created_by) VALUES ";
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
      pending += pending.empty()
                     ? "INSERT INTO pending_transfers (transfer_id, timeout_at) VALUES ("
                     : ",(";
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

}  // namespace

absl::Status MysqlFundsStore::CreateAccount(const MutationContext& ctx, const v1::Account& a,
                                            v1::Account& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        std::string id = ids_.NewId();
        try {
          Query(s,
                "INSERT INTO accounts (id, code, kind, name, region_code, source_level, sector,"
                " task_id, guarded, debits_pending, debits_posted, credits_pending, credits_posted,"
                " appropriated_in, allocated_in, disbursed_out, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, ?)")
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
                                    "ACCOUNT_CODE_TAKEN");
        }
        auto& resp = static_cast<v1::Account&>(m);
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
    auto rs = Query(s, absl::StrCat("SELECT ", kAccountCols, " FROM accounts WHERE id = ?"))
                  .Arg(id)
                  .Rows();
    if (rs->next()) out = AccountFromRow(*rs);
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
      auto rs = Query(s, absl::StrCat("SELECT ", kAccountCols, " FROM accounts WHERE id IN (",
                                      common::Placeholders(common::InListSize(chunk.size())), ")"))
                    .InList(chunk)
                    .Rows();
      while (rs->next()) out.push_back(AccountFromRow(*rs));
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
    Query q(s, absl::StrCat("SELECT ", kAccountCols, " FROM accounts WHERE ",
                            kind != 0 ? "kind = ? AND " : "",
                            "region_code >= ? AND region_code < ? AND (region_code > ? OR id > ?)"
                            " ORDER BY region_code, id LIMIT ?"));
    if (kind != 0) q.Arg(kind);
    auto rs = q.Arg(std::max(region_prefix, after_region))
                  .Arg(common::RegionRangeEnd(region_prefix))
                  .Arg(after_region)
                  .Arg(after_id)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(AccountFromRow(*rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlFundsStore::CreateTransfers(const MutationContext& ctx,
                                              const std::vector<v1::Transfer>& transfers,
                                              const BatchDecider& decide,
                                              v1::CreateTransfersResponse& out) {
  bool load_existing = false;
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        std::vector<std::string> account_ids, transfer_ids;
        for (const auto& t : transfers) {
          account_ids.push_back(t.debit_account_id());
          account_ids.push_back(t.credit_account_id());
          transfer_ids.push_back(t.id());
        }
        // Ids are new almost always: the first attempt assumes so, and a duplicate key
        // on insert proves otherwise; only then are the existing transfers read (they
        // never change), and their accounts locked with the batch's in one sorted pass:
        // the ledger answers EXISTS only to a caller who sees them.
        TransferMap existing;
        if (load_existing) {
          std::sort(transfer_ids.begin(), transfer_ids.end());
          transfer_ids.erase(std::unique(transfer_ids.begin(), transfer_ids.end()),
                             transfer_ids.end());
          for (size_t start = 0; start < transfer_ids.size(); start += 1024) {
            std::vector<std::string> chunk(
                transfer_ids.begin() + start,
                transfer_ids.begin() + std::min(transfer_ids.size(), start + 1024));
            auto rs =
                Query(s, absl::StrCat(kTransferSelect, "WHERE t.id IN (",
                                      common::Placeholders(common::InListSize(chunk.size())), ")"))
                    .InList(chunk)
                    .Rows();
            while (rs->next()) {
              v1::Transfer t = TransferFromRow(*rs);
              account_ids.push_back(t.debit_account_id());
              account_ids.push_back(t.credit_account_id());
              existing[t.id()] = std::move(t);
            }
          }
        }
        AccountMap accounts = LockAccounts(s, account_ids);
        BatchOutcome outcome = decide(accounts, existing);
        if (!outcome.refused.ok()) return outcome.refused;
        absl::flat_hash_map<std::string, Projection> posted;
        for (const auto& t : outcome.accepted) {
          if (!t.pending()) Project(t, posted);
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
          return common::RetryTransaction("a transfer id already exists");
        }
        auto& resp = static_cast<v1::CreateTransfersResponse&>(m);
        for (auto r : outcome.results) resp.add_results(r);
        EntityRefs refs;
        for (const auto& t : outcome.accepted) {
          refs.push_back(Entity("transfer", t.id(), accounts[t.credit_account_id()].region_code()));
        }
        for (const auto& id : outcome.touched)
          refs.push_back(Entity("account", id, accounts[id].region_code()));
        return refs;
      },
      out);
}

absl::Status MysqlFundsStore::ResolvePending(const MutationContext& ctx,
                                             const std::string& transfer_id,
                                             v1::TransferState state, const std::string& reason,
                                             const ResolveDecider& decide, v1::Transfer& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        auto rs = Query(s, absl::StrCat(kTransferSelect, "WHERE t.id = ? FOR UPDATE"))
                      .Arg(transfer_id)
                      .Rows();
        if (!rs->next()) {
          return common::WithReason(
              absl::NotFoundError(absl::StrCat("transfer ", transfer_id, " not found")),
              "NOT_FOUND");
        }
        v1::Transfer t = TransferFromRow(*rs);
        AccountMap accounts = LockAccounts(s, {t.debit_account_id(), t.credit_account_id()});
        TUOPIN_RETURN_IF_ERROR(decide(t, accounts));
        absl::flat_hash_map<std::string, Projection> posted;
        if (state == v1::TRANSFER_STATE_POSTED) Project(t, posted);
        common::Script writes(s);
        AddResolution(writes, t.id(), state, reason, ctx.now, ctx.principal.subject());
        AddAccountWrites(writes, accounts, {t.debit_account_id(), t.credit_account_id()}, posted,
                         ctx.now);
        writes.Run();
        t.set_state(state);
        *t.mutable_resolve_time() = common::ToTimestamp(ctx.now);
        t.set_resolved_by(ctx.principal.subject());
        static_cast<v1::Transfer&>(m) = t;
        return EntityRefs{
            Entity("transfer", t.id(), accounts[t.credit_account_id()].region_code()),
            Entity("account", t.debit_account_id(), accounts[t.debit_account_id()].region_code()),
            Entity("account", t.credit_account_id(),
                   accounts[t.credit_account_id()].region_code())};
      },
      out);
}

absl::StatusOr<int> MysqlFundsStore::ExpirePending(absl::Time now, int limit,
                                                   const std::string& actor,
                                                   common::IdGenerator& ids) {
  int expired = 0;
  TUOPIN_RETURN_IF_ERROR(common::RunInTransaction(pool_, [&](DbSession& s) -> absl::Status {
    expired = 0;
    std::vector<v1::Transfer> due;
    // Replicas share the sweep: rows another sweeper holds are skipped. The deadlines
    // of unresolved transfers lead (an index range), never a scan of all transfers.
    auto rs = Query(s, absl::StrCat(kTransferSelect,
                                    "JOIN pending_transfers p ON p.transfer_id = t.id"
                                    " WHERE p.timeout_at < ? AND r.transfer_id IS NULL"
                                    " ORDER BY p.timeout_at LIMIT ? FOR UPDATE SKIP LOCKED"))
                  .Arg(ToSqlTime(now))
                  .Arg(limit)
                  .Rows();
    while (rs->next()) due.push_back(TransferFromRow(*rs));
    if (due.empty()) return absl::OkStatus();
    std::vector<std::string> account_ids;
    for (const auto& t : due) {
      account_ids.push_back(t.debit_account_id());
      account_ids.push_back(t.credit_account_id());
    }
    AccountMap accounts = LockAccounts(s, account_ids);
    std::set<std::string> touched;
    common::Script writes(s);
    for (const auto& t : due) {
      if (!accounts.contains(t.debit_account_id()) || !accounts.contains(t.credit_account_id())) {
        return absl::DataLossError(absl::StrCat("an account of transfer ", t.id(), " is missing"));
      }
      v1::Account& debit = accounts.find(t.debit_account_id())->second;
      v1::Account& credit = accounts.find(t.credit_account_id())->second;
      debit.set_debits_pending_fen(debit.debits_pending_fen() - t.amount_fen());
      credit.set_credits_pending_fen(credit.credits_pending_fen() - t.amount_fen());
      touched.insert(debit.id());
      touched.insert(credit.id());
      AddResolution(writes, t.id(), v1::TRANSFER_STATE_EXPIRED, "timeout", now, actor);
      MutationContext ctx;
      ctx.service = "funds";
      ctx.method = "/tuopin.funds.v1.FundsService/ExpirePendingTransfer";
      ctx.principal.set_subject(actor);
      // A transfer id may take all 64 characters a request id may: derive a bounded one.
      ctx.request_id =
          absl::StrCat("expire-", common::HexEncode(common::Sha256(t.id()).substr(0, 16)));
      ctx.request_sha256 = common::MessageSha256(t);
      ctx.now = now;
      auto event =
          common::MakeAuditEvent(ids, ctx, {Entity("transfer", t.id(), credit.region_code())}, "");
      TUOPIN_RETURN_IF_ERROR(common::CheckLoggable(event));
      writes.Add(common::OutboxInsert(event));
      ++expired;
    }
    AddAccountWrites(writes, accounts, std::vector<std::string>(touched.begin(), touched.end()), {},
                     now);
    writes.RunAndCommit();
    return absl::OkStatus();
  }));
  return expired;
}

absl::StatusOr<std::optional<v1::Transfer>> MysqlFundsStore::GetTransfer(const std::string& id) {
  std::optional<v1::Transfer> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, absl::StrCat(kTransferSelect, "WHERE t.id = ?")).Arg(id).Rows();
    if (rs->next()) out = TransferFromRow(*rs);
    return absl::OkStatus();
  }));
  return out;
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
    std::string side =
        " = ? AND t.created_at < ? AND (t.created_at > ? OR (t.created_at = ? AND t.id > ?))";
    std::string by_time = " ORDER BY t.created_at, t.id LIMIT ?";
    auto rs = Query(s, absl::StrCat("(", kTransferSelect, "WHERE t.debit_account_id", side, by_time,
                                    ") UNION ALL (", kTransferSelect, "WHERE t.credit_account_id",
                                    side, by_time, ") ORDER BY 10, 1 LIMIT ?"))
                  .Arg(account_id)
                  .Arg(end_time)
                  .Arg(after_time)
                  .Arg(after_time)
                  .Arg(after_id)
                  .Arg(page.limit)
                  .Arg(account_id)
                  .Arg(end_time)
                  .Arg(after_time)
                  .Arg(after_time)
                  .Arg(after_id)
                  .Arg(page.limit)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(TransferFromRow(*rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<FundingEdge>> MysqlFundsStore::IncomingFunding(
    const std::vector<std::string>& to_accounts) {
  std::map<std::pair<std::string, std::string>, FundingEdge> edges;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    for (size_t start = 0; start < to_accounts.size(); start += 1024) {
      std::vector<std::string> chunk(
          to_accounts.begin() + start,
          to_accounts.begin() + std::min(to_accounts.size(), start + 1024));
      auto rs =
          Query(s, absl::StrCat("SELECT t.debit_account_id, t.credit_account_id, t.amount, t.id"
                                " FROM transfers t LEFT JOIN transfer_resolutions r"
                                " ON r.transfer_id = t.id WHERE t.credit_account_id IN (",
                                common::Placeholders(common::InListSize(chunk.size())),
                                ") AND t.kind IN (1, 2) AND (t.pending = 0 OR r.state = 1)"))
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
    auto pools = Query(s,
                       "SELECT COALESCE(SUM(appropriated_in), 0) FROM accounts WHERE kind = ?"
                       " AND region_code >= ? AND region_code < ?")
                     .Arg(static_cast<int32_t>(v1::ACCOUNT_KIND_POOL))
                     .Arg(region_prefix)
                     .Arg(common::RegionRangeEnd(region_prefix))
                     .Rows();
    pools->next();
    u.set_appropriated_fen(pools->getInt64(1));
    // One pass over the region's projects, grouped by sector; idle money as IdleFunds
    // counts it (a positive balance, nothing credited or debited since the cut-off).
    Query q(s, absl::StrCat(
                   "SELECT sector, COALESCE(SUM(allocated_in), 0), COALESCE(SUM(disbursed_out), 0),"
                   " COALESCE(SUM(CASE WHEN credits_posted - debits_posted - debits_pending > 0"
                   " AND last_credit_at < ? AND (last_debit_at IS NULL OR last_debit_at < ?)"
                   " THEN credits_posted - debits_posted - debits_pending ELSE 0 END), 0)"
                   " FROM accounts WHERE kind = ? AND ",
                   sector != 0 ? "sector = ? AND " : "",
                   "region_code >= ? AND region_code < ? GROUP BY sector ORDER BY sector"));
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
    auto rs =
        Query(
            s,
            "SELECT id, region_code, sector, credits_posted - debits_posted - debits_pending,"
            " last_credit_at FROM accounts WHERE kind = ? AND region_code >= ? AND region_code < ?"
            " AND credits_posted - debits_posted - debits_pending > 0 AND last_credit_at < ?"
            " AND (last_debit_at IS NULL OR last_debit_at < ?) AND id > ? ORDER BY id LIMIT ?")
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
    auto rs = Query(s, absl::StrCat("SELECT ", kAccountCols,
                                    " FROM accounts WHERE kind = ? AND region_code = ? AND id > ?"
                                    " ORDER BY id LIMIT ?"))
                  .Arg(static_cast<int32_t>(v1::ACCOUNT_KIND_PROJECT))
                  .Arg(village_code)
                  .Arg(after)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(AccountFromRow(*rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::pair<absl::Time, absl::Time>> MysqlFundsStore::ProjectDates(
    const std::string& account_id) {
  std::pair<absl::Time, absl::Time> out{absl::InfinitePast(), absl::InfinitePast()};
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, "SELECT first_credit_at, last_debit_at FROM accounts WHERE id = ?")
                  .Arg(account_id)
                  .Rows();
    if (rs->next()) {
      if (!rs->isNull(1)) out.first = common::FromSqlTime(rs->getString(1).asStdString());
      if (!rs->isNull(2)) out.second = common::FromSqlTime(rs->getString(2).asStdString());
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace tuopin::funds
