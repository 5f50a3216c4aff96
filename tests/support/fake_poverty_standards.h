#pragma once
// In-memory PovertyStandards for logic tests.

#include <map>
#include <utility>

#include "services/personnel/poverty_standards.h"

namespace tuopin::testing {

class FakePovertyStandards final : public personnel::PovertyStandards {
 public:
  void Put(const personnel::v1::PovertyStandard& s) {
    standards_[{s.year(), s.province_code()}] = s;
  }
  absl::StatusOr<std::optional<personnel::v1::PovertyStandard>> GetStandard(
      int32_t year, const std::string& province_code) override {
    auto it = standards_.find({year, province_code});
    if (it == standards_.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::optional<personnel::v1::PovertyStandard>> LatestStandard(
      int32_t up_to_year, const std::string& province_code) override {
    std::optional<personnel::v1::PovertyStandard> out;
    for (const auto& [key, s] : standards_) {
      if (key.second == province_code && key.first <= up_to_year) out = s;  // in year order
    }
    return out;
  }

 private:
  std::map<std::pair<int32_t, std::string>, personnel::v1::PovertyStandard> standards_;
};

}  // namespace tuopin::testing
