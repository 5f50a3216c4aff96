// Group commit of single-transfer CreateTransfers calls (common::GroupCommit) through a real
// gRPC server and MariaDB: calls that fail, are refused, replay or collide are written in
// the same group as calls that succeed, and every one gets the answer it would get alone.

#include <barrier>
#include <map>
#include <set>
#include <thread>

#include "tests/integration/funds/funds_fixture.h"

namespace tuopin::funds {
namespace {

// The twenty calls of the burst fill a group at once; the window bounds the wait of the
// calls before and after it, each alone.
class FundsGroupCommitTest : public FundsTest {
 protected:
  FundsGroupCommitTest() : FundsTest(common::GroupCommitOptions{2, absl::Milliseconds(200), 20}) {}
};

TEST_F(FundsGroupCommitTest, CoalescedCallsFailAndSucceedSideBySide) {
  std::string src = Account("SRC", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_COUNTY);
  std::string central =
      Account("CENTRAL", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_CENTRAL);
  std::string pool = Account("POOL", v1::ACCOUNT_KIND_POOL, "520221");
  std::string project =
      Account("PRJ", v1::ACCOUNT_KIND_PROJECT, kVillage, v1::SOURCE_LEVEL_UNSPECIFIED,
              tuopin::common::v1::SECTOR_HOUSING_SAFETY);
  v1::CreateTransfersResponse r;
  ASSERT_TRUE(Send({T("fund-pool", src, pool, 1'000, v1::TRANSFER_KIND_APPROPRIATION)}, &r).ok());
  // A call recorded before the burst, replayed (and misused) inside it.
  ASSERT_TRUE(
      Send({T("recorded", pool, project, 10, v1::TRANSFER_KIND_ALLOCATION)}, &r, nullptr, "rec-1")
          .ok());
  // A transfer of a pool since drained, to be sent again under a new request id.
  std::string drained = Account("DRAINED", v1::ACCOUNT_KIND_POOL, "520221");
  ASSERT_TRUE(
      Send({T("fund-drained", src, drained, 50, v1::TRANSFER_KIND_APPROPRIATION)}, &r).ok());
  ASSERT_TRUE(Send({T("drain", drained, project, 50, v1::TRANSFER_KIND_ALLOCATION)}, &r).ok());
  int64_t records_before = Scalar("SELECT COUNT(*) FROM idempotency");
  int64_t events_before = Scalar("SELECT COUNT(*) FROM outbox");
  common::GroupCommitStats stats_before = store_.stats();

  struct Call {
    std::vector<v1::Transfer> transfers;
    std::string request_id;
    const common::Principal* as = nullptr;
    grpc::Status status;
    v1::CreateTransfersResponse response;
  };
  std::vector<Call> calls(20);
  for (int i = 0; i < 9; ++i) {  // 9 x 100 fen: what the pool can pay, with the 10 above
    calls[i].transfers = {
        T(absl::StrCat("ok-", i), pool, project, 100, v1::TRANSFER_KIND_ALLOCATION)};
  }
  // More than the pool ever held: answered EXCEEDS_CREDITS, the call itself succeeds.
  calls[9].transfers = {T("too-much", pool, project, 5'000, v1::TRANSFER_KIND_ALLOCATION)};
  // The recorded call again: its first answer, nothing written twice.
  calls[10].transfers = {T("recorded", pool, project, 10, v1::TRANSFER_KIND_ALLOCATION)};
  calls[10].request_id = "rec-1";
  // Its request id for another request: refused, naming request_id.
  calls[11].transfers = {T("other", pool, project, 1, v1::TRANSFER_KIND_ALLOCATION)};
  calls[11].request_id = "rec-1";
  // A county officer minting central money: refused whole.
  calls[12].transfers = {T("minted", central, pool, 1'000'000, v1::TRANSFER_KIND_APPROPRIATION)};
  // Two callers, one transfer id: one creates it, the other is told it exists.
  calls[13].transfers = {T("same-id", src, pool, 7, v1::TRANSFER_KIND_APPROPRIATION)};
  calls[14].transfers = {T("same-id", src, pool, 7, v1::TRANSFER_KIND_APPROPRIATION)};
  // Another county's officer naming this county's pool: OUT_OF_SCOPE, nothing moved.
  calls[15].transfers = {T("foreign", pool, project, 1, v1::TRANSFER_KIND_ALLOCATION)};
  calls[15].as = &other_county_;
  // One new request sent three times at once: written once, answered alike.
  for (int i = 16; i < 19; ++i) {
    calls[i].transfers = {T("triple", pool, project, 1, v1::TRANSFER_KIND_ALLOCATION)};
    calls[i].request_id = "triple-1";
  }
  // A transfer that exists, sent again when its pool could no longer pay it: EXISTS, as
  // alone, not EXCEEDS_CREDITS (a client told that might pay it twice).
  calls[19].transfers = {T("drain", drained, project, 50, v1::TRANSFER_KIND_ALLOCATION)};

  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].request_id.empty()) calls[i].request_id = absl::StrCat("burst-", i);
  }
  std::barrier go(static_cast<std::ptrdiff_t>(calls.size()));
  std::vector<std::thread> threads;
  for (auto& c : calls) {
    threads.emplace_back([&] {
      go.arrive_and_wait();
      c.status = Send(c.transfers, &c.response, c.as, c.request_id);
    });
  }
  for (auto& t : threads) t.join();
  common::GroupCommitStats stats = store_.stats();

  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(calls[i].status.ok()) << i << ": " << calls[i].status.error_message();
    EXPECT_EQ(calls[i].response.results(0), v1::TRANSFER_RESULT_OK) << i;
  }
  ASSERT_TRUE(calls[9].status.ok()) << calls[9].status.error_message();
  EXPECT_EQ(calls[9].response.results(0), v1::TRANSFER_RESULT_EXCEEDS_CREDITS);
  ASSERT_TRUE(calls[10].status.ok()) << calls[10].status.error_message();
  EXPECT_EQ(calls[10].response.results(0), v1::TRANSFER_RESULT_OK) << "a replay answers as first";
  EXPECT_EQ(ViolatedField(calls[11].status), "request_id");
  EXPECT_EQ(calls[12].status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << calls[12].status.error_message();
  ASSERT_TRUE(calls[13].status.ok() && calls[14].status.ok());
  std::multiset<int> same_id = {calls[13].response.results(0), calls[14].response.results(0)};
  EXPECT_EQ(same_id, (std::multiset<int>{v1::TRANSFER_RESULT_OK, v1::TRANSFER_RESULT_EXISTS}));
  ASSERT_TRUE(calls[15].status.ok()) << calls[15].status.error_message();
  EXPECT_EQ(calls[15].response.results(0), v1::TRANSFER_RESULT_OUT_OF_SCOPE);
  for (int i = 16; i < 19; ++i) {
    ASSERT_TRUE(calls[i].status.ok()) << i << ": " << calls[i].status.error_message();
    EXPECT_EQ(calls[i].response.results(0), v1::TRANSFER_RESULT_OK) << i;
  }
  ASSERT_TRUE(calls[19].status.ok()) << calls[19].status.error_message();
  EXPECT_EQ(calls[19].response.results(0), v1::TRANSFER_RESULT_EXISTS);

  // The money: 10 + 9 x 100 + 1 left the pool, 1,000 + 7 came in; nothing else moved.
  v1::Account p = Get(pool);
  EXPECT_EQ(p.debits_posted_fen(), 911);
  EXPECT_EQ(p.credits_posted_fen(), 1'007);
  EXPECT_EQ(Get(project).credits_posted_fen(), 961);
  EXPECT_EQ(Get(drained).debits_posted_fen(), 50);
  EXPECT_EQ(Get(central).debits_posted_fen(), 0);
  EXPECT_EQ(
      Scalar(
          "SELECT COUNT(*) FROM transfers WHERE id IN ('recorded', 'same-id', 'triple', 'drain')"),
      4);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM transfers WHERE id IN ('too-much', 'other', 'minted',"
                   " 'foreign')"),
            0);
  ExpectLedgerConsistent();
  // One record and one audit event for each call that succeeded and was not a replay:
  // the nine, the one told EXCEEDS_CREDITS, the two of one id, the foreign one, the
  // triple request and the transfer sent again.
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM idempotency") - records_before, 15);
  std::vector<tuopin::common::v1::AuditEvent> events = testing::OutboxEvents(*pool_);
  ASSERT_EQ(static_cast<int64_t>(events.size()) - events_before, 15);
  // Each event is its own caller's: its request id, its actor and its transfer.
  std::map<std::string, const tuopin::common::v1::AuditEvent*> by_request;
  for (size_t k = events_before; k < events.size(); ++k) {
    EXPECT_TRUE(by_request.emplace(events[k].request_id(), &events[k]).second)
        << "one event per request: " << events[k].request_id();
  }
  for (const Call& c : calls) {
    if (!c.status.ok() || c.request_id == "rec-1") continue;
    auto e = by_request.find(c.request_id);
    ASSERT_NE(e, by_request.end()) << c.request_id;
    EXPECT_EQ(e->second->actor_subject(), (c.as ? *c.as : finance_).subject()) << c.request_id;
    bool names_transfer = false;
    for (const auto& entity : e->second->entities()) {
      names_transfer |= entity.type() == "transfer" && entity.id() == c.transfers[0].id();
    }
    EXPECT_EQ(names_transfer, c.response.results(0) == v1::TRANSFER_RESULT_OK) << c.request_id;
    // Its record answers a retry with its own answer.
    v1::CreateTransfersResponse again;
    ASSERT_TRUE(Send(c.transfers, &again, c.as, c.request_id).ok()) << c.request_id;
    EXPECT_EQ(again.SerializeAsString(), c.response.SerializeAsString()) << c.request_id;
  }
  // They were written in groups, and no group failed as a whole (one retried transfer
  // id or one refused call does not send the others to be written alone).
  EXPECT_GE(stats.grouped_calls - stats_before.grouped_calls, 10);
  EXPECT_EQ(stats.failed_groups, stats_before.failed_groups);
  // The refused call, the replay, the misused id and two copies of the triple request
  // were answered alone.
  EXPECT_GE(stats.alone_calls - stats_before.alone_calls, 5);
}

// Under sixteen clients sending one transfer per call, the pool is never overdrawn and
// every acknowledged transfer is stored once: the overdraft test, with group commit as the
// binary runs it (no window: a group is what arrived while the previous one was written).
TEST_F(FundsTest, SingleTransfersInGroupsCannotOverdrawOnePool) {
  std::string src = Account("SRC", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_COUNTY);
  std::string pool = Account("POOL", v1::ACCOUNT_KIND_POOL, "520221");
  std::string project =
      Account("PRJ", v1::ACCOUNT_KIND_PROJECT, kVillage, v1::SOURCE_LEVEL_UNSPECIFIED,
              tuopin::common::v1::SECTOR_HOUSING_SAFETY);
  v1::CreateTransfersResponse r;
  ASSERT_TRUE(Send({T("fund-pool", src, pool, 10'000, v1::TRANSFER_KIND_APPROPRIATION)}, &r).ok());
  constexpr int kClients = 16, kCalls = 20;  // 320 x 50 fen asked of 10,000
  std::atomic<int> ok{0}, exceeded{0}, failed{0};
  std::barrier go(kClients);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      go.arrive_and_wait();
      for (int i = 0; i < kCalls; ++i) {
        v1::CreateTransfersResponse resp;
        grpc::Status st = Send(
            {T(absl::StrCat("s-", c, "-", i), pool, project, 50, v1::TRANSFER_KIND_ALLOCATION)},
            &resp);
        if (!st.ok()) {
          failed++;
        } else if (resp.results(0) == v1::TRANSFER_RESULT_OK) {
          ok++;
        } else if (resp.results(0) == v1::TRANSFER_RESULT_EXCEEDS_CREDITS) {
          exceeded++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(exceeded.load(), kClients * kCalls - 200);
  EXPECT_EQ(Get(pool).debits_posted_fen(), 10'000);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM transfers WHERE id LIKE 's-%'"), 200);
  ExpectLedgerConsistent();
  EXPECT_GT(store_.stats().grouped_calls, 0);
}

}  // namespace
}  // namespace tuopin::funds
