#pragma once
// What audit-query reads from the rest of the suite, and the one thing it writes (its
// access events): an interface, so the logic is unit-tested with a fake
// (tests/support/fake_suite_reader.h); GatewaySuiteReader (suite_reader.h) is the real one.
// It owns no schema; this interface is its "store". Lists are read to the end, up to a
// bound: past it, FAILED_PRECONDITION rather than a partial view.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "tuopin/accountability/v1/accountability.pb.h"
#include "tuopin/accountability/v1/assessment.pb.h"
#include "tuopin/auditlog/v1/auditlog.pb.h"
#include "tuopin/funds/v1/funds.pb.h"
#include "tuopin/personnel/v1/personnel.pb.h"
#include "tuopin/tasks/v1/tasks.pb.h"

namespace tuopin::auditquery {

namespace av1 = tuopin::accountability::v1;
namespace fv1 = tuopin::funds::v1;
namespace lv1 = tuopin::auditlog::v1;
namespace pv1 = tuopin::personnel::v1;
namespace tv1 = tuopin::tasks::v1;

// How many rows one list may hold before the answer is refused as too large.
inline constexpr int kMaxListRows = 100000;

class SuiteReader {
 public:
  virtual ~SuiteReader() = default;

  virtual absl::StatusOr<pv1::Cadre> GetCadre(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<pv1::Posting>> CadrePostings(const std::string& cadre_id) = 0;
  virtual absl::StatusOr<std::vector<pv1::Pairing>> CadrePairings(const std::string& cadre_id) = 0;
  virtual absl::StatusOr<pv1::Attendance> Attendance(const std::string& cadre_id,
                                                     absl::CivilDay from, absl::CivilDay to) = 0;
  // Coverage counts from personnel's per-village summary (no lists; see its as_of).
  virtual absl::StatusOr<pv1::Coverage> Coverage(const std::string& region) = 0;

  virtual absl::StatusOr<tv1::Campaign> GetCampaign(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<tv1::Task>> CadreTasks(const std::string& region,
                                                            const std::string& cadre_id) = 0;
  virtual absl::StatusOr<tv1::SectorProgress> SectorProgress(const std::string& region,
                                                             const std::string& campaign_id) = 0;

  virtual absl::StatusOr<fv1::Account> GetAccount(const std::string& id) = 0;
  virtual absl::StatusOr<fv1::FundTrace> TraceFunds(const std::string& account_id) = 0;
  // The region's utilisation in total and per sector, with the money idle this long.
  virtual absl::StatusOr<fv1::Utilization> UtilizationBySector(const std::string& region,
                                                               int idle_older_than_days) = 0;

  // Findings and actions of a region, or (with a cadre id) about one cadre.
  virtual absl::StatusOr<std::vector<av1::Finding>> Findings(const std::string& region,
                                                             const std::string& cadre_id) = 0;
  virtual absl::StatusOr<std::vector<av1::AccountabilityAction>> Actions(
      const std::string& region, const std::string& cadre_id) = 0;
  virtual absl::StatusOr<std::vector<av1::RectificationOrder>> Orders(
      const std::string& region) = 0;
  // Counts of the region's findings by sector and orders by state.
  virtual absl::StatusOr<av1::RegionSummary> Summary(const std::string& region) = 0;
  // A county's third-party assessment, its drawn sample (only after the reveal) and every
  // visit recorded for it.
  virtual absl::StatusOr<av1::Assessment> GetAssessment(const std::string& id) = 0;
  virtual absl::StatusOr<av1::AssessmentSample> AssessmentSample(
      const std::string& assessment_id) = 0;
  virtual absl::StatusOr<std::vector<av1::AssessmentVisit>> AssessmentVisits(
      const std::string& assessment_id) = 0;

  virtual absl::StatusOr<lv1::Checkpoint> Checkpoint() = 0;
  virtual absl::StatusOr<std::string> VerifierKey() = 0;
  // At most max_events events (more: FAILED_PRECONDITION, reason `too_large_reason`).
  virtual absl::StatusOr<std::vector<lv1::Leaf>> EntityEvents(const std::string& type,
                                                              const std::string& id,
                                                              int max_events) = 0;
  virtual absl::StatusOr<std::vector<lv1::Leaf>> RegionEvents(const std::string& region,
                                                              absl::Time from, absl::Time to,
                                                              int max_events) = 0;
  // Proofs of the leaves against tree_size, in the order of `indexes`.
  virtual absl::StatusOr<std::vector<lv1::InclusionProof>> Proofs(
      const std::vector<int64_t>& indexes, int64_t tree_size) = 0;
  // Appends one event to the audit log (idempotent by its event id).
  virtual absl::Status Append(const tuopin::common::v1::AuditEvent& event) = 0;
};

}  // namespace tuopin::auditquery
