// AssessmentService through a real server on MariaDB: every RPC, from the frozen
// population to the finalization that returns wrongly exited households to the register.
// Personnel answers from the fake directory (its exit procedures are served elsewhere);
// the frozen population, the sample and the visits make the round trip through the schema.

#include <cppconn/resultset.h>

#include "absl/strings/match.h"
#include "common/handler.h"
#include "common/migrate.h"
#include "services/accountability/assessment_service.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"
#include "tests/unit/accountability/assessment_test_fixture.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& AccountabilityMigrations();
}  // namespace tuopin::generated

namespace tuopin::accountability {
namespace {

using testing::ContextAs;
using testing::MakePrincipal;

class AssessmentServerTest : public ::testing::Test {
 protected:
  AssessmentServerTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2019, 11, 20, 2, 0, 0), absl::UTCTimeZone())),
        tokens_("assessment-integration-page-token-key-0") {}

  void SetUp() override {
    pool_ = db_.NewPool(8);
    ASSERT_TRUE(common::ApplyMigrations(*pool_, generated::AccountabilityMigrations()).ok());
    SeedRegister(personnel_);
    SeedRegister(personnel_, 2020);
    store_ = std::make_unique<MysqlAssessmentStore>(*pool_, ids_);
    logic_ = std::make_unique<AssessmentLogic>(*store_, personnel_, tokens_);
    auth_ = std::make_unique<common::Authorizer>(
        testing::kTestInternalKey, common::FindService(v1::AssessmentService::service_full_name()));
    handler_ = std::make_unique<common::Handler>("accountability", *auth_, clock_);
    service_ = NewAssessmentService(*logic_, *handler_);
    server_ = std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{service_.get()});
    stub_ = v1::AssessmentService::NewStub(server_->channel());
  }

  std::string NextId() { return absl::StrCat("req-", ++counter_); }

  grpc::Status Create(const common::Principal& who, v1::Assessment& out, int year = 2019) {
    v1::CreateAssessmentRequest req;
    req.set_request_id(NextId());
    v1::Assessment* a = req.mutable_assessment();
    a->set_county_code(kCounty);
    a->set_year(year);
    a->set_assessor_organisation("Guizhou University assessment team 2");
    a->set_village_sample_size(2);
    a->set_exited_per_village(1);
    a->set_registered_per_village(1);
    a->set_non_registered_per_village(1);
    a->set_seed_commitment(common::HexEncode(common::Sha256(kSeed)));
    return stub_->CreateAssessment(ContextAs(who).get(), req, &out);
  }

  grpc::Status Reveal(const std::string& id, const std::string& seed, v1::AssessmentSample& out) {
    v1::RevealAssessmentSampleRequest req;
    req.set_request_id(NextId());
    req.set_assessment_id(id);
    req.set_seed_hex(common::HexEncode(seed));
    return stub_->RevealAssessmentSample(ContextAs(assessor_).get(), req, &out);
  }

  grpc::Status Visit(const std::string& id, const std::string& household, const std::string& unmet,
                     v1::AssessmentVisit& out) {
    v1::RecordAssessmentVisitRequest req;
    req.set_request_id(NextId());
    req.set_assessment_id(id);
    req.set_household_id(household);
    *req.mutable_observed_indicators() = IndicatorsBut(unmet);
    req.set_observed_income_per_head_fen(kLine + 100);
    req.set_observed_people(4);
    req.set_approves(true);
    req.set_notes("Visited with the village doctor; house inspected.");
    *req.mutable_visit_time() = common::ToTimestamp(clock_.Now());
    return stub_->RecordAssessmentVisit(ContextAs(assessor_).get(), req, &out);
  }

  grpc::Status Finalize(const std::string& id, const std::string& request_id, v1::Assessment& out) {
    v1::FinalizeAssessmentRequest req;
    req.set_request_id(request_id);
    req.set_assessment_id(id);
    return stub_->FinalizeAssessment(ContextAs(assessor_).get(), req, &out);
  }

  v1::Assessment Get(const std::string& id, const common::Principal* who = nullptr) {
    v1::GetAssessmentRequest req;
    req.set_id(id);
    v1::Assessment out;
    grpc::Status st = stub_->GetAssessment(ContextAs(who ? *who : auditor_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  common::FakeClock clock_;
  common::PageTokenCodec tokens_;
  common::SequentialIdGenerator ids_{"a"};
  testing::TestDatabase db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  testing::FakePersonnelDirectory personnel_;
  std::unique_ptr<MysqlAssessmentStore> store_;
  std::unique_ptr<AssessmentLogic> logic_;
  std::unique_ptr<common::Authorizer> auth_;
  std::unique_ptr<common::Handler> handler_;
  std::unique_ptr<v1::AssessmentService::Service> service_;
  std::unique_ptr<testing::TestServer> server_;
  std::unique_ptr<v1::AssessmentService::Stub> stub_;
  int counter_ = 0;

  const common::Principal assessor_ = MakePrincipal("inspector-lps", {ROLE_INSPECTOR}, {"5202"});
  const common::Principal own_ = MakePrincipal("inspector-sc", {ROLE_INSPECTOR}, {kCounty});
  // The prefecture's auditor, and the county's own (who sees the sample, the visits, the
  // seed and the nonce only once the assessment is finalized).
  const common::Principal auditor_ =
      MakePrincipal("auditor-1", {tuopin::common::v1::ROLE_AUDITOR}, {"5202"});
  const common::Principal county_auditor_ =
      MakePrincipal("auditor-sc", {tuopin::common::v1::ROLE_AUDITOR}, {kCounty});
  const common::Principal other_ = MakePrincipal("inspector-lz", {ROLE_INSPECTOR}, {"5203"});
};

TEST_F(AssessmentServerTest, CreateGetAndList) {
  v1::Assessment refused;
  grpc::Status st = Create(own_, refused);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(common::ReasonOf(st), "NOT_INDEPENDENT");

  v1::Assessment a, b;
  ASSERT_TRUE(Create(assessor_, a).ok());
  // One per county and year, by the schema's unique key.
  st = Create(assessor_, b);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS) << st.error_message();
  EXPECT_EQ(common::ReasonOf(st), "ASSESSMENT_EXISTS");
  ASSERT_TRUE(Create(assessor_, b, 2020).ok());
  EXPECT_EQ(a.server_nonce_hex(), "") << "secret until the reveal";
  EXPECT_EQ(a.state(), v1::ASSESSMENT_STATE_CREATED);
  EXPECT_EQ(a.population_households(), 10);
  EXPECT_EQ(a.register_().non_registered_people(), 850);
  v1::Assessment got = Get(a.id());
  EXPECT_EQ(got.SerializeAsString(), a.SerializeAsString());

  v1::ListAssessmentsRequest list;
  list.set_region_code("5202");
  list.set_page_size(1);
  v1::ListAssessmentsResponse first, second;
  ASSERT_TRUE(stub_->ListAssessments(ContextAs(assessor_).get(), list, &first).ok());
  ASSERT_EQ(first.assessments_size(), 1);
  list.set_page_token(first.next_page_token());
  ASSERT_TRUE(stub_->ListAssessments(ContextAs(assessor_).get(), list, &second).ok());
  ASSERT_EQ(second.assessments_size(), 1);
  EXPECT_NE(first.assessments(0).id(), second.assessments(0).id());
  // Another prefecture's inspector reads none of it.
  v1::GetAssessmentRequest get;
  get.set_id(a.id());
  v1::Assessment none;
  EXPECT_EQ(stub_->GetAssessment(ContextAs(other_).get(), get, &none).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AssessmentServerTest, FromRevealToFinalization) {
  v1::Assessment a;
  ASSERT_TRUE(Create(assessor_, a).ok());
  v1::GetAssessmentSampleRequest get_sample;
  get_sample.set_assessment_id(a.id());
  v1::AssessmentSample empty;
  ASSERT_TRUE(stub_->GetAssessmentSample(ContextAs(auditor_).get(), get_sample, &empty).ok());
  EXPECT_EQ(empty.households_size(), 0);

  v1::AssessmentSample sample;
  grpc::Status st = Reveal(a.id(), "not the committed seed at all", sample);
  EXPECT_EQ(common::ReasonOf(st), "SEED_MISMATCH");
  ASSERT_TRUE(Reveal(a.id(), kSeed, sample).ok());
  ASSERT_EQ(sample.villages_size(), 2);
  ASSERT_EQ(sample.households_size(), 6);
  // The population as stored draws the same sample again.
  absl::StatusOr<FrozenPopulation> frozen = store_->Population(a.id());
  ASSERT_TRUE(frozen.ok());
  EXPECT_EQ(frozen->villages.size(), 3u);
  EXPECT_EQ(frozen->households.size(), 10u);
  // With the nonce the server stored at creation and publishes now.
  v1::Assessment revealed = Get(a.id());
  EXPECT_EQ(revealed.server_nonce_hex().size(), 64u);
  EXPECT_TRUE(revealed.has_reveal_time());
  EXPECT_EQ(DrawAssessmentSample(kSeed, revealed, *frozen).SerializeAsString(),
            sample.SerializeAsString());
  // The county sees neither the sample nor the seed and nonce before the visits are over.
  v1::AssessmentSample hidden;
  EXPECT_EQ(common::ReasonOf(
                stub_->GetAssessmentSample(ContextAs(county_auditor_).get(), get_sample, &hidden)),
            "NOT_INDEPENDENT");
  v1::Assessment stripped = Get(a.id(), &county_auditor_);
  EXPECT_EQ(stripped.revealed_seed_hex(), "");
  EXPECT_EQ(stripped.server_nonce_hex(), "");
  v1::AssessmentSample again;
  ASSERT_TRUE(stub_->GetAssessmentSample(ContextAs(auditor_).get(), get_sample, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), sample.SerializeAsString());
  EXPECT_EQ(common::ReasonOf(Reveal(a.id(), kSeed, again)), "ALREADY_REVEALED");
  EXPECT_EQ(Get(a.id()).revealed_seed_hex(), common::HexEncode(kSeed));

  std::string wrong;
  v1::AssessmentVisit visit;
  EXPECT_EQ(common::ReasonOf(Visit(a.id(), "E3a", "", visit)), "NOT_IN_SAMPLE");
  for (const auto& h : sample.households()) {
    bool fail = h.stratum() == v1::STRATUM_EXITED && wrong.empty();
    if (fail) wrong = h.household_id();
    st = Visit(a.id(), h.household_id(), fail ? "indicators.housing_safety" : "", visit);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(visit.wrongly_exited(), fail);
    if (sample.households(0).household_id() == h.household_id()) {
      v1::Assessment early;
      EXPECT_EQ(common::ReasonOf(Finalize(a.id(), "finalize-early", early)), "VISITS_MISSING");
    }
  }
  st = Visit(a.id(), wrong, "", visit);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(common::ReasonOf(st), "VISIT_ALREADY_RECORDED");

  v1::ListAssessmentVisitsRequest list;
  list.set_assessment_id(a.id());
  list.set_page_size(4);
  v1::ListAssessmentVisitsResponse p1, p2;
  ASSERT_TRUE(stub_->ListAssessmentVisits(ContextAs(auditor_).get(), list, &p1).ok());
  list.set_page_token(p1.next_page_token());
  ASSERT_TRUE(stub_->ListAssessmentVisits(ContextAs(auditor_).get(), list, &p2).ok());
  EXPECT_EQ(p1.visits_size(), 4);
  EXPECT_EQ(p2.visits_size(), 2);
  EXPECT_EQ(p1.visits(0).observed_indicators().food(), true);
  v1::ListAssessmentVisitsResponse hidden_visits;
  EXPECT_EQ(common::ReasonOf(stub_->ListAssessmentVisits(ContextAs(county_auditor_).get(), list,
                                                         &hidden_visits)),
            "NOT_INDEPENDENT");

  // Personnel fails the reversal: the assessment stays open; the same request finishes it.
  personnel_.reverse_fail_household = wrong;
  personnel_.reverse_fail = absl::UnavailableError("personnel is restarting");
  v1::Assessment done;
  EXPECT_EQ(Finalize(a.id(), "finalize-1", done).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Get(a.id()).state(), v1::ASSESSMENT_STATE_REVEALED);
  personnel_.reverse_fail = absl::OkStatus();
  st = Finalize(a.id(), "finalize-1", done);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(done.state(), v1::ASSESSMENT_STATE_FINALIZED);
  EXPECT_EQ(done.visited_households(), 6);
  ASSERT_EQ(done.gate().criteria_size(), 4);
  EXPECT_FALSE(done.gate().may_exit());  // one of two exited households wrongly: 50 %
  ASSERT_EQ(personnel_.reversals.size(), 1u);
  EXPECT_EQ(std::get<0>(personnel_.reversals[0]), wrong);
  EXPECT_EQ(Get(a.id()).SerializeAsString(), done.SerializeAsString());
  // One audit event of the finalization, naming the assessment and the household returned.
  std::vector<tuopin::common::v1::AuditEvent> finalized;
  ASSERT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                auto rs = common::Query(s, "SELECT event FROM outbox ORDER BY seq").Rows();
                while (rs->next()) {
                  tuopin::common::v1::AuditEvent e;
                  if (!e.ParseFromString(rs->getString(1).asStdString()))
                    return absl::DataLossError("an event does not parse");
                  if (absl::EndsWith(e.method(), "/FinalizeAssessment")) finalized.push_back(e);
                }
                return absl::OkStatus();
              }).ok());
  ASSERT_EQ(finalized.size(), 1u);
  ASSERT_EQ(finalized[0].entities_size(), 2);
  EXPECT_EQ(finalized[0].entities(0).type(), "assessment");
  EXPECT_EQ(finalized[0].entities(0).region_code(), kCounty);
  EXPECT_EQ(finalized[0].entities(1).type(), "household");
  EXPECT_EQ(finalized[0].entities(1).id(), wrong);
  // Finalized: the county reads it all.
  EXPECT_TRUE(
      stub_->GetAssessmentSample(ContextAs(county_auditor_).get(), get_sample, &hidden).ok());
  EXPECT_EQ(Get(a.id(), &county_auditor_).server_nonce_hex(), revealed.server_nonce_hex());
  EXPECT_EQ(common::ReasonOf(Finalize(a.id(), "finalize-2", done)), "ASSESSMENT_FINALIZED");
  EXPECT_EQ(common::ReasonOf(Visit(a.id(), wrong, "", visit)), "ASSESSMENT_FINALIZED");
}

}  // namespace
}  // namespace tuopin::accountability
