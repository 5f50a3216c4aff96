#pragma once
// Household history in MySQL (table household_versions, schema/006): the versions a
// transaction's household writes leave, recorded when the transaction's body is done, and
// the as_of and history reads. Snapshots are sealed whole with common::PiiKeyRing, as the
// members' personal data is. Failures are sql::SQLExceptions, like every statement of the
// stores.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/db.h"
#include "common/mutation.h"
#include "common/page_token.h"
#include "common/pii_crypto.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::personnel {

// The households one transaction writes, as they will be when it commits. The store's
// transaction reports every read under lock and every write; Record() then writes one
// version per written household. Nothing is written before Record(), so a rolled-back
// body leaves nothing.
class HouseholdVersionRecorder {
 public:
  HouseholdVersionRecorder(common::DbSession& s, const common::PiiKeyRing* pii,
                           const common::MutationContext& ctx)
      : s_(s), pii_(pii), ctx_(ctx) {}

  // A household read under lock, with its members (the state the writes start from).
  void Locked(const v1::Household& h);
  // A household stored as new (version 1): `h` is what was stored.
  void Created(const v1::Household& h);
  // The state of a household the transaction writes, to change in place as the write
  // does: from its lock (or read now when it was not locked).
  v1::Household& Written(const std::string& id);

  // Closes the previous versions and inserts the new ones, in batched statements.
  void Record();

 private:
  common::DbSession& s_;
  const common::PiiKeyRing* pii_;
  const common::MutationContext& ctx_;
  std::map<std::string, v1::Household> locked_;
  std::map<std::string, v1::Household> written_;
  std::set<std::string> created_;
};

// The version of household `id` in force at `as_of`.
std::optional<v1::HouseholdVersion> SelectVersionAt(common::DbSession& s,
                                                    const common::PiiKeyRing* pii,
                                                    const std::string& id, absl::Time as_of);
// The versions in force at `as_of` of the households then in [region_prefix...], status 0
// any, sorted by (village_code, household id), after page.after (village, id).
std::vector<v1::HouseholdVersion> SelectVersionsInRegion(common::DbSession& s,
                                                         const common::PiiKeyRing* pii,
                                                         const std::string& region_prefix,
                                                         int status, absl::Time as_of,
                                                         const common::PageRequest& page);
// A household's versions, oldest first, after page.after (a version number).
std::vector<v1::HouseholdVersion> SelectHistory(common::DbSession& s, const common::PiiKeyRing* pii,
                                                const std::string& id,
                                                const common::PageRequest& page);

// Gives up to `batch` households without any version their first one ("history-began",
// valid from their updated_at, the household as it is now); returns how many. Locks the
// households it reads, and a household that has a version meanwhile is skipped, so it is
// idempotent and safe beside concurrent writers.
int BackfillHouseholdVersions(common::DbSession& s, const common::PiiKeyRing* pii, int batch);

// The method of a version recorded by the backfill.
inline constexpr char kHistoryBegan[] = "history-began";

}  // namespace tuopin::personnel
