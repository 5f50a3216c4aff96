// Tasks through real servers: the lifecycle and its verifier rule, targets and assignees
// checked with personnel through the gateway, household indicators, scope, etags and
// the rectification link only accountability may set.

#include "tests/integration/tasks/tasks_fixture.h"
#include "tests/support/same_refusal.h"

namespace tuopin::tasks {
namespace {

TEST_F(TasksTest, LifecycleVerifierRuleAndIndicatorHook) {
  std::string campaign = Campaign();
  v1::CreateTaskRequest req =
      TaskRequest(campaign, SECTOR_HOUSING_SAFETY, "", absl::CivilDay(2018, 10, 31));
  req.mutable_task()->set_household_id(household_.id());
  v1::Task t = Create(req);
  EXPECT_EQ(t.village_code(), kVillageA) << "the target's village comes from personnel";
  EXPECT_EQ(t.status(), v1::TASK_STATUS_OPEN);

  v1::Task out;
  EXPECT_EQ(Act(Cadre(other_cadre_), t.id(), "report", &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "a cadre reports only on his or her own tasks";
  ASSERT_TRUE(Act(Cadre(cadre_), t.id(), "report", &out, 60).ok());
  EXPECT_EQ(out.status(), v1::TASK_STATUS_IN_PROGRESS);
  EXPECT_EQ(out.percent(), 60);
  EXPECT_EQ(ViolatedField(Act(Cadre(cadre_), t.id(), "report", &out, 40)), "percent");
  EXPECT_EQ(Act(Cadre(cadre_), t.id(), "verify", &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Act(official_, t.id(), "report", &out, 80).ok());  // the official reports too
  ASSERT_TRUE(Act(Cadre(cadre_), t.id(), "complete", &out).ok());
  EXPECT_EQ(out.status(), v1::TASK_STATUS_COMPLETED);
  // Neither the assignee nor a reporter may verify.
  grpc::Status st = Act(official_, t.id(), "verify", &out);
  EXPECT_EQ(common::ReasonOf(st), "VERIFIER_INVOLVED");
  ASSERT_TRUE(Act(inspector_, t.id(), "verify", &out).ok());
  EXPECT_EQ(out.status(), v1::TASK_STATUS_VERIFIED);
  EXPECT_EQ(out.verified_by(), "inspector-1");

  // The housing indicator is set on the household in personnel, through the gateway.
  auto delivered = tasks_logic_->DeliverIndicatorUpdates();
  ASSERT_TRUE(delivered.ok()) << delivered.status();
  EXPECT_EQ(*delivered, 1);
  EXPECT_EQ(*tasks_logic_->DeliverIndicatorUpdates(), 0);
  pv1::GetHouseholdRequest gh;
  gh.set_id(household_.id());
  pv1::Household h;
  ASSERT_TRUE(people_->GetHousehold(ContextAs(admin_).get(), gh, &h).ok());
  EXPECT_TRUE(h.indicators().housing_safety());
  EXPECT_FALSE(h.indicators().drinking_water_safety());

  // Illegal moves, then reopen and cancel.
  EXPECT_EQ(Act(Cadre(cadre_), t.id(), "report", &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Act(official_, t.id(), "cancel", &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(Act(inspector_, t.id(), "reopen", &out).ok());
  EXPECT_EQ(out.status(), v1::TASK_STATUS_IN_PROGRESS);
  EXPECT_EQ(out.reopen_count(), 1);
  ASSERT_TRUE(Act(official_, t.id(), "cancel", &out).ok());
  EXPECT_EQ(out.status(), v1::TASK_STATUS_CANCELLED);
  EXPECT_EQ(Act(official_, t.id(), "complete", &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  v1::GetTaskRequest get;
  get.set_id(t.id());
  ASSERT_TRUE(stub_->GetTask(ContextAs(official_).get(), get, &out).ok());
  EXPECT_EQ(std::set<std::string>(out.reporters().begin(), out.reporters().end()),
            (std::set<std::string>{cadre_.id(), "official-1"}));
  EXPECT_EQ(stub_->GetTask(ContextAs(outsider_).get(), get, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(TasksTest, TargetsAndAssigneesAreCheckedWithPersonnel) {
  std::string campaign = Campaign();
  v1::Task out;
  auto bad = [&](std::function<void(v1::CreateTaskRequest&)> mutate,
                 const common::Principal* as = nullptr) {
    v1::CreateTaskRequest req =
        TaskRequest(campaign, SECTOR_RURAL_ROADS, kVillageA, absl::CivilDay(2018, 12, 1));
    mutate(req);
    return stub_->CreateTask(ContextAs(as != nullptr ? *as : official_).get(), req, &out);
  };
  EXPECT_EQ(ViolatedField(bad([](auto& r) { r.mutable_task()->set_village_code("520221104099"); })),
            "task.village_code");
  // Ids that name nothing: an operator (every region) is told which; a county official is
  // refused as for another county's object (issue 18; NamedObjectsAreInTheCallersScope).
  auto no_household = [](auto& r) { r.mutable_task()->set_household_id("no-such-household"); };
  auto no_cadre = [](auto& r) { r.mutable_task()->set_assignee_cadre_id("no-such-cadre"); };
  auto no_campaign = [](auto& r) { r.mutable_task()->set_campaign_id("nope"); };
  EXPECT_EQ(ViolatedField(bad(no_household, &admin_)), "task.household_id");
  EXPECT_EQ(ViolatedField(bad(no_cadre, &admin_)), "task.assignee_cadre_id");
  EXPECT_EQ(ViolatedField(bad(no_campaign, &admin_)), "task.campaign_id");
  for (const auto& missing : {std::function<void(v1::CreateTaskRequest&)>(no_household),
                              std::function<void(v1::CreateTaskRequest&)>(no_cadre),
                              std::function<void(v1::CreateTaskRequest&)>(no_campaign)}) {
    EXPECT_EQ(bad(missing).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(ViolatedField(bad([&](auto& r) {
              r.mutable_task()->set_household_id(household_.id());
              r.mutable_task()->set_village_code(kVillageB);
            })),
            "task.village_code");
  // Field limits.
  EXPECT_EQ(ViolatedField(bad([](auto& r) { r.mutable_task()->set_title(""); })), "task.title");
  EXPECT_EQ(ViolatedField(bad([](auto& r) {
              r.mutable_task()->set_sector(tuopin::common::v1::SECTOR_UNSPECIFIED);
            })),
            "task.sector");
  EXPECT_EQ(
      ViolatedField(bad([](auto& r) { r.mutable_task()->mutable_deadline()->set_month(13); })),
      "task.deadline");
  EXPECT_EQ(ViolatedField(bad([](auto& r) { r.mutable_task()->clear_assignee_cadre_id(); })),
            "task.assignee");
  EXPECT_EQ(ViolatedField(
                bad([](auto& r) { r.mutable_task()->set_description(std::string(4001, 'd')); })),
            "task.description");
  // A department may be the assignee; an outsider may not create in Shuicheng.
  EXPECT_TRUE(bad([](auto& r) {
                r.mutable_task()->set_assignee_department("Shuicheng Transport Bureau");
              }).ok());
  v1::CreateTaskRequest req =
      TaskRequest(campaign, SECTOR_RURAL_ROADS, kVillageA, absl::CivilDay(2018, 12, 1));
  EXPECT_EQ(stub_->CreateTask(ContextAs(outsider_).get(), req, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Issue 18, point 1: every cadre and household a task names is checked against the caller's
// scope (a cadre by its managing region), not only the task's village; point 8: a missing
// one answers exactly as one of another county.
TEST_F(TasksTest, NamedObjectsAreInTheCallersScope) {
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
  c.mutable_cadre()->set_employee_number("LZ-1");
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

  std::string campaign = Campaign();
  v1::Task out;
  auto create = [&](auto mutate) {
    v1::CreateTaskRequest req =
        TaskRequest(campaign, SECTOR_RURAL_ROADS, kVillageA, absl::CivilDay(2018, 12, 1));
    mutate(*req.mutable_task());
    return stub_->CreateTask(ContextAs(official_).get(), req, &out);
  };
  // Shuicheng's own task, naming Liuzhi's cadre as assignee or Liuzhi's household.
  testing::ExpectSameRefusal(
      create([&](v1::Task& t) { t.set_assignee_cadre_id(liuzhi_cadre.id()); }), liuzhi_cadre.id(),
      create([&](v1::Task& t) { t.set_assignee_cadre_id("no-such-cadre"); }), "no-such-cadre");
  testing::ExpectSameRefusal(create([&](v1::Task& t) {
                               t.clear_village_code();
                               t.set_household_id(liuzhi_household.id());
                             }),
                             liuzhi_household.id(), create([&](v1::Task& t) {
                               t.clear_village_code();
                               t.set_household_id("no-such-household");
                             }),
                             "no-such-household");
  // Reassigning a task to Liuzhi's cadre.
  v1::Task task =
      Create(TaskRequest(campaign, SECTOR_RURAL_ROADS, kVillageA, absl::CivilDay(2018, 12, 1)));
  auto reassign = [&](const std::string& cadre) {
    v1::UpdateTaskRequest up;
    up.set_request_id(NextId());
    up.mutable_task()->set_id(task.id());
    up.mutable_task()->set_assignee_cadre_id(cadre);
    up.mutable_update_mask()->add_paths("assignee_cadre_id");
    return stub_->UpdateTask(ContextAs(official_).get(), up, &out);
  };
  testing::ExpectSameRefusal(reassign(liuzhi_cadre.id()), liuzhi_cadre.id(),
                             reassign("no-such-cadre"), "no-such-cadre");
  EXPECT_TRUE(reassign(other_cadre_.id()).ok());
  // The outsider reading Shuicheng's task or campaign learns nothing of their existence.
  v1::GetTaskRequest get;
  get.set_id(task.id());
  grpc::Status theirs = stub_->GetTask(ContextAs(outsider_).get(), get, &out);
  get.set_id("no-such-task");
  testing::ExpectSameRefusal(theirs, task.id(),
                             stub_->GetTask(ContextAs(outsider_).get(), get, &out), "no-such-task");
  v1::GetCampaignRequest gc;
  gc.set_id(campaign);
  v1::Campaign cout;
  theirs = stub_->GetCampaign(ContextAs(outsider_).get(), gc, &cout);
  gc.set_id("no-such-campaign");
  testing::ExpectSameRefusal(theirs, campaign,
                             stub_->GetCampaign(ContextAs(outsider_).get(), gc, &cout),
                             "no-such-campaign");
}

TEST_F(TasksTest, UpdateWithEtagAndIdempotentReplay) {
  std::string campaign = Campaign();
  v1::CreateTaskRequest create =
      TaskRequest(campaign, SECTOR_RURAL_ROADS, kVillageA, absl::CivilDay(2018, 11, 1));
  v1::Task first, replay;
  ASSERT_TRUE(stub_->CreateTask(ContextAs(official_).get(), create, &first).ok());
  ASSERT_TRUE(stub_->CreateTask(ContextAs(official_).get(), create, &replay).ok());
  EXPECT_EQ(first.id(), replay.id());
  EXPECT_EQ(testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM tasks"), 1);

  v1::UpdateTaskRequest up;
  up.set_request_id(NextId());
  up.mutable_task()->set_id(first.id());
  up.mutable_task()->set_etag(first.etag());
  *up.mutable_task()->mutable_deadline() = common::ToDate(absl::CivilDay(2018, 12, 15));
  up.mutable_task()->set_assignee_cadre_id(other_cadre_.id());
  up.mutable_update_mask()->add_paths("deadline");
  up.mutable_update_mask()->add_paths("assignee_cadre_id");
  v1::Task updated;
  ASSERT_TRUE(stub_->UpdateTask(ContextAs(official_).get(), up, &updated).ok());
  EXPECT_EQ(updated.deadline().month(), 12);
  EXPECT_EQ(updated.assignee_cadre_id(), other_cadre_.id());
  up.set_request_id(NextId());
  EXPECT_EQ(stub_->UpdateTask(ContextAs(official_).get(), up, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  up.set_request_id(NextId());
  up.mutable_task()->set_etag(updated.etag());
  up.mutable_task()->set_assignee_cadre_id("ghost");
  // A cadre that does not exist: the operator is told which field; the county official is
  // refused as for another county's cadre (issue 18).
  EXPECT_EQ(ViolatedField(stub_->UpdateTask(ContextAs(admin_).get(), up, &updated)),
            "task.assignee_cadre_id");
  EXPECT_EQ(stub_->UpdateTask(ContextAs(official_).get(), up, &updated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Every mutation left one audit event.
  EXPECT_EQ(testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM outbox"),
            3);  // campaign, task, update
}

// Issue 17, point 8: a task is linked to a rectification order only by the accountability
// service (which creates an order's tasks in the order's region). Anyone else naming an
// order, e.g. another county's, is refused, naming the field; UpdateTask cannot set it.
TEST_F(TasksTest, OnlyTheAccountabilityServiceLinksARectificationOrder) {
  std::string campaign = Campaign();
  v1::CreateTaskRequest create =
      TaskRequest(campaign, SECTOR_HOUSING_SAFETY, kVillageA, absl::CivilDay(2018, 11, 1));
  create.mutable_task()->set_rectification_order_id("order-of-another-county");
  v1::Task out;
  for (const common::Principal& p :
       {official_, MakePrincipal("admin-1", {ROLE_ADMIN}, {"*"}),
        MakePrincipal(kAccountabilityServiceSubject, {ROLE_COUNTY_OFFICIAL}, {"520221"})}) {
    grpc::Status st = stub_->CreateTask(ContextAs(p).get(), create, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << p.subject();
    EXPECT_EQ(ViolatedField(st), "task.rectification_order_id") << p.subject();
    EXPECT_EQ(common::ReasonOf(st), "RECTIFICATION_LINK_RESERVED") << p.subject();
  }
  // Another service may not create tasks at all (the contract names accountability only).
  grpc::Status other_service = stub_->CreateTask(
      ContextAs(MakePrincipal("service:funds", {tuopin::common::v1::ROLE_SERVICE}, {"*"})).get(),
      create, &out);
  EXPECT_EQ(other_service.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(common::ReasonOf(other_service), "SERVICE_NOT_ALLOWED");
  EXPECT_EQ(testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM tasks"), 0);

  const common::Principal accountability =
      MakePrincipal(kAccountabilityServiceSubject, {tuopin::common::v1::ROLE_SERVICE}, {"*"});
  create.set_request_id(NextId());
  create.mutable_task()->set_rectification_order_id("order-1");
  grpc::Status st = stub_->CreateTask(ContextAs(accountability).get(), create, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.rectification_order_id(), "order-1");

  v1::UpdateTaskRequest up;
  up.set_request_id(NextId());
  up.mutable_task()->set_id(out.id());
  up.mutable_task()->set_rectification_order_id("order-of-another-county");
  up.mutable_update_mask()->add_paths("rectification_order_id");
  v1::Task updated;
  EXPECT_EQ(ViolatedField(stub_->UpdateTask(ContextAs(official_).get(), up, &updated)),
            "update_mask");
}

// A village merged into another (personnel's MergeVillages) takes no new task: personnel's
// GetRegion answers it with valid_to, and the check refuses it (REGION_RETIRED).
TEST_F(TasksTest, NoTaskGoesIntoAMergedVillage) {
  std::string campaign = Campaign();
  const std::string merged = "520221104002";
  pv1::ImportRegionsRequest import;
  import.set_request_id("regions-merged");
  pv1::Region* r = import.add_regions();
  r->set_code(merged);
  r->set_name("Shuiqing");
  pv1::ImportRegionsResponse ir;
  ASSERT_TRUE(people_->ImportRegions(ContextAs(admin_).get(), import, &ir).ok());
  pv1::MergeVillagesRequest merge;
  merge.set_request_id("merge");
  merge.add_village_codes(merged);
  merge.set_into_code(kVillageA);
  merge.set_decision_reference("Illustrative test decision (not a real document)");
  pv1::MergeVillagesResponse mr;
  ASSERT_TRUE(people_->MergeVillages(ContextAs(admin_).get(), merge, &mr).ok());
  v1::Task out;
  grpc::Status st = stub_->CreateTask(
      ContextAs(official_).get(),
      TaskRequest(campaign, SECTOR_RURAL_ROADS, merged, absl::CivilDay(2018, 12, 1)), &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(common::ReasonOf(st), "REGION_RETIRED");
  EXPECT_TRUE(stub_
                  ->CreateTask(ContextAs(official_).get(),
                               TaskRequest(campaign, SECTOR_RURAL_ROADS, kVillageA,
                                           absl::CivilDay(2018, 12, 1)),
                               &out)
                  .ok());
}

}  // namespace
}  // namespace tuopin::tasks
