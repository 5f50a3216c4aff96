#pragma once
// The personnel store: the only interface through which the logic reaches persistent
// state. It holds storage only: reads, and one transaction per mutation in which the
// logic reads under lock, decides, and writes (the rules live in personnel_logic). The
// MySQL implementation is the only place with SQL.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/mutation.h"
#include "common/page_token.h"
#include "common/validate.h"
#include "services/personnel/coverage_store.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::personnel {

using common::EntityRefs;
using common::MutationContext;
using common::PageRequest;

struct CheckInDay {
  absl::CivilDay day;
  std::string village_code;
  bool verified = false;
};

// The unique key that refused an insert. The database enforces these, so they hold under
// concurrent transactions too; the logic turns them into refusals.
enum class Conflict {
  kNone,
  // Another cadre has this employee number.
  kEmployeeNumber,
  // The cadre already has an active posting.
  kCadrePosted,
  // The village already has an active first secretary.
  kFirstSecretarySeat,
  // The household already has an active pairing.
  kHouseholdPaired,
  // Another household has this national household number.
  kNationalHouseholdNumber,
};

// One mutation's transaction. Lock* reads hold a row lock until the transaction ends, so
// what the logic decides from them cannot be overtaken by a concurrent mutation. Writes
// store what they are given (ids, etags and times are the logic's); versions are explicit.
class PersonnelTx {
 public:
  virtual ~PersonnelTx() = default;

  // A new id for a row written in this transaction.
  virtual std::string NewId() = 0;

  // A region in or out of the tree. GetRegion holds a shared lock (a write into a village
  // reads it so), LockRegion an exclusive one (a merger or split): a household, posting or
  // pairing never enters a village that a concurrent merger takes out of the tree.
  virtual std::optional<v1::Region> GetRegion(const std::string& code) = 0;
  virtual std::optional<v1::Region> LockRegion(const std::string& code) = 0;
  // Stores code, name, level, parent, valid_from, predecessor_code and change_reference.
  virtual void InsertRegion(const v1::Region& region) = 0;
  virtual void RenameRegion(const std::string& code, const std::string& name) = 0;
  // Stores the end of a region's time in the tree: valid_to, successor_code and
  // change_reference.
  virtual void RetireRegion(const v1::Region& region) = 0;
  // The village's households (with their members), locked, sorted by id.
  virtual std::vector<v1::Household> LockHouseholdsOfVillage(const std::string& village_code) = 0;
  // How many households the village has (no rows read: a decision's bound is checked first).
  virtual int64_t CountHouseholdsOfVillage(const std::string& village_code) = 0;
  // Whether the village has an active posting, or an exit application still open.
  virtual bool HasActivePosting(const std::string& village_code) = 0;
  virtual bool HasOpenExitApplication(const std::string& village_code) = 0;
  // Moves the household's active pairing (if any) to the village the household moved to.
  virtual void MoveActivePairing(const std::string& household_id,
                                 const std::string& village_code) = 0;

  // With its members (personal data decrypted).
  virtual std::optional<v1::Household> LockHousehold(const std::string& id) = 0;
  // Stores version 1 with its members (their personal data encrypted), unless
  // kNationalHouseholdNumber.
  virtual Conflict InsertHousehold(const v1::Household& household) = 0;
  // Replaces the household's members by `household.members` (UpdateHousehold stores the
  // household's own fields only).
  virtual void ReplaceMembers(const v1::Household& household) = 0;
  // The households with these national numbers (with their members, personal data
  // decrypted), locked; in no particular order. At most 1000 numbers.
  virtual std::vector<v1::Household> LockHouseholdsByNumber(
      const std::vector<std::string>& numbers) = 0;
  // Stores version 1 of each with its members, as InsertHousehold, in batched statements;
  // kNationalHouseholdNumber (and none stored) when a number is taken.
  virtual Conflict InsertHouseholds(const std::vector<v1::Household>& households) = 0;
  // Stores the mutable fields (with status, exit_application_id and reversal_reference),
  // `version` and update_time.
  virtual void UpdateHousehold(const v1::Household& household, int64_t version) = 0;
  // Stores `moved.village_code()` (the only field it changes), `version` (the new version,
  // common::NextVersion of the locked etag, as UpdateHousehold takes it) and the mutation's
  // time as update_time. Called after LockHousehold (village mergers and splits).
  virtual void MoveHousehold(const v1::Household& moved, int64_t version) = 0;
  // Every write of a household above (insert, update, members, move) also records, in the
  // same transaction, a HouseholdVersion: the household with its members as the
  // transaction leaves it, valid from the mutation's time, closing the previous version;
  // method, request id and audit event id from the MutationContext. One version per
  // household per transaction, numbered by the household's version.

  virtual std::optional<v1::Cadre> LockCadre(const std::string& id) = 0;
  // Stores version 1, unless kEmployeeNumber.
  virtual Conflict InsertCadre(const v1::Cadre& cadre) = 0;
  virtual void UpdateCadre(const v1::Cadre& cadre, int64_t version) = 0;

  virtual std::optional<v1::Posting> LockPosting(const std::string& id) = 0;
  // Stores an active posting, unless kCadrePosted or kFirstSecretarySeat.
  virtual Conflict InsertPosting(const v1::Posting& posting, absl::Time created) = 0;
  // Stores the end of a posting: inactive, end_date and end_reason.
  virtual void EndPosting(const v1::Posting& posting) = 0;

