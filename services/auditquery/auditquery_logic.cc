#include "services/auditquery/auditquery_logic.h"

#include <future>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/auth.h"
#include "common/crypto.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::auditquery {
namespace {

using tuopin::common::v1::Sector;

// Runs `f` on its own thread; the reads of one query go out together.
template <typename F>
auto Async(F f) {
  return std::async(std::launch::async, std::move(f));
}

const absl::TimeZone& ChinaTime() {
  static const absl::TimeZone* tz = new absl::TimeZone(absl::FixedTimeZone(8 * 3600));
  return *tz;
}

// Where the reads about a cadre look: the province of the cadre's managing region, so
// tasks and findings in any of its counties are found.
std::string ProvinceOf(const std::string& region) { return region.substr(0, 2); }

// An object another service did not find (asked with our own principal, which sees every
// region), as the caller may be told: NOT_FOUND only to a caller who sees every region.
template <typename T>
absl::StatusOr<T> Named(const common::Principal& p, absl::StatusOr<T> got,
                        absl::string_view resource) {
  if (got.ok() || got.status().code() != absl::StatusCode::kNotFound) return got;
  return common::MissingObject(p, resource, got.status());
}

// The events naming an assessment that GetAssessmentReport reads: its own are bounded by the
// contract's limits (creation, reveal, 60 x 3 x 30 visits, finalization and up to 1800
// reversals: under 7,300), but the log's entity listing cannot leave out our own access
// events, one per look at the assessment, which are filtered out afterwards: room for
// tens of thousands of looks before the report is refused as too large.
constexpr int kMaxAssessmentEvents = 100000;

int Bp(int64_t part, int64_t whole) {
  return whole <= 0 ? 0 : static_cast<int>(part * 10000 / whole);
}

}  // namespace

absl::Status AuditQueryLogic::Prove(std::vector<lv1::Leaf> leaves, lv1::Checkpoint* checkpoint,
                                    google::protobuf::RepeatedPtrField<v1::ProvenEvent>* events) {
  TUOPIN_ASSIGN_OR_RETURN(*checkpoint, suite_.Checkpoint());
  std::vector<int64_t> indexes;
  indexes.reserve(leaves.size());
  for (const auto& l : leaves) indexes.push_back(l.index());
  std::vector<lv1::InclusionProof> proofs;
  if (!indexes.empty()) {
    TUOPIN_ASSIGN_OR_RETURN(proofs, suite_.Proofs(indexes, checkpoint->tree_size()));
  }
  if (proofs.size() != leaves.size()) return absl::InternalError("the log returned too few proofs");
  for (size_t i = 0; i < leaves.size(); ++i) {
    auto* e = events->Add();
    *e->mutable_leaf() = std::move(leaves[i]);
    *e->mutable_proof() = std::move(proofs[i]);
  }
  return absl::OkStatus();
}

absl::Status AuditQueryLogic::RecordAccess(const MutationContext& ctx,
                                           const common::EntityRefs& looked_at,
                                           const google::protobuf::Message& response) {
  auto event = common::MakeAuditEvent(ids_, ctx, looked_at, common::DeterministicBytes(response));
  absl::Status st = suite_.Append(event);
  if (!st.ok()) {
    return common::WithReason(
        absl::UnavailableError(absl::StrCat("the access could not be recorded in the audit log, "
                                            "so nothing is shown: ",
                                            st.message())),
        common::ErrorReason::ACCESS_NOT_RECORDED);
  }
  return absl::OkStatus();
}

absl::Status AuditQueryLogic::GetEntityHistory(const MutationContext& ctx,
                                               const v1::GetEntityHistoryRequest& req,
                                               v1::EntityHistory& out) {
  TUOPIN_ASSIGN_OR_RETURN(
      auto leaves, suite_.EntityEvents(req.entity_type(), req.entity_id(), kMaxHistoryEvents));
  std::string resource = absl::StrCat(req.entity_type(), "/", req.entity_id());
  std::string region;
  // Every region the entity was recorded in must be within the caller's scope.
  for (const auto& leaf : leaves) {
    for (const auto& e : leaf.event().entities()) {
      if (e.type() != req.entity_type() || e.id() != req.entity_id()) continue;
      if (!e.region_code().empty()) {
        TUOPIN_RETURN_IF_ERROR(common::RequireRegion(ctx.principal, e.region_code(), resource));
        region = e.region_code();
      }
    }
  }
  if (leaves.empty()) {
    return common::MissingObject(
        ctx.principal, resource,
        common::WithReason(absl::NotFoundError(absl::StrCat("no audit event names ", resource)),
                           common::ErrorReason::NOT_FOUND));
  }
  TUOPIN_RETURN_IF_ERROR(Prove(std::move(leaves), out.mutable_checkpoint(), out.mutable_events()));
  return RecordAccess(ctx, {common::Entity(req.entity_type(), req.entity_id(), region)}, out);
}

