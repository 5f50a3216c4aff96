// Unit tests of the rectification rules of the records logic (no server, no database):
// the tasks an order creates lie in its region, an order is verified only when all its
// tasks are, and rejecting it reopens its finished tasks, idempotently and without silent
// half-done work. Inspections, visits, findings, lists and actions:
// records_inspections_test.cc.

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "tests/support/same_refusal.h"
#include "tests/unit/accountability/records_test_fixture.h"

namespace tuopin::accountability {
namespace {

// Point 8: the tasks an order creates lie in the order's region and link to the order.
TEST_F(RecordsLogicTest, OrderTasksLieInTheOrdersRegion) {
  AddFinding("f-1", kVillage);
  AddFinding("f-2", kVillage);
  absl::StatusOr<v1::RectificationOrder> o = Issue({"f-1", "f-2"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->region_code(), kVillage);
  ASSERT_EQ(tasks_.created.size(), 2u);
  ASSERT_EQ(o->task_ids_size(), 2);
  for (const auto& [request_id, task] : tasks_.created) {
    EXPECT_EQ(task.village_code(), kVillage);
    EXPECT_TRUE(common::RegionCovers(o->region_code(), task.village_code()));
    EXPECT_EQ(task.rectification_order_id(), o->id());
    EXPECT_EQ(task.campaign_id(), "campaign-1");
    EXPECT_EQ(task.assignee_cadre_id(), "cadre-7");
    EXPECT_LE(request_id.size(), 64u);
  }
  // Findings above village level make an order without tasks.
  AddFinding("f-town", "520221104");
  absl::StatusOr<v1::RectificationOrder> town = Issue({"f-town"}, "issue-2");
  ASSERT_TRUE(town.ok()) << town.status();
  EXPECT_EQ(town->task_ids_size(), 0);
  EXPECT_EQ(tasks_.created.size(), 2u);
}

// Issue 23: an order's tasks go to task tracking in one BatchCreateTasks; a task it refuses
// refuses the order, with task tracking's own error (code and reason), and no order is kept.
TEST_F(RecordsLogicTest, OrderRefusedWhenTaskTrackingRefusesOneOfItsTasks) {
  AddFinding("f-1", kVillage);
  AddFinding("f-2", kVillage);
  tasks_.refuse_index = 1;
  tasks_.refusal = common::ToRpcStatus(
      common::WithReason(absl::FailedPreconditionError("the village was merged"),
                         common::ErrorReason::REGION_RETIRED));
  absl::StatusOr<v1::RectificationOrder> o = Issue({"f-1", "f-2"});
  EXPECT_EQ(o.status().code(), absl::StatusCode::kFailedPrecondition) << o.status();
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(o.status())), "REGION_RETIRED");
  EXPECT_TRUE(store_.orders.empty()) << "an order was stored without one of its tasks";
  EXPECT_EQ(tasks_.created.size(), 2u) << "one call for the order's tasks";
  EXPECT_TRUE(tasks_.tasks.empty()) << "tasks were left behind by a refused order";
  // Once the cause is fixed, the same order (same request ids) goes through.
  tasks_.refuse_index = -1;
  o = Issue({"f-1", "f-2"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->task_ids_size(), 2);
  EXPECT_EQ(tasks_.tasks.size(), 2u);
}

TEST_F(RecordsLogicTest, OrderRefusedWhenTaskTrackingPutsItsTaskElsewhere) {
  AddFinding("f-1", kVillage);
  tasks_.move_to_village = "520203101001";  // another county
  absl::StatusOr<v1::RectificationOrder> o = Issue({"f-1"});
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(store_.orders.empty()) << "an order was stored with a task outside its region";
}

// Point 10: verified only when every linked task is verified; cancelled is not verified.
TEST_F(RecordsLogicTest, VerifyWaitsForEveryTask) {
  v1::RectificationOrder o = SubmittedOrder(tv1::TASK_STATUS_VERIFIED, tv1::TASK_STATUS_COMPLETED);
  absl::Status st = Verify(o.id(), "verify-1");
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "TASKS_NOT_VERIFIED");
  EXPECT_NE(st.message().find(o.task_ids(1)), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find(o.task_ids(0) + " "), std::string::npos)
      << "a verified task was named: " << st.message();
  EXPECT_EQ(store_.orders[o.id()].status(), v1::RECTIFICATION_STATUS_SUBMITTED);

