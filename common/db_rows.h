#pragma once
// An entity's row defined once: each column's SQL name beside the code that reads it into
// the message and the code that binds it from the message, so the column list a statement
// names, the reader of its result and the binder of its values cannot drift.
//
//   constexpr Column<v1::Finding> kFinding[] = {
//       {"id", [](sql::ResultSet& rs, uint32_t i, v1::Finding& f) { f.set_id(RowString(rs, i)); },
//        [](Query& q, const v1::Finding& f) { q.Arg(f.id()); }},
//       ...};
//   Query(s, absl::StrCat("SELECT ", ColumnNames(kFinding), " FROM findings ...")) ...
//   v1::Finding f = ReadRow(kFinding, *rs);

#include <cppconn/resultset.h>

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/db.h"
#include "common/validate.h"

namespace tuopin::common {

template <typename T>
struct Column {
  const char* name;
  // Reads column `i` (1-based) of the current row into `out`. Readers run in column
  // order, so one may rely on the columns before it.
  void (*read)(sql::ResultSet& rs, uint32_t i, T& out);
  // Binds the column's value for an INSERT; null for a column no INSERT writes.
  void (*write)(Query& q, const T& in) = nullptr;
};

// "a, b, c": the columns in order.
template <typename T, size_t N>
std::string ColumnNames(const Column<T> (&columns)[N]) {
  return absl::StrJoin(columns, ", ",
                       [](std::string* out, const Column<T>& c) { out->append(c.name); });
}

template <typename T, size_t N>
T ReadRow(const Column<T> (&columns)[N], sql::ResultSet& rs) {
  T out;
  for (uint32_t i = 0; i < N; ++i) columns[i].read(rs, i + 1, out);
  return out;
}

// Binds every column, in order (for "INSERT INTO t (ColumnNames) VALUES (Placeholders)").
template <typename T, size_t N>
Query& BindRow(const Column<T> (&columns)[N], const T& in, Query& q) {
  for (const Column<T>& c : columns) c.write(q, in);
  return q;
}

// "INSERT INTO table (columns[, extra_column]) VALUES (?, ...)": bind with BindRow, then
// the extra column.
template <typename T, size_t N>
std::string InsertOf(absl::string_view table, const Column<T> (&columns)[N],
                     absl::string_view extra_column = "") {
  size_t n = N + (extra_column.empty() ? 0 : 1);
  return absl::StrCat("INSERT INTO ", table, " (", ColumnNames(columns),
                      extra_column.empty() ? "" : ", ", extra_column, ") VALUES (", Placeholders(n),
                      ")");
}

// "SELECT columns <rest>", rest being "FROM ... WHERE ...".
template <typename T, size_t N>
std::string SelectOf(const Column<T> (&columns)[N], absl::string_view rest) {
  return absl::StrCat("SELECT ", ColumnNames(columns), " ", rest);
}

inline std::string RowString(sql::ResultSet& rs, uint32_t i) {
  return rs.getString(i).asStdString();
}
inline google::protobuf::Timestamp RowTime(sql::ResultSet& rs, uint32_t i) {
  return ToTimestamp(FromSqlTime(RowString(rs, i)));
}
inline tuopin::common::v1::Date RowDate(sql::ResultSet& rs, uint32_t i) {
  return ToDate(FromSqlDate(RowString(rs, i)));
}

}  // namespace tuopin::common
