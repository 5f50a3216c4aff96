#pragma once
// An in-memory PersonnelStore (and its CoverageStore) for logic unit tests: the same
// contract as MysqlPersonnelStore without a database. Mutations keep RunMutation's frame:
// a request id already recorded replays the stored response (or is refused for another
// request), a failing body leaves no trace (the data is restored), and a committed one
// records its response and appends its audit event to `outbox`. The unique keys the
// database enforces (employee number, one active posting per cadre, one active first
// secretary per village, one active pairing per household) are enforced here too.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "services/personnel/personnel_store.h"

namespace tuopin::testing {

namespace personnel_v1 = tuopin::personnel::v1;

// The stored rows, public so tests seed and inspect them directly.
struct PersonnelData {
  struct CheckInRow {
    personnel_v1::CheckIn checkin;
    absl::CivilDay day;
  };
  std::map<std::string, personnel_v1::Region> regions;
  std::map<std::string, personnel_v1::Household> households;
  std::map<std::string, personnel_v1::Cadre> cadres;
  std::map<std::string, personnel_v1::Posting> postings;
  std::map<std::string, personnel_v1::Pairing> pairings;
  std::vector<CheckInRow> checkins;
  std::map<std::string, personnel::VillageCoverage> coverage_summary;
  absl::Time summary_computed_at;
};

class FakeCoverageStore final : public personnel::CoverageStore {
 public:
  explicit FakeCoverageStore(PersonnelData& data) : data_(data) {}

  absl::StatusOr<personnel_v1::Coverage> GetCoverage(const personnel::CoverageQuery& q) override;
  absl::StatusOr<personnel_v1::Coverage> GetCoverageCounts(
      const personnel::CoverageQuery& q) override;
  absl::Status RefreshCoverageSummary(absl::Time stale_before, int pairing_limit,
                                      absl::Time now) override;

 private:
  PersonnelData& data_;
};

class FakePersonnelStore final : public personnel::PersonnelStore {
 public:
  FakePersonnelStore() : coverage_(data) {}

  PersonnelData data;
  // Audit events of committed mutations, in commit order.
  std::vector<tuopin::common::v1::AuditEvent> outbox;
  // Mutations answered from the idempotency record.
  int replays = 0;
  // Transactions opened by RunMutation (replays open none).
  int transactions = 0;

  absl::Status RunMutation(const personnel::MutationContext& ctx, const TxBody& body,
                           google::protobuf::Message& response) override;

  absl::StatusOr<std::optional<personnel_v1::Region>> GetRegion(const std::string& code) override;
  absl::StatusOr<std::vector<personnel_v1::Region>> ListRegions(
      const std::string& parent_code, const personnel::PageRequest& page) override;
  absl::StatusOr<std::optional<personnel_v1::Household>> GetHousehold(
      const std::string& id) override;
  absl::StatusOr<std::vector<personnel_v1::Household>> ListHouseholds(
      const std::string& region_prefix, int status, const personnel::PageRequest& page) override;
  absl::StatusOr<std::optional<personnel_v1::Cadre>> GetCadre(const std::string& id) override;
  absl::StatusOr<std::vector<personnel_v1::Cadre>> ListCadres(
      const std::string& region_prefix, int origin_level,
      const personnel::PageRequest& page) override;
  absl::StatusOr<std::optional<personnel_v1::Posting>> GetPosting(const std::string& id) override;
  absl::StatusOr<std::vector<personnel_v1::Posting>> ListPostings(
      const std::string& cadre_id, const std::string& region_prefix, bool active_only,
      const personnel::PageRequest& page) override;
  absl::StatusOr<std::optional<personnel_v1::Pairing>> GetPairing(const std::string& id) override;
  absl::StatusOr<std::vector<personnel_v1::Pairing>> ListPairings(
      const std::string& cadre_id, const std::string& household_id,
      const std::string& region_prefix, bool active_only,
      const personnel::PageRequest& page) override;
  absl::StatusOr<std::vector<personnel::CheckInDay>> ListCheckInDays(const std::string& cadre_id,
                                                                     absl::CivilDay from,
                                                                     absl::CivilDay to) override;
  personnel::CoverageStore& coverage() override { return coverage_; }

 private:
  struct Record {
    std::string method, request_sha256, response;
  };
  common::SequentialIdGenerator ids_{"fake-"};
  std::map<std::pair<std::string, std::string>, Record> idempotency_;
  FakeCoverageStore coverage_;
};

}  // namespace tuopin::testing