  tasks_.Set(o.task_ids(1), tv1::TASK_STATUS_CANCELLED);
  st = Verify(o.id(), "verify-2");
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "TASKS_NOT_VERIFIED") << st;
  EXPECT_NE(st.message().find("TASK_STATUS_CANCELLED"), std::string::npos) << st.message();

  tasks_.Set(o.task_ids(1), tv1::TASK_STATUS_VERIFIED);
  ASSERT_TRUE(Verify(o.id(), "verify-3").ok());
  EXPECT_EQ(store_.orders[o.id()].status(), v1::RECTIFICATION_STATUS_VERIFIED);
  // A retry of the verification that went through is replayed, even if a task was
  // reopened since: the answer of a request does not change.
  tasks_.Set(o.task_ids(0), tv1::TASK_STATUS_IN_PROGRESS);
  EXPECT_TRUE(Verify(o.id(), "verify-3").ok());
}

TEST_F(RecordsLogicTest, VerifyOfAnOrderWithoutTasks) {
  AddFinding("f-town", "520221104");
  absl::StatusOr<v1::RectificationOrder> o = Issue({"f-town"});
  ASSERT_TRUE(o.ok());
  store_.orders[o->id()].set_status(v1::RECTIFICATION_STATUS_SUBMITTED);
  EXPECT_TRUE(Verify(o->id(), "verify-1").ok());
}

TEST_F(RecordsLogicTest, VerifyFailsClosedWhenTaskTrackingCannotAnswer) {
  v1::RectificationOrder o = SubmittedOrder(tv1::TASK_STATUS_VERIFIED, tv1::TASK_STATUS_VERIFIED);
  tasks_.tasks.erase(o.task_ids(1));
  absl::Status st = Verify(o.id(), "verify-1");
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal) << st;
  EXPECT_EQ(store_.orders[o.id()].status(), v1::RECTIFICATION_STATUS_SUBMITTED);
}

// Point 10: rejecting reopens the completed and verified tasks, with request ids derived
// from the rejection, so a replay reopens nothing twice.
TEST_F(RecordsLogicTest, RejectReopensFinishedTasks) {
  v1::RectificationOrder o = SubmittedOrder(tv1::TASK_STATUS_COMPLETED, tv1::TASK_STATUS_VERIFIED);
  absl::StatusOr<v1::RectificationOrder> out = Reject(o.id(), "reject-1");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->status(), v1::RECTIFICATION_STATUS_OPEN);
  EXPECT_EQ(out->reopen_count(), 1);
  for (const auto& id : o.task_ids()) {
    EXPECT_EQ(tasks_.tasks[id].status(), tv1::TASK_STATUS_IN_PROGRESS) << id;
    EXPECT_EQ(tasks_.reopens_applied[id], 1) << id;
  }
  EXPECT_EQ(tasks_.reopen_request_ids,
            (std::vector<std::string>{ReopenRequestId("inspector-3", "reject-1", o.task_ids(0)),
                                      ReopenRequestId("inspector-3", "reject-1", o.task_ids(1))}));

  // A late replay of the same rejection, after the tasks were completed and the order
  // submitted again: the first answer, and nothing reopened a second time.
  tasks_.Set(o.task_ids(0), tv1::TASK_STATUS_COMPLETED);
  tasks_.Set(o.task_ids(1), tv1::TASK_STATUS_COMPLETED);
  store_.orders[o.id()].set_status(v1::RECTIFICATION_STATUS_SUBMITTED);
  absl::StatusOr<v1::RectificationOrder> replay = Reject(o.id(), "reject-1");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->reopen_count(), 1);
  EXPECT_EQ(tasks_.reopens_applied[o.task_ids(0)], 1);
  EXPECT_EQ(tasks_.tasks[o.task_ids(0)].status(), tv1::TASK_STATUS_COMPLETED);
  EXPECT_EQ(store_.orders[o.id()].status(), v1::RECTIFICATION_STATUS_SUBMITTED);
  // A new rejection (new request id) reopens them again.
  ASSERT_TRUE(Reject(o.id(), "reject-2").ok());
  EXPECT_EQ(tasks_.reopens_applied[o.task_ids(0)], 2);
  EXPECT_EQ(tasks_.tasks[o.task_ids(1)].status(), tv1::TASK_STATUS_IN_PROGRESS);
}

