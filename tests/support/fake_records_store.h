#pragma once
// An in-memory RecordsStore (services/accountability/records_store.h) for unit tests of
// the records logic. It keeps what the MySQL store keeps (inspections with their frozen
// population and drawn sample, visits, findings, orders with their findings and tasks,
// actions), pages and filters as it does, and follows RunMutation's contract (replays by
// request id, an audit event per committed mutation: tests/support/fake_mutations.h).

#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "services/accountability/records_store.h"
#include "tests/support/fake_mutations.h"

namespace tuopin::testing {

namespace acc = tuopin::accountability;

class FakeRecordsStore final : public acc::RecordsStore {
 public:
  std::map<std::string, acc::v1::Inspection> inspections;
  std::map<std::string, std::vector<std::string>> populations;  // inspection id -> sorted ids
  std::map<std::string, std::vector<std::string>> samples;      // inspection id -> draw order
  std::vector<acc::v1::Visit> visits;
  std::map<std::string, acc::v1::Finding> findings;
  std::map<std::string, acc::v1::RectificationOrder> orders;
  std::map<std::string, acc::v1::AccountabilityAction> actions;
  // RunMutation's records and the audit events of committed mutations.
  FakeMutations mutations;

  absl::Status CreateInspection(const acc::MutationContext& ctx, const acc::v1::Inspection& in,
                                const std::vector<std::string>& population,
                                acc::v1::Inspection& out) override;
  absl::StatusOr<std::optional<acc::v1::Inspection>> GetInspection(const std::string& id) override;
  absl::StatusOr<std::vector<std::string>> Population(const std::string& inspection_id) override;
  absl::Status SaveSample(const acc::MutationContext& ctx, const std::string& inspection_id,
                          const SampleDraw& draw, acc::v1::Sample& out) override;
  absl::StatusOr<bool> InSample(const std::string& inspection_id,
                                const std::string& household_id) override;
  absl::Status RecordVisit(const acc::MutationContext& ctx, const acc::v1::Visit& visit,
                           acc::v1::Visit& out) override;
  absl::Status CreateFinding(const acc::MutationContext& ctx, const acc::v1::Finding& f,
                             acc::v1::Finding& out) override;
  absl::StatusOr<std::vector<acc::v1::Finding>> GetFindings(
      const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<acc::v1::Finding>> ListFindings(const std::string& region_prefix,
                                                             const std::string& inspection_id,
                                                             const std::string& cadre_id,
                                                             const acc::PageRequest& page) override;
  absl::StatusOr<acc::v1::RegionSummary> Summarize(const std::string& region_prefix,
                                                   absl::CivilDay today) override;
  absl::Status CreateOrder(const acc::MutationContext& ctx,
                           const acc::v1::RectificationOrder& order,
                           acc::v1::RectificationOrder& out) override;
  absl::StatusOr<std::optional<acc::v1::RectificationOrder>> GetOrder(
      const std::string& id) override;
  absl::Status ChangeOrder(const acc::MutationContext& ctx, const std::string& id,
                           const OrderChange& change, acc::v1::RectificationOrder& out) override;
  absl::StatusOr<std::vector<acc::v1::RectificationOrder>> ListOrders(
      const std::string& region_prefix, int status, const acc::PageRequest& page) override;
  absl::Status CreateAction(const acc::MutationContext& ctx, const acc::v1::AccountabilityAction& a,
                            acc::v1::AccountabilityAction& out) override;
  absl::StatusOr<std::vector<acc::v1::AccountabilityAction>> ListActions(
      const std::string& region_prefix, const std::string& cadre_id,
      const acc::PageRequest& page) override;

 private:
  common::SequentialIdGenerator ids_{"rec-"};
};

}  // namespace tuopin::testing
