// Unit tests of BatchCreateTasks (issue 23) on the in-memory store and personnel directory:
// every task is checked as CreateTask checks it, refusals are answered per task with the
// field named inside the batch, the rest is written in one mutation with an audit event each,
// a replay writes nothing, and the contract's limits (800 tasks, the 4 MiB messages) hold.

#include "absl/strings/str_cat.h"
#include "common/field_limits.h"
#include "common/server.h"
#include "common/status.h"
#include "common/validate.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "services/tasks/tasks_logic.h"
#include "services/tasks/tasks_validate.h"
#include "tests/support/grpc_harness.h"
#include "tests/unit/tasks/tasks_logic_fixture.h"

namespace tuopin::tasks {
namespace {

using testing::MakePrincipal;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;
using tuopin::common::v1::ROLE_SERVICE;

constexpr char kMethod[] = "/tuopin.tasks.v1.TaskService/BatchCreateTasks";

// The field violations and the reason of one item's error.
std::vector<std::string> Fields(const google::rpc::Status& s) {
  std::vector<std::string> out;
  for (const auto& any : s.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad))
      for (const auto& v : bad.field_violations()) out.push_back(v.field());
  }
  return out;
}
std::string Reason(const google::rpc::Status& s) {
  for (const auto& any : s.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

class BatchCreateTasksTest : public TasksLogicFixture {
 public:
  // A task of Shuicheng's campaign for its village, or for a household when given.
  static v1::Task Task(const std::string& household = "", const std::string& cadre = "cadre-sc",
                       const std::string& campaign = "camp-sc") {
    v1::Task t;
    t.set_campaign_id(campaign);
    t.set_stage(v1::STAGE_FIX_SHORTCOMINGS);
    t.set_sector(tuopin::common::v1::SECTOR_DRINKING_WATER);
    if (household.empty()) {
      t.set_village_code(kShuichengVillage);
    } else {
      t.set_household_id(household);
    }
    t.set_title("Connect piped water");
    t.set_assignee_cadre_id(cadre);
    *t.mutable_deadline() = common::ToDate(absl::CivilDay(2019, 1, 31));
    t.set_priority(v1::PRIORITY_NORMAL);
    return t;
  }

 protected:
  MutationContext Ctx(const Principal& p, const v1::BatchCreateTasksRequest& req) {
    return common::ContextFor("tasks", kMethod, p, req.request_id(), clock_.Now(), req);
  }
  absl::Status Batch(const Principal& p, const v1::BatchCreateTasksRequest& req,
                     v1::BatchCreateTasksResponse& out) {
    return logic_.BatchCreateTasks(Ctx(p, req), req, out);
  }

  const Principal official_ = MakePrincipal("official-sc", {ROLE_COUNTY_OFFICIAL}, {"520221"});
};

TEST_F(BatchCreateTasksTest, RefusedTasksAreAnsweredInPlaceAndTheOthersCreatedTogether) {
  v1::BatchCreateTasksRequest req;
  req.set_request_id("plan-1");
  *req.add_tasks() = Task();                           // 0: fine
  *req.add_tasks() = Task("hh-nb", "cadre-sc");        // 1: the neighbour's household
  *req.add_tasks() = Task("", "cadre-nb");             // 2: the neighbour's cadre
  *req.add_tasks() = Task("", "cadre-ghost");          // 3: no such cadre
  *req.add_tasks() = Task("hh-sc");                    // 4: fine, the household's village
  *req.add_tasks() = Task("", "cadre-sc", "camp-nb");  // 5: the neighbour's campaign
  v1::Task linked = Task();
  linked.set_rectification_order_id("order-1");
  *req.add_tasks() = linked;  // 6: only accountability links an order
  v1::BatchCreateTasksResponse out;
  ASSERT_TRUE(Batch(official_, req, out).ok());
  ASSERT_EQ(out.results_size(), 7);
  EXPECT_EQ(out.created_count(), 2);
  ASSERT_TRUE(out.results(0).has_task());
  ASSERT_TRUE(out.results(4).has_task());
  EXPECT_EQ(out.results(4).task().village_code(), kShuichengVillage);
  EXPECT_EQ(out.results(0).task().status(), v1::TASK_STATUS_OPEN);
  EXPECT_EQ(out.results(0).task().etag(), "v1");
  // Outside the scope and missing look the same, as for CreateTask (common/scope.h).
  for (int i : {1, 2, 3, 5}) {
    ASSERT_TRUE(out.results(i).has_error()) << i;
    EXPECT_EQ(out.results(i).error().code(), static_cast<int>(absl::StatusCode::kPermissionDenied))
        << i << " " << out.results(i).error().message();
    EXPECT_EQ(Reason(out.results(i).error()), "OUT_OF_REGION") << i;
  }
  ASSERT_TRUE(out.results(6).has_error());
  EXPECT_EQ(Reason(out.results(6).error()), "RECTIFICATION_LINK_RESERVED");
  EXPECT_EQ(Fields(out.results(6).error()),
            std::vector<std::string>{"tasks[6].rectification_order_id"});
  // The two valid tasks are stored with the ids the answer names; each has its own audit
  // event naming it (and no refused task is named anywhere).
  ASSERT_EQ(store_.tasks.size(), 2u);
  EXPECT_EQ(store_.tasks.count(out.results(0).task().id()), 1u);
  EXPECT_EQ(store_.tasks.count(out.results(4).task().id()), 1u);
  ASSERT_EQ(store_.mutations.events.size(), 2u);
  for (int k : {0, 1}) {
    const auto& event = store_.mutations.events[k];
    std::vector<std::string> named;
    for (const auto& e : event.entities())
      if (e.type() == "task") named.push_back(e.id());
    EXPECT_EQ(named, std::vector<std::string>{out.results(k == 0 ? 0 : 4).task().id()}) << k;
    EXPECT_EQ(event.request_id(), req.request_id());
  }
  EXPECT_NE(store_.mutations.events[0].event_id(), store_.mutations.events[1].event_id());
}

TEST_F(BatchCreateTasksTest, AnUnknownVillageIsNamedInsideTheBatch) {
  personnel_.villages = {kShuichengVillage};
  v1::BatchCreateTasksRequest req;
  req.set_request_id("plan-2");
  *req.add_tasks() = Task();
  v1::Task elsewhere = Task();
  elsewhere.set_village_code("520221104999");
  *req.add_tasks() = elsewhere;
  v1::Task wrong_village = Task("hh-sc");
  wrong_village.set_village_code("520221104002");
  *req.add_tasks() = wrong_village;
  v1::BatchCreateTasksResponse out;
  ASSERT_TRUE(Batch(official_, req, out).ok());
  ASSERT_TRUE(out.results(0).has_task());
  ASSERT_TRUE(out.results(1).has_error());
  EXPECT_EQ(Fields(out.results(1).error()), std::vector<std::string>{"tasks[1].village_code"});
  ASSERT_TRUE(out.results(2).has_error());
  EXPECT_EQ(Fields(out.results(2).error()), std::vector<std::string>{"tasks[2].village_code"});
}

TEST_F(BatchCreateTasksTest, PersonnelUnreachableFailsTheWholeCallAndRecordsNothing) {
  v1::BatchCreateTasksRequest req;
  req.set_request_id("plan-3");
  *req.add_tasks() = Task("hh-sc");
  personnel_.fail = absl::UnavailableError("personnel is restarting");
  v1::BatchCreateTasksResponse out;
  EXPECT_EQ(Batch(official_, req, out).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(store_.tasks.empty());
  EXPECT_TRUE(store_.mutations.events.empty());
  // The retry with the same request id goes through once personnel answers again.
  personnel_.fail = absl::OkStatus();
  ASSERT_TRUE(Batch(official_, req, out).ok());
  EXPECT_EQ(out.created_count(), 1);
}

TEST_F(BatchCreateTasksTest, AReplayAnswersTheSameAndWritesNothingAnotherBodyIsRefused) {
  v1::BatchCreateTasksRequest req;
  req.set_request_id("plan-4");
  for (int i = 0; i < 3; ++i) *req.add_tasks() = Task();
  v1::BatchCreateTasksResponse first, again;
  ASSERT_TRUE(Batch(official_, req, first).ok());
  // The replay is answered from the record: nothing is asked of personnel again, so it is
  // answered even while personnel is down (review of issue 23).
  personnel_.fail = absl::UnavailableError("personnel is restarting");
  ASSERT_TRUE(Batch(official_, req, again).ok());
  personnel_.fail = absl::OkStatus();
  EXPECT_EQ(first.SerializeAsString(), again.SerializeAsString());
  EXPECT_EQ(store_.tasks.size(), 3u);
  EXPECT_EQ(store_.mutations.events.size(), 3u) << "one event per task, none for the replay";
  // Ids derive from the caller, the request id and the index.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(first.results(i).task().id(), BatchTaskId("official-sc", "plan-4", i));
  EXPECT_NE(BatchTaskId("official-sc", "plan-4", 0), BatchTaskId("other", "plan-4", 0));
  EXPECT_TRUE(common::IsValidId(BatchTaskId(std::string(128, 's'), std::string(64, 'r'), 799)));
  // The same request id with another body.
  req.mutable_tasks(0)->set_title("Another title");
  v1::BatchCreateTasksResponse other;
  absl::Status st = Batch(official_, req, other);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "REQUEST_ID_REUSED");
  EXPECT_EQ(store_.tasks.size(), 3u);
}

TEST_F(BatchCreateTasksTest, OnlyTheAccountabilityServiceLinksOrders) {
  v1::Task linked = Task("", "cadre-sc");
  linked.set_rectification_order_id("order-1");
  v1::BatchCreateTasksRequest req;
  req.set_request_id("rectify-1");
  *req.add_tasks() = linked;
  v1::BatchCreateTasksResponse out;
  Principal accountability = MakePrincipal(kAccountabilityServiceSubject, {ROLE_SERVICE}, {"*"});
  ASSERT_TRUE(Batch(accountability, req, out).ok());
  ASSERT_TRUE(out.results(0).has_task()) << out.results(0).error().message();
  EXPECT_EQ(out.results(0).task().rectification_order_id(), "order-1");
  Principal other = MakePrincipal("service:funds", {ROLE_SERVICE}, {"*"});
  ASSERT_TRUE(Batch(other, req, out).ok());
  ASSERT_TRUE(out.results(0).has_error());
  EXPECT_EQ(Reason(out.results(0).error()), "RECTIFICATION_LINK_RESERVED");
}

// A rectification order's tasks are all created or none (review of issue 23): one refused
// task is the call's error, nothing is written or recorded, and the same request succeeds
// once the cause is fixed.
TEST_F(BatchCreateTasksTest, ForAccountabilityOneRefusedTaskRefusesTheWholeBatch) {
  Principal accountability = MakePrincipal(kAccountabilityServiceSubject, {ROLE_SERVICE}, {"*"});
  v1::BatchCreateTasksRequest req;
  req.set_request_id("rectify-2");
  for (const char* cadre : {"cadre-sc", "cadre-late"}) {
    v1::Task t = Task("", cadre);
    t.set_rectification_order_id("order-2");
    *req.add_tasks() = t;
  }
  v1::BatchCreateTasksResponse out;
  absl::Status st = Batch(accountability, req, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;  // as CreateTask answers
  EXPECT_TRUE(store_.tasks.empty()) << "a task of a refused order was kept";
  EXPECT_TRUE(store_.mutations.events.empty());
  personnel_.cadre_regions["cadre-late"] = "520221";  // the cadre is registered meanwhile
  ASSERT_TRUE(Batch(accountability, req, out).ok());
  EXPECT_EQ(out.created_count(), 2);
  EXPECT_EQ(store_.tasks.size(), 2u);
}

TEST_F(BatchCreateTasksTest, OutputOnlyFieldsSentAreNotKept) {
  v1::Task t = Task();
  t.set_verified_by("someone");
  t.add_reporters("someone");
  t.set_reopen_count(3);
  t.set_etag("v9");
  v1::BatchCreateTasksRequest req;
  req.set_request_id("plan-5");
  *req.add_tasks() = t;
  v1::BatchCreateTasksResponse out;
  ASSERT_TRUE(Batch(official_, req, out).ok());
  const v1::Task& created = out.results(0).task();
  EXPECT_TRUE(created.verified_by().empty());
  EXPECT_EQ(created.reporters_size(), 0);
  EXPECT_EQ(created.reopen_count(), 0);
  EXPECT_EQ(created.etag(), "v1");
}

// The contract's limits: at most 800 tasks (801 refused naming the field), each task's own
// rules named inside the batch, and the whole request refused, nothing written.
TEST(BatchCreateTasksContract, LimitsAreEnforcedFromTheDescriptor) {
  v1::BatchCreateTasksRequest req;
  req.set_request_id("plan-limits");
  absl::Status empty = common::ValidateRequest(req, Validate);
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(common::FieldViolationsOf(common::ToGrpcStatus(empty))[0].first, "tasks");
  v1::Task t = BatchCreateTasksTest::Task();
  for (int i = 0; i < 800; ++i) *req.add_tasks() = t;
  EXPECT_TRUE(common::ValidateRequest(req, Validate).ok());
  *req.add_tasks() = t;
  absl::Status over = common::ValidateRequest(req, Validate);
  ASSERT_EQ(over.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(common::FieldViolationsOf(common::ToGrpcStatus(over))[0].first, "tasks");
  req.mutable_tasks()->RemoveLast();
  req.mutable_tasks(5)->set_title(std::string(201, 't'));
  req.mutable_tasks(7)->clear_village_code();
  req.mutable_tasks(9)->clear_assignee_cadre_id();
  std::vector<std::string> fields;
  for (const auto& [field, description] :
       common::FieldViolationsOf(common::ToGrpcStatus(common::ValidateRequest(req, Validate))))
    fields.push_back(field);
  EXPECT_EQ(fields, (std::vector<std::string>{"tasks[5].title", "tasks[7].village_code",
                                              "tasks[9].assignee"}));
}

// The largest well-formed request (max_items tasks, every field at its limit) and its answer fit
// the messages the gateway and the services take: max_items and the fields' limits agree
// with the transport.
TEST(BatchCreateTasksContract, TheLargestRequestAndAnswerFitTheMessageLimit) {
  v1::Task t;
  t.set_campaign_id(std::string(64, 'c'));
  t.set_stage(v1::STAGE_FINAL_VICTORY);
  t.set_sector(tuopin::common::v1::SECTOR_DRINKING_WATER);
  t.set_village_code("520221104001");
  t.set_household_id(std::string(64, 'h'));
  t.set_title(std::string(200, 't'));
  t.set_description(std::string(4000, 'd'));
  t.set_assignee_department(std::string(128, 'a'));
  *t.mutable_deadline() = common::ToDate(absl::CivilDay(2030, 12, 31));
  t.set_priority(v1::PRIORITY_URGENT);
  t.set_rectification_order_id(std::string(64, 'o'));
  // As many as the contract allows.
  const int most = v1::BatchCreateTasksRequest::descriptor()
                       ->FindFieldByName("tasks")
                       ->options()
                       .GetExtension(tuopin::common::v1::limits)
                       .max_items();
  ASSERT_GT(most, 0);
  v1::BatchCreateTasksRequest req;
  req.set_request_id(std::string(64, 'r'));
  for (int i = 0; i < most; ++i) *req.add_tasks() = t;
  ASSERT_TRUE(common::ValidateRequest(req, Validate).ok())
      << common::ValidateRequest(req, Validate);
  const size_t limit = common::ServerOptions{}.max_receive_message_bytes;
  EXPECT_LE(req.ByteSizeLong(), limit);
  // The answer: each task with its id, etag, status, times and overdue flag.
  v1::BatchCreateTasksResponse answer;
  for (int i = 0; i < most; ++i) {
    v1::Task& created = *answer.add_results()->mutable_task() = t;
    created.set_id(BatchTaskId(std::string(128, 's'), req.request_id(), i));
    created.set_etag("v1");
    created.set_status(v1::TASK_STATUS_OPEN);
    created.set_overdue(true);
    *created.mutable_create_time() = common::ToTimestamp(absl::Now());
    *created.mutable_update_time() = created.create_time();
  }
  answer.set_created_count(most);
  EXPECT_LE(answer.ByteSizeLong(), limit);
}

}  // namespace
}  // namespace tuopin::tasks
