#pragma once
// How each personnel entity is stored in a row: one table per entity of {column, reader},
// so the selected column list and the reading of a row come from one definition and
// cannot drift apart. MySQL implementation detail of the personnel stores.

#include <cppconn/resultset.h>

#include <string>
#include <vector>

#include "common/db.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::personnel::rows {

// "a, b, c" of an entity's table, in the order its reader expects.
std::string RegionColumns();
std::string HouseholdColumns();
std::string CadreColumns();
std::string PostingColumns();
std::string PairingColumns();

// The entity of the result set's current row, selected with the list above.
v1::Region ReadRegion(sql::ResultSet& rs);
v1::Household ReadHousehold(sql::ResultSet& rs);
v1::Cadre ReadCadre(sql::ResultSet& rs);
v1::Posting ReadPosting(sql::ResultSet& rs);
v1::Pairing ReadPairing(sql::ResultSet& rs);

// Binds the four arguments of a keyset page over (village_code, id) in a region's subtree,
// "village_code >= ? AND village_code < ? AND (village_code > ? OR id > ?)", after the
// page key `after` ((village_code, id); empty for the first page).
common::Query& BindRegionKeyset(common::Query& q, const std::string& region_prefix,
                                const std::vector<std::string>& after);

}  // namespace tuopin::personnel::rows
