// AccountabilityService through real servers: personnel, tasks, the gateway and the
// accountability service on MariaDB. Inspections with a committed seed (the sample is
// recomputed here from the published algorithm), visits, findings, rectification orders
// that create tasks in task tracking, actions, bad input and region scope.

#include <cppconn/resultset.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto.h"
#include "common/gateway_client.h"
#include "common/handler.h"
#include "common/jwt.h"
#include "common/migrate.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/accountability/records_service.h"
#include "services/gateway/gateway.h"
#include "services/gateway/proxy.h"
#include "services/personnel/mysql_personnel_store.h"
#include "services/personnel/personnel_service.h"
#include "services/tasks/mysql_tasks_store.h"
#include "services/tasks/tasks_service.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/same_refusal.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& PersonnelMigrations();
const std::vector<tuopin::common::Migration>& TasksMigrations();
const std::vector<tuopin::common::Migration>& AccountabilityMigrations();
}  // namespace tuopin::generated

namespace tuopin::accountability {
namespace {

namespace pv1 = tuopin::personnel::v1;
namespace tv1 = tuopin::tasks::v1;
using testing::ContextAs;
using testing::MakePrincipal;
using testing::ViolatedField;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_AUDITOR;
using tuopin::common::v1::ROLE_CADRE;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;
using tuopin::common::v1::ROLE_INSPECTOR;

constexpr char kSecret[] = "records-test-hs256-secret-0123456789abc";
constexpr char kVillage[] = "520221104001";

// The published draw, written again here from its description in accountability.proto.
std::vector<std::string> Redraw(const std::string& seed, std::vector<std::string> ids, size_t k) {
  for (size_t i = 0; i < k && i < ids.size(); ++i) {
    std::string ctr(8, '\0');
    for (int b = 0; b < 8; ++b) ctr[7 - b] = static_cast<char>(i >> (8 * b));
    std::string h = common::Sha256(seed + ctr);
    uint64_t x = 0;
    for (int b = 0; b < 8; ++b) x = x << 8 | static_cast<uint8_t>(h[b]);
    std::swap(ids[i], ids[i + x % (ids.size() - i)]);
  }
  ids.resize(std::min(k, ids.size()));
  return ids;
}

class RecordsTest : public ::testing::Test {
 protected:
  RecordsTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone())),
        tokens_("records-test-page-token-key-0123456789") {}

