#pragma once
// The auditors' read-only views. Each query checks the caller's region scope against what
// it reads, gathers the answer from the other services (independent reads in parallel),
// proves every audit event it shows against one signed checkpoint, and appends its own
// access event ("who looked at what") to the audit log before answering: when the log
// cannot take the access event, the query answers UNAVAILABLE and shows nothing.

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/mutation.h"
#include "services/auditquery/suite.h"
#include "tuopin/auditquery/v1/auditquery.pb.h"

namespace tuopin::auditquery {

using common::MutationContext;

// Limits, as the contract states them.
inline constexpr int kMaxHistoryEvents = 10000;
inline constexpr int kMaxBundleEvents = 10000;
inline constexpr int kMaxTraceTransfers = 1000;
// A project's allocation undisbursed this long counts as idle on the scorecard.
inline constexpr int kIdleAfterDays = 30;
// A sector lags when its verified share trails the elapsed share of the stage by more.
inline constexpr int kLagToleranceBp = 1000;

class AuditQueryLogic {
 public:
  AuditQueryLogic(SuiteReader& suite, common::IdGenerator& ids, const common::Clock& clock)
      : suite_(suite), ids_(ids), clock_(clock) {}

  // `ctx` carries the caller, the method, the request's digest and x-request-id, and the
  // time: the access event is built from it.
  absl::Status GetEntityHistory(const MutationContext& ctx, const v1::GetEntityHistoryRequest& req,
                                v1::EntityHistory& out);
  absl::Status GetCadreDossier(const MutationContext& ctx, const v1::GetCadreDossierRequest& req,
                               v1::CadreDossier& out);
  absl::Status TraceFunds(const MutationContext& ctx, const v1::TraceFundsRequest& req,
                          v1::FundTraceWithEvents& out);
  absl::Status GetRectificationStatus(const MutationContext& ctx,
                                      const v1::GetRectificationStatusRequest& req,
                                      v1::RectificationStatusReport& out);
  absl::Status GetScorecard(const MutationContext& ctx, const v1::GetScorecardRequest& req,
                            v1::Scorecard& out);
  absl::Status ExportAuditBundle(const MutationContext& ctx,
                                 const v1::ExportAuditBundleRequest& req, v1::AuditBundle& out);
  absl::Status GetAssessmentReport(const MutationContext& ctx,
                                   const v1::GetAssessmentReportRequest& req,
                                   v1::AssessmentReport& out);

 private:
  // Proves `leaves` against the latest checkpoint (read after the leaves, so it covers
  // them): fills `checkpoint` and `events`.
  absl::Status Prove(std::vector<lv1::Leaf> leaves, lv1::Checkpoint* checkpoint,
                     google::protobuf::RepeatedPtrField<v1::ProvenEvent>* events);
  // Appends the access event naming what was looked at.
  absl::Status RecordAccess(const MutationContext& ctx, const common::EntityRefs& looked_at,
                            const google::protobuf::Message& response);

  SuiteReader& suite_;
  common::IdGenerator& ids_;
  const common::Clock& clock_;
};

}  // namespace tuopin::auditquery
