#pragma once
// PersonnelStore over MySQL/MariaDB.

#include "common/clock.h"
#include "common/db.h"
#include "services/personnel/personnel_store.h"

namespace tuopin::personnel {

class MysqlPersonnelStore final : public PersonnelStore {
 public:
  MysqlPersonnelStore(common::ConnectionPool& pool, common::IdGenerator& ids);

  // "520221104001" -> "520221104"; "" for a province.
  static std::string ParentCode(const std::string& code);

  absl::Status ImportRegions(const MutationContext& ctx, const std::vector<v1::Region>& regions,
                             v1::ImportRegionsResponse& out) override;
  absl::StatusOr<std::optional<v1::Region>> GetRegion(const std::string& code) override;
  absl::StatusOr<std::vector<v1::Region>> ListRegions(const std::string& parent_code,
                                                      const PageRequest& page) override;
  absl::Status CreateHousehold(const MutationContext& ctx, const v1::Household& household,
                               v1::Household& out) override;
  absl::StatusOr<std::optional<v1::Household>> GetHousehold(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Household>> ListHouseholds(const std::string& region_prefix,
                                                            int status,
                                                            const PageRequest& page) override;
  absl::Status UpdateHousehold(const MutationContext& ctx, const std::string& id,
                               const std::string& etag, const HouseholdUpdate& apply,
                               v1::Household& out) override;
  absl::Status CreateCadre(const MutationContext& ctx, const v1::Cadre& cadre,
                           v1::Cadre& out) override;
  absl::StatusOr<std::optional<v1::Cadre>> GetCadre(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Cadre>> ListCadres(const std::string& region_prefix,
                                                    int origin_level,
                                                    const PageRequest& page) override;
  absl::Status UpdateCadre(const MutationContext& ctx, const std::string& id,
                           const std::string& etag, const CadreUpdate& apply,
                           v1::Cadre& out) override;
  absl::Status CreatePosting(const MutationContext& ctx, const v1::Posting& posting,
                             v1::Posting& out) override;
  absl::StatusOr<std::optional<v1::Posting>> GetPosting(const std::string& id) override;
  absl::Status EndPosting(const MutationContext& ctx, const std::string& id,
                          absl::CivilDay end_date, const std::string& reason,
                          v1::Posting& out) override;
  absl::StatusOr<std::vector<v1::Posting>> ListPostings(const std::string& cadre_id,
                                                        const std::string& region_prefix,
                                                        bool active_only,
                                                        const PageRequest& page) override;
  absl::Status CreatePairing(const MutationContext& ctx, const v1::Pairing& pairing, int limit,
                             v1::Pairing& out) override;
  absl::StatusOr<std::optional<v1::Pairing>> GetPairing(const std::string& id) override;
  absl::Status EndPairing(const MutationContext& ctx, const std::string& id,
                          v1::Pairing& out) override;
  absl::StatusOr<std::vector<v1::Pairing>> ListPairings(const std::string& cadre_id,
                                                        const std::string& household_id,
                                                        const std::string& region_prefix,
                                                        bool active_only,
                                                        const PageRequest& page) override;
  absl::Status RecordCheckIn(const MutationContext& ctx, const v1::CheckIn& checkin,
                             absl::CivilDay day, v1::CheckIn& out) override;
  absl::StatusOr<std::vector<CheckInDay>> ListCheckInDays(const std::string& cadre_id,
                                                          absl::CivilDay from,
                                                          absl::CivilDay to) override;
  absl::StatusOr<v1::Coverage> GetCoverage(const CoverageQuery& query) override;
  absl::StatusOr<v1::Coverage> GetCoverageCounts(const CoverageQuery& query) override;
  absl::Status RefreshCoverageSummary(absl::Time stale_before, int pairing_limit,
                                      absl::Time now) override;

 private:
  common::ConnectionPool& pool_;
  common::IdGenerator& ids_;
};

}  // namespace tuopin::personnel
