#include "services/auditquery/suite_reader.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"
#include "tuopin/accountability/v1/accountability.grpc.pb.h"
#include "tuopin/accountability/v1/assessment.grpc.pb.h"
#include "tuopin/auditlog/v1/auditlog.grpc.pb.h"
#include "tuopin/funds/v1/funds.grpc.pb.h"
#include "tuopin/personnel/v1/personnel.grpc.pb.h"
#include "tuopin/tasks/v1/tasks.grpc.pb.h"

namespace tuopin::auditquery {
namespace {

constexpr int kPage = 1000;

absl::Status TooLarge(absl::string_view what, int max) {
  return common::WithReason(
      absl::FailedPreconditionError(absl::StrCat(what, " holds more than ", max,
                                                 " rows; ask for a smaller region or period")),
      common::ErrorReason::TOO_LARGE);
}

// Reads every page of a list RPC: `call(ctx, req, resp)` for one page, `rows(resp)` the
// page's repeated field. At most `max` rows.
template <typename Req, typename Resp, typename Call, typename Rows>
auto ReadAll(const common::GatewayClient& client, Req req, Call call, Rows rows, int max,
             absl::string_view what)
    -> absl::StatusOr<
        std::vector<typename std::decay_t<decltype(*rows(std::declval<Resp&>()))>::value_type>> {
  std::vector<typename std::decay_t<decltype(*rows(std::declval<Resp&>()))>::value_type> out;
  req.set_page_size(kPage);
  while (true) {
    Resp resp;
    grpc::Status st = call(client.Context(absl::Seconds(10)).get(), req, &resp);
    if (!st.ok()) return common::FromGrpcStatus(st);
    auto& page = *rows(resp);
    if (static_cast<int>(out.size() + page.size()) > max) return TooLarge(what, max);
    for (auto& r : page) out.push_back(std::move(r));
    if (resp.next_page_token().empty()) return out;
    req.set_page_token(resp.next_page_token());
  }
}

template <typename Resp, typename Call>
absl::StatusOr<Resp> One(const common::GatewayClient& client, Call call) {
  Resp resp;
  grpc::Status st = call(client.Context(absl::Seconds(10)).get(), &resp);
  if (!st.ok()) return common::FromGrpcStatus(st);
  return resp;
}

}  // namespace

absl::StatusOr<pv1::Cadre> GatewaySuiteReader::GetCadre(const std::string& id) {
  pv1::GetCadreRequest req;
  req.set_id(id);
  auto stub = pv1::PersonnelService::NewStub(client_.channel());
  return One<pv1::Cadre>(
      client_, [&](grpc::ClientContext* c, pv1::Cadre* r) { return stub->GetCadre(c, req, r); });
}

absl::StatusOr<std::vector<pv1::Posting>> GatewaySuiteReader::CadrePostings(
    const std::string& cadre_id) {
  pv1::ListPostingsRequest req;
  req.set_cadre_id(cadre_id);
  auto stub = pv1::PersonnelService::NewStub(client_.channel());
  return ReadAll<pv1::ListPostingsRequest, pv1::ListPostingsResponse>(
      client_, req,
      [&](grpc::ClientContext* c, const pv1::ListPostingsRequest& q, pv1::ListPostingsResponse* r) {
        return stub->ListPostings(c, q, r);
      },
      [](pv1::ListPostingsResponse& r) { return r.mutable_postings(); }, kMaxListRows,
      "the cadre's postings");
}

absl::StatusOr<std::vector<pv1::Pairing>> GatewaySuiteReader::CadrePairings(
    const std::string& cadre_id) {
  pv1::ListPairingsRequest req;
  req.set_cadre_id(cadre_id);
  auto stub = pv1::PersonnelService::NewStub(client_.channel());
  return ReadAll<pv1::ListPairingsRequest, pv1::ListPairingsResponse>(
      client_, req,
      [&](grpc::ClientContext* c, const pv1::ListPairingsRequest& q, pv1::ListPairingsResponse* r) {
        return stub->ListPairings(c, q, r);
      },
      [](pv1::ListPairingsResponse& r) { return r.mutable_pairings(); }, kMaxListRows,
      "the cadre's pairings");
}

absl::StatusOr<pv1::Attendance> GatewaySuiteReader::Attendance(const std::string& cadre_id,
                                                               absl::CivilDay from,
                                                               absl::CivilDay to) {
  pv1::GetAttendanceRequest req;
  req.set_cadre_id(cadre_id);
  *req.mutable_from_date() = common::ToDate(from);
  *req.mutable_to_date() = common::ToDate(to);
  auto stub = pv1::PersonnelService::NewStub(client_.channel());
  return One<pv1::Attendance>(client_, [&](grpc::ClientContext* c, pv1::Attendance* r) {
    return stub->GetAttendance(c, req, r);
  });
}

absl::StatusOr<pv1::Coverage> GatewaySuiteReader::Coverage(const std::string& region) {
  pv1::GetCoverageRequest req;
  req.set_region_code(region);
  req.set_counts_only(true);
  auto stub = pv1::PersonnelService::NewStub(client_.channel());
  return One<pv1::Coverage>(client_, [&](grpc::ClientContext* c, pv1::Coverage* r) {
    return stub->GetCoverage(c, req, r);
  });
}

absl::StatusOr<tv1::Campaign> GatewaySuiteReader::GetCampaign(const std::string& id) {
  tv1::GetCampaignRequest req;
  req.set_id(id);
  auto stub = tv1::TaskService::NewStub(client_.channel());
  return One<tv1::Campaign>(client_, [&](grpc::ClientContext* c, tv1::Campaign* r) {
    return stub->GetCampaign(c, req, r);
  });
}

absl::StatusOr<std::vector<tv1::Task>> GatewaySuiteReader::CadreTasks(const std::string& region,
                                                                      const std::string& cadre_id) {
  tv1::ListTasksRequest req;
  req.set_region_code(region);
  req.set_assignee_cadre_id(cadre_id);
  auto stub = tv1::TaskService::NewStub(client_.channel());
  return ReadAll<tv1::ListTasksRequest, tv1::ListTasksResponse>(
      client_, req,
      [&](grpc::ClientContext* c, const tv1::ListTasksRequest& q, tv1::ListTasksResponse* r) {
        return stub->ListTasks(c, q, r);
      },
      [](tv1::ListTasksResponse& r) { return r.mutable_tasks(); }, kMaxListRows,
      "the cadre's tasks");
}

absl::StatusOr<tv1::SectorProgress> GatewaySuiteReader::SectorProgress(
    const std::string& region, const std::string& campaign_id) {
  tv1::GetSectorProgressRequest req;
  req.set_region_code(region);
  req.set_campaign_id(campaign_id);
  req.set_totals_only(true);
  req.set_from_summary(true);
  auto stub = tv1::TaskService::NewStub(client_.channel());
  return One<tv1::SectorProgress>(client_, [&](grpc::ClientContext* c, tv1::SectorProgress* r) {
    return stub->GetSectorProgress(c, req, r);
  });
}

absl::StatusOr<fv1::Account> GatewaySuiteReader::GetAccount(const std::string& id) {
  fv1::GetAccountRequest req;
  req.set_id(id);
  auto stub = fv1::FundsService::NewStub(client_.channel());
  return One<fv1::Account>(client_, [&](grpc::ClientContext* c, fv1::Account* r) {
    return stub->GetAccount(c, req, r);
  });
}

absl::StatusOr<fv1::FundTrace> GatewaySuiteReader::TraceFunds(const std::string& account_id) {
  fv1::TraceFundsRequest req;
  req.set_account_id(account_id);
  auto stub = fv1::FundsService::NewStub(client_.channel());
  return One<fv1::FundTrace>(client_, [&](grpc::ClientContext* c, fv1::FundTrace* r) {
    return stub->TraceFunds(c, req, r);
  });
}

absl::StatusOr<fv1::Utilization> GatewaySuiteReader::UtilizationBySector(const std::string& region,
                                                                         int idle_older_than_days) {
  fv1::GetUtilizationRequest req;
  req.set_region_code(region);
  req.set_by_sector(true);
  req.set_idle_older_than_days(idle_older_than_days);
  req.set_from_summary(true);
  auto stub = fv1::FundsService::NewStub(client_.channel());
  return One<fv1::Utilization>(client_, [&](grpc::ClientContext* c, fv1::Utilization* r) {
    return stub->GetUtilization(c, req, r);
  });
}

absl::StatusOr<av1::RegionSummary> GatewaySuiteReader::Summary(const std::string& region) {
  av1::SummarizeRegionRequest req;
  req.set_region_code(region);
  auto stub = av1::AccountabilityService::NewStub(client_.channel());
  return One<av1::RegionSummary>(client_, [&](grpc::ClientContext* c, av1::RegionSummary* r) {
    return stub->SummarizeRegion(c, req, r);
  });
}

absl::StatusOr<std::vector<av1::Finding>> GatewaySuiteReader::Findings(
    const std::string& region, const std::string& cadre_id) {
  av1::ListFindingsRequest req;
  req.set_region_code(region);
  req.set_subject_cadre_id(cadre_id);
  auto stub = av1::AccountabilityService::NewStub(client_.channel());
  return ReadAll<av1::ListFindingsRequest, av1::ListFindingsResponse>(
      client_, req,
      [&](grpc::ClientContext* c, const av1::ListFindingsRequest& q, av1::ListFindingsResponse* r) {
        return stub->ListFindings(c, q, r);
      },
      [](av1::ListFindingsResponse& r) { return r.mutable_findings(); }, kMaxListRows,
      "the findings");
}

absl::StatusOr<std::vector<av1::AccountabilityAction>> GatewaySuiteReader::Actions(
    const std::string& region, const std::string& cadre_id) {
  av1::ListAccountabilityActionsRequest req;
  req.set_region_code(region);
  req.set_subject_cadre_id(cadre_id);
  auto stub = av1::AccountabilityService::NewStub(client_.channel());
  return ReadAll<av1::ListAccountabilityActionsRequest, av1::ListAccountabilityActionsResponse>(
      client_, req,
      [&](grpc::ClientContext* c, const av1::ListAccountabilityActionsRequest& q,
          av1::ListAccountabilityActionsResponse* r) {
        return stub->ListAccountabilityActions(c, q, r);
      },
      [](av1::ListAccountabilityActionsResponse& r) { return r.mutable_actions(); }, kMaxListRows,
      "the actions");
}

absl::StatusOr<std::vector<av1::RectificationOrder>> GatewaySuiteReader::Orders(
    const std::string& region) {
  av1::ListRectificationOrdersRequest req;
  req.set_region_code(region);
  auto stub = av1::AccountabilityService::NewStub(client_.channel());
  return ReadAll<av1::ListRectificationOrdersRequest, av1::ListRectificationOrdersResponse>(
      client_, req,
      [&](grpc::ClientContext* c, const av1::ListRectificationOrdersRequest& q,
          av1::ListRectificationOrdersResponse* r) {
        return stub->ListRectificationOrders(c, q, r);
      },
      [](av1::ListRectificationOrdersResponse& r) { return r.mutable_orders(); }, kMaxListRows,
      "the rectification orders");
}

absl::StatusOr<av1::Assessment> GatewaySuiteReader::GetAssessment(const std::string& id) {
  av1::GetAssessmentRequest req;
  req.set_id(id);
  auto stub = av1::AssessmentService::NewStub(client_.channel());
  return One<av1::Assessment>(client_, [&](grpc::ClientContext* c, av1::Assessment* r) {
    return stub->GetAssessment(c, req, r);
  });
}

absl::StatusOr<av1::AssessmentSample> GatewaySuiteReader::AssessmentSample(
    const std::string& assessment_id) {
  av1::GetAssessmentSampleRequest req;
  req.set_assessment_id(assessment_id);
  auto stub = av1::AssessmentService::NewStub(client_.channel());
  return One<av1::AssessmentSample>(client_, [&](grpc::ClientContext* c, av1::AssessmentSample* r) {
    return stub->GetAssessmentSample(c, req, r);
  });
}

absl::StatusOr<std::vector<av1::AssessmentVisit>> GatewaySuiteReader::AssessmentVisits(
    const std::string& assessment_id) {
  av1::ListAssessmentVisitsRequest req;
  req.set_assessment_id(assessment_id);
  auto stub = av1::AssessmentService::NewStub(client_.channel());
  return ReadAll<av1::ListAssessmentVisitsRequest, av1::ListAssessmentVisitsResponse>(
      client_, req,
      [&](grpc::ClientContext* c, const av1::ListAssessmentVisitsRequest& q,
          av1::ListAssessmentVisitsResponse* r) { return stub->ListAssessmentVisits(c, q, r); },
      [](av1::ListAssessmentVisitsResponse& r) { return r.mutable_visits(); }, kMaxListRows,
      "the assessment's visits");
}

absl::StatusOr<lv1::Checkpoint> GatewaySuiteReader::Checkpoint() {
  lv1::GetCheckpointRequest req;
  auto stub = lv1::AuditLog::NewStub(client_.channel());
  return One<lv1::Checkpoint>(client_, [&](grpc::ClientContext* c, lv1::Checkpoint* r) {
    return stub->GetCheckpoint(c, req, r);
  });
}

absl::StatusOr<std::string> GatewaySuiteReader::VerifierKey() {
  lv1::GetPublicKeyRequest req;
  auto stub = lv1::AuditLog::NewStub(client_.channel());
  auto key = One<lv1::PublicKey>(client_, [&](grpc::ClientContext* c, lv1::PublicKey* r) {
    return stub->GetPublicKey(c, req, r);
  });
  if (!key.ok()) return key.status();
  return key->verifier_key();
}

absl::StatusOr<std::vector<lv1::Leaf>> GatewaySuiteReader::EntityEvents(const std::string& type,
                                                                        const std::string& id,
                                                                        int max_events) {
  lv1::ListEntityEventsRequest req;
  req.set_entity_type(type);
  req.set_entity_id(id);
  auto stub = lv1::AuditLog::NewStub(client_.channel());
  return ReadAll<lv1::ListEntityEventsRequest, lv1::ListEventsResponse>(
      client_, req,
      [&](grpc::ClientContext* c, const lv1::ListEntityEventsRequest& q,
          lv1::ListEventsResponse* r) { return stub->ListEntityEvents(c, q, r); },
      [](lv1::ListEventsResponse& r) { return r.mutable_leaves(); }, max_events,
      "the entity's history");
}

absl::StatusOr<std::vector<lv1::Leaf>> GatewaySuiteReader::RegionEvents(const std::string& region,
                                                                        absl::Time from,
                                                                        absl::Time to,
                                                                        int max_events) {
  lv1::ListRegionEventsRequest req;
  req.set_region_code(region);
  *req.mutable_from_time() = common::ToTimestamp(from);
  *req.mutable_to_time() = common::ToTimestamp(to);
  auto stub = lv1::AuditLog::NewStub(client_.channel());
  return ReadAll<lv1::ListRegionEventsRequest, lv1::ListEventsResponse>(
      client_, req,
      [&](grpc::ClientContext* c, const lv1::ListRegionEventsRequest& q,
          lv1::ListEventsResponse* r) { return stub->ListRegionEvents(c, q, r); },
      [](lv1::ListEventsResponse& r) { return r.mutable_leaves(); }, max_events,
      "the region's events of the period");
}

absl::StatusOr<std::vector<lv1::InclusionProof>> GatewaySuiteReader::Proofs(
    const std::vector<int64_t>& indexes, int64_t tree_size) {
  std::vector<lv1::InclusionProof> out;
  auto stub = lv1::AuditLog::NewStub(client_.channel());
  for (size_t start = 0; start < indexes.size(); start += kPage) {
    lv1::GetInclusionProofsRequest req;
    req.set_tree_size(tree_size);
    for (size_t i = start; i < std::min(indexes.size(), start + kPage); ++i)
      req.add_leaf_indexes(indexes[i]);
    lv1::GetInclusionProofsResponse resp;
    grpc::Status st =
        stub->GetInclusionProofs(client_.Context(absl::Seconds(10)).get(), req, &resp);
    if (!st.ok()) return common::FromGrpcStatus(st);
    for (auto& p : *resp.mutable_proofs()) out.push_back(std::move(p));
  }
  return out;
}

absl::Status GatewaySuiteReader::Append(const tuopin::common::v1::AuditEvent& event) {
  lv1::AppendEventsRequest req;
  req.set_request_id(event.event_id());
  *req.add_events() = event;
  lv1::AppendEventsResponse resp;
  grpc::Status st = lv1::AuditLog::NewStub(client_.channel())
                        ->AppendEvents(client_.Context(absl::Seconds(10)).get(), req, &resp);
  return common::FromGrpcStatus(st);
}

}  // namespace tuopin::auditquery
