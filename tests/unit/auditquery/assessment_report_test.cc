// Unit tests of GetAssessmentReport on a fake suite: the report is scoped by the assessed
// county, shows the sample only once revealed, proves every event of the assessment (and
// none of the earlier looks at it) against one checkpoint, and is recorded before it is
// shown.

#include "absl/strings/str_cat.h"
#include "common/auth.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "services/auditquery/auditquery_logic.h"
#include "tests/support/fake_suite_reader.h"
#include "tests/support/same_refusal.h"

namespace tuopin::auditquery {
namespace {

using testing::ExpectSameRefusal;
using testing::FakeSuiteReader;
using tuopin::common::v1::AuditEvent;

constexpr char kCounty[] = "520221";
constexpr char kVillage[] = "520221104001";

class AssessmentReportTest : public ::testing::Test {
 protected:
  AssessmentReportTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2019, 11, 20, 3, 0, 0), absl::UTCTimeZone())),
        ids_("look-"),
        logic_(suite_, ids_, clock_) {
    caller_.set_subject("auditor-9");
    caller_.add_roles(tuopin::common::v1::ROLE_AUDITOR);
    caller_.add_region_scopes(kCounty);
  }

  // An assessment of kCounty in `state`, with a two-household sample once revealed.
  void Assess(const std::string& id, av1::AssessmentState state) {
    av1::Assessment& a = suite_.assessments[id];
    a.set_id(id);
    a.set_county_code(kCounty);
    a.set_year(2019);
    a.set_state(state);
    if (state == av1::ASSESSMENT_STATE_CREATED) return;
    av1::AssessmentSample& s = suite_.samples[id];
    s.set_assessment_id(id);
    s.add_villages()->set_village_code(kVillage);
    for (const char* h : {"hh-1", "hh-2"}) {
      auto* sh = s.add_households();
      sh->set_household_id(h);
      sh->set_village_code(kVillage);
      sh->set_stratum(av1::STRATUM_EXITED);
    }
  }

  // An event of `service` naming the given entities (type, id) in kCounty's village.
  int64_t Log(const std::string& service,
              std::initializer_list<std::pair<const char*, std::string>> entities) {
    AuditEvent e;
    e.set_event_id(absl::StrCat("e-", ++events_));
    e.set_service(service);
    e.set_method("/tuopin.accountability.v1.AssessmentService/X");
    *e.mutable_occurred_at() = common::ToTimestamp(clock_.Now());
    for (const auto& [type, id] : entities) *e.add_entities() = common::Entity(type, id, kCounty);
    return suite_.Log(e);
  }

  absl::Status Report(const std::string& id, v1::AssessmentReport& out) {
    MutationContext m;
    m.service = "auditquery";
    m.method = "/tuopin.auditquery.v1.AuditQueryService/GetAssessmentReport";
    m.principal = caller_;
    m.request_id = "req-a";
    m.now = clock_.Now();
    v1::GetAssessmentReportRequest req;
    req.set_assessment_id(id);
    return logic_.GetAssessmentReport(m, req, out);
  }

  common::FakeClock clock_;
  common::SequentialIdGenerator ids_;
  FakeSuiteReader suite_;
  AuditQueryLogic logic_;
  common::Principal caller_;
  int events_ = 0;
};

