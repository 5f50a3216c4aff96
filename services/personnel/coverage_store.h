#pragma once
// Coverage reporting over the personnel database: counts and lists per region, and the
// per-village summary behind counts_only answers. Read-only over the entities; the
// summary is the only table it writes.

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::personnel {

struct CoverageQuery {
  std::string region_code;
  // A posted cadre without a check-in since then is stale.
  absl::Time stale_before;
  // A cadre answering for more households than this is over the limit.
  int pairing_limit = 10;
  // Most ids listed per list of the answer.
  int max_listed = 1000;
};

// One village's coverage counts: a row of the per-village summary.
struct VillageCoverage {
  int64_t registered_poor = 0, unpaired_poor = 0, cadres_over_limit = 0, home_village_postings = 0,
          stale_cadres = 0;
  bool first_secretary = false;
};

// The counts of a Coverage answer, summed over villages.
struct CoverageCounts {
  int64_t villages = 0, registered_poor = 0, unpaired_poor = 0, without_first_secretary = 0,
          cadres_over_limit = 0, home_village_postings = 0, stale_cadres = 0;

  void Add(const VillageCoverage& v);
  // Sets the count fields of `c` (the lists are the store's).
  void SetOn(v1::Coverage& c) const;
};

// The counts of every region at every level (villages included) that has a village of
// `villages` (keyed by village code): what a counts_only answer of each region sums.
std::map<std::string, CoverageCounts> RollUpCoverage(
    const std::map<std::string, VillageCoverage>& villages);

class CoverageStore {
 public:
  virtual ~CoverageStore() = default;

  // Counts and lists of the region, from one consistent snapshot.
  virtual absl::StatusOr<v1::Coverage> GetCoverage(const CoverageQuery& query) = 0;
  // Counts only, summed from the per-village summary; as_of unset when there is none.
  virtual absl::StatusOr<v1::Coverage> GetCoverageCounts(const CoverageQuery& query) = 0;
  // Recomputes every village's summary row as of `now`.
  virtual absl::Status RefreshCoverageSummary(absl::Time stale_before, int pairing_limit,
                                              absl::Time now) = 0;
  // Whether any mutation of the service was made at or after `since` (every mutation
  // leaves its idempotency record, stamped with the call's time): when none was, what the
  // summary counts has not changed. True when the store cannot tell.
  virtual absl::StatusOr<bool> WrittenSince(absl::Time since) { return true; }
};

}  // namespace tuopin::personnel
