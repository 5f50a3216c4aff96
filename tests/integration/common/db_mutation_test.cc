// Mutations against a real MariaDB: idempotent replays, the outbox committed with its
// mutation, and the relay that ships it.

#include <cppconn/resultset.h>

#include <atomic>
#include <barrier>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/db.h"
#include "common/migrate.h"
#include "common/mutation.h"
#include "common/outbox.h"
#include "gtest/gtest.h"
#include "tests/support/test_db.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& TestMigrations();
}

namespace tuopin::common {
namespace {

using testing::TestDatabase;

class MutationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = db_.NewPool(8);
    // The common schema every service embeds, plus a test table.
    ASSERT_TRUE(ApplyMigrations(*pool_, tuopin::generated::TestMigrations()).ok());
  }

  MutationContext Ctx(const std::string& request_id, const google::protobuf::Message& req) {
    MutationContext ctx;
    // The event must be one the log accepts: a service it knows.
    ctx.service = "personnel";
    ctx.method = "/tuopin.test/CreateItem";
    ctx.principal.set_subject("alice");
    ctx.principal.add_roles(tuopin::common::v1::ROLE_ADMIN);
    ctx.request_id = request_id;
    SetRequestDigests(ctx, digest_key_, req);
    ctx.now = absl::FromUnixSeconds(1536710400);
    return ctx;
  }

  // Creates an item named after the request; the response is a Region carrying the id.
  absl::Status CreateItem(const tuopin::personnel::v1::Region& req, const std::string& request_id,
                          tuopin::personnel::v1::Region& resp, bool* replayed = nullptr,
                          bool fail_after_write = false) {
    return RunMutation(
        *pool_, ids_, Ctx(request_id, req),
        [&](DbSession& s, google::protobuf::Message& out) -> absl::StatusOr<EntityRefs> {
          std::string id = ids_.NewId();
          Query(s, "INSERT INTO items VALUES (?, ?)").Arg(id).Arg(req.name()).Exec();
          if (fail_after_write) return absl::FailedPreconditionError("refused after writing");
          auto& r = static_cast<tuopin::personnel::v1::Region&>(out);
          r.set_code(id);
          r.set_name(req.name());
          return EntityRefs{Entity("household", id, "520221")};
        },
        resp, replayed);
  }

  // The oldest event of the outbox (an empty event when there is none).
  tuopin::common::v1::AuditEvent FirstOutboxEvent() {
    tuopin::common::v1::AuditEvent event;
    EXPECT_TRUE(WithConnection(*pool_, [&](DbSession& s) {
                  auto rs = Query(s, "SELECT event FROM outbox ORDER BY seq LIMIT 1").Rows();
                  if (rs->next()) {
                    EXPECT_TRUE(event.ParseFromString(rs->getString(1).asStdString()));
                  }
                  return absl::OkStatus();
                }).ok());
    return event;
  }

  TestDatabase db_;
  std::unique_ptr<ConnectionPool> pool_;
  SequentialIdGenerator ids_{"id"};
  const DigestKey digest_key_ = DigestKeyFromSecret("mutation-test-digest-key-0123456789abcdef");
};

TEST_F(MutationTest, ReplayReturnsTheFirstResponseAndWritesOnce) {
  tuopin::personnel::v1::Region req;
  req.set_name("Shuicheng");
  tuopin::personnel::v1::Region first, second;
  bool replayed = true;
  ASSERT_TRUE(CreateItem(req, "req-1", first, &replayed).ok());
  EXPECT_FALSE(replayed);
  ASSERT_TRUE(CreateItem(req, "req-1", second, &replayed).ok());
  EXPECT_TRUE(replayed);
  EXPECT_EQ(first.code(), second.code());
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM items"), 1);
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM outbox"), 1);
}

TEST_F(MutationTest, SameIdWithAnotherRequestIsInvalidArgument) {
  tuopin::personnel::v1::Region a, b, resp;
  a.set_name("A");
  b.set_name("B");
  ASSERT_TRUE(CreateItem(a, "req-2", resp).ok());
  absl::Status st = CreateItem(b, "req-2", resp);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("request_id"), std::string::npos);
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM items"), 1);
}