TEST_F(AssessmentReportTest, ShowsTheWholeAssessmentWithItsEventsProved) {
  Assess("as-1", av1::ASSESSMENT_STATE_FINALIZED);
  for (const char* h : {"hh-1", "hh-2"}) {
    auto& v = suite_.visits["as-1"].emplace_back();
    v.set_id(absl::StrCat("v-", h));
    v.set_household_id(h);
  }
  int64_t created = Log("accountability", {{"assessment", "as-1"}});
  Log("accountability", {{"assessment", "as-other"}});
  int64_t looked = Log("auditquery", {{"assessment", "as-1"}});  // an earlier report
  int64_t visit = Log("accountability", {{"assessment", "as-1"}, {"assessment_visit", "v-hh-1"}});
  int64_t reversed = Log("personnel", {{"household", "hh-1"}, {"assessment", "as-1"}});

  v1::AssessmentReport out;
  ASSERT_TRUE(Report("as-1", out).ok());
  EXPECT_EQ(out.assessment().id(), "as-1");
  EXPECT_EQ(out.sample().households_size(), 2);
  EXPECT_EQ(out.visits_size(), 2);
  ASSERT_EQ(out.events_size(), 3);
  EXPECT_EQ(out.events(0).leaf().index(), created);
  EXPECT_EQ(out.events(1).leaf().index(), visit);
  EXPECT_EQ(out.events(2).leaf().index(), reversed);
  for (const auto& e : out.events()) {
    EXPECT_NE(e.leaf().index(), looked);
    EXPECT_EQ(e.proof().leaf_index(), e.leaf().index());
    EXPECT_EQ(e.proof().tree_size(), out.checkpoint().tree_size());
  }
  EXPECT_EQ(out.checkpoint().tree_size(), 5);

  std::vector<AuditEvent> appended = suite_.Appended();
  ASSERT_EQ(appended.size(), 1u);
  EXPECT_EQ(appended[0].service(), "auditquery");
  EXPECT_EQ(appended[0].actor_subject(), "auditor-9");
  ASSERT_EQ(appended[0].entities_size(), 1);
  EXPECT_EQ(appended[0].entities(0).type(), "assessment");
  EXPECT_EQ(appended[0].entities(0).id(), "as-1");
  EXPECT_EQ(appended[0].entities(0).region_code(), kCounty);
}

TEST_F(AssessmentReportTest, BeforeTheRevealTheSampleIsEmptyAndNotAskedFor) {
  Assess("as-2", av1::ASSESSMENT_STATE_CREATED);
  Log("accountability", {{"assessment", "as-2"}});
  v1::AssessmentReport out;
  absl::Status st = Report("as-2", out);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_FALSE(out.has_sample());
  EXPECT_EQ(out.events_size(), 1);
}

TEST_F(AssessmentReportTest, AnotherCountysAssessmentLooksMissing) {
  Assess("as-3", av1::ASSESSMENT_STATE_REVEALED);
  suite_.assessments["as-3"].set_county_code("520203");
  v1::AssessmentReport a, b;
  ExpectSameRefusal(Report("as-3", a), "as-3", Report("as-ghost", b), "as-ghost");
  EXPECT_TRUE(suite_.Appended().empty()) << "a refused look was recorded as shown";
  // The province sees its counties; whoever sees every region is told what is missing.
  caller_.set_region_scopes(0, "52");
  EXPECT_TRUE(Report("as-3", a).ok());
  caller_.set_region_scopes(0, "*");
  EXPECT_EQ(Report("as-ghost", b).code(), absl::StatusCode::kNotFound);
}

TEST_F(AssessmentReportTest, NothingIsShownWhenTheLookCannotBeRecorded) {
  Assess("as-4", av1::ASSESSMENT_STATE_REVEALED);
  suite_.append_error = absl::UnavailableError("the log is down");
  v1::AssessmentReport out;
  absl::Status st = Report("as-4", out);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "ACCESS_NOT_RECORDED");
}

