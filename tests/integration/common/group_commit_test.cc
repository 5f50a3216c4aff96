// common::GroupCommit against a real MariaDB, with a body of the test's own: what the group
// does not accept runs alone and gets its own answer, a group that fails or throws sends
// every call alone, copies of one request id are written once, and stopping the engine
// writes the calls still waiting.

#include "common/group_commit.h"

#include <barrier>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/db.h"
#include "common/migrate.h"
#include "common/mutation.h"
#include "gtest/gtest.h"
#include "tests/support/test_db.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& TestMigrations();
}

namespace tuopin::common {
namespace {

using tuopin::personnel::v1::Region;

struct Item {
  std::string name;
  bool refuse = false;      // the business rule says no
  bool unloggable = false;  // its audit event names an entity type the log refuses
};

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = db_.NewPool(8);
    ASSERT_TRUE(ApplyMigrations(*pool_, tuopin::generated::TestMigrations()).ok());
  }

  void Start(GroupCommitOptions options) {
    group_ = std::make_unique<GroupCommit<Item>>(
        "CreateItem", *pool_, ids_, options,
        [this](DbSession& s, std::vector<GroupedCall*>& calls) -> absl::Status {
          if (fail_groups_) return absl::InternalError("the group's transaction fails");
          if (throw_in_groups_) throw std::runtime_error("a defect in the group body");
          for (GroupedCall* c : calls) {
            const Item& item = GroupCommit<Item>::InputOf(*c);
            if (item.refuse) {
              c->status = absl::FailedPreconditionError("refused");
              continue;
            }
            c->entities.push_back(Write(s, item, static_cast<Region&>(*c->response)));
          }
          return absl::OkStatus();
        },
        [this](const MutationContext& ctx, const Item& item, google::protobuf::Message& out) {
          return RunMutation(
              *pool_, ids_, ctx,
              [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
                if (item.refuse) return absl::FailedPreconditionError("refused");
                return Write(s, item, static_cast<Region&>(m));
              },
              out);
        });
  }

  EntityRefs Write(DbSession& s, const Item& item, Region& out) {
    std::string id = ids_.NewId();
    Query(s, "INSERT INTO items VALUES (?, ?)").Arg(id).Arg(item.name).Exec();
    out.set_code(id);
    out.set_name(item.name);
    return {Entity(item.unloggable ? "no-such-type" : "household", id, "520221")};
  }

  MutationContext Ctx(const std::string& request_id, const Item& item) {
    Region req;
    req.set_name(item.name);
    req.set_code(item.refuse ? "refuse" : item.unloggable ? "unloggable" : "");
    MutationContext ctx;
    ctx.service = "personnel";
    ctx.method = "/tuopin.test/CreateItem";
    ctx.principal.set_subject("alice");
    ctx.principal.add_roles(tuopin::common::v1::ROLE_ADMIN);
    ctx.request_id = request_id;
    SetRequestDigests(ctx, digest_key_, req);
    ctx.now = absl::FromUnixSeconds(1536710400);
    return ctx;
  }

  struct Call {
    std::string request_id;
    Item item;
    absl::Status status;
    Region response;
  };
  // Sends the calls at once, each from its own thread.
  void Burst(std::vector<Call>& calls) {
    std::barrier go(static_cast<std::ptrdiff_t>(calls.size()));
    std::vector<std::thread> threads;
    for (auto& c : calls) {
      threads.emplace_back([&] {
        go.arrive_and_wait();
        MutationContext ctx = Ctx(c.request_id, c.item);
        c.status = group_->Run(ctx, c.item, c.response);
      });
    }
    for (auto& t : threads) t.join();
  }
  static Call MakeCall(std::string request_id, std::string name) {
    Call c;
    c.request_id = std::move(request_id);
    c.item.name = std::move(name);
    return c;
  }
  std::vector<Call> Normal(int n) {
    std::vector<Call> calls;
    for (int i = 0; i < n; ++i)
      calls.push_back(MakeCall(absl::StrCat("r-", i), absl::StrCat("v", i)));
    return calls;
  }
  int64_t Count(const std::string& table) {
    return testing::QueryInt(*pool_, absl::StrCat("SELECT COUNT(*) FROM ", table));
  }

  testing::TestDatabase db_;
  std::unique_ptr<ConnectionPool> pool_;
  SequentialIdGenerator ids_{"id"};
  const DigestKey digest_key_ = DigestKeyFromSecret("group-commit-test-digest-key-0123456789");
  bool fail_groups_ = false;
  bool throw_in_groups_ = false;
  std::unique_ptr<GroupCommit<Item>> group_;
};

