// Unit tests of the audit-query logic on a fake suite (no gateway, no database): each view
// checks the caller's region scope against what it reads, proves every event it shows
// against one checkpoint, records the access before answering, and computes its figures
// from what the services return.

#include "services/auditquery/auditquery_logic.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/auth.h"
#include "common/field_limits.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/auditquery/auditquery_validate.h"
#include "tests/support/fake_suite_reader.h"
#include "tests/support/same_refusal.h"

namespace tuopin::auditquery {
namespace {

using testing::ExpectSameRefusal;
using testing::FakeSuiteReader;
using tuopin::common::v1::AuditEvent;
using tuopin::common::v1::ROLE_AUDITOR;
using tuopin::common::v1::SECTOR_DRINKING_WATER;
using tuopin::common::v1::SECTOR_HOUSING_SAFETY;

constexpr char kCounty[] = "520221";
constexpr char kVillage[] = "520221104001";
constexpr char kOtherVillage[] = "520203101001";  // another county

class AuditQueryLogicTest : public ::testing::Test {
 protected:
  AuditQueryLogicTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone())),
        ids_("access-"),
        logic_(suite_, ids_, clock_) {
    auditor_.set_subject("auditor-1");
    auditor_.add_roles(ROLE_AUDITOR);
    auditor_.add_region_scopes(kCounty);
  }

  MutationContext Ctx() const {
    MutationContext m;
    m.service = "auditquery";
    m.method = "/tuopin.auditquery.v1.AuditQueryService/Test";
    m.principal = auditor_;
    m.request_id = "x-req-1";
    m.now = clock_.Now();
    return m;
  }

  // An event of `service` naming one entity, at `at`; returns its leaf index.
  int64_t LogEvent(const std::string& service, const std::string& type, const std::string& id,
                   const std::string& region, absl::Time at = absl::UnixEpoch()) {
    AuditEvent e;
    e.set_event_id(absl::StrCat("ev-", ++events_));
    e.set_service(service);
    e.set_method("/test/Method");
    e.set_actor_subject("someone");
    *e.mutable_occurred_at() = common::ToTimestamp(at == absl::UnixEpoch() ? clock_.Now() : at);
    *e.add_entities() = common::Entity(type, id, region);
    return suite_.Log(e);
  }

  // The one access event the last query appended.
  AuditEvent OnlyAccess() const {
    std::vector<AuditEvent> appended = suite_.Appended();
    EXPECT_EQ(appended.size(), 1u);
    return appended.empty() ? AuditEvent() : appended.back();
  }

  // Every event shown is proved against the answer's checkpoint, which covers it.
  static void ExpectProved(const google::protobuf::RepeatedPtrField<v1::ProvenEvent>& events,
                           const lv1::Checkpoint& checkpoint) {
    for (const auto& e : events) {
      EXPECT_EQ(e.proof().leaf_index(), e.leaf().index());
      EXPECT_EQ(e.proof().tree_size(), checkpoint.tree_size());
      EXPECT_LT(e.leaf().index(), checkpoint.tree_size());
    }
  }

  common::FakeClock clock_;
  common::SequentialIdGenerator ids_;
  FakeSuiteReader suite_;
  AuditQueryLogic logic_;
  common::Principal auditor_;
  int events_ = 0;
};

// ---- GetEntityHistory

TEST_F(AuditQueryLogicTest, EntityHistoryProvesEveryEventAndRecordsTheAccess) {
  LogEvent("personnel", "household", "h-1", kVillage);
  LogEvent("personnel", "household", "h-2", kVillage);
  LogEvent("tasks", "household", "h-1", kVillage);
  v1::GetEntityHistoryRequest req;
  req.set_entity_type("household");
  req.set_entity_id("h-1");
  v1::EntityHistory out;
  ASSERT_TRUE(logic_.GetEntityHistory(Ctx(), req, out).ok());
  ASSERT_EQ(out.events_size(), 2);
  EXPECT_EQ(out.events(0).leaf().index(), 0);
  EXPECT_EQ(out.events(1).leaf().index(), 2);
  EXPECT_EQ(out.checkpoint().tree_size(), 3);
  ExpectProved(out.events(), out.checkpoint());
  AuditEvent access = OnlyAccess();
  EXPECT_EQ(access.service(), "auditquery");
  EXPECT_EQ(access.actor_subject(), "auditor-1");
  EXPECT_EQ(access.request_id(), "x-req-1");
  ASSERT_EQ(access.entities_size(), 1);
  EXPECT_EQ(access.entities(0).type(), "household");
  EXPECT_EQ(access.entities(0).id(), "h-1");
  EXPECT_EQ(access.entities(0).region_code(), kVillage);
  EXPECT_EQ(access.method(), Ctx().method);
}