TEST_F(AssessmentReportTest, AFailedReadIsTheAnswer) {
  Assess("as-5", av1::ASSESSMENT_STATE_FINALIZED);  // visits read for the county too
  suite_.read_errors["AssessmentVisits"] = absl::UnavailableError("accountability is down");
  v1::AssessmentReport out;
  EXPECT_EQ(Report("as-5", out).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(suite_.Appended().empty());
}

TEST_F(AssessmentReportTest, TheCountySeesNoSampleNorVisitsBeforeTheEnd) {
  Assess("as-6", av1::ASSESSMENT_STATE_REVEALED);
  suite_.assessments["as-6"].set_revealed_seed_hex("5eed");
  suite_.assessments["as-6"].set_server_nonce_hex("0ce0");
  suite_.visits["as-6"].emplace_back().set_id("v-1");
  suite_.read_errors["AssessmentVisits"] = absl::UnavailableError("not to be read");
  v1::AssessmentReport out;
  absl::Status st = Report("as-6", out);  // the county's auditor
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_FALSE(out.has_sample());
  EXPECT_EQ(out.visits_size(), 0);
  EXPECT_EQ(out.assessment().revealed_seed_hex(), "");
  EXPECT_EQ(out.assessment().server_nonce_hex(), "");
  // The prefecture's auditor sees it all; the county too once it is finalized.
  suite_.read_errors.clear();
  caller_.set_region_scopes(0, "5202");
  ASSERT_TRUE(Report("as-6", out).ok());
  EXPECT_EQ(out.sample().households_size(), 2);
  EXPECT_EQ(out.visits_size(), 1);
  EXPECT_EQ(out.assessment().server_nonce_hex(), "0ce0");
  caller_.set_region_scopes(0, kCounty);
  suite_.assessments["as-6"].set_state(av1::ASSESSMENT_STATE_FINALIZED);
  v1::AssessmentReport after;
  ASSERT_TRUE(Report("as-6", after).ok());
  EXPECT_EQ(after.visits_size(), 1);
  EXPECT_EQ(after.assessment().revealed_seed_hex(), "5eed");
}

TEST_F(AssessmentReportTest, TheLargestAssessmentsReportFitsTheGatewaysLimit) {
  // 60 villages x 3 strata x 30 households, every visit with notes of the 4,000 characters
  // RecordAssessmentVisitRequest allows; an event per step, each naming three entities.
  constexpr int kVisits = 60 * 3 * 30;
  constexpr size_t kGatewayLimit = 16 << 20;  // services/gateway/gateway.cc
  Assess("as-7", av1::ASSESSMENT_STATE_FINALIZED);
  Log("accountability", {{"assessment", "as-7"}});
  for (int i = 0; i < kVisits; ++i) {
    std::string household = absl::StrCat("0190f2a4c3b87d6e9a1b2c3d4e5f", 1000 + i);
    auto* h = suite_.samples["as-7"].add_households();
    h->set_household_id(household);
    h->set_village_code(kVillage);
    h->set_stratum(av1::STRATUM_NON_REGISTERED);
    h->set_people(30);
    auto& v = suite_.visits["as-7"].emplace_back();
    v.set_id(absl::StrCat("0190f2a4c3b87d6e9a1b2c3d4e6f", 1000 + i));
    v.set_assessment_id("as-7");
    v.set_household_id(household);
    v.set_village_code(kVillage);
    v.set_observed_income_per_head_fen(1000000000);
    v.set_observed_people(30);
    v.set_notes(std::string(4000, 'n'));
    v.set_recorded_by(std::string(64, 'r'));
    v.set_unmet_criterion("indicators.drinking_water_safety");
    *v.mutable_visit_time() = common::ToTimestamp(clock_.Now());
    Log("accountability",
        {{"assessment", "as-7"}, {"assessment_visit", v.id()}, {"household", household}});
  }
  Log("accountability", {{"assessment", "as-7"}});
  v1::AssessmentReport out;
  ASSERT_TRUE(Report("as-7", out).ok());
  ASSERT_EQ(out.visits_size(), kVisits);
  EXPECT_TRUE(out.visits(0).notes().empty()) << "notes are read through ListAssessmentVisits";
  EXPECT_EQ(out.events_size(), kVisits + 2);
  EXPECT_LT(out.ByteSizeLong(), kGatewayLimit);
}

}  // namespace
}  // namespace tuopin::auditquery
