#include "services/accountability/records_logic.h"

#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::accountability {

namespace tv1 = tuopin::tasks::v1;

namespace {

using common::HasRole;
using common::RequireRegion;
using common::RequireRegionCode;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_CADRE;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;

using common::NotFound;

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
      common::ErrorReason::ILLEGAL_TRANSITION);
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
    TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, region));
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
        common::ErrorReason::SEED_MISMATCH);
  }
  TUOPIN_ASSIGN_OR_RETURN(auto population, store_.Population(in.id()));
  if (PopulationDigest(population) != in.population_digest()) {
    return absl::DataLossError("the frozen population no longer matches its digest");
  }
  return store_.SaveSample(
      ctx, in.id(),
      [&](const v1::Inspection& locked) -> absl::StatusOr<std::vector<std::string>> {
        // A sample is drawn once: a second seed (or the same one again) changes nothing.
        if (locked.revealed()) {
          return common::WithReason(
              absl::FailedPreconditionError("the sample was already revealed"),
              common::ErrorReason::ALREADY_REVEALED);
        }
        return DrawSample(seed, population, locked.sample_size());
      },
      out);
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
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, f.region_code()));
  TUOPIN_RETURN_IF_ERROR(RequireSubject(ctx.principal, f.subject(), "finding.subject"));
  v1::Finding finding = f;
  finding.clear_id();
  return store_.CreateFinding(ctx, finding, out);
}

absl::Status RecordsLogic::SummarizeRegion(const Principal& p,
                                           const v1::SummarizeRegionRequest& req,
                                           v1::RegionSummary& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(out, store_.Summarize(req.region_code(), common::ChinaDay(clock_.Now())));
  return absl::OkStatus();
}

absl::Status RecordsLogic::ListFindings(const Principal& p, const v1::ListFindingsRequest& req,
                                        v1::ListFindingsResponse& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
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
  order.set_status(v1::RECTIFICATION_STATUS_OPEN);
  // A task linked to the order lies in the order's region: its events enter the order's
  // history, which the order's auditors must be able to read in full.
  auto outside = [&](const tv1::Task& t) {
    return absl::InternalError(absl::StrCat("rectification task in village ", t.village_code(),
                                            " is outside the order's region ",
                                            order.region_code()));
  };
  std::vector<tv1::Task> tasks;
  for (const auto& f : findings) {
    if (f.region_code().size() != 12) continue;  // tasks target villages
    tasks.push_back(RectificationTask(f, order, stage));
    if (!common::RegionCovers(order.region_code(), tasks.back().village_code()))
      return outside(tasks.back());
  }
  if (!tasks.empty()) {
    // One call for the order's tasks, under a request id bounded to the 64 characters a
    // request id may have: a retried order asks again with the same id and gets the same
    // tasks. A task task tracking refuses refuses the order.
    std::string request_id = absl::StrCat(
        "rectify-",
        common::HexEncode(common::Sha256(absl::StrCat(order.id(), "\ntasks"))).substr(0, 48));
    TUOPIN_ASSIGN_OR_RETURN(tv1::BatchCreateTasksResponse created,
                            tasks_.BatchCreateTasks(request_id, tasks));
    if (created.results_size() != static_cast<int>(tasks.size()))
      return absl::InternalError("task tracking answered another number of tasks");
    for (const auto& r : created.results()) {
      if (r.has_error()) {  // as CreateTask would have answered it, reason and fields
        return common::FromGrpcStatus(grpc::Status(static_cast<grpc::StatusCode>(r.error().code()),
                                                   r.error().message(),
                                                   r.error().SerializeAsString()));
      }
      if (!common::RegionCovers(order.region_code(), r.task().village_code()))
        return outside(r.task());
      order.add_task_ids(r.task().id());
    }
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
        common::ErrorReason::NOT_RESPONSIBLE);
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
      common::ErrorReason::TASKS_NOT_VERIFIED);
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
        common::ErrorReason::VERIFIER_RESPONSIBLE);
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
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
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
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
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