absl::Status AuditQueryLogic::GetCadreDossier(const MutationContext& ctx,
                                              const v1::GetCadreDossierRequest& req,
                                              v1::CadreDossier& out) {
  TUOPIN_ASSIGN_OR_RETURN(pv1::Cadre cadre, Named(ctx.principal, suite_.GetCadre(req.cadre_id()),
                                                  absl::StrCat("cadres/", req.cadre_id())));
  TUOPIN_RETURN_IF_ERROR(common::RequireRegion(ctx.principal, cadre.managing_region_code(),
                                               absl::StrCat("cadres/", cadre.id())));
  std::string province = ProvinceOf(cadre.managing_region_code());
  absl::CivilDay today = common::ChinaDay(ctx.now);
  auto postings = Async([&] { return suite_.CadrePostings(cadre.id()); });
  auto pairings = Async([&] { return suite_.CadrePairings(cadre.id()); });
  auto attendance = Async([&] { return suite_.Attendance(cadre.id(), today - 89, today); });
  auto tasks = Async([&] { return suite_.CadreTasks(province, cadre.id()); });
  auto findings = Async([&] { return suite_.Findings(province, cadre.id()); });
  auto actions = Async([&] { return suite_.Actions(province, cadre.id()); });
  auto p = postings.get();
  auto pa = pairings.get();
  auto at = attendance.get();
  auto t = tasks.get();
  auto f = findings.get();
  auto a = actions.get();
  for (const absl::Status& st :
       {p.status(), pa.status(), at.status(), t.status(), f.status(), a.status()}) {
    TUOPIN_RETURN_IF_ERROR(st);
  }
  *out.mutable_cadre() = std::move(cadre);
  for (auto& x : *p) *out.add_postings() = std::move(x);
  for (auto& x : *pa) *out.add_pairings() = std::move(x);
  *out.mutable_attendance_last_90_days() = std::move(*at);
  int overdue = 0;
  for (auto& x : *t) {
    overdue += x.overdue() ? 1 : 0;
    *out.add_tasks() = std::move(x);
  }
  out.set_overdue_tasks(overdue);
  for (auto& x : *f) *out.add_findings() = std::move(x);
  for (auto& x : *a) *out.add_actions() = std::move(x);
  return RecordAccess(
      ctx, {common::Entity("cadre", out.cadre().id(), out.cadre().managing_region_code())}, out);
}

absl::Status AuditQueryLogic::TraceFunds(const MutationContext& ctx,
                                         const v1::TraceFundsRequest& req,
                                         v1::FundTraceWithEvents& out) {
  TUOPIN_ASSIGN_OR_RETURN(fv1::Account account,
                          Named(ctx.principal, suite_.GetAccount(req.account_id()),
                                absl::StrCat("accounts/", req.account_id())));
  TUOPIN_RETURN_IF_ERROR(common::RequireRegion(ctx.principal, account.region_code(),
                                               absl::StrCat("accounts/", account.id())));
  TUOPIN_ASSIGN_OR_RETURN(*out.mutable_trace(), suite_.TraceFunds(account.id()));
  std::vector<std::string> transfer_ids;
  for (const auto& edge : out.trace().edges())
    for (const auto& id : edge.transfer_ids()) transfer_ids.push_back(id);
  std::sort(transfer_ids.begin(), transfer_ids.end());
  transfer_ids.erase(std::unique(transfer_ids.begin(), transfer_ids.end()), transfer_ids.end());
  if (static_cast<int>(transfer_ids.size()) > kMaxTraceTransfers) {
    return common::WithReason(absl::FailedPreconditionError(absl::StrCat(
                                  "the trace names more than ", kMaxTraceTransfers, " transfers")),
                              common::ErrorReason::TOO_LARGE);
  }
  // The event that created each transfer (and any that posted or voided it), in log order.
  std::map<int64_t, lv1::Leaf> by_index;
  for (const auto& id : transfer_ids) {
    TUOPIN_ASSIGN_OR_RETURN(auto leaves, suite_.EntityEvents("transfer", id, 100));
    for (auto& l : leaves) {
      // Only the ledger's own events: an auditor's earlier look at a transfer is not part
      // of the money's lineage.
      if (l.event().service() != "funds") continue;
      int64_t index = l.index();
      by_index.emplace(index, std::move(l));
    }
  }
  std::vector<lv1::Leaf> leaves;
  for (auto& [index, leaf] : by_index) leaves.push_back(std::move(leaf));
  TUOPIN_RETURN_IF_ERROR(
      Prove(std::move(leaves), out.mutable_checkpoint(), out.mutable_transfer_events()));
  return RecordAccess(ctx, {common::Entity("account", account.id(), account.region_code())}, out);
}

