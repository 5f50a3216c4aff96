// BatchCreateTasks (issue 23) through the real tasks server on MariaDB, personnel behind
// the gateway: a full batch at the contract's limit in one transaction with one audit event
// per task that the log accepts, refusals answered in place, a replay that writes nothing.

#include <set>

#include "common/audit_event.h"
#include "common/status.h"
#include "google/rpc/error_details.pb.h"
#include "tests/integration/tasks/tasks_fixture.h"

namespace tuopin::tasks {
namespace {

using testing::OutboxEvents;

TEST_F(TasksTest, AFullBatchIsOneTransactionWithAnEventPerTaskTheLogAccepts) {
  std::string campaign = Campaign();
  v1::BatchCreateTasksRequest req;
  req.set_request_id("plan-full");
  for (int i = 0; i < 800; ++i) {
    v1::Task& t = *req.add_tasks() =
        TaskRequest(campaign, SECTOR_DRINKING_WATER, i % 2 == 0 ? kVillageA : kVillageB,
                    absl::CivilDay(2018, 12, 31))
            .task();
    // Every task at the longest text its fields take.
    t.set_title(std::string(200, 't'));
    t.set_description(std::string(4000, 'd'));
    if (i % 4 == 1) {
      t.clear_village_code();
      t.set_household_id(household_.id());
    }
  }
  int64_t events_before = testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM outbox");
  v1::BatchCreateTasksResponse out;
  grpc::Status st = stub_->BatchCreateTasks(ContextAs(official_).get(), req, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(out.results_size(), 800);
  EXPECT_EQ(out.created_count(), 800);
  EXPECT_EQ(testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM tasks"), 800);
  for (int i : {0, 1, 799}) {
    ASSERT_TRUE(out.results(i).has_task()) << out.results(i).error().message();
    v1::GetTaskRequest get;
    get.set_id(out.results(i).task().id());
    v1::Task read;
    ASSERT_TRUE(stub_->GetTask(ContextAs(official_).get(), get, &read).ok());
    // The answer is the task as stored.
    EXPECT_EQ(read.SerializeAsString(), out.results(i).task().SerializeAsString()) << i;
  }
  EXPECT_EQ(out.results(1).task().village_code(), kVillageA) << "the household's village";
  // One event per task (naming it, its household and cadre), each one the log would take,
  // all committed with the tasks.
  std::vector<tuopin::common::v1::AuditEvent> events = OutboxEvents(*tasks_pool_);
  ASSERT_EQ(static_cast<int64_t>(events.size()), events_before + 800);
  std::set<std::string> tasks_named;
  for (size_t k = events_before; k < events.size(); ++k) {
    const auto& event = events[k];
    EXPECT_EQ(event.method(), "/tuopin.tasks.v1.TaskService/BatchCreateTasks");
    EXPECT_EQ(event.request_id(), req.request_id());
    int named = 0;
    for (const auto& e : event.entities()) {
      if (e.type() != "task") continue;
      ++named;
      tasks_named.insert(e.id());
    }
    EXPECT_EQ(named, 1) << k;
    common::FieldViolations v;
    common::ValidateAuditEvent("event", event, v);
    EXPECT_TRUE(v.empty()) << v.ToStatus();
  }
  EXPECT_EQ(tasks_named.size(), 800u);

  // A replay answers the same and writes nothing.
  v1::BatchCreateTasksResponse again;
  ASSERT_TRUE(stub_->BatchCreateTasks(ContextAs(official_).get(), req, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), out.SerializeAsString());
  EXPECT_EQ(testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM tasks"), 800);
  EXPECT_EQ(static_cast<int64_t>(OutboxEvents(*tasks_pool_).size()), events_before + 800);
  // The same request id with another body.
  req.mutable_tasks(3)->set_title("Another");
  st = stub_->BatchCreateTasks(ContextAs(official_).get(), req, &again);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(common::ReasonOf(st), "REQUEST_ID_REUSED");
  // One more than the contract allows is refused whole, naming the field.
  req.set_request_id("plan-over");
  *req.add_tasks() = req.tasks(0);
  st = stub_->BatchCreateTasks(ContextAs(official_).get(), req, &again);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "tasks");
  EXPECT_EQ(testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM tasks"), 800);
}

TEST_F(TasksTest, ABatchAnswersRefusalsInPlaceAndCreatesTheRest) {
  std::string campaign = Campaign();
  v1::BatchCreateTasksRequest req;
  req.set_request_id("plan-mixed");
  auto task = [&](const std::string& village) {
    return TaskRequest(campaign, SECTOR_HOUSING_SAFETY, village, absl::CivilDay(2018, 12, 31))
        .task();
  };
  *req.add_tasks() = task(kVillageA);
  *req.add_tasks() = task("520203101001");  // another county's village
  v1::Task ghost = task(kVillageB);
  ghost.set_assignee_cadre_id("ghost-cadre");
  *req.add_tasks() = ghost;
  *req.add_tasks() = task("520221104999");  // not imported: only an operator learns so
  v1::BatchCreateTasksResponse out;
  grpc::Status st = stub_->BatchCreateTasks(ContextAs(official_).get(), req, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(out.results_size(), 4);
  EXPECT_EQ(out.created_count(), 1);
  EXPECT_TRUE(out.results(0).has_task());
  for (int i : {1, 2}) {
    ASSERT_TRUE(out.results(i).has_error()) << i;
    EXPECT_EQ(out.results(i).error().code(), grpc::StatusCode::PERMISSION_DENIED) << i;
  }
  ASSERT_TRUE(out.results(3).has_error());
  EXPECT_EQ(testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM tasks"), 1);
  // The operator sees every region and is told which field names nothing.
  req.set_request_id("plan-mixed-admin");
  ASSERT_TRUE(stub_->BatchCreateTasks(ContextAs(admin_).get(), req, &out).ok());
  ASSERT_TRUE(out.results(2).has_error());
  google::rpc::BadRequest bad;
  ASSERT_GT(out.results(2).error().details_size(), 0);
  bool named = false;
  for (const auto& any : out.results(2).error().details()) {
    if (any.UnpackTo(&bad))
      for (const auto& f : bad.field_violations())
        named |= f.field() == "tasks[2].assignee_cadre_id";
  }
  EXPECT_TRUE(named) << out.results(2).error().ShortDebugString();
}

}  // namespace
}  // namespace tuopin::tasks