TEST_F(RecordsLogicTest, RejectLeavesOpenAndCancelledTasksAlone) {
  v1::RectificationOrder o =
      SubmittedOrder(tv1::TASK_STATUS_IN_PROGRESS, tv1::TASK_STATUS_CANCELLED);
  ASSERT_TRUE(Reject(o.id(), "reject-1").ok());
  EXPECT_TRUE(tasks_.reopen_request_ids.empty());
  EXPECT_EQ(tasks_.tasks[o.task_ids(1)].status(), tv1::TASK_STATUS_CANCELLED);
  EXPECT_EQ(store_.orders[o.id()].status(), v1::RECTIFICATION_STATUS_OPEN);
}

// A task that cannot be reopened fails the call before the order changes; the retry of
// the same request finishes the job without reopening anything twice.
TEST_F(RecordsLogicTest, RejectIsNeverSilentlyHalfDone) {
  v1::RectificationOrder o = SubmittedOrder(tv1::TASK_STATUS_COMPLETED, tv1::TASK_STATUS_COMPLETED);
  tasks_.fail_reopen.insert(o.task_ids(1));
  absl::StatusOr<v1::RectificationOrder> first = Reject(o.id(), "reject-1");
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable) << first.status();
  EXPECT_NE(first.status().message().find(o.task_ids(1)), std::string::npos);
  EXPECT_EQ(store_.orders[o.id()].status(), v1::RECTIFICATION_STATUS_SUBMITTED);
  EXPECT_EQ(tasks_.tasks[o.task_ids(0)].status(), tv1::TASK_STATUS_IN_PROGRESS);
  EXPECT_EQ(tasks_.tasks[o.task_ids(1)].status(), tv1::TASK_STATUS_COMPLETED);
  // Meanwhile nobody can verify the order.
  EXPECT_EQ(Verify(o.id(), "verify-1").code(), absl::StatusCode::kFailedPrecondition);

  absl::StatusOr<v1::RectificationOrder> retry = Reject(o.id(), "reject-1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->status(), v1::RECTIFICATION_STATUS_OPEN);
  EXPECT_EQ(retry->reopen_count(), 1);
  for (const auto& id : o.task_ids()) {
    EXPECT_EQ(tasks_.tasks[id].status(), tv1::TASK_STATUS_IN_PROGRESS) << id;
    EXPECT_EQ(tasks_.reopens_applied[id], 1) << id;
  }
}

