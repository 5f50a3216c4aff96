#pragma once
// ExitCriteriaStore (and so PovertyStandards) over MySQL/MariaDB: the poverty_standards and
// village_profiles tables, and grouped reads of the personnel tables.

#include "common/clock.h"
#include "common/db.h"
#include "services/personnel/exit_criteria_store.h"

namespace tuopin::personnel {

class MysqlExitCriteriaStore final : public ExitCriteriaStore {
 public:
  MysqlExitCriteriaStore(common::ConnectionPool& pool, common::IdGenerator& ids)
      : pool_(pool), ids_(ids) {}

  absl::Status RunMutation(const MutationContext& ctx, const TxBody& body,
                           google::protobuf::Message& response) override;
  absl::StatusOr<std::optional<v1::PovertyStandard>> GetStandard(
      int32_t year, const std::string& province_code) override;
  absl::StatusOr<std::optional<v1::PovertyStandard>> LatestStandard(
      int32_t up_to_year, const std::string& province_code) override;
  absl::StatusOr<std::optional<v1::Region>> GetRegion(const std::string& code) override;
  absl::StatusOr<RegionRegister> GetRegionRegister(const std::string& region_code,
                                                   int max_villages) override;

 private:
  common::ConnectionPool& pool_;
  common::IdGenerator& ids_;
};

}  // namespace tuopin::personnel
