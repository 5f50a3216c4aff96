// Group commit of CreateTask (common::GroupCommit) through the real tasks server on
// MariaDB: new tasks, a replay and a misused request id in one burst, each answered as it
// would be alone, each task with its one record and one audit event.

#include <barrier>
#include <set>
#include <thread>

#include "tests/integration/tasks/tasks_fixture.h"

namespace tuopin::tasks {
namespace {

class TasksGroupCommitTest : public TasksTest {
 protected:
  TasksGroupCommitTest() : TasksTest(common::GroupCommitOptions{2, absl::Milliseconds(200), 16}) {}
};

TEST_F(TasksGroupCommitTest, CoalescedCallsFailAndSucceedSideBySide) {
  std::string campaign = Campaign();
  v1::CreateTaskRequest recorded =
      TaskRequest(campaign, SECTOR_DRINKING_WATER, kVillageA, absl::CivilDay(2018, 12, 31));
  v1::Task first = Create(recorded);
  int64_t records_before = testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM idempotency");
  int64_t events_before = testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM outbox");
  common::GroupCommitStats stats_before = tasks_store_.stats();

  struct Call {
    v1::CreateTaskRequest request;
    grpc::Status status;
    v1::Task response;
  };
  std::vector<Call> calls(16);
  for (int i = 0; i < 14; ++i) {
    calls[i].request = TaskRequest(campaign, SECTOR_HOUSING_SAFETY, i % 2 ? kVillageA : kVillageB,
                                   absl::CivilDay(2018, 11, 30));
    calls[i].request.mutable_task()->set_title(absl::StrCat("Task ", i));
  }
  calls[14].request = recorded;  // a retry: its first answer
  calls[15].request = recorded;  // its request id for another task: refused
  calls[15].request.mutable_task()->set_title("Something else");

  std::barrier go(static_cast<std::ptrdiff_t>(calls.size()));
  std::vector<std::thread> threads;
  for (auto& c : calls) {
    threads.emplace_back([&] {
      go.arrive_and_wait();
      c.status = stub_->CreateTask(ContextAs(official_).get(), c.request, &c.response);
    });
  }
  for (auto& t : threads) t.join();

  std::set<std::string> ids;
  for (int i = 0; i < 14; ++i) {
    ASSERT_TRUE(calls[i].status.ok()) << i << ": " << calls[i].status.error_message();
    EXPECT_EQ(calls[i].response.title(), absl::StrCat("Task ", i));
    ids.insert(calls[i].response.id());
    // The answer is the task as stored.
    v1::GetTaskRequest get;
    get.set_id(calls[i].response.id());
    v1::Task read;
    ASSERT_TRUE(stub_->GetTask(ContextAs(official_).get(), get, &read).ok());
    EXPECT_EQ(read.SerializeAsString(), calls[i].response.SerializeAsString()) << i;
  }
  EXPECT_EQ(ids.size(), 14u);
  ASSERT_TRUE(calls[14].status.ok()) << calls[14].status.error_message();
  EXPECT_EQ(calls[14].response.id(), first.id()) << "a replay answers as the first call did";
  EXPECT_EQ(ViolatedField(calls[15].status), "request_id");
  EXPECT_EQ(testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM tasks"), 15);
  EXPECT_EQ(testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM idempotency") - records_before,
            14);
  EXPECT_EQ(testing::QueryInt(*tasks_pool_, "SELECT COUNT(*) FROM outbox") - events_before, 14);
  common::GroupCommitStats stats = tasks_store_.stats();
  EXPECT_GE(stats.grouped_calls - stats_before.grouped_calls, 10);
  EXPECT_EQ(stats.failed_groups, stats_before.failed_groups);
  EXPECT_GE(stats.alone_calls - stats_before.alone_calls, 2) << "the replay and the misused id";
}

}  // namespace
}  // namespace tuopin::tasks
