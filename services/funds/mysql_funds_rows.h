#pragma once
// The rows of the funds database, each defined once: the column list a SELECT names and
// the reader of its result are built from one table per entity, so they cannot drift.
// Internal to the MySQL funds store (mysql_funds_store.cc, mysql_funds_reports.cc).

#include <cppconn/resultset.h>

#include <string>

#include "tuopin/funds/v1/funds.pb.h"

namespace tuopin::funds::rows {

// "id, code, ..." of an account row (table accounts), in ReadAccount's order.
const std::string& AccountColumns();
v1::Account ReadAccount(sql::ResultSet& rs);

// "SELECT <transfer columns> FROM transfers t LEFT JOIN transfer_resolutions r ... ": a
// transfer joined with its resolution, if any, in ReadTransfer's order; a WHERE follows.
const std::string& TransferSelect();
v1::Transfer ReadTransfer(sql::ResultSet& rs);
// The 1-based position of a column of TransferSelect ("t.created_at"), for ORDER BY of a
// UNION.
int TransferColumn(const std::string& name);

}  // namespace tuopin::funds::rows
