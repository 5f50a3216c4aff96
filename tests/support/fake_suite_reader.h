#pragma once
// An in-memory SuiteReader (services/auditquery/suite.h) for unit tests of the audit-query
// logic: what the other services would answer, held in public maps a test fills, and an
// audit log that hands out leaves in append order. Reads are safe to run concurrently (the
// logic reads in parallel); only Append and Log change the fake.
// Header-only, so that adding a primitive to the store changes this one file.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/mutation.h"
#include "common/status.h"
#include "common/validate.h"
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
  std::map<std::string, aq::av1::Assessment> assessments;
  // By assessment id; a sample not held here is refused as the service refuses one not yet
  // revealed.
  std::map<std::string, aq::av1::AssessmentSample> samples;
  std::map<std::string, std::vector<aq::av1::AssessmentVisit>> visits;  // by assessment id
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
  absl::StatusOr<aq::av1::Assessment> GetAssessment(const std::string& id) override;
  absl::StatusOr<aq::av1::AssessmentSample> AssessmentSample(
      const std::string& assessment_id) override;
  absl::StatusOr<std::vector<aq::av1::AssessmentVisit>> AssessmentVisits(
      const std::string& assessment_id) override;
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

namespace fake_suite_detail {

template <typename T>
absl::StatusOr<T> Find(const std::map<std::string, T>& m, absl::string_view what,
                       const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return absl::NotFoundError(absl::StrCat(what, " ", key, " not found"));
  return it->second;
}

// The real services read "the region and everything under it" by code prefix.
inline bool Under(const std::string& region, const std::string& code) {
  return absl::StartsWith(code, region);
}

template <typename T>
std::vector<T> Select(const std::vector<T>& rows, const std::string& region,
                      const std::string& cadre_id) {
  std::vector<T> out;
  for (const auto& r : rows) {
    if (!Under(region, r.region_code())) continue;
    if (!cadre_id.empty() && r.subject().cadre_id() != cadre_id) continue;
    out.push_back(r);
  }
  return out;
}

// Past `max_events`, the refusal the real reader gives instead of a partial view.
inline absl::StatusOr<std::vector<aq::lv1::Leaf>> Bounded(std::vector<aq::lv1::Leaf> leaves,
                                                          int max_events) {
  if (static_cast<int>(leaves.size()) > max_events) {
    return common::WithReason(
        absl::FailedPreconditionError(absl::StrCat("more than ", max_events, " events")),
        common::ErrorReason::TOO_LARGE);
  }
  return leaves;
}

}  // namespace fake_suite_detail

inline int64_t FakeSuiteReader::Log(const tuopin::common::v1::AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  aq::lv1::Leaf& leaf = log_.emplace_back();
  leaf.set_index(static_cast<int64_t>(log_.size()) - 1);
  *leaf.mutable_event() = event;
  leaf.set_leaf_value(common::DeterministicBytes(event));
  return leaf.index();
}

inline std::vector<tuopin::common::v1::AuditEvent> FakeSuiteReader::Appended() const {
  absl::MutexLock lock(&mu_);
  return appended_;
}

inline std::pair<absl::CivilDay, absl::CivilDay> FakeSuiteReader::AttendancePeriod() const {
  absl::MutexLock lock(&mu_);
  return attendance_period_;
}

inline int FakeSuiteReader::EntityReads(const std::string& type, const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = entity_reads_.find(absl::StrCat(type, "/", id));
  return it == entity_reads_.end() ? 0 : it->second;
}

inline absl::Status FakeSuiteReader::ReadError(const std::string& name) const {
  auto it = read_errors.find(name);
  return it == read_errors.end() ? absl::OkStatus() : it->second;
}

inline absl::StatusOr<aq::pv1::Cadre> FakeSuiteReader::GetCadre(const std::string& id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("GetCadre"));
  return fake_suite_detail::Find(cadres, "cadre", id);
}

inline absl::StatusOr<std::vector<aq::pv1::Posting>> FakeSuiteReader::CadrePostings(
    const std::string& cadre_id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("CadrePostings"));
  auto it = postings.find(cadre_id);
  return it == postings.end() ? std::vector<aq::pv1::Posting>() : it->second;
}

