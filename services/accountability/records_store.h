#pragma once
// Storage of accountability records: inspections (with the population frozen at creation
// and the drawn sample), visits, findings, rectification orders and actions.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mutation.h"
#include "common/page_token.h"
#include "tuopin/accountability/v1/accountability.pb.h"

namespace tuopin::accountability {

using common::MutationContext;
using common::PageRequest;

class RecordsStore {
 public:
  virtual ~RecordsStore() = default;
  virtual absl::Status CreateInspection(const MutationContext& ctx, const v1::Inspection& in,
                                        const std::vector<std::string>& population,
                                        v1::Inspection& out) = 0;
  virtual absl::StatusOr<std::optional<v1::Inspection>> GetInspection(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<std::string>> Population(const std::string& inspection_id) = 0;
  // Under the inspection's lock, `draw` decides the sample of the inspection as stored
  // (or refuses it); the store saves it and marks the inspection revealed.
  using SampleDraw = std::function<absl::StatusOr<std::vector<std::string>>(const v1::Inspection&)>;
  virtual absl::Status SaveSample(const MutationContext& ctx, const std::string& inspection_id,
                                  const SampleDraw& draw, v1::Sample& out) = 0;
  virtual absl::StatusOr<bool> InSample(const std::string& inspection_id,
                                        const std::string& household_id) = 0;
  virtual absl::Status RecordVisit(const MutationContext& ctx, const v1::Visit& visit,
                                   v1::Visit& out) = 0;
  virtual absl::Status CreateFinding(const MutationContext& ctx, const v1::Finding& f,
                                     v1::Finding& out) = 0;
  virtual absl::StatusOr<std::vector<v1::Finding>> GetFindings(
      const std::vector<std::string>& ids) = 0;
  virtual absl::StatusOr<std::vector<v1::Finding>> ListFindings(const std::string& region_prefix,
                                                                const std::string& inspection_id,
                                                                const std::string& cadre_id,
                                                                const PageRequest& page) = 0;
  // Counts of the region's findings by sector and orders by state; `today` decides
  // which orders are overdue.
  virtual absl::StatusOr<v1::RegionSummary> Summarize(const std::string& region_prefix,
                                                      absl::CivilDay today) = 0;
  // The order carries its id (chosen by the logic), state, findings and tasks.
  virtual absl::Status CreateOrder(const MutationContext& ctx, const v1::RectificationOrder& order,
                                   v1::RectificationOrder& out) = 0;
  virtual absl::StatusOr<std::optional<v1::RectificationOrder>> GetOrder(const std::string& id) = 0;
  // Under the order's lock, `change` edits the order as stored (or refuses); the store
  // saves its state, reopen count, verifier and note.
  using OrderChange = std::function<absl::Status(v1::RectificationOrder&)>;
  virtual absl::Status ChangeOrder(const MutationContext& ctx, const std::string& id,
                                   const OrderChange& change, v1::RectificationOrder& out) = 0;
  virtual absl::StatusOr<std::vector<v1::RectificationOrder>> ListOrders(
      const std::string& region_prefix, int status, const PageRequest& page) = 0;
  virtual absl::Status CreateAction(const MutationContext& ctx, const v1::AccountabilityAction& a,
                                    v1::AccountabilityAction& out) = 0;
  virtual absl::StatusOr<std::vector<v1::AccountabilityAction>> ListActions(
      const std::string& region_prefix, const std::string& cadre_id, const PageRequest& page) = 0;
};

class MysqlRecordsStore final : public RecordsStore {
 public:
  MysqlRecordsStore(common::ConnectionPool& pool, common::IdGenerator& ids)
      : pool_(pool), ids_(ids) {}
  absl::Status CreateInspection(const MutationContext& ctx, const v1::Inspection& in,
                                const std::vector<std::string>& population,
                                v1::Inspection& out) override;
  absl::StatusOr<std::optional<v1::Inspection>> GetInspection(const std::string& id) override;
  absl::StatusOr<std::vector<std::string>> Population(const std::string& inspection_id) override;
  absl::Status SaveSample(const MutationContext& ctx, const std::string& inspection_id,
                          const SampleDraw& draw, v1::Sample& out) override;
  absl::StatusOr<bool> InSample(const std::string& inspection_id,
                                const std::string& household_id) override;
  absl::Status RecordVisit(const MutationContext& ctx, const v1::Visit& visit,
                           v1::Visit& out) override;
  absl::Status CreateFinding(const MutationContext& ctx, const v1::Finding& f,
                             v1::Finding& out) override;
  absl::StatusOr<std::vector<v1::Finding>> GetFindings(
      const std::vector<std::string>& ids) override;
  absl::StatusOr<v1::RegionSummary> Summarize(const std::string& region_prefix,
                                              absl::CivilDay today) override;
  absl::StatusOr<std::vector<v1::Finding>> ListFindings(const std::string& region_prefix,
                                                        const std::string& inspection_id,
                                                        const std::string& cadre_id,
                                                        const PageRequest& page) override;
  absl::Status CreateOrder(const MutationContext& ctx, const v1::RectificationOrder& order,
                           v1::RectificationOrder& out) override;
  absl::StatusOr<std::optional<v1::RectificationOrder>> GetOrder(const std::string& id) override;
  absl::Status ChangeOrder(const MutationContext& ctx, const std::string& id,
                           const OrderChange& change, v1::RectificationOrder& out) override;
  absl::StatusOr<std::vector<v1::RectificationOrder>> ListOrders(const std::string& region_prefix,
                                                                 int status,
                                                                 const PageRequest& page) override;
  absl::Status CreateAction(const MutationContext& ctx, const v1::AccountabilityAction& a,
                            v1::AccountabilityAction& out) override;
  absl::StatusOr<std::vector<v1::AccountabilityAction>> ListActions(
      const std::string& region_prefix, const std::string& cadre_id,
      const PageRequest& page) override;

 private:
  common::ConnectionPool& pool_;
  common::IdGenerator& ids_;
};

}  // namespace tuopin::accountability
