#pragma once
// Where the exit procedure reads the year's poverty standard from: the ExitCriteriaService's
// store implements it (mysql_exit_criteria_store), tests use tests/support/
// fake_poverty_standards.h.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "tuopin/personnel/v1/exit.pb.h"

namespace tuopin::personnel {

class PovertyStandards {
 public:
  virtual ~PovertyStandards() = default;
  // The standard of (year, province_code), nullopt when none is set.
  virtual absl::StatusOr<std::optional<v1::PovertyStandard>> GetStandard(
      int32_t year, const std::string& province_code) = 0;
  // The standard of the province with the greatest year at most `up_to_year` (the one in
  // force that year), nullopt when none is set.
  virtual absl::StatusOr<std::optional<v1::PovertyStandard>> LatestStandard(
      int32_t up_to_year, const std::string& province_code) = 0;
};

}  // namespace tuopin::personnel
