#pragma once
// Accountability records: inspections with a committed sampling seed (commit before the
// visit, reveal after, anyone can recompute the draw), visits, findings in the seed's
// categories, rectification orders that create tasks in task tracking, and actions.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/page_token.h"
#include "common/personnel_client.h"
#include "common/task_client.h"
#include "services/accountability/records_store.h"
#include "tuopin/tasks/v1/tasks.pb.h"

namespace tuopin::accountability {

using common::Principal;

// The draw: Fisher-Yates over the sorted population; step i takes
// h = SHA-256(seed || uint64be(i)) and swaps position i with i + (uint64be(h[0..8]) mod
// (N - i)). The first k positions are the sample, in draw order.
std::vector<std::string> DrawSample(const std::string& seed,
                                    std::vector<std::string> sorted_population, int k);
// Hex SHA-256 of the sorted ids joined by newlines: the population's fingerprint.
std::string PopulationDigest(const std::vector<std::string>& sorted_ids);

using common::TaskDirectory;

// The rectification task of one village-level finding of an order: in the finding's
// village (which is the order's region), assigned to the order's responsible party,
// due at the order's deadline, linked to the order.
tuopin::tasks::v1::Task RectificationTask(const v1::Finding& finding,
                                          const v1::RectificationOrder& order, int stage);
// The request id of the ReopenTask call that a RejectRectification (by `subject`, with
// `request_id`) makes for `task_id`: the same on every retry, different for any other
// rejection.
std::string ReopenRequestId(const std::string& subject, const std::string& request_id,
                            const std::string& task_id);

class RecordsLogic {
 public:
  RecordsLogic(RecordsStore& store, common::PersonnelDirectory& personnel, TaskDirectory& tasks,
               const common::Clock& clock, const common::PageTokenCodec& tokens)
      : store_(store), personnel_(personnel), tasks_(tasks), clock_(clock), tokens_(tokens) {}

  absl::Status CreateInspection(const MutationContext& ctx, const v1::CreateInspectionRequest& req,
                                v1::Inspection& out);
  absl::Status GetInspection(const Principal& p, const v1::GetInspectionRequest& req,
                             v1::Inspection& out);
  absl::Status RevealSample(const MutationContext& ctx, const v1::RevealSampleRequest& req,
                            v1::Sample& out);
  absl::Status RecordVisit(const MutationContext& ctx, const v1::RecordVisitRequest& req,
                           v1::Visit& out);
  absl::Status CreateFinding(const MutationContext& ctx, const v1::CreateFindingRequest& req,
                             v1::Finding& out);
  absl::Status ListFindings(const Principal& p, const v1::ListFindingsRequest& req,
                            v1::ListFindingsResponse& out);
  absl::Status SummarizeRegion(const Principal& p, const v1::SummarizeRegionRequest& req,
                               v1::RegionSummary& out);
  absl::Status IssueRectificationOrder(const MutationContext& ctx,
                                       const v1::IssueRectificationOrderRequest& req,
                                       v1::RectificationOrder& out);
  absl::Status SubmitRectification(const MutationContext& ctx,
                                   const v1::SubmitRectificationRequest& req,
                                   v1::RectificationOrder& out);
  absl::Status VerifyRectification(const MutationContext& ctx,
                                   const v1::VerifyRectificationRequest& req,
                                   v1::RectificationOrder& out);
  absl::Status RejectRectification(const MutationContext& ctx,
                                   const v1::RejectRectificationRequest& req,
                                   v1::RectificationOrder& out);
  absl::Status ListRectificationOrders(const Principal& p,
                                       const v1::ListRectificationOrdersRequest& req,
                                       v1::ListRectificationOrdersResponse& out);
  absl::Status RecordAccountabilityAction(const MutationContext& ctx,
                                          const v1::RecordAccountabilityActionRequest& req,
                                          v1::AccountabilityAction& out);
  absl::Status ListAccountabilityActions(const Principal& p,
                                         const v1::ListAccountabilityActionsRequest& req,
                                         v1::ListAccountabilityActionsResponse& out);

 private:
  absl::StatusOr<v1::Inspection> LoadInspection(const Principal& p, const std::string& id);
  absl::StatusOr<std::vector<v1::Finding>> LoadFindings(
      const Principal& p, const google::protobuf::RepeatedPtrField<std::string>& ids);
  absl::StatusOr<v1::RectificationOrder> LoadOrder(const Principal& p, const std::string& id);
  // A cadre named in a request (leader, subject, responsible party) must be in the caller's
  // scope by its managing region; a missing one looks the same (common/scope.h).
  absl::Status RequireCadre(const Principal& p, const std::string& cadre_id,
                            absl::string_view field);
  // RequireCadre for a subject that names a cadre (a department names no object).
  absl::Status RequireSubject(const Principal& p, const v1::Subject& subject,
                              absl::string_view field);
  // The current stage of the campaign an order is issued under: a campaign visible to the
  // caller whose region covers the order's `region`, and has started.
  absl::StatusOr<int> CampaignStage(const Principal& p, const std::string& campaign_id,
                                    const std::string& region);
  // FAILED_PRECONDITION (TASKS_NOT_VERIFIED) unless every task of the order is verified.
  absl::Status RequireTasksVerified(const v1::RectificationOrder& order);
  // Reopens the order's completed and verified tasks for a RejectRectification.
  absl::Status ReopenTasks(const MutationContext& ctx, const v1::RectificationOrder& order,
                           const std::string& reason);

  RecordsStore& store_;
  common::PersonnelDirectory& personnel_;
  TaskDirectory& tasks_;
  const common::Clock& clock_;
  const common::PageTokenCodec& tokens_;
};

}  // namespace tuopin::accountability
