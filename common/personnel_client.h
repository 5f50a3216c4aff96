#pragma once
// What other services need to know from personnel, asked through the gateway with the
// calling service's own token (never by reading personnel's schema). An interface, so
// logic can be unit-tested with a fake.

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/gateway_client.h"
#include "tuopin/personnel/v1/exit.pb.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::common {

// A household as an assessment freezes it: where it lives, its status and its people.
struct HouseholdRecord {
  std::string id;
  std::string village_code;
  personnel::v1::HouseholdStatus status = personnel::v1::HOUSEHOLD_STATUS_UNSPECIFIED;
  int32_t member_count = 0;
};

class PersonnelDirectory {
 public:
  virtual ~PersonnelDirectory() = default;
  // OK when the code is an imported village still in the tree (FAILED_PRECONDITION,
  // REGION_RETIRED once merged or split).
  virtual absl::Status CheckVillage(const std::string& code) = 0;
  // The household's village; NOT_FOUND when personnel knows no such household. Asked with
  // the calling service's own principal (which sees every region): the caller's scope is
  // for the logic to check (common/scope.h RequireNamedObject).
  virtual absl::StatusOr<std::string> HouseholdVillage(const std::string& household_id) = 0;
  // The cadre's managing region (the region a cadre belongs to); NOT_FOUND when personnel
  // knows no such cadre.
  virtual absl::StatusOr<std::string> CadreRegion(const std::string& cadre_id) = 0;
  // Sets one indicator of a household to true; idempotent by request_id.
  virtual absl::Status SetIndicator(const std::string& household_id, const std::string& indicator,
                                    const std::string& request_id) = 0;
  // Ids of the registered poor households in a region's subtree, sorted.
  virtual absl::StatusOr<std::vector<std::string>> RegisteredHouseholds(
      const std::string& region_code) = 0;
  // OK when personnel knows the region; NOT_FOUND otherwise.
  virtual absl::Status CheckRegion(const std::string& code) = 0;
  // Every household in a region's subtree, whatever its status, sorted by id.
  virtual absl::StatusOr<std::vector<HouseholdRecord>> HouseholdsInRegion(
      const std::string& region_code) = 0;
  // The region's exit status computed now by the year's standard
  // (ExitCriteriaService.GetExitStatus); personnel's errors as they are.
  virtual absl::StatusOr<personnel::v1::ExitStatus> ExitStatus(const std::string& region_code,
                                                               int32_t year) = 0;
  // The standard of (year, province); NOT_FOUND when none is set.
  virtual absl::StatusOr<personnel::v1::PovertyStandard> PovertyStandard(
      int32_t year, const std::string& province_code) = 0;
  // Returns a wrongly exited household to the register (ExitService.ReverseExit);
  // idempotent by request_id. Personnel's errors as they are (NOT_EXITED, ...).
  virtual absl::StatusOr<personnel::v1::Household> ReverseExit(const std::string& household_id,
                                                               const std::string& reference,
                                                               const std::string& request_id) = 0;
};

class GatewayPersonnelDirectory final : public PersonnelDirectory {
 public:
  explicit GatewayPersonnelDirectory(const GatewayClient& client) : client_(client) {}
  absl::Status CheckVillage(const std::string& code) override;
  absl::StatusOr<std::string> HouseholdVillage(const std::string& household_id) override;
  absl::StatusOr<std::string> CadreRegion(const std::string& cadre_id) override;
  absl::Status SetIndicator(const std::string& household_id, const std::string& indicator,
                            const std::string& request_id) override;
  absl::StatusOr<std::vector<std::string>> RegisteredHouseholds(
      const std::string& region_code) override;
  absl::Status CheckRegion(const std::string& code) override;
  absl::StatusOr<std::vector<HouseholdRecord>> HouseholdsInRegion(
      const std::string& region_code) override;
  absl::StatusOr<personnel::v1::ExitStatus> ExitStatus(const std::string& region_code,
                                                       int32_t year) override;
  absl::StatusOr<personnel::v1::PovertyStandard> PovertyStandard(
      int32_t year, const std::string& province_code) override;
  absl::StatusOr<personnel::v1::Household> ReverseExit(const std::string& household_id,
                                                       const std::string& reference,
                                                       const std::string& request_id) override;

 private:
  const GatewayClient& client_;
  // Villages personnel confirmed as current. A village may leave the tree (MergeVillages,
  // SplitVillage), so an entry is trusted for kKnownVillageTtl only. Bounded; cleared when
  // full.
  static constexpr size_t kMaxKnownVillages = 1 << 17;
  absl::Mutex mu_;
  // A village merged or split after it was remembered is refused again once its entry is
  // older than this: the cache saves a call per task, not the rule.
  static constexpr absl::Duration kKnownVillageTtl = absl::Seconds(30);
  // Village code -> when it was last found current.
  absl::flat_hash_map<std::string, absl::Time> known_villages_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tuopin::common