TEST_F(AuditQueryLogicTest, EntityHistoryOfAnotherRegionLooksMissing) {
  // Recorded once in the caller's county and once in another: every region must be in scope.
  LogEvent("personnel", "household", "h-moved", kVillage);
  LogEvent("personnel", "household", "h-moved", kOtherVillage);
  auto history = [&](const std::string& id) {
    v1::GetEntityHistoryRequest req;
    req.set_entity_type("household");
    req.set_entity_id(id);
    v1::EntityHistory out;
    return logic_.GetEntityHistory(Ctx(), req, out);
  };
  ExpectSameRefusal(history("h-moved"), "h-moved", history("h-ghost"), "h-ghost");
  EXPECT_TRUE(suite_.Appended().empty()) << "a refused look was recorded as shown";
  // Whoever sees every region is told what is missing.
  auditor_.set_region_scopes(0, "*");
  EXPECT_EQ(history("h-ghost").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(history("h-moved").ok());
}

TEST_F(AuditQueryLogicTest, NothingIsShownWhenTheAccessCannotBeRecorded) {
  LogEvent("personnel", "household", "h-1", kVillage);
  suite_.append_error = absl::UnavailableError("the log is restarting");
  v1::GetEntityHistoryRequest req;
  req.set_entity_type("household");
  req.set_entity_id("h-1");
  v1::EntityHistory out;
  absl::Status st = logic_.GetEntityHistory(Ctx(), req, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "ACCESS_NOT_RECORDED");
}

// ---- GetCadreDossier

class DossierTest : public AuditQueryLogicTest {
 protected:
  DossierTest() {
    pv1::Cadre& c = suite_.cadres["cadre-7"];
    c.set_id("cadre-7");
    c.set_managing_region_code(kCounty);
    suite_.postings["cadre-7"].emplace_back().set_id("posting-1");
    suite_.pairings["cadre-7"].emplace_back().set_id("pairing-1");
    suite_.attendance["cadre-7"].set_days_present(40);
    AddTask("t-1", kVillage, "cadre-7", true);
    AddTask("t-2", "520222100200", "cadre-7", false);  // another county of the province
    AddTask("t-3", kVillage, "cadre-8", true);         // someone else's
    AddTask("t-4", "530102001001", "cadre-7", true);   // another province
    av1::Finding& f = suite_.findings.emplace_back();
    f.set_id("f-1");
    f.set_region_code(kVillage);
    f.mutable_subject()->set_cadre_id("cadre-7");
    av1::AccountabilityAction& a = suite_.actions.emplace_back();
    a.set_id("a-1");
    a.set_region_code(kVillage);
    a.mutable_subject()->set_cadre_id("cadre-7");
    pv1::Cadre& other = suite_.cadres["cadre-liuzhi"];
    other.set_id("cadre-liuzhi");
    other.set_managing_region_code("520203");
  }

  void AddTask(const std::string& id, const std::string& village, const std::string& cadre,
               bool overdue) {
    tv1::Task& t = suite_.tasks.emplace_back();
    t.set_id(id);
    t.set_village_code(village);
    t.set_assignee_cadre_id(cadre);
    t.set_overdue(overdue);
  }

  absl::Status Dossier(const std::string& cadre_id, v1::CadreDossier& out) {
    v1::GetCadreDossierRequest req;
    req.set_cadre_id(cadre_id);
    return logic_.GetCadreDossier(Ctx(), req, out);
  }
};

TEST_F(DossierTest, GathersTheCadresRecordAcrossTheProvince) {
  v1::CadreDossier out;
  ASSERT_TRUE(Dossier("cadre-7", out).ok());
  EXPECT_EQ(out.cadre().id(), "cadre-7");
  EXPECT_EQ(out.postings_size(), 1);
  EXPECT_EQ(out.pairings_size(), 1);
  EXPECT_EQ(out.attendance_last_90_days().days_present(), 40);
  ASSERT_EQ(out.tasks_size(), 2);  // both counties of the province, not the other province
  EXPECT_EQ(out.tasks(0).id(), "t-1");
  EXPECT_EQ(out.tasks(1).id(), "t-2");
  EXPECT_EQ(out.overdue_tasks(), 1);
  EXPECT_EQ(out.findings_size(), 1);
  EXPECT_EQ(out.actions_size(), 1);
  // The last 90 days, today included, by China's calendar.
  auto [from, to] = suite_.AttendancePeriod();
  EXPECT_EQ(to, absl::CivilDay(2018, 9, 5));
  EXPECT_EQ(to - from, 89);
  AuditEvent access = OnlyAccess();
  ASSERT_EQ(access.entities_size(), 1);
  EXPECT_EQ(access.entities(0).type(), "cadre");
  EXPECT_EQ(access.entities(0).region_code(), kCounty);
}

TEST_F(DossierTest, ACadreOfAnotherCountyLooksMissing) {
  v1::CadreDossier a, b;
  ExpectSameRefusal(Dossier("cadre-liuzhi", a), "cadre-liuzhi", Dossier("cadre-ghost", b),
                    "cadre-ghost");
  EXPECT_TRUE(suite_.Appended().empty());
}

TEST_F(DossierTest, AFailedReadShowsNothing) {
  suite_.read_errors["Findings"] = absl::UnavailableError("accountability is down");
  v1::CadreDossier out;
  EXPECT_EQ(Dossier("cadre-7", out).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(suite_.Appended().empty());
}

// ---- TraceFunds

class TraceTest : public AuditQueryLogicTest {
 protected:
  TraceTest() {
    fv1::Account& a = suite_.accounts["acct-village"];
    a.set_id("acct-village");
    a.set_region_code(kVillage);
    fv1::Account& other = suite_.accounts["acct-liuzhi"];
    other.set_id("acct-liuzhi");
    other.set_region_code(kOtherVillage);
  }

  // A trace of `n` distinct transfers, the first named by two edges.
  void Trace(int n) {
    fv1::FundTrace& t = suite_.traces["acct-village"];
    t.set_account_id("acct-village");
    for (int i = 0; i < n; ++i) {
      fv1::TraceEdge* e = t.add_edges();
      e->set_to_account_id("acct-village");
      e->set_level(1);
      e->add_transfer_ids(absl::StrCat("tr-", i));
      if (i == 0) t.add_edges()->add_transfer_ids("tr-0");
    }
  }

  absl::Status Run(const std::string& account_id, v1::FundTraceWithEvents& out) {
    v1::TraceFundsRequest req;
    req.set_account_id(account_id);
    return logic_.TraceFunds(Ctx(), req, out);
  }
};

TEST_F(TraceTest, ShowsTheLedgersEventsOfEveryTransferInLogOrder) {
  Trace(2);
  LogEvent("funds", "transfer", "tr-1", kCounty);
  LogEvent("auditquery", "transfer", "tr-0", kCounty);  // an earlier look: not lineage
  LogEvent("funds", "transfer", "tr-0", kCounty);
  LogEvent("funds", "transfer", "tr-other", kCounty);
  v1::FundTraceWithEvents out;
  ASSERT_TRUE(Run("acct-village", out).ok());
  EXPECT_EQ(out.trace().account_id(), "acct-village");
  ASSERT_EQ(out.transfer_events_size(), 2);
  EXPECT_EQ(out.transfer_events(0).leaf().index(), 0);
  EXPECT_EQ(out.transfer_events(1).leaf().index(), 2);
  ExpectProved(out.transfer_events(), out.checkpoint());
  // A transfer named by two edges is read once.
  EXPECT_EQ(suite_.EntityReads("transfer", "tr-0"), 1);
  AuditEvent access = OnlyAccess();
  ASSERT_EQ(access.entities_size(), 1);
  EXPECT_EQ(access.entities(0).type(), "account");
  EXPECT_EQ(access.entities(0).region_code(), kVillage);
}

TEST_F(TraceTest, ATraceOfTooManyTransfersIsRefused) {
  Trace(kMaxTraceTransfers + 1);
  v1::FundTraceWithEvents out;
  absl::Status st = Run("acct-village", out);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "TOO_LARGE");
  EXPECT_TRUE(suite_.Appended().empty());
  suite_.traces.clear();
  Trace(kMaxTraceTransfers);
  EXPECT_TRUE(Run("acct-village", out).ok());
}

TEST_F(TraceTest, AnAccountOfAnotherCountyLooksMissing) {
  v1::FundTraceWithEvents a, b;
  ExpectSameRefusal(Run("acct-liuzhi", a), "acct-liuzhi", Run("acct-ghost", b), "acct-ghost");
  EXPECT_TRUE(suite_.Appended().empty());
}

// ---- GetRectificationStatus

TEST_F(AuditQueryLogicTest, RectificationStatusCountsTheRegionsOrders) {
  auto add = [&](const std::string& id, const std::string& region, av1::RectificationStatus s,
                 absl::CivilDay deadline, int reopens) {
    av1::RectificationOrder& o = suite_.orders.emplace_back();
    o.set_id(id);
    o.set_region_code(region);
    o.set_status(s);
    *o.mutable_deadline() = common::ToDate(deadline);
    o.set_reopen_count(reopens);
  };
  absl::CivilDay today(2018, 9, 5);
  add("o-late", kVillage, av1::RECTIFICATION_STATUS_OPEN, today - 1, 0);
  add("o-due-today", kVillage, av1::RECTIFICATION_STATUS_SUBMITTED, today, 0);
  add("o-done-late", kVillage, av1::RECTIFICATION_STATUS_VERIFIED, today - 30, 0);
  add("o-reopened", kVillage, av1::RECTIFICATION_STATUS_OPEN, today + 10, 2);
  add("o-liuzhi", kOtherVillage, av1::RECTIFICATION_STATUS_OPEN, today - 1, 0);
  v1::GetRectificationStatusRequest req;
  req.set_region_code(kCounty);
  v1::RectificationStatusReport out;
  ASSERT_TRUE(logic_.GetRectificationStatus(Ctx(), req, out).ok());
  EXPECT_EQ(out.region_code(), kCounty);
  EXPECT_EQ(out.open(), 2);
  EXPECT_EQ(out.submitted(), 1);
  EXPECT_EQ(out.verified(), 1);
  EXPECT_EQ(out.overdue(), 1);  // a verified order is never overdue; today is not late
  ASSERT_EQ(out.overdue_orders_size(), 1);
  EXPECT_EQ(out.overdue_orders(0).id(), "o-late");
  EXPECT_EQ(out.reopen_rate_bp(), 2500);
  EXPECT_EQ(OnlyAccess().entities(0).id(), kCounty);

  req.set_region_code("520203");
  EXPECT_EQ(logic_.GetRectificationStatus(Ctx(), req, out).code(),
            absl::StatusCode::kPermissionDenied);
}

// ---- GetScorecard

class ScorecardTest : public AuditQueryLogicTest {
 protected:
  ScorecardTest() {
    Campaign("campaign-1", kCounty);
    Campaign("campaign-liuzhi", "520203");
    tv1::SectorProgress& p = suite_.progress["campaign-1"];
    // Housing: 2 of 10 verified with half the stage gone: lagging. Water: on track.
    Row(p, SECTOR_HOUSING_SAFETY, "520221104", 6, 1, 1, 5000);
    Row(p, SECTOR_HOUSING_SAFETY, "520221105", 4, 1, 0, 5000);
    Row(p, SECTOR_DRINKING_WATER, "520221104", 10, 5, 0, 5000);
    suite_.coverage[kCounty].set_villages(12);
    fv1::Utilization& u = suite_.utilization[kCounty];
    u.set_appropriated_fen(1000000);
    fv1::SectorUtilization* s = u.add_sectors();
    s->set_sector(SECTOR_HOUSING_SAFETY);
    s->set_allocated_fen(500000);
    s->set_disbursed_fen(100000);
    s->set_disbursement_rate_bp(2000);
    s->set_idle_fen(400000);
    av1::RegionSummary& sm = suite_.summaries[kCounty];
    sm.set_findings(3);
    auto* f = sm.add_findings_by_sector();
    f->set_sector(SECTOR_HOUSING_SAFETY);
    f->set_count(3);
    sm.set_orders(4);
    sm.set_orders_verified(1);
    sm.set_orders_reopened(1);
  }

  void Campaign(const std::string& id, const std::string& region) {
    tv1::Campaign& c = suite_.campaigns[id];
    c.set_id(id);
    c.set_region_code(region);
    c.set_current_stage(tv1::STAGE_FIX_SHORTCOMINGS);
  }
  static void Row(tv1::SectorProgress& p, tuopin::common::v1::Sector sector,
                  const std::string& region, int total, int verified, int overdue, int elapsed) {
    tv1::SectorProgressRow* r = p.add_rows();
    r->set_sector(sector);
    r->set_region_code(region);
    r->set_total(total);
    r->set_verified(verified);
    r->set_overdue(overdue);
    r->set_elapsed_share_bp(elapsed);
  }

  absl::Status Run(const std::string& campaign, v1::Scorecard& out) {
    v1::GetScorecardRequest req;
    req.set_region_code(kCounty);
    req.set_campaign_id(campaign);
    return logic_.GetScorecard(Ctx(), req, out);
  }
};

TEST_F(ScorecardTest, ScoresEverySectorFromTheServicesAggregates) {
  v1::Scorecard out;
  ASSERT_TRUE(Run("campaign-1", out).ok());
  EXPECT_EQ(out.stage(), tv1::STAGE_FIX_SHORTCOMINGS);
  ASSERT_EQ(out.sectors_size(), tuopin::common::v1::Sector_MAX);
  const v1::SectorScore& housing = out.sectors(SECTOR_HOUSING_SAFETY - 1);
  EXPECT_EQ(housing.sector(), SECTOR_HOUSING_SAFETY);
  EXPECT_EQ(housing.tasks(), 10);
  EXPECT_EQ(housing.verified(), 2);
  EXPECT_EQ(housing.overdue(), 1);
  EXPECT_EQ(housing.verified_share_bp(), 2000);
  EXPECT_TRUE(housing.lagging());
  EXPECT_EQ(housing.utilization().appropriated_fen(), 1000000);
  EXPECT_EQ(housing.utilization().allocated_fen(), 500000);
  EXPECT_EQ(housing.idle_fen(), 400000);
  EXPECT_EQ(housing.findings(), 3);
  const v1::SectorScore& water = out.sectors(SECTOR_DRINKING_WATER - 1);
  EXPECT_EQ(water.verified_share_bp(), 5000);
  EXPECT_FALSE(water.lagging());
  // A sector without tasks is not lagging.
  EXPECT_FALSE(out.sectors(tuopin::common::v1::Sector_MAX - 1).lagging());
  EXPECT_EQ(out.coverage().villages(), 12);
  EXPECT_EQ(out.findings(), 3);
  EXPECT_EQ(out.rectification_orders(), 4);
  EXPECT_EQ(out.rectifications_verified(), 1);
  EXPECT_EQ(out.rectification_reopen_rate_bp(), 2500);
  AuditEvent access = OnlyAccess();
  ASSERT_EQ(access.entities_size(), 2);
  EXPECT_EQ(access.entities(1).type(), "campaign");
  EXPECT_EQ(access.entities(1).id(), "campaign-1");
}

TEST_F(ScorecardTest, SaysWhenTheRollupsItReadWereRefreshed) {
  suite_.progress["campaign-1"].mutable_as_of()->set_seconds(1536112800);
  suite_.utilization[kCounty].mutable_as_of()->set_seconds(1536112805);
  v1::Scorecard out;
  ASSERT_TRUE(Run("campaign-1", out).ok());
  EXPECT_EQ(out.progress_as_of().seconds(), 1536112800);
  EXPECT_EQ(out.utilization_as_of().seconds(), 1536112805);
}

TEST_F(ScorecardTest, ACampaignOfAnotherCountyLooksMissing) {
  v1::Scorecard a, b;
  ExpectSameRefusal(Run("campaign-liuzhi", a), "campaign-liuzhi", Run("campaign-ghost", b),
                    "campaign-ghost");
  EXPECT_TRUE(suite_.Appended().empty());
}

// ---- ExportAuditBundle

TEST_F(AuditQueryLogicTest, BundleHoldsTheRegionsEventsOfTheChinaDays) {
  absl::Time midnight = absl::FromCivil(absl::CivilSecond(2018, 9, 4, 16, 0, 0),
                                        absl::UTCTimeZone());  // 09-05 00:00 in China
  LogEvent("tasks", "task", "t-before", kVillage, midnight - absl::Seconds(1));
  LogEvent("tasks", "task", "t-first", kVillage, midnight);
  LogEvent("tasks", "task", "t-other-county", kOtherVillage, midnight + absl::Hours(1));
  LogEvent("tasks", "task", "t-last", kVillage, midnight + absl::Hours(48) - absl::Seconds(1));
  LogEvent("tasks", "task", "t-after", kVillage, midnight + absl::Hours(48));
  v1::ExportAuditBundleRequest req;
  req.set_region_code(kCounty);
  *req.mutable_from_date() = common::ToDate(absl::CivilDay(2018, 9, 5));
  *req.mutable_to_date() = common::ToDate(absl::CivilDay(2018, 9, 6));
  v1::AuditBundle out;
  ASSERT_TRUE(logic_.ExportAuditBundle(Ctx(), req, out).ok());
  EXPECT_EQ(out.verifier_key(), suite_.verifier_key);
  ASSERT_EQ(out.events_size(), 2);
  EXPECT_EQ(out.events(0).leaf().event().entities(0).id(), "t-first");
  EXPECT_EQ(out.events(1).leaf().event().entities(0).id(), "t-last");
  ExpectProved(out.events(), out.checkpoint());
  EXPECT_EQ(OnlyAccess().entities(0).id(), kCounty);

  req.set_region_code("520203");
  EXPECT_EQ(logic_.ExportAuditBundle(Ctx(), req, out).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(AuditQueryLogicTest, ABundleOfTooManyEventsIsRefusedNotCut) {
  for (int i = 0; i <= kMaxBundleEvents; ++i) LogEvent("tasks", "task", "t-1", kVillage);
  v1::ExportAuditBundleRequest req;
  req.set_region_code(kCounty);
  *req.mutable_from_date() = common::ToDate(absl::CivilDay(2018, 9, 5));
  *req.mutable_to_date() = common::ToDate(absl::CivilDay(2018, 9, 5));
  v1::AuditBundle out;
  EXPECT_EQ(logic_.ExportAuditBundle(Ctx(), req, out).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(suite_.Appended().empty());
}

// ---- Validation as the frame runs it (common::ValidateRequest): the contract's limits,
// then the cross-field rule of the bundle's period.

TEST(AuditQueryValidateTest, BundlePeriodIsOrderedAndAtMostAYear) {
  v1::ExportAuditBundleRequest req;
  req.set_region_code(kCounty);
  *req.mutable_from_date() = common::ToDate(absl::CivilDay(2018, 1, 1));
  *req.mutable_to_date() = common::ToDate(absl::CivilDay(2018, 1, 1) + kMaxBundleDays - 1);
  EXPECT_TRUE(common::ValidateRequest(req, &Validate).ok());
  *req.mutable_to_date() = common::ToDate(absl::CivilDay(2018, 1, 1) + kMaxBundleDays);
  absl::Status st = common::ValidateRequest(req, &Validate);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(st.message(), "to_date")) << st;
  *req.mutable_to_date() = common::ToDate(absl::CivilDay(2017, 12, 31));
  EXPECT_EQ(common::ValidateRequest(req, &Validate).code(), absl::StatusCode::kInvalidArgument);
}

TEST(AuditQueryValidateTest, TheContractsLimitsNameEveryBadField) {
  v1::ExportAuditBundleRequest bundle;
  bundle.set_region_code("5202x");
  absl::Status st = common::ValidateRequest(bundle, &Validate);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  for (const char* field : {"region_code", "from_date", "to_date"}) {
    EXPECT_TRUE(absl::StrContains(st.message(), field)) << field << ": " << st;
  }
  v1::GetEntityHistoryRequest history;
  history.set_entity_type("household");
  history.set_entity_id("no spaces");
  st = common::ValidateRequest(history, &Validate);
  EXPECT_TRUE(absl::StrContains(st.message(), "entity_id")) << st;
  history.set_entity_id("h-1");
  EXPECT_TRUE(common::ValidateRequest(history, &Validate).ok());
  history.set_entity_type("Household");
  EXPECT_EQ(common::ValidateRequest(history, &Validate).code(), absl::StatusCode::kInvalidArgument);
  v1::GetScorecardRequest scorecard;
  scorecard.set_region_code(kCounty);
  st = common::ValidateRequest(scorecard, &Validate);
  EXPECT_TRUE(absl::StrContains(st.message(), "campaign_id")) << st;
}

}  // namespace
}  // namespace tuopin::auditquery
