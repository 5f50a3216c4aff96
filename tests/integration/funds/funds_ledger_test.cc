// The funds ledger through a real gRPC server and a real MariaDB: accounts, a pool hammered
// by 16 concurrent clients, linked chains, two-phase transfers and expiry, four eyes on
// posting (creator refused, a second officer posts, who did what recorded), idempotent
// replays and immutability.

#include <cppconn/resultset.h>

#include <barrier>
#include <map>
#include <thread>

#include "common/audit_event.h"
#include "tests/integration/funds/funds_fixture.h"

namespace tuopin::funds {
namespace {

TEST_F(FundsTest, AccountsCreateGetListAndRefuseBadInput) {
  std::string src =
      Account("SRC-CENTRAL", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_CENTRAL);
  std::string pool = Account("POOL-COUNTY", v1::ACCOUNT_KIND_POOL, "520221");
  v1::Account a = Get(src);
  EXPECT_FALSE(a.debits_must_not_exceed_credits()) << "sources issue money";
  EXPECT_TRUE(Get(pool).debits_must_not_exceed_credits());

  v1::CreateAccountRequest dup;
  dup.set_request_id(NextId());
  dup.mutable_account()->set_code("POOL-COUNTY");
  dup.mutable_account()->set_kind(v1::ACCOUNT_KIND_POOL);
  dup.mutable_account()->set_name("Again");
  dup.mutable_account()->set_region_code("520221");
  v1::Account out;
  EXPECT_EQ(stub_->CreateAccount(ContextAs(finance_).get(), dup, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  struct Case {
    std::function<void(v1::CreateAccountRequest&)> mutate;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](auto& r) { r.mutable_account()->set_code("has space"); }, "account.code"},
      {[](auto& r) { r.mutable_account()->set_kind(v1::ACCOUNT_KIND_UNSPECIFIED); },
       "account.kind"},
      {[](auto& r) { r.mutable_account()->set_name(std::string(129, 'n')); }, "account.name"},
      {[](auto& r) { r.mutable_account()->set_region_code("52022"); }, "account.region_code"},
      {[](auto& r) {
         r.mutable_account()->set_kind(v1::ACCOUNT_KIND_PROJECT);
         r.mutable_account()->set_region_code(kVillage);
       },
       "account.sector"},
      {[](auto& r) { r.set_allow_overdraft(true); }, "allow_overdraft"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    v1::CreateAccountRequest req;
    req.set_request_id(NextId());
    req.mutable_account()->set_code(absl::StrCat("OK-", i));
    req.mutable_account()->set_kind(v1::ACCOUNT_KIND_POOL);
    req.mutable_account()->set_name("Pool");
    req.mutable_account()->set_region_code("520221");
    cases[i].mutate(req);
    EXPECT_EQ(ViolatedField(stub_->CreateAccount(ContextAs(finance_).get(), req, &out)),
              cases[i].field)
        << i;
  }
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM accounts"), 2);

  v1::ListAccountsRequest list;
  list.set_region_code("5202");
  list.set_page_size(1);
  v1::ListAccountsResponse page;
  ASSERT_TRUE(stub_->ListAccounts(ContextAs(auditor_).get(), list, &page).ok());
  EXPECT_EQ(page.accounts_size(), 1);
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(stub_->ListAccounts(ContextAs(auditor_).get(), list, &page).ok());
  EXPECT_EQ(page.accounts_size(), 1);
  EXPECT_TRUE(page.next_page_token().empty());

  v1::GetAccountRequest get;
  get.set_id(pool);
  EXPECT_EQ(stub_->GetAccount(ContextAs(other_county_).get(), get, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Auditors never create.
  dup.mutable_account()->set_code("AUDITOR-WAS-HERE");
  EXPECT_EQ(stub_->CreateAccount(ContextAs(auditor_).get(), dup, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(FundsTest, SixteenClientsCannotOverdrawOnePool) {
  std::string src = Account("SRC", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_COUNTY);
  std::string pool = Account("POOL", v1::ACCOUNT_KIND_POOL, "520221");
  std::vector<std::string> projects;
  for (int i = 0; i < 4; ++i) {
    projects.push_back(Account(absl::StrCat("PRJ-", i), v1::ACCOUNT_KIND_PROJECT, kVillage,
                               v1::SOURCE_LEVEL_UNSPECIFIED,
                               tuopin::common::v1::SECTOR_HOUSING_SAFETY));
  }
  v1::CreateTransfersResponse r;
  ASSERT_TRUE(Send({T("fund-pool", src, pool, 100'000, v1::TRANSFER_KIND_APPROPRIATION)}, &r).ok());
  // 16 clients x 10 batches x 5 transfers x 300 fen = 240,000 fen asked of a 100,000 pool.
  constexpr int kClients = 16, kBatches = 10, kPerBatch = 5;
  std::atomic<int> ok{0}, exceeded{0}, other{0}, rpc_errors{0};
  std::barrier go(kClients);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      go.arrive_and_wait();
      for (int b = 0; b < kBatches; ++b) {
        std::vector<v1::Transfer> batch;
        for (int k = 0; k < kPerBatch; ++k) {
          batch.push_back(T(absl::StrCat("h-", c, "-", b, "-", k), pool, projects[(c + k) % 4], 300,
                            v1::TRANSFER_KIND_ALLOCATION));
        }
        v1::CreateTransfersResponse resp;
        grpc::Status st = Send(batch, &resp);
        if (!st.ok()) {
          rpc_errors++;
          continue;
        }
        for (auto res : resp.results()) {
          if (res == v1::TRANSFER_RESULT_OK) {
            ok++;
          } else if (res == v1::TRANSFER_RESULT_EXCEEDS_CREDITS) {
            exceeded++;
          } else {
            other++;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(rpc_errors.load(), 0);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok.load(), 100'000 / 300);  // exactly what the pool can pay: 333 transfers
  EXPECT_EQ(ok.load() + exceeded.load(), kClients * kBatches * kPerBatch);
  v1::Account p = Get(pool);
  EXPECT_EQ(p.debits_posted_fen(), 333 * 300);
  EXPECT_LE(p.debits_posted_fen() + p.debits_pending_fen(), p.credits_posted_fen());
  ExpectLedgerConsistent();
}

TEST_F(FundsTest, LinkedChainVoidsAsOne) {
  std::string src = Account("SRC", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_COUNTY);
  std::string pool = Account("POOL", v1::ACCOUNT_KIND_POOL, "520221");
  std::string project =
      Account("PRJ", v1::ACCOUNT_KIND_PROJECT, kVillage, v1::SOURCE_LEVEL_UNSPECIFIED,
              tuopin::common::v1::SECTOR_DRINKING_WATER);
  std::string payee = Account("PAYEE", v1::ACCOUNT_KIND_PAYEE, kVillage);
  v1::CreateTransfersResponse r;
  ASSERT_TRUE(Send({T("a", src, pool, 1000, v1::TRANSFER_KIND_APPROPRIATION, true),
                    T("b", pool, project, 800, v1::TRANSFER_KIND_ALLOCATION, true),
                    T("c", project, payee, 900, v1::TRANSFER_KIND_DISBURSEMENT)},
                   &r)
                  .ok());
  EXPECT_EQ(r.results(0), v1::TRANSFER_RESULT_LINKED_EVENT_FAILED);
  EXPECT_EQ(r.results(1), v1::TRANSFER_RESULT_LINKED_EVENT_FAILED);
  EXPECT_EQ(r.results(2), v1::TRANSFER_RESULT_EXCEEDS_CREDITS);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM transfers"), 0);
  EXPECT_EQ(Get(pool).credits_posted_fen(), 0);
  ASSERT_TRUE(Send({T("a", src, pool, 1000, v1::TRANSFER_KIND_APPROPRIATION, true),
                    T("b", pool, project, 800, v1::TRANSFER_KIND_ALLOCATION, true),
                    T("c", project, payee, 700, v1::TRANSFER_KIND_DISBURSEMENT)},
                   &r)
                  .ok());
  for (auto res : r.results()) EXPECT_EQ(res, v1::TRANSFER_RESULT_OK);
  EXPECT_EQ(Get(payee).credits_posted_fen(), 700);
  ExpectLedgerConsistent();
}

TEST_F(FundsTest, TwoPhasePostVoidAndExpiry) {
  std::string src = Account("SRC", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_COUNTY);
  std::string pool = Account("POOL", v1::ACCOUNT_KIND_POOL, "520221");
  std::string project =
      Account("PRJ", v1::ACCOUNT_KIND_PROJECT, kVillage, v1::SOURCE_LEVEL_UNSPECIFIED,
              tuopin::common::v1::SECTOR_RURAL_ROADS);
  v1::CreateTransfersResponse r;
  ASSERT_TRUE(Send({T("fund", src, pool, 1000, v1::TRANSFER_KIND_APPROPRIATION)}, &r).ok());
  ASSERT_TRUE(Send({T("p1", pool, project, 600, v1::TRANSFER_KIND_ALLOCATION, false, 3600),
                    T("p2", pool, project, 300, v1::TRANSFER_KIND_ALLOCATION, false, 60),
                    T("p3", pool, project, 200, v1::TRANSFER_KIND_ALLOCATION, false, 60)},
                   &r)
                  .ok());
  EXPECT_EQ(r.results(0), v1::TRANSFER_RESULT_OK);
  EXPECT_EQ(r.results(1), v1::TRANSFER_RESULT_OK);
  EXPECT_EQ(r.results(2), v1::TRANSFER_RESULT_EXCEEDS_CREDITS)
      << "reservations count against the pool";
  EXPECT_EQ(Get(pool).debits_pending_fen(), 900);

  // finance_ created them; a second officer posts (four eyes).
  v1::PostPendingTransferRequest post;
  post.set_request_id(NextId());
  post.set_transfer_id("p1");
  v1::Transfer t;
  ASSERT_TRUE(stub_->PostPendingTransfer(ContextAs(second_finance_).get(), post, &t).ok());
  EXPECT_EQ(t.state(), v1::TRANSFER_STATE_POSTED);
  EXPECT_EQ(Get(project).credits_posted_fen(), 600);
  post.set_request_id(NextId());
  EXPECT_EQ(stub_->PostPendingTransfer(ContextAs(second_finance_).get(), post, &t).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // p2 expires: posting is refused, the sweeper voids it and frees the reservation.
  clock_.Advance(absl::Minutes(2));
  post.set_request_id(NextId());
  post.set_transfer_id("p2");
  grpc::Status st = stub_->PostPendingTransfer(ContextAs(second_finance_).get(), post, &t);
  EXPECT_EQ(common::ReasonOf(st), "PENDING_EXPIRED");
  auto swept = logic_.SweepExpired(ids_);
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(*logic_.SweepExpired(ids_), 0);
  EXPECT_EQ(Get(pool).debits_pending_fen(), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM outbox WHERE event LIKE '%ExpirePendingTransfer%'"), 1);
  // The expiry is recorded as the sweeper's act, not a person's.
  EXPECT_EQ(Scalar(absl::StrCat("SELECT COUNT(*) FROM transfer_resolutions WHERE transfer_id ="
                                " 'p2' AND state = 4 AND resolved_by = '",
                                kExpiryActor, "'")),
            1);

  ASSERT_TRUE(
      Send({T("p4", pool, project, 400, v1::TRANSFER_KIND_ALLOCATION, false, 3600)}, &r).ok());
  v1::VoidPendingTransferRequest voidreq;
  voidreq.set_request_id(NextId());
  voidreq.set_transfer_id("p4");
  voidreq.set_reason("Project scope changed by the county");
  ASSERT_TRUE(stub_->VoidPendingTransfer(ContextAs(finance_).get(), voidreq, &t).ok());
  EXPECT_EQ(t.state(), v1::TRANSFER_STATE_VOIDED);
  voidreq.set_request_id(NextId());
  voidreq.set_reason("");
  EXPECT_EQ(ViolatedField(stub_->VoidPendingTransfer(ContextAs(finance_).get(), voidreq, &t)),
            "reason");
  ExpectLedgerConsistent();
}

// Four eyes on money: whoever created a pending transfer cannot post it (admins neither);
// the refused post moves nothing and leaves the transfer pending; a second officer of the
// same county posts it; the creator may void its own. Every transfer shows who created it
// and who resolved it, subjects stored byte for byte (they travel as hex in the batch).
TEST_F(FundsTest, FourEyesOnPendingTransfers) {
  std::string src = Account("SRC", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_COUNTY);
  std::string pool = Account("POOL", v1::ACCOUNT_KIND_POOL, "520221");
  std::string project =
      Account("PRJ", v1::ACCOUNT_KIND_PROJECT, kVillage, v1::SOURCE_LEVEL_UNSPECIFIED,
              tuopin::common::v1::SECTOR_HOUSING_SAFETY);
  const common::Principal admin = MakePrincipal("admin-1", {ROLE_ADMIN}, {"*"});
  const common::Principal odd = MakePrincipal("o'neil \"x\"; DELETE FROM transfers; -- 水城",
                                              {ROLE_FINANCE_OFFICER}, {"520221"});
  v1::CreateTransfersResponse r;
  ASSERT_TRUE(Send({T("fund", src, pool, 1000, v1::TRANSFER_KIND_APPROPRIATION),
                    T("fe", pool, project, 600, v1::TRANSFER_KIND_ALLOCATION, false, 3600)},
                   &r)
                  .ok());
  ASSERT_EQ(r.results(0), v1::TRANSFER_RESULT_OK);
  ASSERT_EQ(r.results(1), v1::TRANSFER_RESULT_OK);
  ASSERT_TRUE(
      Send({T("fa", pool, project, 100, v1::TRANSFER_KIND_ALLOCATION, false, 3600)}, &r, &admin)
          .ok());
  ASSERT_EQ(r.results(0), v1::TRANSFER_RESULT_OK);
  ASSERT_TRUE(
      Send({T("fo", pool, project, 50, v1::TRANSFER_KIND_ALLOCATION, false, 3600)}, &r, &odd).ok());
  ASSERT_EQ(r.results(0), v1::TRANSFER_RESULT_OK);

  auto expect_untouched = [&] {
    v1::Account p = Get(pool), j = Get(project);
    EXPECT_EQ(p.debits_pending_fen(), 750);
    EXPECT_EQ(p.debits_posted_fen(), 0);
    EXPECT_EQ(j.credits_pending_fen(), 750);
    EXPECT_EQ(j.credits_posted_fen(), 0);
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM transfer_resolutions"), 0);
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM pending_transfers"), 3);
  };
  auto post = [&](const std::string& id, const common::Principal& as, v1::Transfer* out) {
    v1::PostPendingTransferRequest req;
    req.set_request_id(NextId());
    req.set_transfer_id(id);
    return stub_->PostPendingTransfer(ContextAs(as).get(), req, out);
  };
  v1::Transfer t;
  // The creator, the admin who created its own, and the odd subject: refused, nothing moves.
  for (const auto& [id, who] : std::vector<std::pair<std::string, const common::Principal*>>{
           {"fe", &finance_}, {"fa", &admin}, {"fo", &odd}}) {
    grpc::Status st = post(id, *who, &t);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << id;
    EXPECT_EQ(common::ReasonOf(st), "FOUR_EYES") << id;
    EXPECT_NE(st.error_message().find("second person"), std::string::npos) << st.error_message();
  }
  expect_untouched();
  // Region scope is checked as before: a neighbouring county's officer is out of scope.
  EXPECT_EQ(common::ReasonOf(post("fe", other_county_, &t)), "OUT_OF_REGION");
  expect_untouched();

  // A second officer of the same county posts.
  grpc::Status st = post("fe", second_finance_, &t);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(t.state(), v1::TRANSFER_STATE_POSTED);
  EXPECT_EQ(t.created_by(), "finance-shuicheng");
  EXPECT_EQ(t.resolved_by(), "finance-shuicheng-2");
  EXPECT_EQ(Get(project).credits_posted_fen(), 600);
  // The admin's own: the finance officer posts it. The odd subject voids its own.
  ASSERT_TRUE(post("fa", finance_, &t).ok());
  EXPECT_EQ(t.created_by(), "admin-1");
  EXPECT_EQ(t.resolved_by(), "finance-shuicheng");
  v1::VoidPendingTransferRequest v;
  v.set_request_id(NextId());
  v.set_transfer_id("fo");
  v.set_reason("Entered twice");
  st = stub_->VoidPendingTransfer(ContextAs(odd).get(), v, &t);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(t.state(), v1::TRANSFER_STATE_VOIDED);
  EXPECT_EQ(t.resolved_by(), odd.subject());

  v1::ListTransfersRequest list;
  list.set_account_id(pool);
  list.set_page_size(100);
  v1::ListTransfersResponse page;
  ASSERT_TRUE(stub_->ListTransfers(ContextAs(auditor_).get(), list, &page).ok());
  std::map<std::string, v1::Transfer> by_id;
  for (const auto& x : page.transfers()) by_id[x.id()] = x;
  ASSERT_EQ(by_id.size(), 4u);
  EXPECT_EQ(by_id["fund"].created_by(), "finance-shuicheng");
  EXPECT_EQ(by_id["fund"].resolved_by(), "");
  EXPECT_EQ(by_id["fe"].created_by(), "finance-shuicheng");
  EXPECT_EQ(by_id["fe"].resolved_by(), "finance-shuicheng-2");
  EXPECT_EQ(by_id["fe"].state(), v1::TRANSFER_STATE_POSTED);
  EXPECT_EQ(by_id["fa"].created_by(), "admin-1");
  EXPECT_EQ(by_id["fa"].resolved_by(), "finance-shuicheng");
  EXPECT_EQ(by_id["fo"].created_by(), odd.subject());
  EXPECT_EQ(by_id["fo"].resolved_by(), odd.subject());
  EXPECT_EQ(by_id["fo"].state(), v1::TRANSFER_STATE_VOIDED);

  // Who created a transfer is the server's to record, never the client's to claim.
  v1::Transfer forged = T("forged", src, pool, 5, v1::TRANSFER_KIND_APPROPRIATION, false, 3600);
  forged.set_created_by("someone-else");
  EXPECT_EQ(ViolatedField(Send({forged}, &r)), "transfers[0].created_by");
  ExpectLedgerConsistent();
}

TEST_F(FundsTest, ReplaysAndTransferIdsAreIdempotent) {
  std::string src = Account("SRC", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_COUNTY);
  std::string pool = Account("POOL", v1::ACCOUNT_KIND_POOL, "520221");
  v1::CreateTransfersResponse first, replay, again;
  ASSERT_TRUE(
      Send({T("x", src, pool, 500, v1::TRANSFER_KIND_APPROPRIATION)}, &first, nullptr, "batch-1")
          .ok());
  ASSERT_TRUE(
      Send({T("x", src, pool, 500, v1::TRANSFER_KIND_APPROPRIATION)}, &replay, nullptr, "batch-1")
          .ok());
  EXPECT_EQ(replay.results(0), v1::TRANSFER_RESULT_OK) << "a replay answers as the first call did";
  grpc::Status batch = Send({T("x", src, pool, 500, v1::TRANSFER_KIND_APPROPRIATION),
                             T("x", src, pool, 501, v1::TRANSFER_KIND_APPROPRIATION)},
                            &again);
  ASSERT_TRUE(batch.ok()) << batch.error_message();
  EXPECT_EQ(again.results(0), v1::TRANSFER_RESULT_EXISTS);
  EXPECT_EQ(again.results(1), v1::TRANSFER_RESULT_EXISTS_WITH_DIFFERENT_FIELDS);
  EXPECT_EQ(Get(pool).credits_posted_fen(), 500);
  grpc::Status st =
      Send({T("y", src, pool, 1, v1::TRANSFER_KIND_APPROPRIATION)}, &again, nullptr, "batch-1");
  EXPECT_EQ(ViolatedField(st), "request_id");
}

// A batch's transfers are written as one text statement with hex-literal strings: what a
// memo holds (quotes, backslashes, SQL, any UTF-8) is stored and read back byte for byte,
// and a pending transfer keeps its deadline.
TEST_F(FundsTest, MemosAndDeadlinesSurviveTheBatchInsertExactly) {
  std::string src = Account("SRC", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_COUNTY);
  std::string pool = Account("POOL", v1::ACCOUNT_KIND_POOL, "520221");
  const std::vector<std::string> memos = {
      "",
      "it's a \\'quote\\' and \"double\"",
      "x'); DELETE FROM transfers; -- ",
      "X'41' \\0 \\n %_",
      "2018年第二季度 扶贫资金 水城县 🏔️",
  };
  std::vector<v1::Transfer> batch;
  for (size_t i = 0; i < memos.size(); ++i) {
    batch.push_back(T("memo-" + std::to_string(i), src, pool, 100 + static_cast<int64_t>(i),
                      v1::TRANSFER_KIND_APPROPRIATION));
    batch.back().set_memo(memos[i]);
  }
  batch.push_back(T("memo-pending", src, pool, 7, v1::TRANSFER_KIND_APPROPRIATION, false, 3600));
  batch.back().set_memo("pending: 待审批");
  v1::CreateTransfersResponse out;
  grpc::Status st = Send(batch, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  for (int i = 0; i < out.results_size(); ++i) EXPECT_EQ(out.results(i), v1::TRANSFER_RESULT_OK);

  v1::ListTransfersRequest req;
  req.set_account_id(pool);
  req.set_page_size(100);
  v1::ListTransfersResponse list;
  st = stub_->ListTransfers(ContextAs(auditor_).get(), req, &list);
  ASSERT_TRUE(st.ok()) << st.error_message();
  std::map<std::string, v1::Transfer> by_id;
  for (const auto& t : list.transfers()) by_id[t.id()] = t;
  ASSERT_EQ(by_id.size(), memos.size() + 1);
  for (size_t i = 0; i < memos.size(); ++i) {
    const v1::Transfer& t = by_id["memo-" + std::to_string(i)];
    EXPECT_EQ(t.memo(), memos[i]);
    EXPECT_EQ(t.amount_fen(), 100 + static_cast<int64_t>(i));
    EXPECT_EQ(t.debit_account_id(), src);
    EXPECT_FALSE(t.pending());
  }
  const v1::Transfer& p = by_id["memo-pending"];
  EXPECT_EQ(p.memo(), "pending: 待审批");
  EXPECT_TRUE(p.pending());
  EXPECT_EQ(p.timeout().seconds(), 3600);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM transfers"), static_cast<int64_t>(memos.size() + 1));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM pending_transfers WHERE timeout_at = "
                   "(SELECT timeout_at FROM transfers WHERE id = 'memo-pending')"),
            1);
  ExpectLedgerConsistent();
}

TEST_F(FundsTest, TransfersAreImmutableInTheDatabase) {
  std::string src = Account("SRC", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_COUNTY);
  std::string pool = Account("POOL", v1::ACCOUNT_KIND_POOL, "520221");
  v1::CreateTransfersResponse r;
  ASSERT_TRUE(Send({T("keep", src, pool, 100, v1::TRANSFER_KIND_APPROPRIATION)}, &r).ok());
  for (const char* sql : {"UPDATE transfers SET amount = 1 WHERE id = 'keep'",
                          "DELETE FROM transfers WHERE id = 'keep'"}) {
    absl::Status st = common::WithConnection(*pool_, [&](common::DbSession& s) {
      s.ExecuteRaw(sql);
      return absl::OkStatus();
    });
    EXPECT_FALSE(st.ok()) << sql;
    EXPECT_NE(st.message().find("transfers are"), std::string::npos) << st;
  }
  EXPECT_EQ(Scalar("SELECT amount FROM transfers WHERE id = 'keep'"), 100);
}

// Attack: a pending transfer whose id takes all 64 characters expired into an event whose
// request id ("expire-" + id) the log refused. Every event of the outbox is loggable.
TEST_F(FundsTest, TheExpiryOfTheLongestTransferIdIsLoggable) {
  std::string src = Account("LONG-SRC", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_COUNTY);
  std::string pool = Account("LONG-POOL", v1::ACCOUNT_KIND_POOL, "520221");
  v1::CreateTransfersResponse r;
  ASSERT_TRUE(Send({T("long-fund", src, pool, 100, v1::TRANSFER_KIND_APPROPRIATION)}, &r).ok());
  std::string project =
      Account("LONG-PRJ", v1::ACCOUNT_KIND_PROJECT, kVillage, v1::SOURCE_LEVEL_UNSPECIFIED,
              tuopin::common::v1::SECTOR_RURAL_ROADS);
  std::string id(64, 'p');
  ASSERT_TRUE(Send({T(id, pool, project, 10, v1::TRANSFER_KIND_ALLOCATION, false, 60)}, &r).ok());
  ASSERT_EQ(r.results(0), v1::TRANSFER_RESULT_OK);
  clock_.Advance(absl::Minutes(2));
  auto swept = logic_.SweepExpired(ids_);
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 1);
  int events = 0;
  ASSERT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                auto rs = common::Query(s, "SELECT event FROM outbox ORDER BY seq").Rows();
                while (rs->next()) {
                  tuopin::common::v1::AuditEvent e;
                  EXPECT_TRUE(e.ParseFromString(rs->getString(1).asStdString()));
                  common::FieldViolations v;
                  common::ValidateAuditEvent("event", e, v);
                  EXPECT_TRUE(v.empty()) << e.method() << ": " << v.ToStatus();
                  ++events;
                }
                return absl::OkStatus();
              }).ok());
  EXPECT_GE(events, 5);
}

// A transfer sent again under a new request id is answered EXISTS before its balance is
// checked: told EXCEEDS_CREDITS because its pool has since been drained, a client would
// pay it a second time under a new id. Alone or in a group, the same answer.
TEST_F(FundsTest, AnExistingTransferIsAnsweredExistsBeforeItsBalance) {
  std::string src = Account("SRC", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_COUNTY);
  std::string pool = Account("POOL", v1::ACCOUNT_KIND_POOL, "520221");
  std::string project =
      Account("PRJ", v1::ACCOUNT_KIND_PROJECT, kVillage, v1::SOURCE_LEVEL_UNSPECIFIED,
              tuopin::common::v1::SECTOR_HOUSING_SAFETY);
  v1::CreateTransfersResponse r;
  ASSERT_TRUE(Send({T("fund", src, pool, 50, v1::TRANSFER_KIND_APPROPRIATION)}, &r).ok());
  ASSERT_TRUE(Send({T("pay", pool, project, 50, v1::TRANSFER_KIND_ALLOCATION)}, &r).ok());
  ASSERT_EQ(r.results(0), v1::TRANSFER_RESULT_OK);
  for (int batch : {1, 2}) {
    std::vector<v1::Transfer> again = {T("pay", pool, project, 50, v1::TRANSFER_KIND_ALLOCATION)};
    if (batch == 2) again.push_back(T("pay-2", pool, project, 1, v1::TRANSFER_KIND_ALLOCATION));
    v1::CreateTransfersResponse out;
    grpc::Status st = Send(again, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(out.results(0), v1::TRANSFER_RESULT_EXISTS) << batch;
    if (batch == 2) {
      EXPECT_EQ(out.results(1), v1::TRANSFER_RESULT_EXCEEDS_CREDITS);
    }
  }
  EXPECT_EQ(Get(pool).debits_posted_fen(), 50);
  ExpectLedgerConsistent();
}

}  // namespace
}  // namespace tuopin::funds