absl::Status AuditQueryLogic::GetRectificationStatus(const MutationContext& ctx,
                                                     const v1::GetRectificationStatusRequest& req,
                                                     v1::RectificationStatusReport& out) {
  TUOPIN_RETURN_IF_ERROR(common::RequireRegionCode(ctx.principal, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(auto orders, suite_.Orders(req.region_code()));
  absl::CivilDay today = common::ChinaDay(ctx.now);
  int reopened = 0;
  out.set_region_code(req.region_code());
  for (auto& o : orders) {
    switch (o.status()) {
      case av1::RECTIFICATION_STATUS_OPEN:
        out.set_open(out.open() + 1);
        break;
      case av1::RECTIFICATION_STATUS_SUBMITTED:
        out.set_submitted(out.submitted() + 1);
        break;
      case av1::RECTIFICATION_STATUS_VERIFIED:
        out.set_verified(out.verified() + 1);
        break;
      default:
        break;
    }
    reopened += o.reopen_count() > 0 ? 1 : 0;
    if (o.status() != av1::RECTIFICATION_STATUS_VERIFIED &&
        common::FromDate(o.deadline()) < today) {
      out.set_overdue(out.overdue() + 1);
      *out.add_overdue_orders() = std::move(o);
    }
  }
  out.set_reopen_rate_bp(Bp(reopened, static_cast<int64_t>(orders.size())));
  return RecordAccess(ctx, {common::Entity("region", req.region_code(), req.region_code())}, out);
}

absl::Status AuditQueryLogic::GetScorecard(const MutationContext& ctx,
                                           const v1::GetScorecardRequest& req, v1::Scorecard& out) {
  const std::string& region = req.region_code();
  TUOPIN_RETURN_IF_ERROR(common::RequireRegionCode(ctx.principal, region));
  // Five reads, each an aggregate its service computes in the database.
  auto campaign = Async([&] { return suite_.GetCampaign(req.campaign_id()); });
  auto progress = Async([&] { return suite_.SectorProgress(region, req.campaign_id()); });
  auto coverage = Async([&] { return suite_.Coverage(region); });
  auto money = Async([&] { return suite_.UtilizationBySector(region, kIdleAfterDays); });
  auto summary = Async([&] { return suite_.Summary(region); });
  std::string campaign_resource = absl::StrCat("campaigns/", req.campaign_id());
  auto c = Named(ctx.principal, campaign.get(), campaign_resource);
  auto pr = progress.get();
  auto cov = coverage.get();
  auto u = money.get();
  auto sm = summary.get();
  TUOPIN_RETURN_IF_ERROR(c.status());
  // The campaign is one the caller sees, as task tracking shows it.
  if (!common::ScopeOverlaps(ctx.principal, c->region_code()))
    return common::OutOfScope(campaign_resource);
  for (const absl::Status& st : {pr.status(), cov.status(), u.status(), sm.status()}) {
    TUOPIN_RETURN_IF_ERROR(st);
  }

  out.set_region_code(region);
  out.set_campaign_id(req.campaign_id());
  out.set_stage(c->current_stage());
  struct Totals {
    int64_t tasks = 0, verified = 0, overdue = 0, findings = 0;
    int elapsed_bp = 0;
    fv1::SectorUtilization money;
  };
  std::map<int, Totals> by_sector;
  for (const auto& row : pr->rows()) {
    Totals& t = by_sector[row.sector()];
    t.tasks += row.total();
    t.verified += row.verified();
    t.overdue += row.overdue();
    t.elapsed_bp = std::max(t.elapsed_bp, row.elapsed_share_bp());
  }
  for (const auto& m : u->sectors()) by_sector[m.sector()].money = m;
  for (const auto& f : sm->findings_by_sector()) by_sector[f.sector()].findings += f.count();
  for (int s = tuopin::common::v1::Sector_MIN + 1; s <= tuopin::common::v1::Sector_MAX; ++s) {
    const Totals& t = by_sector[s];
    auto* score = out.add_sectors();
    score->set_sector(static_cast<Sector>(s));
    score->set_tasks(static_cast<int32_t>(t.tasks));
    score->set_verified(static_cast<int32_t>(t.verified));
    score->set_overdue(static_cast<int32_t>(t.overdue));
    score->set_verified_share_bp(Bp(t.verified, t.tasks));
    score->set_lagging(t.tasks > 0 && t.elapsed_bp - score->verified_share_bp() > kLagToleranceBp);
    auto* util = score->mutable_utilization();
    util->set_appropriated_fen(u->appropriated_fen());
    util->set_allocated_fen(t.money.allocated_fen());
    util->set_disbursed_fen(t.money.disbursed_fen());
    util->set_disbursement_rate_bp(t.money.disbursement_rate_bp());
    score->set_idle_fen(t.money.idle_fen());
    score->set_findings(static_cast<int32_t>(t.findings));
  }
  *out.mutable_coverage() = std::move(*cov);
  if (pr->has_as_of()) *out.mutable_progress_as_of() = pr->as_of();
  if (u->has_as_of()) *out.mutable_utilization_as_of() = u->as_of();
  out.set_findings(sm->findings());
  out.set_rectification_orders(sm->orders());
  out.set_rectifications_verified(sm->orders_verified());
  out.set_rectification_reopen_rate_bp(Bp(sm->orders_reopened(), sm->orders()));
  return RecordAccess(ctx,
                      {common::Entity("region", region, region),
                       common::Entity("campaign", req.campaign_id(), c->region_code())},
                      out);
}

absl::Status AuditQueryLogic::ExportAuditBundle(const MutationContext& ctx,
                                                const v1::ExportAuditBundleRequest& req,
                                                v1::AuditBundle& out) {
  const std::string& region = req.region_code();
  TUOPIN_RETURN_IF_ERROR(common::RequireRegionCode(ctx.principal, region));
  absl::Time from = absl::FromCivil(common::FromDate(req.from_date()), ChinaTime());
  absl::Time to = absl::FromCivil(common::FromDate(req.to_date()) + 1, ChinaTime());
  TUOPIN_ASSIGN_OR_RETURN(auto leaves, suite_.RegionEvents(region, from, to, kMaxBundleEvents));
  TUOPIN_ASSIGN_OR_RETURN(*out.mutable_verifier_key(), suite_.VerifierKey());
  TUOPIN_RETURN_IF_ERROR(Prove(std::move(leaves), out.mutable_checkpoint(), out.mutable_events()));
  return RecordAccess(ctx, {common::Entity("region", region, region)}, out);
}

absl::Status AuditQueryLogic::GetAssessmentReport(const MutationContext& ctx,
                                                  const v1::GetAssessmentReportRequest& req,
                                                  v1::AssessmentReport& out) {
  std::string resource = absl::StrCat("assessments/", req.assessment_id());
  TUOPIN_ASSIGN_OR_RETURN(
      av1::Assessment assessment,
      Named(ctx.principal, suite_.GetAssessment(req.assessment_id()), resource));
  TUOPIN_RETURN_IF_ERROR(common::RequireRegion(ctx.principal, assessment.county_code(), resource));
  // The county does not see the sample, the visits or what would recompute the sample
  // before the assessment is finalized (assessment.proto): we read with our own "*".
  bool finalized = assessment.state() == av1::ASSESSMENT_STATE_FINALIZED;
  bool independent =
      common::RequireScopeAboveCounty(ctx.principal, assessment.county_code(), resource).ok();
  bool shown = finalized || independent;
  if (!shown) {
    assessment.clear_revealed_seed_hex();
    assessment.clear_server_nonce_hex();
  }
  // Before the reveal there is no sample to read (the service refuses it as NOT_REVEALED).
  bool revealed = shown && (assessment.state() == av1::ASSESSMENT_STATE_REVEALED || finalized);
  auto sample = Async([&]() -> absl::StatusOr<av1::AssessmentSample> {
    if (!revealed) return av1::AssessmentSample();
    return suite_.AssessmentSample(assessment.id());
  });
  auto visits = Async([&]() -> absl::StatusOr<std::vector<av1::AssessmentVisit>> {
    if (!shown) return std::vector<av1::AssessmentVisit>();
    return suite_.AssessmentVisits(assessment.id());
  });
  auto events = Async(
      [&] { return suite_.EntityEvents("assessment", assessment.id(), kMaxAssessmentEvents); });
  auto sa = sample.get();
  auto vi = visits.get();
  auto ev = events.get();
  for (const absl::Status& st : {sa.status(), vi.status(), ev.status()}) {
    TUOPIN_RETURN_IF_ERROR(st);
  }
  // The assessment's own events; earlier looks at it (our access events) are not part of
  // what proves it.
  std::vector<lv1::Leaf> leaves;
  for (auto& l : *ev) {
    if (l.event().service() != "auditquery") leaves.push_back(std::move(l));
  }
  *out.mutable_assessment() = std::move(assessment);
  if (revealed) *out.mutable_sample() = std::move(*sa);
  for (auto& v : *vi) {
    // Notes (up to 4,000 characters each) would take the largest assessment's report past
    // the gateway's message limit; ListAssessmentVisits has them (auditquery.proto).
    v.clear_notes();
    *out.add_visits() = std::move(v);
  }
  TUOPIN_RETURN_IF_ERROR(Prove(std::move(leaves), out.mutable_checkpoint(), out.mutable_events()));
  return RecordAccess(
      ctx, {common::Entity("assessment", out.assessment().id(), out.assessment().county_code())},
      out);
}

}  // namespace tuopin::auditquery
