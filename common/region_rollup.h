#pragma once
// Roll-ups kept per region at every level (village, township, county, prefecture,
// province), refreshed incrementally. A roll-up table is (level, region_code,
// <key columns>, <summed columns>) with primary key (level, region_code, <key columns>).
// The service writes level 0 rows: what is attached to a region code itself (a village's
// tasks, a township's pool account), recomputed for the codes written since the last
// pass. RefreshRollup then recomputes each of those codes and their ancestors, level by
// level (villages first), from the region's own rows and its direct children's rows, so
// that a region's answer is a read of its own rows (level = its level) whatever the
// number of villages, tasks or accounts under it. The pass's watermark is a row of
// rollup_state (name, refreshed_at, as_of_day), locked for the pass so that two replicas
// never refresh at once.

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/db.h"

namespace tuopin::common {

struct RollupTable {
  std::string name;
  // Comma-separated: the columns a region's rows are grouped by, and those summed.
  std::string keys;
  std::vector<std::string> sums;
};

struct RollupMark {
  // Unset before the first pass.
  std::optional<absl::Time> refreshed_at;
  absl::CivilDay as_of_day;
};
// What a service tells RefreshRollup: the codes whose own rows changed since the last
// pass (written since, or time-dependent values crossing a bound), and how to write the
// own rows (level 0) of some codes, or of every code when `codes` is null, returning the
// codes it wrote rows for.
using ChangedCodesFn = std::function<std::set<std::string>(DbSession& s, const RollupMark& last)>;
using WriteOwnRowsFn =
    std::function<std::set<std::string>(DbSession& s, const std::vector<std::string>* codes)>;

// Without a lock: what a reader reports as its answer's as-of time.
RollupMark ReadRollupMark(DbSession& s, absl::string_view name);

// One pass, in one transaction with the mark `name` locked: the first pass (no mark yet)
// or one with `everything` rewrites every row; another rewrites the own rows of the
// changed codes (in chunks of 256). Then the regions of every level above those codes,
// and the codes themselves, are recomputed from their own and their children's rows
// (children first), and the mark becomes `next`.
absl::Status RefreshRollup(ConnectionPool& pool, const RollupTable& t, absl::string_view name,
                           const RollupMark& next, bool everything, const ChangedCodesFn& changed,
                           const WriteOwnRowsFn& write_own);

// A refresher's settings (flags --rollup_refresh_interval, --rollup_overlap,
// --rollup_full_refresh_interval; TUOPIN_ROLLUP_... in the environment).
struct RollupOptions {
  // How often a pass runs.
  absl::Duration interval = absl::Seconds(10);
  // A pass looks for writes from this long before the last pass's time: a write whose
  // transaction commits later than this after its update time waits for a full pass.
  absl::Duration overlap = absl::Seconds(60);
  // How often a pass recomputes every village instead (also the first pass of a process).
  absl::Duration full_every = absl::Hours(1);
};
// --rollup_*; INVALID_ARGUMENT naming the flag when one is out of range (the binary then
// refuses to start).
absl::StatusOr<RollupOptions> RollupOptionsFromFlags();

// The refresher's schedule: a pass is full (every region recomputed) the first time in a
// process, then every `full_every`. Only the timer runs passes; a read before any pass
// ever committed gets nullopt and its caller sums at the call.
class RollupRefresher {
 public:
  using PassFn = std::function<absl::Status(absl::Time now, bool everything)>;
  using ReadFn = std::function<absl::StatusOr<std::optional<absl::Time>>()>;
  RollupRefresher(RollupOptions options, PassFn pass) : options_(options), pass_(std::move(pass)) {}
  const RollupOptions& options() const { return options_; }
  // One pass at `now`.
  absl::Status Pass(absl::Time now);
  // The as-of time of what `read` read; nullopt when the roll-up was never refreshed
  // (what was read is then nothing: the caller sums at the call).
  absl::StatusOr<std::optional<absl::Time>> Read(const ReadFn& read);

 private:
  RollupOptions options_;
  PassFn pass_;
  absl::Mutex mu_;
  std::optional<absl::Time> last_full_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tuopin::common