TEST_F(MutationTest, ConcurrentRetriesOfOneRequestWriteOnce) {
  tuopin::personnel::v1::Region req;
  req.set_name("race");
  constexpr int kThreads = 8;
  std::vector<tuopin::personnel::v1::Region> resps(kThreads);
  std::vector<absl::Status> sts(kThreads);
  std::vector<std::thread> threads;
  std::barrier go(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      sts[i] = CreateItem(req, "req-race", resps[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_TRUE(sts[i].ok()) << sts[i];
    EXPECT_EQ(resps[i].code(), resps[0].code());
  }
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM items"), 1);
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM outbox"), 1);
}

TEST_F(MutationTest, OutboxRowCommitsWithAndOnlyWithItsMutation) {
  tuopin::personnel::v1::Region req, resp;
  req.set_name("x");
  absl::Status st = CreateItem(req, "req-fail", resp, nullptr, /*fail_after_write=*/true);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM items"), 0);
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM outbox"), 0);
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM idempotency"), 0);
  // The same request_id is free again after a failure.
  ASSERT_TRUE(CreateItem(req, "req-fail", resp).ok());
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM items"), 1);
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM outbox"), 1);
  // The event names the entity, the actor and the request digest.
  tuopin::common::v1::AuditEvent event = FirstOutboxEvent();
  EXPECT_EQ(event.actor_subject(), "alice");
  EXPECT_EQ(event.request_id(), "req-fail");
  ASSERT_EQ(event.entities_size(), 1);
  EXPECT_EQ(event.entities(0).id(), resp.code());
  // Keyed: a dictionary of requests cannot be tested against the event without the key.
  EXPECT_EQ(event.request_sha256(), KeyedDigest(digest_key_, DeterministicBytes(req)));
  EXPECT_NE(event.request_sha256(), MessageSha256(req));
  EXPECT_EQ(event.digest_key_id(), digest_key_.id);
  EXPECT_EQ(event.response_sha256(), KeyedDigest(digest_key_, DeterministicBytes(resp)));
}

// Attack: an UpdateHousehold that changes only head_name had an unkeyed digest, so a
// dictionary of names recovered the name from any event an auditor could read.
TEST_F(MutationTest, ARequestCannotBeGuessedFromItsDigestWithoutTheKey) {
  tuopin::personnel::v1::Region req, resp;
  req.set_name("Zhang Wei");
  ASSERT_TRUE(CreateItem(req, "req-name", resp).ok());
  tuopin::common::v1::AuditEvent event = FirstOutboxEvent();
  int matches = 0;
  for (const char* guess : {"Li Na", "Wang Fang", "Zhang Wei", "Liu Yang"}) {
    tuopin::personnel::v1::Region g;
    g.set_name(guess);
    matches += MessageSha256(g) == event.request_sha256();  // the attacker's dictionary
  }
  EXPECT_EQ(matches, 0);
  // A holder of the key and the request still checks it.
  EXPECT_EQ(event.request_sha256(), KeyedDigest(digest_key_, DeterministicBytes(req)));
}

// Limits agree end to end: an event the log would refuse is refused before it commits,
// so it never reaches an outbox and never jams a relay.
TEST_F(MutationTest, AMutationWhoseEventTheLogWouldRefuseIsRefusedBeforeCommit) {
  tuopin::personnel::v1::Region req, resp;
  req.set_name("many");
  absl::Status st = RunMutation(
      *pool_, ids_, Ctx("req-many", req),
      [&](DbSession& s, google::protobuf::Message& out) -> absl::StatusOr<EntityRefs> {
        Query(s, "INSERT INTO items VALUES (?, ?)").Arg("many").Arg(req.name()).Exec();
        static_cast<tuopin::personnel::v1::Region&>(out).set_code("many");
        EntityRefs refs;
        for (int i = 0; i < kDefaultEventEntities + 1; ++i)
          refs.push_back(Entity("household", absl::StrCat("h-", i)));
        return refs;
      },
      resp);
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal) << st;
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM items"), 0);
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM outbox"), 0);
  st = RunMutation(
      *pool_, ids_, Ctx("req-bad-type", req),
      [&](DbSession& s, google::protobuf::Message& out) -> absl::StatusOr<EntityRefs> {
        Query(s, "INSERT INTO items VALUES (?, ?)").Arg("bad").Arg(req.name()).Exec();
        static_cast<tuopin::personnel::v1::Region&>(out).set_code("bad");
        return EntityRefs{Entity("household ", "h-1")};
      },
      resp);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM outbox"), 0);
}

class RecordingSink : public OutboxSink {
 public:
  absl::Status Ship(const std::vector<tuopin::common::v1::AuditEvent>& events) override {
    ++calls;
    if (fail) return absl::UnavailableError("log down");
    size_t bytes = 0;
    for (const auto& e : events) {
      // The log refuses a whole call that holds one event it cannot take.
      if (refused.count(e.event_id())) return absl::InvalidArgumentError("events[i] refused");
      bytes += e.ByteSizeLong();
    }
    max_batch_bytes = std::max(max_batch_bytes, bytes);
    for (const auto& e : events) ids.push_back(e.event_id());
    return absl::OkStatus();
  }
  bool fail = false;
  std::set<std::string> refused;
  std::vector<std::string> ids;
  size_t max_batch_bytes = 0;
  int calls = 0;
};

TEST_F(MutationTest, RelayShipsInOrderAndKeepsEventsWhenTheSinkFails) {
  tuopin::personnel::v1::Region resp;
  for (int i = 0; i < 5; ++i) {
    tuopin::personnel::v1::Region req;
    req.set_name(absl::StrCat("n", i));
    ASSERT_TRUE(CreateItem(req, absl::StrCat("r", i), resp).ok());
  }
  RecordingSink sink;
  OutboxRelay relay(*pool_, sink, RelayOptions{.batch_size = 3});
  sink.fail = true;
  EXPECT_FALSE(relay.RunOnce().ok());
  EXPECT_EQ(*relay.Backlog(), 5);
  sink.fail = false;
  EXPECT_EQ(*relay.RunOnce(), 3);
  EXPECT_EQ(*relay.RunOnce(), 2);
  EXPECT_EQ(*relay.RunOnce(), 0);
  EXPECT_EQ(*relay.Backlog(), 0);
  ASSERT_EQ(sink.ids.size(), 5u);
  // Ids were issued in order: the events' ids of the items (odd) come after each item id.
  EXPECT_TRUE(std::is_sorted(sink.ids.begin(), sink.ids.end()));
}

// Attack: one event the log refuses used to be sent again forever, holding back every
// later event. Now it is isolated, kept as a dead letter, counted, and the rest flow.
TEST_F(MutationTest, AnEventTheLogRefusesBecomesADeadLetterAndBlocksNothing) {
  tuopin::personnel::v1::Region resp;
  for (int i = 0; i < 9; ++i) {
    tuopin::personnel::v1::Region req;
    req.set_name(absl::StrCat("n", i));
    ASSERT_TRUE(CreateItem(req, absl::StrCat("r", i), resp).ok());
  }
  std::vector<std::string> outbox_ids;
  ASSERT_TRUE(WithConnection(*pool_, [&](DbSession& s) {
                auto rs = Query(s, "SELECT event_id FROM outbox ORDER BY seq").Rows();
                while (rs->next()) outbox_ids.push_back(rs->getString(1).asStdString());
                return absl::OkStatus();
              }).ok());
  RecordingSink sink;
  sink.refused = {outbox_ids[0], outbox_ids[5]};  // the oldest, and one in the middle
  OutboxRelay relay(*pool_, sink);
  auto done = relay.RunOnce();
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(*done, 9);
  EXPECT_EQ(sink.ids.size(), 7u);
  auto stats = relay.Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->backlog, 0);
  EXPECT_EQ(stats->dead_letters, 2);
  // Kept, with the log's reason, never deleted.
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT COUNT(*) FROM outbox"), 9);
  EXPECT_EQ(testing::QueryInt(*pool_,
                              "SELECT COUNT(*) FROM outbox WHERE dead_letter_reason"
                              " LIKE '%refused%' AND shipped_at IS NULL"),
            2);
  // Later events are not held back.
  tuopin::personnel::v1::Region req;
  req.set_name("later");
  ASSERT_TRUE(CreateItem(req, "r-later", resp).ok());
  EXPECT_EQ(*relay.RunOnce(), 1);
  EXPECT_EQ(sink.ids.size(), 8u);
  EXPECT_EQ(*relay.RunOnce(), 0);
  // An operator's fix (docs/OPERATIONS.md): clear the mark, and the relay ships it again.
  sink.refused.clear();
  ASSERT_TRUE(WithConnection(*pool_, [&](DbSession& s) {
                Query(s, "UPDATE outbox SET dead_letter_at = NULL WHERE event_id = ?")
                    .Arg(outbox_ids[5])
                    .Exec();
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(*relay.RunOnce(), 1);
  EXPECT_EQ(relay.Stats()->dead_letters, 1);
  // Transient failures are not refusals: nothing becomes a dead letter while the log is down.
  ASSERT_TRUE(CreateItem(req, "r-down", resp).ok());
  sink.fail = true;
  EXPECT_FALSE(relay.RunOnce().ok());
  EXPECT_EQ(relay.Stats()->dead_letters, 1);
  EXPECT_EQ(relay.Stats()->backlog, 1);
}

TEST_F(MutationTest, RelayBatchesAreSizedInBytes) {
  tuopin::personnel::v1::Region resp;
  for (int i = 0; i < 40; ++i) {
    tuopin::personnel::v1::Region req;
    req.set_name(absl::StrCat("n", i));
    ASSERT_TRUE(CreateItem(req, absl::StrCat("r", i), resp).ok());
  }
  int64_t event_bytes = testing::QueryInt(*pool_, "SELECT MAX(LENGTH(event)) FROM outbox");
  RecordingSink sink;
  OutboxRelay relay(*pool_, sink,
                    RelayOptions{.batch_bytes = static_cast<size_t>(event_bytes) * 5});
  int total = 0;
  for (int i = 0; i < 20 && total < 40; ++i) total += *relay.RunOnce();
  EXPECT_EQ(total, 40);
  EXPECT_GE(sink.calls, 8);
  EXPECT_LE(sink.max_batch_bytes, static_cast<size_t>(event_bytes) * 5);
}

}  // namespace
}  // namespace tuopin::common
