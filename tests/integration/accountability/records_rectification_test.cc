// Rectification orders through real servers: they create tasks in task tracking, follow
// their states, and are tied to their tasks.

#include "tests/integration/accountability/records_fixture.h"

namespace tuopin::accountability {
namespace {

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

}  // namespace
}  // namespace tuopin::accountability
