#pragma once
// The personnel store: the only interface through which the logic reaches persistent
// state. Mutations take a MutationContext and are idempotent and audited (they run
// through common::RunMutation). The MySQL implementation is the only place with SQL.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/mutation.h"
#include "common/page_token.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::personnel {

using common::MutationContext;

using common::PageRequest;

struct CheckInDay {
  absl::CivilDay day;
  std::string village_code;
  bool verified = false;
};

struct CoverageQuery {
  std::string region_code;
  absl::Time stale_before;
  int pairing_limit = 10;
  int max_listed = 1000;
};

class PersonnelStore {
 public:
  virtual ~PersonnelStore() = default;

  virtual absl::Status ImportRegions(const MutationContext& ctx,
                                     const std::vector<v1::Region>& regions,
                                     v1::ImportRegionsResponse& out) = 0;
  virtual absl::StatusOr<std::optional<v1::Region>> GetRegion(const std::string& code) = 0;
  virtual absl::StatusOr<std::vector<v1::Region>> ListRegions(const std::string& parent_code,
                                                              const PageRequest& page) = 0;

  virtual absl::Status CreateHousehold(const MutationContext& ctx, const v1::Household& household,
                                       v1::Household& out) = 0;
  virtual absl::StatusOr<std::optional<v1::Household>> GetHousehold(const std::string& id) = 0;
  // Sorted by (village_code, id); `status` 0 means any.
  virtual absl::StatusOr<std::vector<v1::Household>> ListHouseholds(
      const std::string& region_prefix, int status, const PageRequest& page) = 0;
  // Reads the household under lock, checks the etag (when given), lets `apply` change it,
  // and writes it back with a new version.
  using HouseholdUpdate = std::function<absl::Status(v1::Household&)>;
  virtual absl::Status UpdateHousehold(const MutationContext& ctx, const std::string& id,
                                       const std::string& etag, const HouseholdUpdate& apply,
                                       v1::Household& out) = 0;

  // ALREADY_EXISTS when the employee number is taken.
  virtual absl::Status CreateCadre(const MutationContext& ctx, const v1::Cadre& cadre,
                                   v1::Cadre& out) = 0;
  virtual absl::StatusOr<std::optional<v1::Cadre>> GetCadre(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<v1::Cadre>> ListCadres(const std::string& region_prefix,
                                                            int origin_level,
                                                            const PageRequest& page) = 0;
  using CadreUpdate = std::function<absl::Status(v1::Cadre&)>;
  virtual absl::Status UpdateCadre(const MutationContext& ctx, const std::string& id,
                                   const std::string& etag, const CadreUpdate& apply,
                                   v1::Cadre& out) = 0;

  // FAILED_PRECONDITION when the cadre already has an active posting or the village an
  // active first secretary (enforced by the database, so also under races).
  virtual absl::Status CreatePosting(const MutationContext& ctx, const v1::Posting& posting,
                                     v1::Posting& out) = 0;
  virtual absl::StatusOr<std::optional<v1::Posting>> GetPosting(const std::string& id) = 0;
  virtual absl::Status EndPosting(const MutationContext& ctx, const std::string& id,
                                  absl::CivilDay end_date, const std::string& reason,
                                  v1::Posting& out) = 0;
  // Exactly one of cadre_id / region_prefix is set. Sorted by id.
  virtual absl::StatusOr<std::vector<v1::Posting>> ListPostings(const std::string& cadre_id,
                                                                const std::string& region_prefix,
                                                                bool active_only,
                                                                const PageRequest& page) = 0;

  // FAILED_PRECONDITION when the household already has a responsible cadre or the cadre
  // already answers for `limit` households (checked under a lock on the cadre).
  virtual absl::Status CreatePairing(const MutationContext& ctx, const v1::Pairing& pairing,
                                     int limit, v1::Pairing& out) = 0;
  virtual absl::StatusOr<std::optional<v1::Pairing>> GetPairing(const std::string& id) = 0;
  virtual absl::Status EndPairing(const MutationContext& ctx, const std::string& id,
                                  v1::Pairing& out) = 0;
  // Exactly one of the three filters is set. Sorted by id.
  virtual absl::StatusOr<std::vector<v1::Pairing>> ListPairings(const std::string& cadre_id,
                                                                const std::string& household_id,
                                                                const std::string& region_prefix,
                                                                bool active_only,
                                                                const PageRequest& page) = 0;

  virtual absl::Status RecordCheckIn(const MutationContext& ctx, const v1::CheckIn& checkin,
                                     absl::CivilDay day, v1::CheckIn& out) = 0;
  virtual absl::StatusOr<std::vector<CheckInDay>> ListCheckInDays(const std::string& cadre_id,
                                                                  absl::CivilDay from,
                                                                  absl::CivilDay to) = 0;

  virtual absl::StatusOr<v1::Coverage> GetCoverage(const CoverageQuery& query) = 0;
  // Counts only, summed from the per-village summary (computed now if there is none).
  virtual absl::StatusOr<v1::Coverage> GetCoverageCounts(const CoverageQuery& query) = 0;
  // Recomputes every village's summary row as of `now`.
  virtual absl::Status RefreshCoverageSummary(absl::Time stale_before, int pairing_limit,
                                              absl::Time now) = 0;
};

}  // namespace tuopin::personnel