inline absl::StatusOr<std::vector<aq::pv1::Pairing>> FakeSuiteReader::CadrePairings(
    const std::string& cadre_id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("CadrePairings"));
  auto it = pairings.find(cadre_id);
  return it == pairings.end() ? std::vector<aq::pv1::Pairing>() : it->second;
}

inline absl::StatusOr<aq::pv1::Attendance> FakeSuiteReader::Attendance(const std::string& cadre_id,
                                                                       absl::CivilDay from,
                                                                       absl::CivilDay to) {
  TUOPIN_RETURN_IF_ERROR(ReadError("Attendance"));
  {
    absl::MutexLock lock(&mu_);
    attendance_period_ = {from, to};
  }
  auto it = attendance.find(cadre_id);
  return it == attendance.end() ? aq::pv1::Attendance() : it->second;
}

inline absl::StatusOr<aq::pv1::Coverage> FakeSuiteReader::Coverage(const std::string& region) {
  TUOPIN_RETURN_IF_ERROR(ReadError("Coverage"));
  return fake_suite_detail::Find(coverage, "coverage of", region);
}

inline absl::StatusOr<aq::tv1::Campaign> FakeSuiteReader::GetCampaign(const std::string& id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("GetCampaign"));
  return fake_suite_detail::Find(campaigns, "campaign", id);
}

inline absl::StatusOr<std::vector<aq::tv1::Task>> FakeSuiteReader::CadreTasks(
    const std::string& region, const std::string& cadre_id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("CadreTasks"));
  std::vector<aq::tv1::Task> out;
  for (const auto& t : tasks) {
    if (fake_suite_detail::Under(region, t.village_code()) && t.assignee_cadre_id() == cadre_id)
      out.push_back(t);
  }
  return out;
}

inline absl::StatusOr<aq::tv1::SectorProgress> FakeSuiteReader::SectorProgress(
    const std::string& region, const std::string& campaign_id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("SectorProgress"));
  TUOPIN_ASSIGN_OR_RETURN(aq::tv1::SectorProgress all,
                          fake_suite_detail::Find(progress, "campaign", campaign_id));
  aq::tv1::SectorProgress out = all;
  out.clear_rows();
  for (const auto& row : all.rows()) {
    if (fake_suite_detail::Under(region, row.region_code())) *out.add_rows() = row;
  }
  return out;
}

inline absl::StatusOr<aq::fv1::Account> FakeSuiteReader::GetAccount(const std::string& id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("GetAccount"));
  return fake_suite_detail::Find(accounts, "account", id);
}

inline absl::StatusOr<aq::fv1::FundTrace> FakeSuiteReader::TraceFunds(
    const std::string& account_id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("TraceFunds"));
  return fake_suite_detail::Find(traces, "account", account_id);
}

inline absl::StatusOr<aq::fv1::Utilization> FakeSuiteReader::UtilizationBySector(
    const std::string& region, int /*idle_older_than_days*/) {
  TUOPIN_RETURN_IF_ERROR(ReadError("UtilizationBySector"));
  auto it = utilization.find(region);
  return it == utilization.end() ? aq::fv1::Utilization() : it->second;
}

inline absl::StatusOr<std::vector<aq::av1::Finding>> FakeSuiteReader::Findings(
    const std::string& region, const std::string& cadre_id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("Findings"));
  return fake_suite_detail::Select(findings, region, cadre_id);
}

inline absl::StatusOr<std::vector<aq::av1::AccountabilityAction>> FakeSuiteReader::Actions(
    const std::string& region, const std::string& cadre_id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("Actions"));
  return fake_suite_detail::Select(actions, region, cadre_id);
}

inline absl::StatusOr<std::vector<aq::av1::RectificationOrder>> FakeSuiteReader::Orders(
    const std::string& region) {
  TUOPIN_RETURN_IF_ERROR(ReadError("Orders"));
  std::vector<aq::av1::RectificationOrder> out;
  for (const auto& o : orders) {
    if (fake_suite_detail::Under(region, o.region_code())) out.push_back(o);
  }
  return out;
}

inline absl::StatusOr<aq::av1::RegionSummary> FakeSuiteReader::Summary(const std::string& region) {
  TUOPIN_RETURN_IF_ERROR(ReadError("Summary"));
  auto it = summaries.find(region);
  if (it != summaries.end()) return it->second;
  aq::av1::RegionSummary empty;
  empty.set_region_code(region);
  return empty;
}

