#pragma once
// SuiteReader over the other services' public RPCs, asked through the gateway with
// audit-query's own service token; lists are read a page of 1000 at a time.

#include <string>
#include <vector>

#include "common/gateway_client.h"
#include "services/auditquery/suite.h"

namespace tuopin::auditquery {

class GatewaySuiteReader final : public SuiteReader {
 public:
  explicit GatewaySuiteReader(const common::GatewayClient& client) : client_(client) {}

  absl::StatusOr<pv1::Cadre> GetCadre(const std::string& id) override;
  absl::StatusOr<std::vector<pv1::Posting>> CadrePostings(const std::string& cadre_id) override;
  absl::StatusOr<std::vector<pv1::Pairing>> CadrePairings(const std::string& cadre_id) override;
  absl::StatusOr<pv1::Attendance> Attendance(const std::string& cadre_id, absl::CivilDay from,
                                             absl::CivilDay to) override;
  absl::StatusOr<pv1::Coverage> Coverage(const std::string& region) override;
  absl::StatusOr<tv1::Campaign> GetCampaign(const std::string& id) override;
  absl::StatusOr<std::vector<tv1::Task>> CadreTasks(const std::string& region,
                                                    const std::string& cadre_id) override;
  absl::StatusOr<tv1::SectorProgress> SectorProgress(const std::string& region,
                                                     const std::string& campaign_id) override;
  absl::StatusOr<fv1::Account> GetAccount(const std::string& id) override;
  absl::StatusOr<fv1::FundTrace> TraceFunds(const std::string& account_id) override;
  absl::StatusOr<fv1::Utilization> UtilizationBySector(const std::string& region,
                                                       int idle_older_than_days) override;
  absl::StatusOr<std::vector<av1::Finding>> Findings(const std::string& region,
                                                     const std::string& cadre_id) override;
  absl::StatusOr<std::vector<av1::AccountabilityAction>> Actions(
      const std::string& region, const std::string& cadre_id) override;
  absl::StatusOr<std::vector<av1::RectificationOrder>> Orders(const std::string& region) override;
  absl::StatusOr<av1::RegionSummary> Summary(const std::string& region) override;
  absl::StatusOr<av1::Assessment> GetAssessment(const std::string& id) override;
  absl::StatusOr<av1::AssessmentSample> AssessmentSample(const std::string& assessment_id) override;
  absl::StatusOr<std::vector<av1::AssessmentVisit>> AssessmentVisits(
      const std::string& assessment_id) override;
  absl::StatusOr<lv1::Checkpoint> Checkpoint() override;
  absl::StatusOr<std::string> VerifierKey() override;
  absl::StatusOr<std::vector<lv1::Leaf>> EntityEvents(const std::string& type,
                                                      const std::string& id,
                                                      int max_events) override;
  absl::StatusOr<std::vector<lv1::Leaf>> RegionEvents(const std::string& region, absl::Time from,
                                                      absl::Time to, int max_events) override;
  absl::StatusOr<std::vector<lv1::InclusionProof>> Proofs(const std::vector<int64_t>& indexes,
                                                          int64_t tree_size) override;
  absl::Status Append(const tuopin::common::v1::AuditEvent& event) override;

 private:
  const common::GatewayClient& client_;
};

}  // namespace tuopin::auditquery
