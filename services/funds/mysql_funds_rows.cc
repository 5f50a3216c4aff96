#include "services/funds/mysql_funds_rows.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/db_rows.h"

namespace tuopin::funds::rows {
namespace {

using common::Column;
using common::ColumnNames;
using common::ReadRow;
using common::RowString;
using common::RowTime;
using RS = sql::ResultSet;

using A = v1::Account;
constexpr Column<A> kAccount[] = {
    {"id", [](RS& rs, uint32_t i, A& a) { a.set_id(RowString(rs, i)); }},
    {"code", [](RS& rs, uint32_t i, A& a) { a.set_code(RowString(rs, i)); }},
    {"kind",
     [](RS& rs, uint32_t i, A& a) { a.set_kind(static_cast<v1::AccountKind>(rs.getInt(i))); }},
    {"name", [](RS& rs, uint32_t i, A& a) { a.set_name(RowString(rs, i)); }},
    {"region_code", [](RS& rs, uint32_t i, A& a) { a.set_region_code(RowString(rs, i)); }},
    {"source_level", [](RS& rs, uint32_t i,
                        A& a) { a.set_source_level(static_cast<v1::SourceLevel>(rs.getInt(i))); }},
    {"sector", [](RS& rs, uint32_t i,
                  A& a) { a.set_sector(static_cast<tuopin::common::v1::Sector>(rs.getInt(i))); }},
    {"task_id", [](RS& rs, uint32_t i, A& a) { a.set_task_id(RowString(rs, i)); }},
    {"guarded",
     [](RS& rs, uint32_t i, A& a) { a.set_debits_must_not_exceed_credits(rs.getInt(i) != 0); }},
    {"debits_pending", [](RS& rs, uint32_t i, A& a) { a.set_debits_pending_fen(rs.getInt64(i)); }},
    {"debits_posted", [](RS& rs, uint32_t i, A& a) { a.set_debits_posted_fen(rs.getInt64(i)); }},
    {"credits_pending",
     [](RS& rs, uint32_t i, A& a) { a.set_credits_pending_fen(rs.getInt64(i)); }},
    {"credits_posted", [](RS& rs, uint32_t i, A& a) { a.set_credits_posted_fen(rs.getInt64(i)); }},
    {"created_at", [](RS& rs, uint32_t i, A& a) { *a.mutable_create_time() = RowTime(rs, i); }},
};

using T = v1::Transfer;
// The resolution's columns are NULL while a transfer is unresolved: its state then
// follows from `pending`, read before.
constexpr Column<T> kTransfer[] = {
    {"t.id", [](RS& rs, uint32_t i, T& t) { t.set_id(RowString(rs, i)); }},
    {"t.debit_account_id",
     [](RS& rs, uint32_t i, T& t) { t.set_debit_account_id(RowString(rs, i)); }},
    {"t.credit_account_id",
     [](RS& rs, uint32_t i, T& t) { t.set_credit_account_id(RowString(rs, i)); }},
    {"t.amount", [](RS& rs, uint32_t i, T& t) { t.set_amount_fen(rs.getInt64(i)); }},
    {"t.kind",
     [](RS& rs, uint32_t i, T& t) { t.set_kind(static_cast<v1::TransferKind>(rs.getInt(i))); }},
    {"t.linked", [](RS& rs, uint32_t i, T& t) { t.set_linked(rs.getInt(i) != 0); }},
    {"t.pending", [](RS& rs, uint32_t i, T& t) { t.set_pending(rs.getInt(i) != 0); }},
    {"t.timeout_seconds",
     [](RS& rs, uint32_t i, T& t) {
       if (t.pending()) t.mutable_timeout()->set_seconds(rs.getInt64(i));
     }},
    {"t.memo", [](RS& rs, uint32_t i, T& t) { t.set_memo(RowString(rs, i)); }},
    {"t.created_at", [](RS& rs, uint32_t i, T& t) { *t.mutable_create_time() = RowTime(rs, i); }},
    {"t.created_by", [](RS& rs, uint32_t i, T& t) { t.set_created_by(RowString(rs, i)); }},
    {"r.state",
     [](RS& rs, uint32_t i, T& t) {
       if (!rs.isNull(i)) {
         t.set_state(static_cast<v1::TransferState>(rs.getInt(i)));
       } else {
         t.set_state(t.pending() ? v1::TRANSFER_STATE_PENDING : v1::TRANSFER_STATE_POSTED);
       }
     }},
    {"r.resolved_at",
     [](RS& rs, uint32_t i, T& t) {
       if (!rs.isNull(i)) *t.mutable_resolve_time() = RowTime(rs, i);
     }},
    {"r.resolved_by",
     [](RS& rs, uint32_t i, T& t) {
       if (!rs.isNull(i)) t.set_resolved_by(RowString(rs, i));
     }},
};

}  // namespace

const std::string& AccountColumns() {
  static const std::string* names = new std::string(ColumnNames(kAccount));
  return *names;
}

v1::Account ReadAccount(sql::ResultSet& rs) { return ReadRow(kAccount, rs); }

const std::string& TransferSelect() {
  static const std::string* select = new std::string(
      absl::StrCat("SELECT ", ColumnNames(kTransfer),
                   " FROM transfers t LEFT JOIN transfer_resolutions r ON r.transfer_id = t.id "));
  return *select;
}

v1::Transfer ReadTransfer(sql::ResultSet& rs) { return ReadRow(kTransfer, rs); }

int TransferColumn(const std::string& name) {
  for (size_t i = 0; i < std::size(kTransfer); ++i) {
    if (name == kTransfer[i].name) return static_cast<int>(i) + 1;
  }
  std::abort();  // a statement names a column the row does not have
}

}  // namespace tuopin::funds::rows