inline absl::StatusOr<aq::av1::Assessment> FakeSuiteReader::GetAssessment(const std::string& id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("GetAssessment"));
  return fake_suite_detail::Find(assessments, "assessment", id);
}

inline absl::StatusOr<aq::av1::AssessmentSample> FakeSuiteReader::AssessmentSample(
    const std::string& assessment_id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("AssessmentSample"));
  auto it = samples.find(assessment_id);
  if (it == samples.end()) {
    return common::WithReason(absl::FailedPreconditionError("the sample is not revealed yet"),
                              common::ErrorReason::NOT_REVEALED);
  }
  return it->second;
}

inline absl::StatusOr<std::vector<aq::av1::AssessmentVisit>> FakeSuiteReader::AssessmentVisits(
    const std::string& assessment_id) {
  TUOPIN_RETURN_IF_ERROR(ReadError("AssessmentVisits"));
  auto it = visits.find(assessment_id);
  return it == visits.end() ? std::vector<aq::av1::AssessmentVisit>() : it->second;
}

inline absl::StatusOr<aq::lv1::Checkpoint> FakeSuiteReader::Checkpoint() {
  TUOPIN_RETURN_IF_ERROR(ReadError("Checkpoint"));
  absl::MutexLock lock(&mu_);
  aq::lv1::Checkpoint c;
  c.set_origin("tuopin.test/log");
  c.set_tree_size(static_cast<int64_t>(log_.size()));
  c.set_root_hash(absl::StrCat("root-", log_.size()));
  return c;
}

inline absl::StatusOr<std::string> FakeSuiteReader::VerifierKey() {
  TUOPIN_RETURN_IF_ERROR(ReadError("VerifierKey"));
  return verifier_key;
}

inline absl::StatusOr<std::vector<aq::lv1::Leaf>> FakeSuiteReader::EntityEvents(
    const std::string& type, const std::string& id, int max_events) {
  TUOPIN_RETURN_IF_ERROR(ReadError("EntityEvents"));
  absl::MutexLock lock(&mu_);
  ++entity_reads_[absl::StrCat(type, "/", id)];
  std::vector<aq::lv1::Leaf> out;
  for (const auto& leaf : log_) {
    for (const auto& e : leaf.event().entities()) {
      if (e.type() == type && e.id() == id) {
        out.push_back(leaf);
        break;
      }
    }
  }
  return fake_suite_detail::Bounded(std::move(out), max_events);
}

inline absl::StatusOr<std::vector<aq::lv1::Leaf>> FakeSuiteReader::RegionEvents(
    const std::string& region, absl::Time from, absl::Time to, int max_events) {
  TUOPIN_RETURN_IF_ERROR(ReadError("RegionEvents"));
  absl::MutexLock lock(&mu_);
  std::vector<aq::lv1::Leaf> out;
  for (const auto& leaf : log_) {
    absl::Time at = common::FromTimestamp(leaf.event().occurred_at());
    if (at < from || at >= to) continue;
    for (const auto& e : leaf.event().entities()) {
      if (!e.region_code().empty() && fake_suite_detail::Under(region, e.region_code())) {
        out.push_back(leaf);
        break;
      }
    }
  }
  return fake_suite_detail::Bounded(std::move(out), max_events);
}

inline absl::StatusOr<std::vector<aq::lv1::InclusionProof>> FakeSuiteReader::Proofs(
    const std::vector<int64_t>& indexes, int64_t tree_size) {
  TUOPIN_RETURN_IF_ERROR(ReadError("Proofs"));
  std::vector<aq::lv1::InclusionProof> out;
  for (int64_t index : indexes) {
    if (index < 0 || index >= tree_size)
      return absl::InvalidArgumentError(absl::StrCat("leaf ", index, " is not in the tree"));
    aq::lv1::InclusionProof& p = out.emplace_back();
    p.set_leaf_index(index);
    p.set_tree_size(tree_size);
    p.set_leaf_hash(absl::StrCat("leaf-", index));
  }
  return out;
}

inline absl::Status FakeSuiteReader::Append(const tuopin::common::v1::AuditEvent& event) {
  if (!append_error.ok()) return append_error;
  {
    absl::MutexLock lock(&mu_);
    appended_.push_back(event);
  }
  Log(event);
  return absl::OkStatus();
}

}  // namespace tuopin::testing
