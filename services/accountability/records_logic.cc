#include "services/accountability/records_logic.h"

#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"
#include "tuopin/tasks/v1/tasks.grpc.pb.h"

namespace tuopin::accountability {

namespace tv1 = tuopin::tasks::v1;

namespace {

using common::FieldViolations;
using common::HasRole;
using common::RequireRegion;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_CADRE;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;

absl::Status NotFound(absl::string_view what, absl::string_view id) {
  return common::WithReason(absl::NotFoundError(absl::StrCat(what, " ", id, " not found")),
                            "NOT_FOUND");
}

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

void ValidateSubject(const std::string& field, const v1::Subject& s, FieldViolations& v) {
  switch (s.subject_case()) {
    case v1::Subject::kCadreId:
      common::ValidateId(field + ".cadre_id", s.cadre_id(), v);
      break;
    case v1::Subject::kDepartment:
      common::ValidateText(field + ".department", s.department(), 1, 128, v);
      break;
    default:
      v.Add(field, "set cadre_id or department");
  }
}

void ValidateIdList(const std::string& field,
                    const google::protobuf::RepeatedPtrField<std::string>& ids, int max,
                    FieldViolations& v) {
  if (ids.empty() || ids.size() > max) v.Add(field, absl::StrCat("must hold 1-", max, " ids"));
  std::set<std::string> seen;
  for (int i = 0; i < ids.size() && i < max; ++i) {
    common::ValidateId(absl::StrCat(field, "[", i, "]"), ids[i], v);
    if (!seen.insert(ids[i]).second) v.Add(absl::StrCat(field, "[", i, "]"), "is repeated");
  }
}

uint64_t Uint64be(absl::string_view b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}

// An error of task tracking about a linked task, as this call's error. NOT_FOUND or
// PERMISSION_DENIED would read as if the order were missing: they are our fault
// (INTERNAL). A task whose state changed between our read and our reopen is a conflict
// to retry (ABORTED). Task tracking's own reasons are dropped: they describe the task,
// not the order.
absl::Status LinkedTaskError(const std::string& task_id, const absl::Status& st) {
  absl::StatusCode code = st.code();
  if (code == absl::StatusCode::kNotFound || code == absl::StatusCode::kPermissionDenied) {
    code = absl::StatusCode::kInternal;
  } else if (code == absl::StatusCode::kFailedPrecondition) {
    code = absl::StatusCode::kAborted;
  }
  return absl::Status(code, absl::StrCat("linked task ", task_id, ": ", st.message()));
}

absl::Status Transition(const v1::RectificationOrder& o, v1::RectificationStatus from,
                        absl::string_view action) {
  if (o.status() == from) return absl::OkStatus();
  return common::WithReason(
      absl::FailedPreconditionError(absl::StrCat("cannot ", action, " an order that is ",
                                                 v1::RectificationStatus_Name(o.status()))),
      "ILLEGAL_TRANSITION");
}

}  // namespace

std::vector<std::string> DrawSample(const std::string& seed, std::vector<std::string> ids, int k) {
  size_t n = ids.size();
  size_t take = std::min<size_t>(n, static_cast<size_t>(std::max(0, k)));
  for (size_t i = 0; i < take; ++i) {
    std::string counter(8, '\0');
    for (int b = 0; b < 8; ++b)
      counter[7 - b] = static_cast<char>((static_cast<uint64_t>(i) >> (8 * b)) & 0xff);
    std::string h = common::Sha256(seed + counter);
    size_t j = i + static_cast<size_t>(Uint64be(h) % (n - i));
    std::swap(ids[i], ids[j]);
  }
  ids.resize(take);
  return ids;
}

std::string PopulationDigest(const std::vector<std::string>& sorted_ids) {
  return common::HexEncode(common::Sha256(absl::StrJoin(sorted_ids, "\n")));
}

absl::StatusOr<tv1::Campaign> GatewayTaskDirectory::GetCampaign(const std::string& campaign_id) {
  tv1::GetCampaignRequest req;
  req.set_id(campaign_id);
  tv1::Campaign c;
  grpc::Status st =
      tv1::TaskService::NewStub(client_.channel())->GetCampaign(client_.Context().get(), req, &c);
  // A malformed id names no campaign either.
  if (st.error_code() == grpc::StatusCode::NOT_FOUND ||
      st.error_code() == grpc::StatusCode::INVALID_ARGUMENT)
    return absl::NotFoundError(absl::StrCat("campaign ", campaign_id, " not found"));
  if (!st.ok()) return common::FromGrpcStatus(st);
  return c;
}

absl::StatusOr<tv1::Task> GatewayTaskDirectory::CreateTask(const std::string& request_id,
                                                           const tv1::Task& task) {
  tv1::CreateTaskRequest req;
  req.set_request_id(request_id);
  *req.mutable_task() = task;
  tv1::Task created;
  grpc::Status st = tv1::TaskService::NewStub(client_.channel())
                        ->CreateTask(client_.Context().get(), req, &created);
  if (!st.ok()) return common::FromGrpcStatus(st);
  return created;
}

absl::StatusOr<tv1::Task> GatewayTaskDirectory::GetTask(const std::string& task_id) {
  tv1::GetTaskRequest req;
  req.set_id(task_id);
  tv1::Task task;
  grpc::Status st =
      tv1::TaskService::NewStub(client_.channel())->GetTask(client_.Context().get(), req, &task);
  if (!st.ok()) return common::FromGrpcStatus(st);
  return task;
}

absl::StatusOr<tv1::Task> GatewayTaskDirectory::ReopenTask(const std::string& request_id,
                                                           const std::string& task_id,
                                                           const std::string& reason) {
  tv1::ReopenTaskRequest req;
  req.set_request_id(request_id);
  req.set_task_id(task_id);
  req.set_reason(reason);
  tv1::Task task;
  grpc::Status st =
      tv1::TaskService::NewStub(client_.channel())->ReopenTask(client_.Context().get(), req, &task);
  if (!st.ok()) return common::FromGrpcStatus(st);
  return task;
}

tv1::Task RectificationTask(const v1::Finding& finding, const v1::RectificationOrder& order,
                            int stage) {
  tv1::Task t;
  t.set_campaign_id(order.campaign_id());
  t.set_stage(static_cast<tv1::Stage>(stage));
  t.set_sector(finding.sector() == 0 ? tuopin::common::v1::SECTOR_BASIC_INFORMATION
                                     : finding.sector());
  t.set_village_code(finding.region_code());
  std::string category =
      v1::FindingCategory_Name(finding.category()).substr(strlen("FINDING_CATEGORY_"));
  for (char& c : category) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
  t.set_title(absl::StrCat("Rectify: ", category).substr(0, 200));
  t.set_description(finding.description().substr(0, 4000));
  if (order.responsible().subject_case() == v1::Subject::kCadreId) {
    t.set_assignee_cadre_id(order.responsible().cadre_id());
  } else {
    t.set_assignee_department(order.responsible().department());
  }
  *t.mutable_deadline() = order.deadline();
  t.set_priority(tv1::PRIORITY_HIGH);
  t.set_rectification_order_id(order.id());
  return t;
}

std::string ReopenRequestId(const std::string& subject, const std::string& request_id,
                            const std::string& task_id) {
  // Bounded to the 64 characters a request id may have, whatever the inputs' lengths.
  return absl::StrCat(
      "reopen-",
      common::HexEncode(common::Sha256(absl::StrCat(subject, "\n", request_id, "\n", task_id)))
          .substr(0, 48));
}

absl::Status Validate(const v1::CreateInspectionRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  const auto& in = r.inspection();
  common::ValidateEnum("inspection.kind", in.kind(), v1::InspectionKind_descriptor(), v);
  common::ValidateText("inspection.group_name", in.group_name(), 1, 128, v);
  ValidateIdList("inspection.leader_cadre_ids", in.leader_cadre_ids(), 20, v);
  if (in.target_region_codes().empty() || in.target_region_codes_size() > 50) {
    v.Add("inspection.target_region_codes", "must hold 1-50 region codes");
  }
  for (int i = 0; i < in.target_region_codes_size() && i < 50; ++i) {
    common::ValidateRegionCode(absl::StrCat("inspection.target_region_codes[", i, "]"),
                               in.target_region_codes(i), v, 6, 12);
  }
  auto start = common::ValidateDate("inspection.start_date", in.start_date(), v);
  auto end = common::ValidateDate("inspection.end_date", in.end_date(), v);
  if (start && end && *end < *start) v.Add("inspection.end_date", "must not be before start_date");
  common::ValidateRange("inspection.sample_size", in.sample_size(), 0, 1000, v);
  if (in.seed_commitment().size() != 64 || !IsLowerHex(in.seed_commitment())) {
    v.Add("inspection.seed_commitment",
          "must be 64 lower-case hex characters (SHA-256 of the secret seed)");
  }
  return v.ToStatus();
}

absl::Status Validate(const v1::GetInspectionRequest& r) {
  FieldViolations v;
  common::ValidateId("id", r.id(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::RevealSampleRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("inspection_id", r.inspection_id(), v);
  if (r.seed_hex().size() < 32 || r.seed_hex().size() > 128 || r.seed_hex().size() % 2 != 0 ||
      !IsLowerHex(r.seed_hex())) {
    v.Add("seed_hex", "must be 16-64 bytes as lower-case hex");
  }
  return v.ToStatus();
}

absl::Status Validate(const v1::RecordVisitRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("inspection_id", r.inspection_id(), v);
  switch (r.target_case()) {
    case v1::RecordVisitRequest::kHouseholdId:
      common::ValidateId("household_id", r.household_id(), v);
      break;
    case v1::RecordVisitRequest::kUnitName:
      common::ValidateText("unit_name", r.unit_name(), 1, 128, v);
      break;
    default:
      v.Add("target", "set household_id or unit_name");
  }
  common::ValidateText("observations", r.observations(), 1, 4000, v);
  if (!r.has_visit_time()) {
    v.Add("visit_time", "is required");
  } else {
    common::ValidateTimestamp("visit_time", r.visit_time(), v);
  }
  return v.ToStatus();
}

absl::Status Validate(const v1::CreateFindingRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  const auto& f = r.finding();
  common::ValidateId("finding.inspection_id", f.inspection_id(), v);
  common::ValidateEnum("finding.category", f.category(), v1::FindingCategory_descriptor(), v);
  if (f.sector() != 0)
    common::ValidateEnum("finding.sector", f.sector(), tuopin::common::v1::Sector_descriptor(), v);
  common::ValidateRegionCode("finding.region_code", f.region_code(), v, 6, 12);
  ValidateSubject("finding.subject", f.subject(), v);
  common::ValidateEnum("finding.severity", f.severity(), v1::Severity_descriptor(), v);
  common::ValidateText("finding.description", f.description(), 1, 4000, v);
  if (f.evidence_uris_size() > 20) v.Add("finding.evidence_uris", "must hold at most 20 URIs");
  for (int i = 0; i < f.evidence_uris_size() && i < 20; ++i) {
    common::ValidateText(absl::StrCat("finding.evidence_uris[", i, "]"), f.evidence_uris(i), 1,
                         2048, v);
    if (f.evidence_uris(i).find('\n') != std::string::npos)
      v.Add(absl::StrCat("finding.evidence_uris[", i, "]"), "must be one line");
  }
  return v.ToStatus();
}

absl::Status Validate(const v1::SummarizeRegionRequest& r) {
  FieldViolations v;
  common::ValidateRegionCode("region_code", r.region_code(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListFindingsRequest& r) {
  FieldViolations v;
  common::ValidateRegionCode("region_code", r.region_code(), v);
  common::ValidateId("inspection_id", r.inspection_id(), v, false);
  common::ValidateId("subject_cadre_id", r.subject_cadre_id(), v, false);
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::IssueRectificationOrderRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  ValidateIdList("finding_ids", r.finding_ids(), 50, v);
  ValidateSubject("responsible", r.responsible(), v);
  common::ValidateDate("deadline", r.deadline(), v);
  common::ValidateId("campaign_id", r.campaign_id(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::SubmitRectificationRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("order_id", r.order_id(), v);
  common::ValidateText("note", r.note(), 1, 4000, v);
  return v.ToStatus();
}

absl::Status Validate(const v1::VerifyRectificationRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("order_id", r.order_id(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::RejectRectificationRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("order_id", r.order_id(), v);
  common::ValidateText("reason", r.reason(), 1, 500, v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListRectificationOrdersRequest& r) {
  FieldViolations v;
  common::ValidateRegionCode("region_code", r.region_code(), v);
  if (r.status() != 0)
    common::ValidateEnum("status", r.status(), v1::RectificationStatus_descriptor(), v);
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::RecordAccountabilityActionRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  const auto& a = r.action();
  ValidateSubject("action.subject", a.subject(), v);
  common::ValidateEnum("action.kind", a.kind(), v1::ActionKind_descriptor(), v);
  ValidateIdList("action.finding_ids", a.finding_ids(), 50, v);
  common::ValidateText("action.decided_by", a.decided_by(), 1, 128, v);
  common::ValidateDate("action.decision_date", a.decision_date(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListAccountabilityActionsRequest& r) {
  FieldViolations v;
  common::ValidateRegionCode("region_code", r.region_code(), v);
  common::ValidateId("subject_cadre_id", r.subject_cadre_id(), v, false);
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::StatusOr<v1::Inspection> RecordsLogic::LoadInspection(const Principal& p,
                                                            const std::string& id) {
  std::string resource = absl::StrCat("inspections/", id);
  TUOPIN_ASSIGN_OR_RETURN(auto in, store_.GetInspection(id));
  if (!in.has_value()) return common::MissingObject(p, resource, NotFound("inspection", id));
  for (const auto& region : in->target_region_codes()) {
    if (common::PrincipalCoversRegion(p, region)) return *in;
  }
  return common::OutOfScope(resource);
}

absl::StatusOr<std::vector<v1::Finding>> RecordsLogic::LoadFindings(
    const Principal& p, const google::protobuf::RepeatedPtrField<std::string>& ids) {
  std::vector<std::string> wanted(ids.begin(), ids.end());
  TUOPIN_ASSIGN_OR_RETURN(auto found, store_.GetFindings(wanted));
  absl::flat_hash_map<std::string, v1::Finding> by_id;
  for (auto& f : found) by_id.emplace(f.id(), std::move(f));
  // In the order asked: the first finding the caller may not name decides the answer,
  // whether it is missing or another region's.
  std::vector<v1::Finding> findings;
  for (const auto& id : wanted) {
    std::string resource = absl::StrCat("findings/", id);
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      return common::MissingObject(
          p, resource, common::InvalidField("finding_ids", "names a finding that does not exist"));
    }
    TUOPIN_RETURN_IF_ERROR(RequireRegion(p, it->second.region_code(), resource));
    findings.push_back(it->second);
  }
  return findings;
}

absl::Status RecordsLogic::RequireCadre(const Principal& p, const std::string& cadre_id,
                                        absl::string_view field) {
  return common::RequireNamedObject(p, personnel_.CadreRegion(cadre_id),
                                    absl::StrCat("cadres/", cadre_id),
                                    common::InvalidField(field, "is not a known cadre"));
}

absl::Status RecordsLogic::RequireSubject(const Principal& p, const v1::Subject& subject,
                                          absl::string_view field) {
  if (subject.subject_case() != v1::Subject::kCadreId) return absl::OkStatus();
  return RequireCadre(p, subject.cadre_id(), absl::StrCat(field, ".cadre_id"));
}

absl::StatusOr<int> RecordsLogic::CampaignStage(const Principal& p, const std::string& campaign_id,
                                                const std::string& region) {
  std::string resource = absl::StrCat("campaigns/", campaign_id);
  absl::StatusOr<tv1::Campaign> c = tasks_.GetCampaign(campaign_id);
  if (!c.ok()) {
    if (c.status().code() != absl::StatusCode::kNotFound) return c.status();
    return common::MissingObject(p, resource,
                                 common::InvalidField("campaign_id", "is not a known campaign"));
  }
  // Visible as task tracking shows it: to a scope over or inside the campaign's region.
  if (!common::ScopeOverlaps(p, c->region_code())) return common::OutOfScope(resource);
  if (!common::RegionCovers(c->region_code(), region)) {
    return common::InvalidField("campaign_id", "does not cover the findings' region");
  }
  if (c->current_stage() == tv1::STAGE_UNSPECIFIED)
    return common::InvalidField("campaign_id", "has not started");
  return static_cast<int>(c->current_stage());
}

absl::StatusOr<v1::RectificationOrder> RecordsLogic::LoadOrder(const Principal& p,
                                                               const std::string& id) {
  TUOPIN_ASSIGN_OR_RETURN(auto o, store_.GetOrder(id));
  if (!o.has_value()) {
    return common::MissingObject(p, absl::StrCat("orders/", id),
                                 NotFound("rectification order", id));
  }
  bool responsible_cadre = HasRole(p, ROLE_CADRE) && o->responsible().cadre_id() == p.subject();
  if (!responsible_cadre)
    TUOPIN_RETURN_IF_ERROR(RequireRegion(p, o->region_code(), absl::StrCat("orders/", id)));
  return *o;
}

absl::Status RecordsLogic::CreateInspection(const MutationContext& ctx,
                                            const v1::CreateInspectionRequest& req,
                                            v1::Inspection& out) {
  v1::Inspection in = req.inspection();
  for (const auto& region : in.target_region_codes()) {
    TUOPIN_RETURN_IF_ERROR(RequireRegion(ctx.principal, region, absl::StrCat("regions/", region)));
  }
  // The group's leaders: cadres of the caller's scope (by their managing region).
  for (int i = 0; i < in.leader_cadre_ids_size(); ++i) {
    TUOPIN_RETURN_IF_ERROR(RequireCadre(ctx.principal, in.leader_cadre_ids(i),
                                        absl::StrCat("inspection.leader_cadre_ids[", i, "]")));
  }
  // The population is frozen now, before anyone knows the seed: the draw can neither be
  // predicted nor changed afterwards.
  std::set<std::string> population;
  for (const auto& region : in.target_region_codes()) {
    TUOPIN_ASSIGN_OR_RETURN(auto ids, personnel_.RegisteredHouseholds(region));
    population.insert(ids.begin(), ids.end());
  }
  std::vector<std::string> sorted(population.begin(), population.end());
  in.clear_id();
  in.set_revealed(false);
  in.set_population_digest(PopulationDigest(sorted));
  in.set_population_size(static_cast<int32_t>(sorted.size()));
  return store_.CreateInspection(ctx, in, sorted, out);
}

absl::Status RecordsLogic::GetInspection(const Principal& p, const v1::GetInspectionRequest& req,
                                         v1::Inspection& out) {
  TUOPIN_ASSIGN_OR_RETURN(out, LoadInspection(p, req.id()));
  return absl::OkStatus();
}

absl::Status RecordsLogic::RevealSample(const MutationContext& ctx,
                                        const v1::RevealSampleRequest& req, v1::Sample& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Inspection in, LoadInspection(ctx.principal, req.inspection_id()));
  std::string seed = *common::HexDecode(req.seed_hex());
  if (common::HexEncode(common::Sha256(seed)) != in.seed_commitment()) {
    return common::WithReason(
        common::InvalidField("seed_hex", "does not match the inspection's seed commitment"),
        "SEED_MISMATCH");
  }
  TUOPIN_ASSIGN_OR_RETURN(auto population, store_.Population(in.id()));
  if (PopulationDigest(population) != in.population_digest()) {
    return absl::DataLossError("the frozen population no longer matches its digest");
  }
  return store_.SaveSample(ctx, in.id(), DrawSample(seed, population, in.sample_size()), out);
}

absl::Status RecordsLogic::RecordVisit(const MutationContext& ctx,
                                       const v1::RecordVisitRequest& req, v1::Visit& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Inspection in, LoadInspection(ctx.principal, req.inspection_id()));
  v1::Visit visit;
  visit.set_inspection_id(in.id());
  visit.set_observations(req.observations());
  *visit.mutable_visit_time() = req.visit_time();
  visit.set_region_code(in.target_region_codes().empty() ? "" : in.target_region_codes(0));
  if (req.target_case() == v1::RecordVisitRequest::kHouseholdId) {
    // The household visited: one of the caller's scope.
    auto village = personnel_.HouseholdVillage(req.household_id());
    TUOPIN_RETURN_IF_ERROR(common::RequireNamedObject(
        ctx.principal, village, absl::StrCat("households/", req.household_id()),
        common::InvalidField("household_id", "is not a known household")));
    visit.set_region_code(*village);
    visit.set_household_id(req.household_id());
    TUOPIN_ASSIGN_OR_RETURN(bool sampled, store_.InSample(in.id(), req.household_id()));
    visit.set_outside_sample(!sampled);  // flagged: visited, but not drawn
  } else {
    visit.set_unit_name(req.unit_name());
  }
  return store_.RecordVisit(ctx, visit, out);
}

absl::Status RecordsLogic::CreateFinding(const MutationContext& ctx,
                                         const v1::CreateFindingRequest& req, v1::Finding& out) {
  const v1::Finding& f = req.finding();
  TUOPIN_RETURN_IF_ERROR(LoadInspection(ctx.principal, f.inspection_id()).status());
  TUOPIN_RETURN_IF_ERROR(
      RequireRegion(ctx.principal, f.region_code(), absl::StrCat("regions/", f.region_code())));
  TUOPIN_RETURN_IF_ERROR(RequireSubject(ctx.principal, f.subject(), "finding.subject"));
  v1::Finding finding = f;
  finding.clear_id();
  return store_.CreateFinding(ctx, finding, out);
}

absl::Status RecordsLogic::SummarizeRegion(const Principal& p,
                                           const v1::SummarizeRegionRequest& req,
                                           v1::RegionSummary& out) {
  TUOPIN_RETURN_IF_ERROR(
      RequireRegion(p, req.region_code(), absl::StrCat("regions/", req.region_code())));
  TUOPIN_ASSIGN_OR_RETURN(out, store_.Summarize(req.region_code(), common::ChinaDay(clock_.Now())));
  return absl::OkStatus();
}

absl::Status RecordsLogic::ListFindings(const Principal& p, const v1::ListFindingsRequest& req,
                                        v1::ListFindingsResponse& out) {
  TUOPIN_RETURN_IF_ERROR(
      RequireRegion(p, req.region_code(), absl::StrCat("regions/", req.region_code())));
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.ListFindings(req.region_code(), req.inspection_id(),
                                                         req.subject_cadre_id(), page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::Finding& f) { return std::vector<std::string>{f.id()}; }, out.mutable_findings(),
      out.mutable_next_page_token());
  return absl::OkStatus();
}

namespace {

// An order or an action belongs to one region, and its events tag every finding with that
// region: findings of two regions would lock both regions' auditors out of a finding.
absl::Status RequireOneRegion(const std::vector<v1::Finding>& findings, absl::string_view field) {
  for (const auto& f : findings) {
    if (f.region_code() != findings[0].region_code()) {
      return common::InvalidField(field, "must all be findings of one region");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RecordsLogic::IssueRectificationOrder(const MutationContext& ctx,
                                                   const v1::IssueRectificationOrderRequest& req,
                                                   v1::RectificationOrder& out) {
  TUOPIN_ASSIGN_OR_RETURN(auto findings, LoadFindings(ctx.principal, req.finding_ids()));
  TUOPIN_RETURN_IF_ERROR(RequireOneRegion(findings, "finding_ids"));
  TUOPIN_RETURN_IF_ERROR(RequireSubject(ctx.principal, req.responsible(), "responsible"));
  TUOPIN_ASSIGN_OR_RETURN(
      int stage, CampaignStage(ctx.principal, req.campaign_id(), findings[0].region_code()));
  // The order id derives from the caller and request id, so a retried request creates
  // the same tasks (tasks deduplicates their request ids) and the same order.
  v1::RectificationOrder order;
  order.set_id(
      common::HexEncode(common::Sha256(absl::StrCat(ctx.principal.subject(), "\n", ctx.request_id)))
          .substr(0, 32));
  for (const auto& id : req.finding_ids()) order.add_finding_ids(id);
  *order.mutable_responsible() = req.responsible();
  *order.mutable_deadline() = req.deadline();
  order.set_region_code(findings[0].region_code());
  order.set_campaign_id(req.campaign_id());
  order.set_issued_by(ctx.principal.subject());
  for (const auto& f : findings) {
    if (f.region_code().size() != 12) continue;  // tasks target villages
    tv1::Task task = RectificationTask(f, order, stage);
    // A task linked to the order lies in the order's region: its events enter the order's
    // history, which the order's auditors must be able to read in full.
    auto outside = [&](const tv1::Task& t) {
      return absl::InternalError(absl::StrCat("rectification task in village ", t.village_code(),
                                              " is outside the order's region ",
                                              order.region_code()));
    };
    if (!common::RegionCovers(order.region_code(), task.village_code())) return outside(task);
    // Bounded to the 64 characters a request id may have, whatever the ids' lengths.
    std::string request_id = absl::StrCat(
        "rectify-",
        common::HexEncode(common::Sha256(absl::StrCat(order.id(), "\n", f.id()))).substr(0, 48));
    TUOPIN_ASSIGN_OR_RETURN(tv1::Task created, tasks_.CreateTask(request_id, task));
    if (!common::RegionCovers(order.region_code(), created.village_code())) return outside(created);
    order.add_task_ids(created.id());
  }
  return store_.CreateOrder(ctx, order, out);
}

absl::Status RecordsLogic::SubmitRectification(const MutationContext& ctx,
                                               const v1::SubmitRectificationRequest& req,
                                               v1::RectificationOrder& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::RectificationOrder o, LoadOrder(ctx.principal, req.order_id()));
  if (HasRole(ctx.principal, ROLE_CADRE) && !HasRole(ctx.principal, ROLE_ADMIN) &&
      !HasRole(ctx.principal, ROLE_COUNTY_OFFICIAL) &&
      o.responsible().cadre_id() != ctx.principal.subject()) {
    return common::WithReason(
        absl::PermissionDeniedError("Permission denied: only the responsible cadre submits"),
        "NOT_RESPONSIBLE");
  }
  return store_.ChangeOrder(
      ctx, o.id(),
      [&](v1::RectificationOrder& order) -> absl::Status {
        TUOPIN_RETURN_IF_ERROR(Transition(order, v1::RECTIFICATION_STATUS_OPEN, "submit"));
        order.set_status(v1::RECTIFICATION_STATUS_SUBMITTED);
        order.set_submission_note(req.note());
        return absl::OkStatus();
      },
      out);
}

absl::Status RecordsLogic::RequireTasksVerified(const v1::RectificationOrder& order) {
  std::vector<std::string> open;
  for (const auto& id : order.task_ids()) {
    absl::StatusOr<tv1::Task> t = tasks_.GetTask(id);
    if (!t.ok()) return LinkedTaskError(id, t.status());
    // Cancelled is not verified: a task dropped is work not done.
    if (t->status() != tv1::TASK_STATUS_VERIFIED)
      open.push_back(absl::StrCat(id, " (", tv1::TaskStatus_Name(t->status()), ")"));
  }
  if (open.empty()) return absl::OkStatus();
  return common::WithReason(
      absl::FailedPreconditionError(
          absl::StrCat("rectification order ", order.id(),
                       " cannot be verified before all its tasks are verified; not verified: ",
                       absl::StrJoin(open, ", "))),
      "TASKS_NOT_VERIFIED");
}

absl::Status RecordsLogic::ReopenTasks(const MutationContext& ctx,
                                       const v1::RectificationOrder& order,
                                       const std::string& reason) {
  for (const auto& id : order.task_ids()) {
    absl::StatusOr<tv1::Task> t = tasks_.GetTask(id);
    if (!t.ok()) return LinkedTaskError(id, t.status());
    // Open and in-progress tasks are still being worked on; cancelled ones stay cancelled
    // (and keep the order from being verified).
    if (t->status() != tv1::TASK_STATUS_COMPLETED && t->status() != tv1::TASK_STATUS_VERIFIED)
      continue;
    absl::StatusOr<tv1::Task> reopened =
        tasks_.ReopenTask(ReopenRequestId(ctx.principal.subject(), ctx.request_id, id), id, reason);
    if (!reopened.ok()) return LinkedTaskError(id, reopened.status());
  }
  return absl::OkStatus();
}

absl::Status RecordsLogic::VerifyRectification(const MutationContext& ctx,
                                               const v1::VerifyRectificationRequest& req,
                                               v1::RectificationOrder& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::RectificationOrder o, LoadOrder(ctx.principal, req.order_id()));
  if (o.responsible().cadre_id() == ctx.principal.subject()) {
    return common::WithReason(
        absl::PermissionDeniedError(
            "Permission denied: the responsible party cannot verify its own rectification"),
        "VERIFIER_RESPONSIBLE");
  }
  // Only a submitted order is about to be verified; any other state is refused (or, for a
  // retry of a verification that went through, replayed) by the transition below, even
  // if a task was reopened since.
  if (o.status() == v1::RECTIFICATION_STATUS_SUBMITTED)
    TUOPIN_RETURN_IF_ERROR(RequireTasksVerified(o));
  return store_.ChangeOrder(
      ctx, o.id(),
      [&](v1::RectificationOrder& order) -> absl::Status {
        TUOPIN_RETURN_IF_ERROR(Transition(order, v1::RECTIFICATION_STATUS_SUBMITTED, "verify"));
        order.set_status(v1::RECTIFICATION_STATUS_VERIFIED);
        order.set_verified_by(ctx.principal.subject());
        return absl::OkStatus();
      },
      out);
}

absl::Status RecordsLogic::RejectRectification(const MutationContext& ctx,
                                               const v1::RejectRectificationRequest& req,
                                               v1::RectificationOrder& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::RectificationOrder o, LoadOrder(ctx.principal, req.order_id()));
  // The tasks are reopened before the rejection is committed: if one fails, the caller
  // gets the error and the order stays submitted (it cannot be verified either, now that a
  // task is open again); a retry of the same request skips the tasks already reopened
  // (and replays their ReopenTask calls, whose request ids are the same) and commits.
  // Once committed, a retry finds the order no longer submitted and is replayed below.
  if (o.status() == v1::RECTIFICATION_STATUS_SUBMITTED)
    TUOPIN_RETURN_IF_ERROR(ReopenTasks(ctx, o, req.reason()));
  return store_.ChangeOrder(
      ctx, o.id(),
      [&](v1::RectificationOrder& order) -> absl::Status {
        TUOPIN_RETURN_IF_ERROR(Transition(order, v1::RECTIFICATION_STATUS_SUBMITTED, "reject"));
        order.set_status(v1::RECTIFICATION_STATUS_OPEN);
        order.set_reopen_count(order.reopen_count() + 1);
        order.set_submission_note(absl::StrCat("rejected: ", req.reason()));
        return absl::OkStatus();
      },
      out);
}

absl::Status RecordsLogic::ListRectificationOrders(const Principal& p,
                                                   const v1::ListRectificationOrdersRequest& req,
                                                   v1::ListRectificationOrdersResponse& out) {
  TUOPIN_RETURN_IF_ERROR(
      RequireRegion(p, req.region_code(), absl::StrCat("regions/", req.region_code())));
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.ListOrders(req.region_code(), req.status(), page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::RectificationOrder& o) { return std::vector<std::string>{o.id()}; },
      out.mutable_orders(), out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status RecordsLogic::RecordAccountabilityAction(
    const MutationContext& ctx, const v1::RecordAccountabilityActionRequest& req,
    v1::AccountabilityAction& out) {
  TUOPIN_ASSIGN_OR_RETURN(auto findings, LoadFindings(ctx.principal, req.action().finding_ids()));
  TUOPIN_RETURN_IF_ERROR(RequireOneRegion(findings, "action.finding_ids"));
  TUOPIN_RETURN_IF_ERROR(RequireSubject(ctx.principal, req.action().subject(), "action.subject"));
  v1::AccountabilityAction action = req.action();
  action.clear_id();
  action.set_region_code(findings[0].region_code());
  return store_.CreateAction(ctx, action, out);
}

absl::Status RecordsLogic::ListAccountabilityActions(
    const Principal& p, const v1::ListAccountabilityActionsRequest& req,
    v1::ListAccountabilityActionsResponse& out) {
  TUOPIN_RETURN_IF_ERROR(
      RequireRegion(p, req.region_code(), absl::StrCat("regions/", req.region_code())));
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  TUOPIN_ASSIGN_OR_RETURN(auto rows,
                          store_.ListActions(req.region_code(), req.subject_cadre_id(), page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::AccountabilityAction& a) { return std::vector<std::string>{a.id()}; },
      out.mutable_actions(), out.mutable_next_page_token());
  return absl::OkStatus();
}

}  // namespace tuopin::accountability