// One group of eight: six written together, the refused and the unloggable one alone with
// their own errors, nothing of theirs written.
TEST_F(GroupCommitTest, RefusedAndUnloggableCallsRunAloneAndTheRestCommitTogether) {
  Start({1, absl::Milliseconds(500), 8});
  std::vector<Call> calls = Normal(8);
  calls[6].item.refuse = true;
  calls[7].item.unloggable = true;
  Burst(calls);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(calls[i].status.ok()) << i << ": " << calls[i].status;
    EXPECT_EQ(calls[i].response.name(), absl::StrCat("v", i));
  }
  EXPECT_EQ(calls[6].status.code(), absl::StatusCode::kFailedPrecondition) << calls[6].status;
  EXPECT_EQ(calls[7].status.code(), absl::StatusCode::kInvalidArgument) << calls[7].status;
  EXPECT_EQ(Count("items"), 6);
  EXPECT_EQ(Count("idempotency"), 6);
  EXPECT_EQ(Count("outbox"), 6);
  GroupCommitStats stats = group_->stats();
  EXPECT_EQ(stats.grouped_calls, 6);
  EXPECT_EQ(stats.groups, 1);
  EXPECT_EQ(stats.alone_calls, 2);
  EXPECT_EQ(stats.failed_groups, 0);
}

TEST_F(GroupCommitTest, AGroupWhoseTransactionFailsSendsEveryCallAlone) {
  Start({1, absl::Milliseconds(500), 4});
  fail_groups_ = true;
  std::vector<Call> calls = Normal(4);
  Burst(calls);
  for (const Call& c : calls) EXPECT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(Count("items"), 4);
  EXPECT_EQ(Count("outbox"), 4);
  GroupCommitStats stats = group_->stats();
  EXPECT_EQ(stats.failed_groups, 1);
  EXPECT_EQ(stats.alone_calls, 4);
  EXPECT_EQ(stats.grouped_calls, 0);
}

// A defect in a group body fails its group, not the process or the callers.
TEST_F(GroupCommitTest, AGroupBodyThatThrowsSendsEveryCallAlone) {
  Start({1, absl::Milliseconds(500), 4});
  throw_in_groups_ = true;
  std::vector<Call> calls = Normal(4);
  Burst(calls);
  for (const Call& c : calls) EXPECT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(Count("items"), 4);
  EXPECT_EQ(group_->stats().alone_calls, 4);
  // And the engine still writes groups.
  throw_in_groups_ = false;
  std::vector<Call> more = Normal(4);
  for (auto& c : more) c.request_id += "-again";
  Burst(more);
  EXPECT_EQ(group_->stats().grouped_calls, 4);
  EXPECT_EQ(Count("items"), 8);
}

// Three copies of one request in one group: written once, each answered with that write.
TEST_F(GroupCommitTest, CopiesOfOneRequestIdAreWrittenOnce) {
  Start({1, absl::Milliseconds(500), 5});
  std::vector<Call> calls = Normal(5);
  for (int i = 2; i < 5; ++i) calls[i] = MakeCall("same", "same");
  Burst(calls);
  for (const Call& c : calls) ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(calls[3].response.code(), calls[2].response.code());
  EXPECT_EQ(calls[4].response.code(), calls[2].response.code());
  EXPECT_EQ(Count("items"), 3);
  EXPECT_EQ(Count("outbox"), 3);
  EXPECT_EQ(group_->stats().alone_calls, 2);
  EXPECT_EQ(group_->stats().failed_groups, 0);
}

TEST_F(GroupCommitTest, WithoutWorkersEveryCallRunsAlone) {
  Start({0, absl::ZeroDuration(), 64});
  std::vector<Call> calls = Normal(3);
  Burst(calls);
  for (const Call& c : calls) EXPECT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(Count("items"), 3);
  EXPECT_EQ(group_->stats().grouped_calls, 0);
}

// Stopping the engine (the service shutting down) writes the calls still waiting for
// their group's window instead of dropping them.
TEST_F(GroupCommitTest, StoppingWritesTheCallsStillWaiting) {
  Start({1, absl::Seconds(30), 64});
  std::vector<Call> calls = Normal(3);
  std::vector<std::thread> threads;
  for (auto& c : calls) {
    threads.emplace_back([&] {
      MutationContext ctx = Ctx(c.request_id, c.item);
      c.status = group_->Run(ctx, c.item, c.response);
    });
  }
  // Bounded wait until all three wait in the window.
  for (int i = 0; i < 500 && group_->stats().waiting < 3; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(group_->stats().waiting, 3);
  EXPECT_EQ(Count("items"), 0) << "the 30 s window still holds them";
  group_.reset();  // joins the worker after it wrote them
  for (auto& t : threads) t.join();
  for (const Call& c : calls) EXPECT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(Count("items"), 3);
}

}  // namespace
}  // namespace tuopin::common
