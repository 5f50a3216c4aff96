#pragma once
// An in-memory ExitCriteriaStore for logic unit tests: the same contract as
// MysqlExitCriteriaStore without a database. Mutations keep RunMutation's frame
// (tests/support/fake_mutations.h): a replayed request id answers the stored response, a
// failing body leaves no trace, a committed one appends its audit event to `outbox()`.
// Header-only; also the sample standard and services the exit tests share.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "common/status.h"
#include "services/personnel/exit_criteria_store.h"
#include "tests/support/fake_mutations.h"

namespace tuopin::testing {

// Guizhou's 2019 figures (3 % for a village and for a county, the west's), for tests.
inline personnel::v1::PovertyStandard SamplePovertyStandard(int32_t year = 2019,
                                                            const std::string& province = "52") {
  personnel::v1::PovertyStandard s;
  s.set_year(year);
  s.set_province_code(province);
  s.set_poverty_line_fen(368000);
  s.set_village_incidence_max_bp(300);
  s.set_county_incidence_max_bp(300);
  s.set_wrongful_exit_max_bp(200);
  s.set_missed_max_bp(200);
  s.set_approval_min_bp(9000);
  s.set_notice_days(7);
  s.set_source("Guizhou poverty alleviation office, 2019-03");
  return s;
}

// A village with every basic service.
inline personnel::v1::VillageServices AllVillageServices() {
  personnel::v1::VillageServices s;
  const auto* descriptor = s.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    s.GetReflection()->SetBool(&s, descriptor->field(i), true);
  }
  return s;
}

// The stored rows, public so tests seed and inspect them directly.
struct ExitCriteriaData {
  std::map<std::string, personnel::v1::Region> regions;
  std::map<std::string, personnel::v1::Household> households;
  std::map<std::pair<int32_t, std::string>, personnel::v1::PovertyStandard> standards;
  std::map<std::string, personnel::v1::VillageProfile> profiles;
};

class FakeExitCriteriaStore final : public personnel::ExitCriteriaStore {
 public:
  ExitCriteriaData data;
  // Calls of GetRegionRegister.
  int register_reads = 0;

  std::vector<tuopin::common::v1::AuditEvent>& outbox() { return mutations_.events; }

  absl::Status RunMutation(const personnel::MutationContext& ctx, const TxBody& body,
                           google::protobuf::Message& response) override {
    ExitCriteriaData saved = data;
    Tx tx(data);
    absl::Status status = mutations_.Run<google::protobuf::Message>(
        ctx, [&](google::protobuf::Message& m) { return body(tx, m); }, response);
    if (!status.ok()) data = std::move(saved);
    return status;
  }

  absl::StatusOr<std::optional<personnel::v1::PovertyStandard>> GetStandard(
      int32_t year, const std::string& province_code) override {
    auto it = data.standards.find({year, province_code});
    if (it == data.standards.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::optional<personnel::v1::PovertyStandard>> LatestStandard(
      int32_t up_to_year, const std::string& province_code) override {
    std::optional<personnel::v1::PovertyStandard> out;
    for (const auto& [key, s] : data.standards) {
      if (key.second == province_code && key.first <= up_to_year) out = s;  // in year order
    }
    return out;
  }

  absl::StatusOr<std::optional<personnel::v1::Region>> GetRegion(const std::string& code) override {
    auto it = data.regions.find(code);
    if (it == data.regions.end()) return std::nullopt;
    return it->second;
  }

  absl::StatusOr<personnel::RegionRegister> GetRegionRegister(const std::string& region_code,
                                                              int max_villages) override {
    ++register_reads;
    personnel::RegionRegister out;
    for (const auto& [code, region] : data.regions) {
      if (static_cast<int>(out.villages.size()) >= max_villages) break;
      if (region.level() == personnel::v1::REGION_LEVEL_VILLAGE && !region.has_valid_to() &&
          absl::StartsWith(code, region_code)) {
        out.villages.push_back(code);
      }
    }
    std::map<std::pair<std::string, int>, personnel::VillageStatusCount> grouped;
    for (const auto& [id, h] : data.households) {
      if (!absl::StartsWith(h.village_code(), region_code)) continue;
      auto& row = grouped[{h.village_code(), h.status()}];
      row.village_code = h.village_code();
      row.status = h.status();
      row.people += h.member_count();
      row.households += 1;
    }
    for (auto& [key, row] : grouped) out.counts.push_back(std::move(row));
    for (const auto& [code, profile] : data.profiles) {
      if (absl::StartsWith(code, region_code)) out.profiles.push_back(profile);
    }
    return out;
  }

 private:
  class Tx final : public personnel::ExitCriteriaTx {
   public:
    explicit Tx(ExitCriteriaData& data) : data_(data) {}
    void PutStandard(const personnel::v1::PovertyStandard& s) override {
      data_.standards[{s.year(), s.province_code()}] = s;
    }
    void PutVillageProfile(const personnel::v1::VillageProfile& p) override {
      data_.profiles[p.village_code()] = p;
    }

   private:
    ExitCriteriaData& data_;
  };

  FakeMutations mutations_;
};

}  // namespace tuopin::testing