  void SetUp() override {
    ppool_ = pdb_.NewPool(8);
    tpool_ = tdb_.NewPool(8);
    apool_ = adb_.NewPool(8);
    ASSERT_TRUE(common::ApplyMigrations(*ppool_, generated::PersonnelMigrations()).ok());
    ASSERT_TRUE(common::ApplyMigrations(*tpool_, generated::TasksMigrations()).ok());
    ASSERT_TRUE(common::ApplyMigrations(*apool_, generated::AccountabilityMigrations()).ok());
    // personnel
    pstore_ = std::make_unique<personnel::MysqlPersonnelStore>(*ppool_, ids_);
    plogic_ = std::make_unique<personnel::PersonnelLogic>(*pstore_, clock_, tokens_);
    pauth_ = std::make_unique<common::Authorizer>(
        testing::kTestInternalKey, common::FindService(pv1::PersonnelService::service_full_name()));
    phandler_ = std::make_unique<common::Handler>("personnel", *pauth_, clock_);
    pservice_ = std::make_unique<personnel::PersonnelServiceImpl>(*plogic_, *phandler_);
    pserver_ = std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{pservice_.get()});
    // tasks and accountability reach others through the gateway, started before them.
    tserver_port_ = 0;
    common::JwtConfig jwt;
    jwt.issuer = "tuopin-test";
    jwt.audience = "tuopin";
    jwt.algorithms = {"HS256"};
    jwt.hs256_secret = kSecret;
    // Tasks first (it needs only personnel).
    StartGateway(jwt, /*tasks_port=*/0);
    tstore_ = std::make_unique<tasks::MysqlTasksStore>(*tpool_, ids_);
    tpersonnel_ = std::make_unique<common::GatewayPersonnelDirectory>(*client_);
    tlogic_ = std::make_unique<tasks::TasksLogic>(*tstore_, *tpersonnel_, clock_, tokens_);
    tauth_ = std::make_unique<common::Authorizer>(
        testing::kTestInternalKey, common::FindService(tv1::TaskService::service_full_name()));
    thandler_ = std::make_unique<common::Handler>("tasks", *tauth_, clock_);
    tservice_ = std::make_unique<tasks::TasksServiceImpl>(*tlogic_, *thandler_);
    tserver_ = std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{tservice_.get()});
    StartGateway(jwt, tserver_->port());
    astore_ = std::make_unique<MysqlRecordsStore>(*apool_, ids_);
    apersonnel_ = std::make_unique<common::GatewayPersonnelDirectory>(*client_);
    atasks_ = std::make_unique<common::GatewayTaskClient>(*client_);
    alogic_ = std::make_unique<RecordsLogic>(*astore_, *apersonnel_, *atasks_, clock_, tokens_);
    aauth_ = std::make_unique<common::Authorizer>(
        testing::kTestInternalKey,
        common::FindService(v1::AccountabilityService::service_full_name()));
    ahandler_ = std::make_unique<common::Handler>("accountability", *aauth_, clock_);
    aservice_ = std::make_unique<RecordsServiceImpl>(*alogic_, *ahandler_);
    aserver_ = std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{aservice_.get()});
    stub_ = v1::AccountabilityService::NewStub(aserver_->channel());
    people_ = pv1::PersonnelService::NewStub(pserver_->channel());
    task_stub_ = tv1::TaskService::NewStub(tserver_->channel());
    Seed();
  }

  // (Re)starts the gateway with the backends known so far; the client follows it.
  void StartGateway(const common::JwtConfig& jwt, int tasks_port) {
    gateway::GatewayConfig config;
    config.routes = {{"tuopin.personnel.v1.PersonnelService", "personnel"}};
    config.targets = {{"personnel", absl::StrCat("127.0.0.1:", pserver_->port())}};
    if (tasks_port != 0) {
      config.routes["tuopin.tasks.v1.TaskService"] = "tasks";
      config.targets["tasks"] = absl::StrCat("127.0.0.1:", tasks_port);
    }
    config.internal_key = testing::kTestInternalKey;
    auto gw = gateway::Gateway::Create(config, std::move(*common::JwtVerifier::Create(jwt)),
                                       common::SystemClock::Get());
    ASSERT_TRUE(gw.ok());
    gateways_.push_back(std::move(*gw));
    gateways_.back()->set_access_log(false);
    proxies_.push_back(std::make_unique<gateway::ProxyService>(*gateways_.back()));
    gateway_servers_.push_back(std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{},
                                                                     proxies_.back().get()));
    common::JwtClaims claims;
    // The accountability service's own principal: the only one task tracking lets link a
    // task to a rectification order.
    claims.subject = tasks::kAccountabilityServiceSubject;
    claims.roles = {"service"};
    claims.regions = {"*"};
    claims.issuer = "tuopin-test";
    claims.audience = "tuopin";
    claims.issued_at = absl::Now();
    claims.expires = absl::Now() + absl::Hours(1);
    if (!client_) {
      client_ = std::make_unique<common::GatewayClient>(gateway_servers_.back()->channel(),
                                                        common::SignJwtHs256(claims, kSecret));
    } else {
      *client_ = common::GatewayClient(gateway_servers_.back()->channel(),
                                       common::SignJwtHs256(claims, kSecret));
    }
  }

  std::string NextId() { return absl::StrCat("req-", ++counter_); }

  void Seed() {
    pv1::ImportRegionsRequest import;
    import.set_request_id("regions");
    for (auto [code, name] :
         std::vector<std::pair<const char*, const char*>>{{"52", "Guizhou"},
                                                          {"5202", "Liupanshui"},
                                                          {"520221", "Shuicheng"},
                                                          {"520221104", "Mugang"},
                                                          {kVillage, "Gaofeng"}}) {
      auto* r = import.add_regions();
      r->set_code(code);
      r->set_name(name);
    }
    pv1::ImportRegionsResponse ir;
    ASSERT_TRUE(people_->ImportRegions(ContextAs(admin_).get(), import, &ir).ok());
    for (int i = 0; i < 30; ++i) AddHousehold(i);
    pv1::CreateCadreRequest c;
    c.set_request_id("cadre");
    c.mutable_cadre()->set_employee_number("LPS-17");
    c.mutable_cadre()->set_name("Zhao Lin");
    c.mutable_cadre()->set_origin_level(pv1::ORIGIN_LEVEL_COUNTY);
    c.mutable_cadre()->set_dispatching_unit("Shuicheng Water Bureau");
    c.mutable_cadre()->set_home_region_code("520221106");
    c.mutable_cadre()->set_managing_region_code("520221");
    ASSERT_TRUE(people_->CreateCadre(ContextAs(admin_).get(), c, &cadre_).ok());
    tv1::CreateCampaignRequest camp;
    camp.set_request_id("campaign");
    camp.mutable_campaign()->set_region_code("520221");
    camp.mutable_campaign()->set_name("Shuicheng 450 days");
    *camp.mutable_campaign()->mutable_start_date() = common::ToDate(absl::CivilDay(2018, 4, 1));
    ASSERT_TRUE(task_stub_->CreateCampaign(ContextAs(admin_).get(), camp, &campaign_).ok());
  }

  std::string AddHousehold(int i) {
    pv1::CreateHouseholdRequest h;
    h.set_request_id(absl::StrCat("household-", i));
    h.mutable_household()->set_village_code(kVillage);
    h.mutable_household()->set_head_name(absl::StrCat("Head ", i));
    h.mutable_household()->set_member_count(4);
    h.mutable_household()->set_status(pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
    pv1::Household out;
    EXPECT_TRUE(people_->CreateHousehold(ContextAs(admin_).get(), h, &out).ok());
    household_ids_.push_back(out.id());
    return out.id();
  }

  v1::Inspection Inspect(const std::string& seed, int sample) {
    v1::CreateInspectionRequest req;
    req.set_request_id(NextId());
    auto* in = req.mutable_inspection();
    in->set_kind(v1::INSPECTION_KIND_RANDOM_HOUSEHOLD_SURVEY);
    in->set_group_name("Investigation group 3");
    in->add_leader_cadre_ids(cadre_.id());
    in->add_target_region_codes("520221104");
    *in->mutable_start_date() = common::ToDate(absl::CivilDay(2018, 8, 21));
    *in->mutable_end_date() = common::ToDate(absl::CivilDay(2018, 9, 3));
    in->set_sample_size(sample);
    in->set_seed_commitment(common::HexEncode(common::Sha256(seed)));
    v1::Inspection out;
    grpc::Status st = stub_->CreateInspection(ContextAs(inspector_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  v1::Finding Find(const std::string& inspection, v1::FindingCategory category,
                   const std::string& region = kVillage) {
    v1::CreateFindingRequest req;
    req.set_request_id(NextId());
    auto* f = req.mutable_finding();
    f->set_inspection_id(inspection);
    f->set_category(category);
    f->set_sector(tuopin::common::v1::SECTOR_HOUSING_SAFETY);
    f->set_region_code(region);
    f->mutable_subject()->set_cadre_id(cadre_.id());
    f->set_severity(v1::SEVERITY_SERIOUS);
    f->set_description(
        "Two registered households still live in unsafe houses; the ledger says repaired.");
    f->add_evidence_uris("https://evidence.tuopin.example/inspection/3/photo-12.jpg");
    v1::Finding out;
    grpc::Status st = stub_->CreateFinding(ContextAs(inspector_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  // An order of two findings in kVillage (two linked tasks), assigned to cadre_.
  v1::RectificationOrder IssueOrder(const std::string& request_id) {
    v1::Inspection in = Inspect(absl::StrCat("seed-", request_id, "-0123456789"), 0);
    v1::Finding a = Find(in.id(), v1::FINDING_CATEGORY_SECTOR_LAGGING);
    v1::Finding b = Find(in.id(), v1::FINDING_CATEGORY_CADRES_NOT_DOWN_TO_EARTH);
    v1::IssueRectificationOrderRequest issue;
    issue.set_request_id(request_id);
    issue.add_finding_ids(a.id());
    issue.add_finding_ids(b.id());
    issue.mutable_responsible()->set_cadre_id(cadre_.id());
    *issue.mutable_deadline() = common::ToDate(absl::CivilDay(2018, 10, 31));
    issue.set_campaign_id(campaign_.id());
    v1::RectificationOrder order;
    grpc::Status st = stub_->IssueRectificationOrder(ContextAs(inspector_).get(), issue, &order);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(order.task_ids_size(), 2);
    return order;
  }

  grpc::Status Submit(const std::string& order_id) {
    v1::SubmitRectificationRequest req;
    req.set_request_id(NextId());
    req.set_order_id(order_id);
    req.set_note("Both houses rebuilt; ledger corrected.");
    v1::RectificationOrder out;
    return stub_->SubmitRectification(ContextAs(Responsible()).get(), req, &out);
  }

  tv1::Task GetTask(const std::string& id) {
    tv1::GetTaskRequest req;
    req.set_id(id);
    tv1::Task task;
    grpc::Status st = task_stub_->GetTask(ContextAs(admin_).get(), req, &task);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return task;
  }

  // The responsible cadre completes the task (when it is not already completed), and
  // inspector-3, a second person, verifies it.
  void CompleteTask(const std::string& id) {
    tv1::CompleteTaskRequest complete;
    complete.set_request_id(NextId());
    complete.set_task_id(id);
    tv1::Task task;
    grpc::Status st = task_stub_->CompleteTask(ContextAs(Responsible()).get(), complete, &task);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  void FinishTask(const std::string& id) {
    CompleteTask(id);
    tv1::VerifyTaskRequest verify;
    verify.set_request_id(NextId());
    verify.set_task_id(id);
    tv1::Task task;
    grpc::Status st = task_stub_->VerifyTask(ContextAs(inspector_).get(), verify, &task);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  common::Principal Responsible() const {
    return MakePrincipal(cadre_.id(), {ROLE_CADRE}, {kVillage});
  }

  common::FakeClock clock_;
  common::PageTokenCodec tokens_;
  common::SequentialIdGenerator ids_{"r"};
  testing::TestDatabase pdb_, tdb_, adb_;
  std::unique_ptr<common::ConnectionPool> ppool_, tpool_, apool_;
  std::unique_ptr<personnel::MysqlPersonnelStore> pstore_;
  std::unique_ptr<personnel::PersonnelLogic> plogic_;
  std::unique_ptr<common::Authorizer> pauth_, tauth_, aauth_;
  std::unique_ptr<common::Handler> phandler_, thandler_, ahandler_;
  std::unique_ptr<personnel::PersonnelServiceImpl> pservice_;
  std::unique_ptr<testing::TestServer> pserver_, tserver_, aserver_;
  std::vector<std::unique_ptr<gateway::Gateway>> gateways_;
  std::vector<std::unique_ptr<gateway::ProxyService>> proxies_;
  std::vector<std::unique_ptr<testing::TestServer>> gateway_servers_;
  std::unique_ptr<common::GatewayClient> client_;
  int tserver_port_ = 0;
  std::unique_ptr<tasks::MysqlTasksStore> tstore_;
  std::unique_ptr<common::GatewayPersonnelDirectory> tpersonnel_, apersonnel_;
  std::unique_ptr<tasks::TasksLogic> tlogic_;
  std::unique_ptr<tasks::TasksServiceImpl> tservice_;
  std::unique_ptr<MysqlRecordsStore> astore_;
  std::unique_ptr<common::GatewayTaskClient> atasks_;
  std::unique_ptr<RecordsLogic> alogic_;
  std::unique_ptr<RecordsServiceImpl> aservice_;
  std::unique_ptr<v1::AccountabilityService::Stub> stub_;
  std::unique_ptr<pv1::PersonnelService::Stub> people_;
  std::unique_ptr<tv1::TaskService::Stub> task_stub_;
  std::vector<std::string> household_ids_;
  pv1::Cadre cadre_;
  tv1::Campaign campaign_;
  std::atomic<int> counter_{0};

  const common::Principal admin_ = MakePrincipal("admin-1", {ROLE_ADMIN}, {"*"});
  const common::Principal inspector_ = MakePrincipal("inspector-3", {ROLE_INSPECTOR}, {"5202"});
  const common::Principal other_inspector_ =
      MakePrincipal("inspector-9", {ROLE_INSPECTOR}, {"520203"});
  const common::Principal auditor_ = MakePrincipal("auditor-1", {ROLE_AUDITOR}, {"52"});
};

TEST_F(RecordsTest, CommitRevealSampleIsFrozenAndReproducible) {
  const std::string seed = "secret seed of group 3, 2018-08-20";
  v1::Inspection in = Inspect(seed, 5);
  EXPECT_EQ(in.population_size(), 30);
  EXPECT_FALSE(in.revealed());
  // A household registered after the commitment does not enter the draw.
  AddHousehold(99);

  v1::RevealSampleRequest reveal;
  reveal.set_request_id(NextId());
  reveal.set_inspection_id(in.id());
  reveal.set_seed_hex(common::HexEncode("not the committed seed"));
  v1::Sample sample;
  grpc::Status st = stub_->RevealSample(ContextAs(inspector_).get(), reveal, &sample);
  EXPECT_EQ(ViolatedField(st), "seed_hex");
  EXPECT_EQ(common::ReasonOf(st), "SEED_MISMATCH");

  reveal.set_request_id(NextId());
  reveal.set_seed_hex(common::HexEncode(seed));
  ASSERT_TRUE(stub_->RevealSample(ContextAs(inspector_).get(), reveal, &sample).ok());
  std::vector<std::string> population(household_ids_.begin(), household_ids_.begin() + 30);
  std::sort(population.begin(), population.end());
  EXPECT_EQ(std::vector<std::string>(sample.household_ids().begin(), sample.household_ids().end()),
            Redraw(seed, population, 5));
  EXPECT_EQ(common::HexEncode(common::Sha256(absl::StrJoin(population, "\n"))),
            in.population_digest());
  reveal.set_request_id(NextId());
  EXPECT_EQ(stub_->RevealSample(ContextAs(inspector_).get(), reveal, &sample).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Visits: inside and outside the drawn sample.
  auto visit = [&](const std::string& household) {
    v1::RecordVisitRequest req;
    req.set_request_id(NextId());
    req.set_inspection_id(in.id());
    req.set_household_id(household);
    req.set_observations("Roof beams rotten; no repair since the 2017 survey.");
    *req.mutable_visit_time() = common::ToTimestamp(
        absl::FromCivil(absl::CivilSecond(2018, 8, 25, 3, 0, 0), absl::UTCTimeZone()));
    v1::Visit out;
    EXPECT_TRUE(stub_->RecordVisit(ContextAs(inspector_).get(), req, &out).ok());
    return out;
  };
  v1::Visit first = visit(sample.household_ids(0));
  EXPECT_FALSE(first.outside_sample());
  // The visit and its household are tagged with the village in the audit event, so only
  // that region's auditors read them (they were untagged: readable by any auditor).
  EXPECT_EQ(first.region_code(), kVillage);
  std::string event_bytes;
  ASSERT_TRUE(common::WithConnection(*apool_, [&](common::DbSession& s) {
                auto rs = common::Query(s, "SELECT event FROM outbox WHERE event LIKE ?")
                              .Arg(absl::StrCat("%", first.id(), "%"))
                              .Rows();
                if (rs->next()) event_bytes = rs->getString(1).asStdString();
                return absl::OkStatus();
              }).ok());
  tuopin::common::v1::AuditEvent visit_event;
  ASSERT_TRUE(visit_event.ParseFromString(event_bytes));
  for (const auto& e : visit_event.entities()) {
    if (e.type() == "visit" || e.type() == "household") {
      EXPECT_EQ(e.region_code(), kVillage);
    }
  }
  std::string outsider;
  for (const auto& h : population) {
    if (std::find(sample.household_ids().begin(), sample.household_ids().end(), h) ==
        sample.household_ids().end())
      outsider = h;
  }
  EXPECT_TRUE(visit(outsider).outside_sample());

  v1::GetInspectionRequest get;
  get.set_id(in.id());
  v1::Inspection read;
  ASSERT_TRUE(stub_->GetInspection(ContextAs(auditor_).get(), get, &read).ok());
  EXPECT_TRUE(read.revealed());
  EXPECT_EQ(stub_->GetInspection(ContextAs(other_inspector_).get(), get, &read).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RecordsTest, FindingsValidateAndStayInScope) {
  v1::Inspection in = Inspect("seed-findings-0123456789", 0);
  v1::Finding f = Find(in.id(), v1::FINDING_CATEGORY_INACCURATE_BASIC_DATA);
  EXPECT_FALSE(f.id().empty());
  v1::CreateFindingRequest bad;
  bad.set_request_id(NextId());
  *bad.mutable_finding() = f;
  bad.mutable_finding()->set_category(v1::FINDING_CATEGORY_UNSPECIFIED);
  v1::Finding out;
  EXPECT_EQ(ViolatedField(stub_->CreateFinding(ContextAs(inspector_).get(), bad, &out)),
            "finding.category");
  *bad.mutable_finding() = f;
  bad.mutable_finding()->set_region_code("5202");
  EXPECT_EQ(ViolatedField(stub_->CreateFinding(ContextAs(inspector_).get(), bad, &out)),
            "finding.region_code");
  *bad.mutable_finding() = f;
  bad.mutable_finding()->mutable_subject()->set_cadre_id("ghost");
  // A cadre that does not exist: the operator is told which field; anyone else is refused
  // as for another county's cadre (issue 18).
  EXPECT_EQ(ViolatedField(stub_->CreateFinding(ContextAs(admin_).get(), bad, &out)),
            "finding.subject.cadre_id");
  EXPECT_EQ(stub_->CreateFinding(ContextAs(inspector_).get(), bad, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  *bad.mutable_finding() = f;
  bad.mutable_finding()->clear_subject();
  EXPECT_EQ(ViolatedField(stub_->CreateFinding(ContextAs(inspector_).get(), bad, &out)),
            "finding.subject");
  *bad.mutable_finding() = f;
  EXPECT_EQ(stub_->CreateFinding(ContextAs(auditor_).get(), bad, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::ListFindingsRequest list;
  list.set_region_code("520221");
  list.set_subject_cadre_id(cadre_.id());
  v1::ListFindingsResponse listed;
  ASSERT_TRUE(stub_->ListFindings(ContextAs(auditor_).get(), list, &listed).ok());
  EXPECT_EQ(listed.findings_size(), 1);
  EXPECT_EQ(stub_->ListFindings(ContextAs(other_inspector_).get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RecordsTest, RectificationCreatesTasksAndFollowsItsStates) {
  v1::Inspection in = Inspect("seed-rectification-0123", 0);
  v1::Finding a = Find(in.id(), v1::FINDING_CATEGORY_SECTOR_LAGGING);
  v1::Finding b = Find(in.id(), v1::FINDING_CATEGORY_CADRES_NOT_DOWN_TO_EARTH);
  v1::IssueRectificationOrderRequest issue;
  issue.set_request_id("order-1");
  issue.add_finding_ids(a.id());
  issue.add_finding_ids(b.id());
  issue.mutable_responsible()->set_cadre_id(cadre_.id());
  *issue.mutable_deadline() = common::ToDate(absl::CivilDay(2018, 10, 31));
  issue.set_campaign_id(campaign_.id());
  v1::RectificationOrder order, replay;
  grpc::Status st = stub_->IssueRectificationOrder(ContextAs(inspector_).get(), issue, &order);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(order.task_ids_size(), 2);
  EXPECT_EQ(order.status(), v1::RECTIFICATION_STATUS_OPEN);
  ASSERT_TRUE(stub_->IssueRectificationOrder(ContextAs(inspector_).get(), issue, &replay).ok());
  EXPECT_EQ(replay.id(), order.id());
  EXPECT_EQ(testing::QueryInt(*tpool_, "SELECT COUNT(*) FROM tasks"), 2)
      << "a replay created tasks again";
  tv1::GetTaskRequest gt;
  gt.set_id(order.task_ids(0));
  tv1::Task task;
  ASSERT_TRUE(task_stub_->GetTask(ContextAs(admin_).get(), gt, &task).ok());
  EXPECT_EQ(task.rectification_order_id(), order.id());
  EXPECT_EQ(task.assignee_cadre_id(), cadre_.id());
  EXPECT_EQ(task.stage(), tv1::STAGE_FIX_SHORTCOMINGS);

  common::Principal responsible = MakePrincipal(cadre_.id(), {ROLE_CADRE}, {kVillage});
  auto submit = [&] {
    v1::SubmitRectificationRequest req;
    req.set_request_id(NextId());
    req.set_order_id(order.id());
    req.set_note("Both houses rebuilt; ledger corrected.");
    v1::RectificationOrder out;
    return stub_->SubmitRectification(ContextAs(responsible).get(), req, &out);
  };
  v1::VerifyRectificationRequest verify;
  verify.set_order_id(order.id());
  v1::RectificationOrder out;
  verify.set_request_id(NextId());
  EXPECT_EQ(stub_->VerifyRectification(ContextAs(inspector_).get(), verify, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION)
      << "nothing was submitted yet";
  ASSERT_TRUE(submit().ok());
  v1::RejectRectificationRequest reject;
  reject.set_request_id(NextId());
  reject.set_order_id(order.id());
  reject.set_reason("Random survey: one house still unsafe");
  ASSERT_TRUE(stub_->RejectRectification(ContextAs(inspector_).get(), reject, &out).ok());
  EXPECT_EQ(out.status(), v1::RECTIFICATION_STATUS_OPEN);
  EXPECT_EQ(out.reopen_count(), 1);
  ASSERT_TRUE(submit().ok());
  common::Principal responsible_inspector =
      MakePrincipal(cadre_.id(), {ROLE_INSPECTOR}, {"520221"});
  verify.set_request_id(NextId());
  EXPECT_EQ(common::ReasonOf(
                stub_->VerifyRectification(ContextAs(responsible_inspector).get(), verify, &out)),
            "VERIFIER_RESPONSIBLE");
  // The order is verified only once its tasks are (the test below shows the refusal).
  for (const auto& id : order.task_ids()) FinishTask(id);
  verify.set_request_id(NextId());
  st = stub_->VerifyRectification(ContextAs(inspector_).get(), verify, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.status(), v1::RECTIFICATION_STATUS_VERIFIED);
  EXPECT_EQ(out.verified_by(), "inspector-3");

  v1::ListRectificationOrdersRequest list;
  list.set_region_code("520221");
  list.set_status(v1::RECTIFICATION_STATUS_VERIFIED);
  v1::ListRectificationOrdersResponse listed;
  ASSERT_TRUE(stub_->ListRectificationOrders(ContextAs(auditor_).get(), list, &listed).ok());
  ASSERT_EQ(listed.orders_size(), 1);
  // A listed order carries its findings and tasks (read for the whole page at once).
  EXPECT_EQ(listed.orders(0).finding_ids_size(), order.finding_ids_size());
  EXPECT_EQ(std::vector<std::string>(listed.orders(0).task_ids().begin(),
                                     listed.orders(0).task_ids().end()),
            std::vector<std::string>(out.task_ids().begin(), out.task_ids().end()));
  EXPECT_GT(listed.orders(0).task_ids_size(), 0);

  // The counts a dashboard reads, grouped in the database.
  v1::SummarizeRegionRequest sum_req;
  sum_req.set_region_code("520221");
  v1::RegionSummary summary;
  ASSERT_TRUE(stub_->SummarizeRegion(ContextAs(auditor_).get(), sum_req, &summary).ok());
  EXPECT_EQ(summary.findings(), 2);
  ASSERT_EQ(summary.findings_by_sector_size(), 1);
  EXPECT_EQ(summary.findings_by_sector(0).sector(), tuopin::common::v1::SECTOR_HOUSING_SAFETY);
  EXPECT_EQ(summary.findings_by_sector(0).count(), 2);
  EXPECT_EQ(summary.orders(), 1);
  EXPECT_EQ(summary.orders_verified(), 1);
  EXPECT_EQ(summary.orders_open() + summary.orders_submitted(), 0);
  EXPECT_EQ(summary.orders_overdue(), 0);
  EXPECT_EQ(summary.orders_reopened(), out.reopen_count() > 0 ? 1 : 0);
  sum_req.set_region_code("520222");
  EXPECT_EQ(
      stub_
          ->SummarizeRegion(ContextAs(MakePrincipal("auditor-9", {ROLE_AUDITOR}, {"520221"})).get(),
                            sum_req, &summary)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  sum_req.set_region_code("52x");
  EXPECT_EQ(ViolatedField(stub_->SummarizeRegion(ContextAs(auditor_).get(), sum_req, &summary)),
            "region_code");

  issue.set_request_id(NextId());
  issue.set_campaign_id("no-such-campaign");
  EXPECT_EQ(ViolatedField(stub_->IssueRectificationOrder(ContextAs(admin_).get(), issue, &out)),
            "campaign_id");
  EXPECT_EQ(stub_->IssueRectificationOrder(ContextAs(inspector_).get(), issue, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  issue.set_campaign_id(campaign_.id());
  issue.add_finding_ids("ghost-finding");
  EXPECT_EQ(ViolatedField(stub_->IssueRectificationOrder(ContextAs(admin_).get(), issue, &out)),
            "finding_ids");
  EXPECT_EQ(stub_->IssueRectificationOrder(ContextAs(inspector_).get(), issue, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Issue 17, point 8: only the accountability service links a task to an order. A county
// official (or any other principal) who names an order in CreateTask is refused, while
// IssueRectificationOrder, which calls tasks as the accountability service, links them.
TEST_F(RecordsTest, OnlyAccountabilityLinksTasksToOrders) {
  v1::RectificationOrder order = IssueOrder("order-link");
  for (const auto& id : order.task_ids()) {
    tv1::Task task = GetTask(id);
    EXPECT_EQ(task.rectification_order_id(), order.id());
    EXPECT_EQ(task.village_code(), order.region_code()) << "a task outside the order's region";
  }
  tv1::CreateTaskRequest forged;
  forged.set_request_id(NextId());
  auto* t = forged.mutable_task();
  t->set_campaign_id(campaign_.id());
  t->set_stage(tv1::STAGE_FIX_SHORTCOMINGS);
  t->set_sector(tuopin::common::v1::SECTOR_HOUSING_SAFETY);
  t->set_village_code(kVillage);
  t->set_title("Rectify: sector lagging");
  t->set_assignee_cadre_id(cadre_.id());
  *t->mutable_deadline() = common::ToDate(absl::CivilDay(2018, 10, 31));
  t->set_priority(tv1::PRIORITY_HIGH);
  t->set_rectification_order_id(order.id());
  tv1::Task out;
  for (const common::Principal& p :
       {MakePrincipal("official-7", {ROLE_COUNTY_OFFICIAL}, {"520221"}), admin_}) {
    grpc::Status st = task_stub_->CreateTask(ContextAs(p).get(), forged, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << p.subject();
    EXPECT_EQ(ViolatedField(st), "task.rectification_order_id") << p.subject();
    EXPECT_EQ(common::ReasonOf(st), "RECTIFICATION_LINK_RESERVED") << p.subject();
  }
  // Another service may not create tasks at all (the contract names accountability only).
  grpc::Status other_service = task_stub_->CreateTask(
      ContextAs(MakePrincipal("service:funds", {tuopin::common::v1::ROLE_SERVICE}, {"*"})).get(),
      forged, &out);
  EXPECT_EQ(common::ReasonOf(other_service), "SERVICE_NOT_ALLOWED");
  EXPECT_EQ(testing::QueryInt(*tpool_, "SELECT COUNT(*) FROM tasks"), 2);
  // Without the link, the same official creates the task.
  forged.mutable_task()->clear_rectification_order_id();
  grpc::Status st = task_stub_->CreateTask(
      ContextAs(MakePrincipal("official-7", {ROLE_COUNTY_OFFICIAL}, {"520221"})).get(), forged,
      &out);
  EXPECT_TRUE(st.ok()) << st.error_message();
}

// Issue 17, point 10: an order is verified only when all its tasks are; rejecting it
// reopens its completed and verified tasks, and a replay of the rejection is OK.
TEST_F(RecordsTest, RectificationIsTiedToItsTasks) {
  v1::RectificationOrder order = IssueOrder("order-tied");
  ASSERT_EQ(order.task_ids_size(), 2);
  ASSERT_TRUE(Submit(order.id()).ok());
  v1::VerifyRectificationRequest verify;
  verify.set_request_id(NextId());
  verify.set_order_id(order.id());
  v1::RectificationOrder out;
  grpc::Status st = stub_->VerifyRectification(ContextAs(inspector_).get(), verify, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();
  EXPECT_EQ(common::ReasonOf(st), "TASKS_NOT_VERIFIED");
  for (const auto& id : order.task_ids())
    EXPECT_NE(st.error_message().find(id), std::string::npos) << st.error_message();

  // One task verified, the other only completed: still refused, naming the open one.
  FinishTask(order.task_ids(0));
  CompleteTask(order.task_ids(1));
  verify.set_request_id(NextId());
  st = stub_->VerifyRectification(ContextAs(inspector_).get(), verify, &out);
  EXPECT_EQ(common::ReasonOf(st), "TASKS_NOT_VERIFIED") << st.error_message();
  EXPECT_EQ(st.error_message().find(order.task_ids(0)), std::string::npos) << st.error_message();
  EXPECT_NE(st.error_message().find(order.task_ids(1)), std::string::npos) << st.error_message();

  // Rejected: the verified and the completed task are open again.
  v1::RejectRectificationRequest reject;
  reject.set_request_id(NextId());
  reject.set_order_id(order.id());
  reject.set_reason("Random survey: one house still unsafe");
  v1::RectificationOrder rejected, replayed;
  st = stub_->RejectRectification(ContextAs(inspector_).get(), reject, &rejected);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(rejected.status(), v1::RECTIFICATION_STATUS_OPEN);
  for (const auto& id : order.task_ids()) {
    tv1::Task task = GetTask(id);
    EXPECT_EQ(task.status(), tv1::TASK_STATUS_IN_PROGRESS) << id;
    EXPECT_EQ(task.reopen_count(), 1) << id;
    EXPECT_TRUE(task.verified_by().empty()) << id;
  }
  // A replay of the same rejection answers as the first time and reopens nothing again.
  st = stub_->RejectRectification(ContextAs(inspector_).get(), reject, &replayed);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(replayed.SerializeAsString(), rejected.SerializeAsString());
  for (const auto& id : order.task_ids()) EXPECT_EQ(GetTask(id).reopen_count(), 1) << id;

  // Reworked, completed and verified by a second person: now the order is verified.
  ASSERT_TRUE(Submit(order.id()).ok());
  // A late replay of the rejection, with the tasks completed again and the order
  // submitted again, still changes nothing.
  for (const auto& id : order.task_ids()) CompleteTask(id);
  st = stub_->RejectRectification(ContextAs(inspector_).get(), reject, &replayed);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(replayed.status(), v1::RECTIFICATION_STATUS_OPEN);
  for (const auto& id : order.task_ids()) {
    tv1::Task task = GetTask(id);
    EXPECT_EQ(task.status(), tv1::TASK_STATUS_COMPLETED) << id;
    EXPECT_EQ(task.reopen_count(), 1) << id;
  }
  for (const auto& id : order.task_ids()) {
    tv1::VerifyTaskRequest vt;
    vt.set_request_id(NextId());
    vt.set_task_id(id);
    tv1::Task task;
    ASSERT_TRUE(task_stub_->VerifyTask(ContextAs(inspector_).get(), vt, &task).ok());
  }
  verify.set_request_id(NextId());
  st = stub_->VerifyRectification(ContextAs(inspector_).get(), verify, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.status(), v1::RECTIFICATION_STATUS_VERIFIED);
}

// Issue 18, point 1: every cadre, household and campaign a record names is checked against
// the caller's scope (a cadre by its managing region), not only the record's region; point
// 8: a missing one answers exactly as one of another county.
TEST_F(RecordsTest, NamedCadresHouseholdsAndCampaignsAreInTheCallersScope) {
  constexpr char kLiuzhiVillage[] = "520203100001";
  pv1::ImportRegionsRequest import;
  import.set_request_id("liuzhi");
  for (auto [code, name] : std::vector<std::pair<const char*, const char*>>{
           {"520203", "Liuzhi"}, {"520203100", "Pingzhai"}, {kLiuzhiVillage, "Yanjiao"}}) {
    auto* r = import.add_regions();
    r->set_code(code);
    r->set_name(name);
  }
  pv1::ImportRegionsResponse ir;
  ASSERT_TRUE(people_->ImportRegions(ContextAs(admin_).get(), import, &ir).ok());
  pv1::CreateCadreRequest c;
  c.set_request_id("liuzhi-cadre");
  c.mutable_cadre()->set_employee_number("LZ-9");
  c.mutable_cadre()->set_name("Liuzhi cadre");
  c.mutable_cadre()->set_origin_level(pv1::ORIGIN_LEVEL_COUNTY);
  c.mutable_cadre()->set_dispatching_unit("Liuzhi Special District Government");
  c.mutable_cadre()->set_home_region_code("520203100");
  c.mutable_cadre()->set_managing_region_code("520203");
  pv1::Cadre liuzhi_cadre;
  ASSERT_TRUE(people_->CreateCadre(ContextAs(admin_).get(), c, &liuzhi_cadre).ok());
  pv1::CreateHouseholdRequest h;
  h.set_request_id("liuzhi-household");
  h.mutable_household()->set_village_code(kLiuzhiVillage);
  h.mutable_household()->set_head_name("Wu Guiying");
  h.mutable_household()->set_member_count(3);
  h.mutable_household()->set_status(pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  pv1::Household liuzhi_household;
  ASSERT_TRUE(people_->CreateHousehold(ContextAs(admin_).get(), h, &liuzhi_household).ok());
  tv1::CreateCampaignRequest camp;
  camp.set_request_id("liuzhi-campaign");
  camp.mutable_campaign()->set_region_code("520203");
  camp.mutable_campaign()->set_name("Liuzhi 450 days");
  *camp.mutable_campaign()->mutable_start_date() = common::ToDate(absl::CivilDay(2018, 4, 1));
  tv1::Campaign liuzhi_campaign;
  ASSERT_TRUE(task_stub_->CreateCampaign(ContextAs(admin_).get(), camp, &liuzhi_campaign).ok());

  // Shuicheng's inspector, on Shuicheng's own records.
  const common::Principal county = MakePrincipal("inspector-sc", {ROLE_INSPECTOR}, {"520221"});
  int64_t records_before = testing::QueryInt(*apool_, "SELECT COUNT(*) FROM outbox");
  auto inspect = [&](const std::string& leader) {
    v1::CreateInspectionRequest req;
    req.set_request_id(NextId());
    auto* in = req.mutable_inspection();
    in->set_kind(v1::INSPECTION_KIND_UNANNOUNCED_VISIT);
    in->set_group_name("Investigation group 4");
    in->add_leader_cadre_ids(leader);
    in->add_target_region_codes("520221104");
    *in->mutable_start_date() = common::ToDate(absl::CivilDay(2018, 8, 21));
    *in->mutable_end_date() = common::ToDate(absl::CivilDay(2018, 9, 3));
    in->set_seed_commitment(common::HexEncode(common::Sha256("seed-of-group-4")));
    v1::Inspection out;
    return stub_->CreateInspection(ContextAs(county).get(), req, &out);
  };
  testing::ExpectSameRefusal(inspect(liuzhi_cadre.id()), liuzhi_cadre.id(),
                             inspect("no-such-cadre"), "no-such-cadre");
  v1::Inspection in = Inspect("seed-scope-0123456789", 0);
  auto visit = [&](const std::string& household) {
    v1::RecordVisitRequest req;
    req.set_request_id(NextId());
    req.set_inspection_id(in.id());
    req.set_household_id(household);
    req.set_observations("Nobody home.");
    *req.mutable_visit_time() = common::ToTimestamp(
        absl::FromCivil(absl::CivilSecond(2018, 8, 25, 3, 0, 0), absl::UTCTimeZone()));
    v1::Visit out;
    return stub_->RecordVisit(ContextAs(county).get(), req, &out);
  };
  testing::ExpectSameRefusal(visit(liuzhi_household.id()), liuzhi_household.id(),
                             visit("no-such-household"), "no-such-household");
  auto find = [&](const std::string& subject) {
    v1::CreateFindingRequest req;
    req.set_request_id(NextId());
    auto* f = req.mutable_finding();
    f->set_inspection_id(in.id());
    f->set_category(v1::FINDING_CATEGORY_ABSENCE_FROM_POST);
    f->set_sector(tuopin::common::v1::SECTOR_HOUSING_SAFETY);
    f->set_region_code(kVillage);
    f->mutable_subject()->set_cadre_id(subject);
    f->set_severity(v1::SEVERITY_MODERATE);
    f->set_description("The first secretary was not in the village on three visits.");
    v1::Finding out;
    return stub_->CreateFinding(ContextAs(county).get(), req, &out);
  };
  testing::ExpectSameRefusal(find(liuzhi_cadre.id()), liuzhi_cadre.id(), find("no-such-cadre"),
                             "no-such-cadre");
  v1::Finding finding = Find(in.id(), v1::FINDING_CATEGORY_SECTOR_LAGGING);
  auto issue = [&](const std::string& responsible, const std::string& campaign) {
    v1::IssueRectificationOrderRequest req;
    req.set_request_id(NextId());
    req.add_finding_ids(finding.id());
    req.mutable_responsible()->set_cadre_id(responsible);
    *req.mutable_deadline() = common::ToDate(absl::CivilDay(2018, 10, 31));
    req.set_campaign_id(campaign);
    v1::RectificationOrder out;
    return stub_->IssueRectificationOrder(ContextAs(county).get(), req, &out);
  };
  testing::ExpectSameRefusal(issue(liuzhi_cadre.id(), campaign_.id()), liuzhi_cadre.id(),
                             issue("no-such-cadre", campaign_.id()), "no-such-cadre");
  testing::ExpectSameRefusal(issue(cadre_.id(), liuzhi_campaign.id()), liuzhi_campaign.id(),
                             issue(cadre_.id(), "no-such-campaign"), "no-such-campaign");
  auto act = [&](const std::string& subject) {
    v1::RecordAccountabilityActionRequest req;
    req.set_request_id(NextId());
    auto* a = req.mutable_action();
    a->mutable_subject()->set_cadre_id(subject);
    a->set_kind(v1::ACTION_KIND_WARNING);
    a->add_finding_ids(finding.id());
    a->set_decided_by("Shuicheng County Commission for Discipline Inspection");
    *a->mutable_decision_date() = common::ToDate(absl::CivilDay(2018, 9, 5));
    v1::AccountabilityAction out;
    return stub_->RecordAccountabilityAction(ContextAs(county).get(), req, &out);
  };
  testing::ExpectSameRefusal(act(liuzhi_cadre.id()), liuzhi_cadre.id(), act("no-such-cadre"),
                             "no-such-cadre");
  // Nothing refused was recorded: only the inspection and finding made by Inspect/Find.
  EXPECT_EQ(testing::QueryInt(*apool_, "SELECT COUNT(*) FROM outbox"), records_before + 2);
  EXPECT_EQ(testing::QueryInt(*tpool_, "SELECT COUNT(*) FROM tasks"), 0);
  // The county's own objects pass.
  grpc::Status own = issue(cadre_.id(), campaign_.id());
  EXPECT_TRUE(own.ok()) << own.error_message();
  // Reading another county's inspection or order is no oracle either.
  v1::GetInspectionRequest get;
  get.set_id(in.id());
  v1::Inspection read;
  grpc::Status theirs = stub_->GetInspection(ContextAs(other_inspector_).get(), get, &read);
  get.set_id("no-such-inspection");
  testing::ExpectSameRefusal(theirs, in.id(),
                             stub_->GetInspection(ContextAs(other_inspector_).get(), get, &read),
                             "no-such-inspection");
}

TEST_F(RecordsTest, ActionsRestOnFindings) {
  v1::Inspection in = Inspect("seed-actions-0123456789", 0);
  v1::Finding f = Find(in.id(), v1::FINDING_CATEGORY_ABSENCE_FROM_POST);
  v1::RecordAccountabilityActionRequest req;
  req.set_request_id(NextId());
  auto* a = req.mutable_action();
  a->mutable_subject()->set_cadre_id(cadre_.id());
  a->set_kind(v1::ACTION_KIND_ADMONITION_TALK);
  a->add_finding_ids(f.id());
  a->set_decided_by("Shuicheng County Commission for Discipline Inspection");
  *a->mutable_decision_date() = common::ToDate(absl::CivilDay(2018, 9, 5));
  v1::AccountabilityAction out;
  ASSERT_TRUE(stub_->RecordAccountabilityAction(ContextAs(inspector_).get(), req, &out).ok());
  EXPECT_EQ(out.region_code(), kVillage);
  req.set_request_id(NextId());
  req.mutable_action()->set_kind(v1::ACTION_KIND_UNSPECIFIED);
  EXPECT_EQ(
      ViolatedField(stub_->RecordAccountabilityAction(ContextAs(inspector_).get(), req, &out)),
      "action.kind");
  v1::ListAccountabilityActionsRequest list;
  list.set_region_code("520221");
  list.set_subject_cadre_id(cadre_.id());
  v1::ListAccountabilityActionsResponse listed;
  ASSERT_TRUE(stub_->ListAccountabilityActions(ContextAs(auditor_).get(), list, &listed).ok());
  ASSERT_EQ(listed.actions_size(), 1);
  EXPECT_EQ(listed.actions(0).kind(), v1::ACTION_KIND_ADMONITION_TALK);
  // Every record mutation left its audit event.
  EXPECT_EQ(testing::QueryInt(*apool_, "SELECT COUNT(*) FROM outbox"),
            3);  // inspection, finding, action
}

}  // namespace
}  // namespace tuopin::accountability