TEST_F(RecordsLogicTest, RejectOfAnOrderNotSubmittedTouchesNoTask) {
  v1::RectificationOrder o = SubmittedOrder(tv1::TASK_STATUS_COMPLETED, tv1::TASK_STATUS_VERIFIED);
  store_.orders[o.id()].set_status(v1::RECTIFICATION_STATUS_OPEN);
  EXPECT_EQ(Reject(o.id(), "reject-1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(tasks_.reopen_request_ids.empty());
}

using testing::ExpectSameRefusal;

// Point 1: an order names only objects of the caller's scope (its findings, the responsible
// cadre by managing region, the campaign); point 8: a missing one is refused the same way.
TEST_F(RecordsLogicTest, OrderNamesOnlyObjectsOfTheCallersScope) {
  AddFinding("f-1", kVillage);
  AddFinding("f-liuzhi", "520203101001");
  ExpectSameRefusal(Issue({"f-1"}, "cadre-a", "cadre-liuzhi").status(), "cadre-liuzhi",
                    Issue({"f-1"}, "cadre-b", "cadre-ghost").status(), "cadre-ghost");
  ExpectSameRefusal(
      Issue({"f-1"}, "camp-a", "cadre-7", "campaign-liuzhi").status(), "campaign-liuzhi",
      Issue({"f-1"}, "camp-b", "cadre-7", "campaign-ghost").status(), "campaign-ghost");
  ExpectSameRefusal(Issue({"f-1", "f-liuzhi"}, "find-a").status(), "f-liuzhi",
                    Issue({"f-1", "f-ghost"}, "find-b").status(), "f-ghost");
  EXPECT_TRUE(store_.orders.empty());
  EXPECT_TRUE(tasks_.created.empty()) << "a refused order created tasks";
  // Whoever sees every region is told what is missing.
  inspector_.set_region_scopes(0, "*");
  absl::Status missing = Issue({"f-1"}, "cadre-c", "cadre-ghost").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument) << missing;
  EXPECT_EQ(common::FieldViolationsOf(common::ToGrpcStatus(missing)).at(0).first,
            "responsible.cadre_id");
  // And the rule holds for the county's own objects.
  inspector_.set_region_scopes(0, "520221");
  EXPECT_TRUE(Issue({"f-1"}, "own").ok());
}

TEST_F(RecordsLogicTest, ActionsAndOrdersOfAnotherCountyLookMissing) {
  AddFinding("f-1", kVillage);
  auto act = [&](const std::string& cadre) {
    v1::RecordAccountabilityActionRequest req;
    req.set_request_id(absl::StrCat("act-", cadre));
    req.mutable_action()->mutable_subject()->set_cadre_id(cadre);
    req.mutable_action()->add_finding_ids("f-1");
    req.mutable_action()->set_kind(v1::ACTION_KIND_WARNING);
    v1::AccountabilityAction out;
    return logic_.RecordAccountabilityAction(Ctx(req.request_id()), req, out);
  };
  ExpectSameRefusal(act("cadre-liuzhi"), "cadre-liuzhi", act("cadre-ghost"), "cadre-ghost");
  v1::RectificationOrder& liuzhi = store_.orders["o-liuzhi"];
  liuzhi.set_id("o-liuzhi");
  liuzhi.set_region_code("520203101001");
  liuzhi.set_status(v1::RECTIFICATION_STATUS_SUBMITTED);
  ExpectSameRefusal(Verify("o-liuzhi", "v-1"), "o-liuzhi", Verify("o-ghost", "v-2"), "o-ghost");
  EXPECT_EQ(store_.orders["o-liuzhi"].status(), v1::RECTIFICATION_STATUS_SUBMITTED);
}

// Attack (review of issue 17): a prefecture inspector's action on findings of two counties
// tagged both with one county's region, locking the other county's auditors out of its
// finding's history.
TEST_F(RecordsLogicTest, AnActionNamesFindingsOfOneRegion) {
  AddFinding("f-a", kVillage);
  AddFinding("f-b", "520222100200");
  inspector_.set_region_scopes(0, "5202");
  v1::RecordAccountabilityActionRequest req;
  req.set_request_id("act-two-counties");
  req.mutable_action()->mutable_subject()->set_department("Shuicheng poverty office");
  req.mutable_action()->add_finding_ids("f-a");
  req.mutable_action()->add_finding_ids("f-b");
  req.mutable_action()->set_kind(v1::ACTION_KIND_WARNING);
  v1::AccountabilityAction out;
  absl::Status st = logic_.RecordAccountabilityAction(Ctx(req.request_id()), req, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_EQ(common::FieldViolationsOf(common::ToGrpcStatus(st)).at(0).first, "action.finding_ids");
}

TEST(ReopenRequestIdTest, StablePerRejectionAndTask) {
  std::string id = ReopenRequestId("inspector-3", "reject-1", "task-1");
  EXPECT_EQ(id, ReopenRequestId("inspector-3", "reject-1", "task-1"));
  EXPECT_NE(id, ReopenRequestId("inspector-3", "reject-1", "task-2"));
  EXPECT_NE(id, ReopenRequestId("inspector-3", "reject-2", "task-1"));
  EXPECT_NE(id, ReopenRequestId("inspector-4", "reject-1", "task-1"));
  EXPECT_TRUE(common::IsValidId(
      ReopenRequestId(std::string(200, 's'), std::string(64, 'r'), std::string(64, 't'))));
}

}  // namespace
}  // namespace tuopin::accountability
