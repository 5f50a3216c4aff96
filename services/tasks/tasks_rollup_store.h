#pragma once
// The sector progress rolled up per region at every level (village to province), so that
// GetSectorProgress with from_summary reads a region's own rows (or its children's)
// instead of its tasks. Refreshed incrementally by a periodic pass.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/tasks/tasks_store.h"

namespace tuopin::tasks {

class SectorRollupStore {
 public:
  virtual ~SectorRollupStore() = default;
  // Recomputes the rows of every village with a task updated since the last pass's `now`
  // less `overlap` (writes that committed late) or with an unfinished task due in
  // [the last pass's day, today) (newly overdue), then those villages' ancestors. The
  // first pass, and one with `everything`, recomputes every village. Counts are
  // CountBySector's as of `today`.
  virtual absl::Status Refresh(absl::Time now, absl::CivilDay today, absl::Duration overlap,
                               bool everything) = 0;
  // CountBySector's rows from the roll-up, and the time of the pass they are as of (at
  // least); nullopt before the first pass.
  virtual absl::StatusOr<std::optional<absl::Time>> Read(const std::string& campaign_id, int stage,
                                                         const std::string& region_prefix,
                                                         size_t child_len,
                                                         std::vector<SectorCount>& out) = 0;
};

}  // namespace tuopin::tasks