  virtual int CountActivePairings(const std::string& cadre_id) = 0;
  virtual std::optional<v1::Pairing> LockPairing(const std::string& id) = 0;
  // Stores an active pairing, unless kHouseholdPaired.
  virtual Conflict InsertPairing(const v1::Pairing& pairing) = 0;
  // Stores the end of a pairing: inactive and end_time.
  virtual void EndPairing(const v1::Pairing& pairing) = 0;

  virtual void InsertCheckIn(const v1::CheckIn& checkin, absl::CivilDay day) = 0;
};

// What UpdateHousehold stores of `h` into the stored `row` (the village, the creation
// time, the number and the members stay), and what MoveHousehold stores: shared by the
// stores so that the versions they record are what they store.
inline void ApplyHouseholdUpdate(const v1::Household& h, int64_t version, v1::Household& row) {
  row.set_head_name(h.head_name());
  row.set_member_count(h.member_count());
  row.set_status(h.status());
  *row.mutable_indicators() = h.indicators();
  row.set_income_per_head_fen(h.income_per_head_fen());
  row.set_exit_application_id(h.exit_application_id());
  row.set_reversal_reference(h.reversal_reference());
  row.set_etag(common::EtagOf(version));
  *row.mutable_update_time() = h.update_time();
}
inline void ApplyHouseholdMove(const v1::Household& moved, int64_t version, absl::Time now,
                               v1::Household& row) {
  row.set_village_code(moved.village_code());
  row.set_etag(common::EtagOf(version));
  *row.mutable_update_time() = common::ToTimestamp(now);
}

class PersonnelStore : public common::TransactionalStore<PersonnelTx> {
 public:

  // Mutations: RunMutation and Mutate (common::TransactionalStore) over a PersonnelTx.

  virtual absl::StatusOr<std::optional<v1::Region>> GetRegion(const std::string& code) = 0;
  // The direct children of `parent_code` in the tree at `as_of`, sorted by code.
  virtual absl::StatusOr<std::vector<v1::Region>> ListRegions(const std::string& parent_code,
                                                              absl::Time as_of,
                                                              const PageRequest& page) = 0;

  // With its members (personal data decrypted).
  virtual absl::StatusOr<std::optional<v1::Household>> GetHousehold(const std::string& id) = 0;
  // As PersonnelTx::LockHouseholdsByNumber, without locks (an import's dry run).
  virtual absl::StatusOr<std::vector<v1::Household>> FindHouseholdsByNumber(
      const std::vector<std::string>& numbers) = 0;
  // Sorted by (village_code, id); `status` 0 means any. With their members (personal data
  // decrypted).
  virtual absl::StatusOr<std::vector<v1::Household>> ListHouseholds(
      const std::string& region_prefix, int status, const PageRequest& page) = 0;

  // History (PersonnelTx records the versions). The version of the household in force at
  // `as_of`; none before its first version.
  virtual absl::StatusOr<std::optional<v1::HouseholdVersion>> GetHouseholdVersion(
      const std::string& id, absl::Time as_of) = 0;
  // The versions in force at `as_of` of the households then in the region (by the
  // version's village), `status` 0 any, sorted by (village_code, household id).
  virtual absl::StatusOr<std::vector<v1::HouseholdVersion>> ListHouseholdVersions(
      const std::string& region_prefix, int status, absl::Time as_of, const PageRequest& page) = 0;
  // A household's versions, oldest first; the page key is the version number.
  virtual absl::StatusOr<std::vector<v1::HouseholdVersion>> GetHouseholdHistory(
      const std::string& id, const PageRequest& page) = 0;

  virtual absl::StatusOr<std::optional<v1::Cadre>> GetCadre(const std::string& id) = 0;
  // Sorted by (managing_region_code, id); `origin_level` 0 means any.
  virtual absl::StatusOr<std::vector<v1::Cadre>> ListCadres(const std::string& region_prefix,
                                                            int origin_level,
                                                            const PageRequest& page) = 0;

  virtual absl::StatusOr<std::optional<v1::Posting>> GetPosting(const std::string& id) = 0;
  // Exactly one of cadre_id / region_prefix is set. Sorted by id.
  virtual absl::StatusOr<std::vector<v1::Posting>> ListPostings(const std::string& cadre_id,
                                                                const std::string& region_prefix,
                                                                bool active_only,
                                                                const PageRequest& page) = 0;

  virtual absl::StatusOr<std::optional<v1::Pairing>> GetPairing(const std::string& id) = 0;
  // Exactly one of the three filters is set. Sorted by id.
  virtual absl::StatusOr<std::vector<v1::Pairing>> ListPairings(const std::string& cadre_id,
                                                                const std::string& household_id,
                                                                const std::string& region_prefix,
                                                                bool active_only,
                                                                const PageRequest& page) = 0;

  // One entry per (day, village) with a check-in of the cadre in [from, to], sorted by day;
  // verified when one of them was verified by inspection.
  virtual absl::StatusOr<std::vector<CheckInDay>> ListCheckInDays(const std::string& cadre_id,
                                                                  absl::CivilDay from,
                                                                  absl::CivilDay to) = 0;

  // Coverage reporting over the same data.
  virtual CoverageStore& coverage() = 0;
};

}  // namespace tuopin::personnel
