#pragma once
// An in-memory SuiteReader (services/auditquery/suite.h) for unit tests of the audit-query
// logic: what the other services would answer, held in public maps a test fills, and an
// audit log that hands out leaves in append order. Reads are safe to run concurrently (the
// logic reads in parallel); only Append and Log change the fake.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/auditquery/suite.h"

namespace tuopin::testing {

namespace aq = tuopin::auditquery;

class FakeSuiteReader final : public aq::SuiteReader {
 public:
  std::map<std::string, aq::pv1::Cadre> cadres;
  std::map<std::string, std::vector<aq::pv1::Posting>> postings;  // by cadre id
  std::map<std::string, std::vector<aq::pv1::Pairing>> pairings;  // by cadre id
  std::map<std::string, aq::pv1::Attendance> attendance;          // by cadre id
  std::map<std::string, aq::pv1::Coverage> coverage;              // by region
  std::map<std::string, aq::tv1::Campaign> campaigns;
  std::vector<aq::tv1::Task> tasks;                         // read by village prefix and assignee
  std::map<std::string, aq::tv1::SectorProgress> progress;  // by campaign id
  std::map<std::string, aq::fv1::Account> accounts;
  std::map<std::string, aq::fv1::FundTrace> traces;         // by account id
  std::map<std::string, aq::fv1::Utilization> utilization;  // by region
  std::vector<aq::av1::Finding> findings;                   // read by region prefix, cadre
  std::vector<aq::av1::AccountabilityAction> actions;       // read by region prefix, cadre
  std::vector<aq::av1::RectificationOrder> orders;          // read by region prefix
  std::map<std::string, aq::av1::RegionSummary> summaries;  // by region
  std::string verifier_key = "tuopin-test+00000000+AQ==";
  // When not OK, Append fails with it (the log is down).
  absl::Status append_error;
  // When not OK, every read of this name fails with it ("Checkpoint", "TraceFunds", ...).
  std::map<std::string, absl::Status> read_errors;

  // Appends an event to the log as the log would (index = position); returns the index.
  int64_t Log(const tuopin::common::v1::AuditEvent& event) ABSL_LOCKS_EXCLUDED(mu_);
  // The events appended through Append (the logic's access events), in order.
  std::vector<tuopin::common::v1::AuditEvent> Appended() const ABSL_LOCKS_EXCLUDED(mu_);
  // The period of the last Attendance read, [first day, last day].
  std::pair<absl::CivilDay, absl::CivilDay> AttendancePeriod() const ABSL_LOCKS_EXCLUDED(mu_);
  // The number of times EntityEvents was asked, by "type/id".
  int EntityReads(const std::string& type, const std::string& id) const ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<aq::pv1::Cadre> GetCadre(const std::string& id) override;
  absl::StatusOr<std::vector<aq::pv1::Posting>> CadrePostings(const std::string& cadre_id) override;
  absl::StatusOr<std::vector<aq::pv1::Pairing>> CadrePairings(const std::string& cadre_id) override;
  absl::StatusOr<aq::pv1::Attendance> Attendance(const std::string& cadre_id, absl::CivilDay from,
                                                 absl::CivilDay to) override;
  absl::StatusOr<aq::pv1::Coverage> Coverage(const std::string& region) override;
  absl::StatusOr<aq::tv1::Campaign> GetCampaign(const std::string& id) override;
  absl::StatusOr<std::vector<aq::tv1::Task>> CadreTasks(const std::string& region,
                                                        const std::string& cadre_id) override;
  absl::StatusOr<aq::tv1::SectorProgress> SectorProgress(const std::string& region,
                                                         const std::string& campaign_id) override;
  absl::StatusOr<aq::fv1::Account> GetAccount(const std::string& id) override;
  absl::StatusOr<aq::fv1::FundTrace> TraceFunds(const std::string& account_id) override;
  absl::StatusOr<aq::fv1::Utilization> UtilizationBySector(const std::string& region,
                                                           int idle_older_than_days) override;
  absl::StatusOr<std::vector<aq::av1::Finding>> Findings(const std::string& region,
                                                         const std::string& cadre_id) override;
  absl::StatusOr<std::vector<aq::av1::AccountabilityAction>> Actions(
      const std::string& region, const std::string& cadre_id) override;
  absl::StatusOr<std::vector<aq::av1::RectificationOrder>> Orders(
      const std::string& region) override;
  absl::StatusOr<aq::av1::RegionSummary> Summary(const std::string& region) override;
  absl::StatusOr<aq::lv1::Checkpoint> Checkpoint() override;
  absl::StatusOr<std::string> VerifierKey() override;
  absl::StatusOr<std::vector<aq::lv1::Leaf>> EntityEvents(const std::string& type,
                                                          const std::string& id,
                                                          int max_events) override;
  absl::StatusOr<std::vector<aq::lv1::Leaf>> RegionEvents(const std::string& region,
                                                          absl::Time from, absl::Time to,
                                                          int max_events) override;
  absl::StatusOr<std::vector<aq::lv1::InclusionProof>> Proofs(const std::vector<int64_t>& indexes,
                                                              int64_t tree_size) override;
  absl::Status Append(const tuopin::common::v1::AuditEvent& event) override;

 private:
  absl::Status ReadError(const std::string& name) const;

  mutable absl::Mutex mu_;
  std::vector<aq::lv1::Leaf> log_ ABSL_GUARDED_BY(mu_);
  std::vector<tuopin::common::v1::AuditEvent> appended_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> entity_reads_ ABSL_GUARDED_BY(mu_);
  std::pair<absl::CivilDay, absl::CivilDay> attendance_period_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tuopin::testing
