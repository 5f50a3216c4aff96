#pragma once
// Utilisation rolled up per region at every level (village to province), so that
// GetUtilization with from_summary reads a region's own rows instead of its accounts.
// Refreshed incrementally by a periodic pass.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tuopin/funds/v1/funds.pb.h"

namespace tuopin::funds {

class UtilizationRollupStore {
 public:
  virtual ~UtilizationRollupStore() = default;
  // Recomputes the rows of every region code with an account written since the last
  // pass's `now` less `overlap`, or with a project account idle at `now - idle_after` but
  // not at the last pass's `now - idle_after`, then those codes' ancestors. The first
  // pass, and one with `everything`, recomputes every code. Idle money is
  // MysqlFundsStore::Utilization's with the cut-off `now - idle_after`.
  virtual absl::Status Refresh(absl::Time now, absl::Duration idle_after, absl::Duration overlap,
                               bool everything) = 0;
  // Utilization's answer for the region (appropriated, allocated, disbursed, idle; per
  // sector when by_sector; of one sector when `sector` is set; no rates) and the time
  // of the pass it is as of (at least); nullopt before the first pass.
  virtual absl::StatusOr<std::optional<absl::Time>> Read(const std::string& region_code, int sector,
                                                         bool by_sector, v1::Utilization& out) = 0;
};

}  // namespace tuopin::funds
