// FundsService through a real gRPC server and a real MariaDB: accounts, a pool hammered
// by 16 concurrent clients, linked chains, two-phase transfers and expiry, four eyes on
// posting (creator refused, a second officer posts, who did what recorded), who may issue
// money (source levels by role), idempotent replays, lineage across three levels, reports,
// immutability, bad input and scope.

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <atomic>
#include <barrier>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/audit_event.h"
#include "common/handler.h"
#include "common/migrate.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/funds/funds_service.h"
#include "services/funds/mysql_funds_store.h"
#include "tests/support/fake_directories.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"
#include "tests/unit/funds/ledger_builders.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& FundsMigrations();
}

namespace tuopin::funds {
namespace {

using google::protobuf::util::TimeUtil;
using testing::ContextAs;
using testing::MakePrincipal;
using testing::ViolatedField;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_AUDITOR;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;
using tuopin::common::v1::ROLE_FINANCE_OFFICER;

constexpr char kVillage[] = "520221104001";
const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone());

class FundsTest : public ::testing::Test {
 protected:
  FundsTest()
      : pool_(db_.NewPool(24)),
        clock_(kStart),
        tokens_("page-token-key-for-funds-tests-012345"),
        store_(*pool_, ids_),
        logic_(store_, clock_, tokens_, &tasks_),
        authorizer_(testing::kTestInternalKey,
                    common::FindService(v1::FundsService::service_full_name())),
        handler_("funds", authorizer_, clock_),
        service_(logic_, handler_),
        server_({&service_}),
        stub_(v1::FundsService::NewStub(server_.channel())) {}

  void SetUp() override {
    ASSERT_TRUE(common::ApplyMigrations(*pool_, generated::FundsMigrations()).ok());
  }

  std::string NextId() { return absl::StrCat("req-", ++counter_); }

  std::string Account(const std::string& code, v1::AccountKind kind, const std::string& region,
                      v1::SourceLevel level = v1::SOURCE_LEVEL_UNSPECIFIED,
                      tuopin::common::v1::Sector sector = tuopin::common::v1::SECTOR_UNSPECIFIED) {
    v1::CreateAccountRequest req;
    req.set_request_id(NextId());
    auto* a = req.mutable_account();
    a->set_code(code);
    a->set_kind(kind);
    a->set_name(absl::StrCat("Account ", code));
    a->set_region_code(region);
    a->set_source_level(level);
    a->set_sector(sector);
    v1::Account out;
    // Sources come from above (an admin may create every level); the rule on who issues
    // money has its own test, OnlyEntitledRolesIssueMoney.
    grpc::Status st = stub_->CreateAccount(
        ContextAs(kind == v1::ACCOUNT_KIND_SOURCE ? admin_ : finance_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.id();
  }

  static v1::Transfer T(const std::string& id, const std::string& debit, const std::string& credit,
                        int64_t amount, v1::TransferKind kind, bool linked = false,
                        int64_t pending_timeout_s = 0) {
    v1::Transfer t = funds::T(id, debit, credit, amount, kind, linked, pending_timeout_s > 0);
    if (pending_timeout_s > 0) t.mutable_timeout()->set_seconds(pending_timeout_s);
    return t;
  }

  grpc::Status Send(const std::vector<v1::Transfer>& ts, v1::CreateTransfersResponse* out,
                    const common::Principal* as = nullptr, const std::string& request_id = "") {
    v1::CreateTransfersRequest req;
    req.set_request_id(request_id.empty() ? NextId() : request_id);
    for (const auto& t : ts) *req.add_transfers() = t;
    return stub_->CreateTransfers(ContextAs(as ? *as : finance_).get(), req, out);
  }

  v1::Account Get(const std::string& id) {
    v1::GetAccountRequest req;
    req.set_id(id);
    v1::Account out;
    EXPECT_TRUE(stub_->GetAccount(ContextAs(auditor_).get(), req, &out).ok());
    return out;
  }

  int64_t Scalar(const std::string& sql) { return testing::QueryInt(*pool_, sql); }

  // Money is conserved: every account's balances agree with the transfers, and all
  // debits equal all credits.
  void ExpectLedgerConsistent() {
    EXPECT_EQ(Scalar("SELECT SUM(debits_pending + debits_posted) - SUM(credits_pending + "
                     "credits_posted) FROM accounts"),
              0);
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM accounts WHERE guarded = 1 AND debits_pending + "
                     "debits_posted > credits_posted"),
              0);
    EXPECT_EQ(
        Scalar("SELECT COALESCE(SUM(t.amount), 0) FROM transfers t LEFT JOIN transfer_resolutions r"
               " ON r.transfer_id = t.id WHERE t.pending = 0 OR r.state = 1"),
        Scalar("SELECT SUM(debits_posted) FROM accounts"));
    EXPECT_EQ(
        Scalar("SELECT COALESCE(SUM(t.amount), 0) FROM transfers t LEFT JOIN transfer_resolutions r"
               " ON r.transfer_id = t.id WHERE t.pending = 1 AND r.transfer_id IS NULL"),
        Scalar("SELECT SUM(debits_pending) FROM accounts"));
  }

  testing::TestDatabase db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  common::FakeClock clock_;
  common::SequentialIdGenerator ids_{"f"};
  common::PageTokenCodec tokens_;
  testing::FakeTaskLookup tasks_;
  MysqlFundsStore store_;
  FundsLogic logic_;
  common::Authorizer authorizer_;
  common::Handler handler_;
  FundsServiceImpl service_;
  testing::TestServer server_;
  std::unique_ptr<v1::FundsService::Stub> stub_;
  std::atomic<int> counter_{0};

  const common::Principal finance_ =
      MakePrincipal("finance-shuicheng", {ROLE_FINANCE_OFFICER}, {"520221"});
  const common::Principal auditor_ = MakePrincipal("auditor-1", {ROLE_AUDITOR}, {"52"});
  // The province's treasury: issues central, provincial, municipal and aid money.
  const common::Principal admin_ = MakePrincipal("admin-province", {ROLE_ADMIN}, {"*"});
  const common::Principal other_county_ =
      MakePrincipal("finance-liuzhi", {ROLE_FINANCE_OFFICER}, {"520203"});
  // A second finance officer of the same county: the four eyes that post a pending
  // transfer the first one created.
  const common::Principal second_finance_ =
      MakePrincipal("finance-shuicheng-2", {ROLE_FINANCE_OFFICER}, {"520221"});
};

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

TEST_F(FundsTest, TraceReportsAndNoticesOnAThreeLevelFlow) {
  std::string central =
      Account("SRC-C", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_CENTRAL);
  std::string province =
      Account("SRC-P", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_PROVINCIAL);
  std::string aid =
      Account("SRC-AID", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_COUNTERPART_AID);
  std::string county = Account("POOL-COUNTY", v1::ACCOUNT_KIND_POOL, "520221");
  std::string town = Account("POOL-TOWN", v1::ACCOUNT_KIND_POOL, "520221104");
  std::string water =
      Account("PRJ-WATER", v1::ACCOUNT_KIND_PROJECT, kVillage, v1::SOURCE_LEVEL_UNSPECIFIED,
              tuopin::common::v1::SECTOR_DRINKING_WATER);
  std::string roads = Account("PRJ-ROADS", v1::ACCOUNT_KIND_PROJECT, kVillage,
                              v1::SOURCE_LEVEL_UNSPECIFIED, tuopin::common::v1::SECTOR_RURAL_ROADS);
  std::string contractor = Account("PAYEE-1", v1::ACCOUNT_KIND_PAYEE, kVillage);
  v1::CreateTransfersResponse r;
  // Central, provincial and aid money: appropriated by the treasury above.
  ASSERT_TRUE(Send({T("t1", central, county, 6000, v1::TRANSFER_KIND_APPROPRIATION),
                    T("t2", province, county, 4000, v1::TRANSFER_KIND_APPROPRIATION),
                    T("t3", county, town, 5000, v1::TRANSFER_KIND_ALLOCATION),
                    T("t4", aid, county, 0 + 1000, v1::TRANSFER_KIND_APPROPRIATION),
                    T("t5", town, water, 3000, v1::TRANSFER_KIND_ALLOCATION),
                    T("t6", county, roads, 2000, v1::TRANSFER_KIND_ALLOCATION),
                    T("t7", water, contractor, 1200, v1::TRANSFER_KIND_DISBURSEMENT)},
                   &r, &admin_)
                  .ok());
  for (auto res : r.results()) ASSERT_EQ(res, v1::TRANSFER_RESULT_OK);

  v1::TraceFundsRequest trace_req;
  trace_req.set_account_id(water);
  v1::FundTrace trace;
  ASSERT_TRUE(stub_->TraceFunds(ContextAs(auditor_).get(), trace_req, &trace).ok());
  EXPECT_EQ(trace.received_fen(), 3000);
  std::map<int, int> by_level;
  for (const auto& e : trace.edges()) by_level[e.level()]++;
  EXPECT_EQ(by_level[1], 1);  // town -> water
  EXPECT_EQ(by_level[2], 1);  // county -> town
  EXPECT_EQ(by_level[3], 3);  // central, provincial, aid -> county
  std::map<v1::SourceLevel, int64_t> shares;
  for (const auto& s : trace.by_source()) shares[s.source_level()] = s.amount_fen();
  // The county pool received 6000 central, 4000 provincial, 1000 aid (of 11000).
  EXPECT_EQ(shares[v1::SOURCE_LEVEL_CENTRAL], 1636);
  EXPECT_EQ(shares[v1::SOURCE_LEVEL_PROVINCIAL], 1091);
  EXPECT_EQ(shares[v1::SOURCE_LEVEL_COUNTERPART_AID], 273);
  EXPECT_EQ(shares[v1::SOURCE_LEVEL_CENTRAL] + shares[v1::SOURCE_LEVEL_PROVINCIAL] +
                shares[v1::SOURCE_LEVEL_COUNTERPART_AID],
            3000);

  v1::GetUtilizationRequest util_req;
  util_req.set_region_code("520221");
  v1::Utilization util;
  ASSERT_TRUE(stub_->GetUtilization(ContextAs(auditor_).get(), util_req, &util).ok());
  EXPECT_EQ(util.appropriated_fen(), 11000);
  EXPECT_EQ(util.allocated_fen(), 5000);
  EXPECT_EQ(util.disbursed_fen(), 1200);
  EXPECT_EQ(util.disbursement_rate_bp(), 2400);
  util_req.set_sector(tuopin::common::v1::SECTOR_RURAL_ROADS);
  ASSERT_TRUE(stub_->GetUtilization(ContextAs(auditor_).get(), util_req, &util).ok());
  EXPECT_EQ(util.allocated_fen(), 2000);
  EXPECT_EQ(util.disbursed_fen(), 0);

  // Idle: nothing is idle "older than 30 days" yet, both projects are once the clock moves.
  v1::ListIdleFundsRequest idle_req;
  idle_req.set_region_code("520221");
  idle_req.set_older_than_days(30);
  v1::ListIdleFundsResponse idle;
  ASSERT_TRUE(stub_->ListIdleFunds(ContextAs(auditor_).get(), idle_req, &idle).ok());
  EXPECT_EQ(idle.idle_funds_size(), 0);
  // The clock of the store's timestamps is the request time; move the reports' clock on.
  clock_.Advance(absl::Hours(24 * 45));
  ASSERT_TRUE(stub_->ListIdleFunds(ContextAs(auditor_).get(), idle_req, &idle).ok());
  ASSERT_EQ(idle.idle_funds_size(), 2);
  int64_t idle_total = idle.idle_funds(0).idle_fen() + idle.idle_funds(1).idle_fen();
  EXPECT_EQ(idle_total, 1800 + 2000);
  // The same in one aggregate, per sector: what the scorecard reads.
  util_req.set_sector(tuopin::common::v1::SECTOR_UNSPECIFIED);
  util_req.set_by_sector(true);
  util_req.set_idle_older_than_days(30);
  ASSERT_TRUE(stub_->GetUtilization(ContextAs(auditor_).get(), util_req, &util).ok());
  EXPECT_EQ(util.allocated_fen(), 5000);
  EXPECT_EQ(util.idle_fen(), idle_total);
  ASSERT_EQ(util.sectors_size(), 2);
  std::map<int, v1::SectorUtilization> sectors;
  for (const auto& e : util.sectors()) sectors[e.sector()] = e;
  const auto& w = sectors[tuopin::common::v1::SECTOR_DRINKING_WATER];
  EXPECT_EQ(w.allocated_fen(), 3000);
  EXPECT_EQ(w.disbursed_fen(), 1200);
  EXPECT_EQ(w.disbursement_rate_bp(), 4000);
  EXPECT_EQ(w.idle_fen(), 1800);
  EXPECT_EQ(sectors[tuopin::common::v1::SECTOR_RURAL_ROADS].idle_fen(), 2000);
  util_req.set_sector(tuopin::common::v1::SECTOR_RURAL_ROADS);
  EXPECT_EQ(ViolatedField(stub_->GetUtilization(ContextAs(auditor_).get(), util_req, &util)),
            "sector");
  util_req.set_sector(tuopin::common::v1::SECTOR_UNSPECIFIED);
  util_req.set_idle_older_than_days(4000);
  EXPECT_EQ(ViolatedField(stub_->GetUtilization(ContextAs(auditor_).get(), util_req, &util)),
            "idle_older_than_days");

  v1::ListPublicNoticesRequest notice_req;
  notice_req.set_village_code(kVillage);
  v1::ListPublicNoticesResponse notices;
  ASSERT_TRUE(stub_->ListPublicNotices(ContextAs(auditor_).get(), notice_req, &notices).ok());
  ASSERT_EQ(notices.notices_size(), 2);
  for (const auto& n : notices.notices()) {
    int64_t sum = 0;
    for (const auto& s : n.sources()) sum += s.amount_fen();
    EXPECT_EQ(sum, n.allocated_fen());
    EXPECT_TRUE(n.has_first_allocation_time());
    if (n.project_account_id() == water) {
      EXPECT_EQ(n.disbursed_fen(), 1200);
      EXPECT_TRUE(n.has_last_disbursement_time());
    }
  }

  v1::ListTransfersRequest list;
  list.set_account_id(county);
  list.set_page_size(2);
  std::set<std::string> seen;
  for (int guard = 0; guard < 10; ++guard) {
    v1::ListTransfersResponse page;
    ASSERT_TRUE(stub_->ListTransfers(ContextAs(auditor_).get(), list, &page).ok());
    for (const auto& t : page.transfers()) seen.insert(t.id());
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(seen, (std::set<std::string>{"t1", "t2", "t3", "t4", "t6"}));
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

// Who issues money (funds.proto, CreateAccount): admins every source level, a finance
// officer only its county's own budget, a county official none. Appropriating out of a
// source, and posting a pending appropriation, need the same entitlement. A refusal writes
// nothing; a source out of the caller's scope still answers OUT_OF_SCOPE, so its level
// does not leak.
TEST_F(FundsTest, OnlyEntitledRolesIssueMoney) {
  const common::Principal official =
      MakePrincipal("official-shuicheng", {ROLE_COUNTY_OFFICIAL}, {"520221"});
  const common::Principal second_admin = MakePrincipal("admin-province-2", {ROLE_ADMIN}, {"*"});
  auto create_source = [&](const common::Principal& as, const std::string& code,
                           v1::SourceLevel level, std::string* id = nullptr) {
    v1::CreateAccountRequest req;
    req.set_request_id(NextId());
    auto* a = req.mutable_account();
    a->set_code(code);
    a->set_kind(v1::ACCOUNT_KIND_SOURCE);
    a->set_name(code);
    a->set_region_code("520221");
    a->set_source_level(level);
    v1::Account out;
    grpc::Status st = stub_->CreateAccount(ContextAs(as).get(), req, &out);
    if (id != nullptr) *id = out.id();
    return st;
  };
  for (auto level : {v1::SOURCE_LEVEL_CENTRAL, v1::SOURCE_LEVEL_PROVINCIAL,
                     v1::SOURCE_LEVEL_MUNICIPAL, v1::SOURCE_LEVEL_COUNTERPART_AID}) {
    grpc::Status st = create_source(finance_, absl::StrCat("FORGED-", level), level);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << level;
    EXPECT_EQ(common::ReasonOf(st), "SOURCE_LEVEL_NOT_ALLOWED") << level;
  }
  EXPECT_EQ(common::ReasonOf(create_source(official, "OFFICIAL-BUDGET", v1::SOURCE_LEVEL_COUNTY)),
            "SOURCE_LEVEL_NOT_ALLOWED");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM accounts"), 0);

  std::string county_budget, central;
  ASSERT_TRUE(create_source(finance_, "SRC-COUNTY", v1::SOURCE_LEVEL_COUNTY, &county_budget).ok());
  ASSERT_TRUE(create_source(admin_, "SRC-CENTRAL", v1::SOURCE_LEVEL_CENTRAL, &central).ok());
  std::string pool = Account("POOL", v1::ACCOUNT_KIND_POOL, "520221");

  // The centre's money out of a source the admin made in the county: refused whole, even
  // beside an appropriation the officer may make.
  v1::CreateTransfersResponse r;
  grpc::Status st = Send({T("own", county_budget, pool, 100, v1::TRANSFER_KIND_APPROPRIATION),
                          T("forged", central, pool, 1'000'000, v1::TRANSFER_KIND_APPROPRIATION)},
                         &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(common::ReasonOf(st), "SOURCE_LEVEL_NOT_ALLOWED");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM transfers"), 0);
  EXPECT_EQ(Get(pool).credits_posted_fen(), 0);
  EXPECT_EQ(common::ReasonOf(Send({T("forged", central, pool, 5, v1::TRANSFER_KIND_APPROPRIATION)},
                                  &r, &official)),
            "SOURCE_LEVEL_NOT_ALLOWED");

  // The county's own budget by its officer; the centre's by the admin.
  ASSERT_TRUE(Send({T("own", county_budget, pool, 100, v1::TRANSFER_KIND_APPROPRIATION)}, &r).ok());
  EXPECT_EQ(r.results(0), v1::TRANSFER_RESULT_OK);
  ASSERT_TRUE(
      Send({T("central", central, pool, 1000, v1::TRANSFER_KIND_APPROPRIATION)}, &r, &admin_).ok());
  EXPECT_EQ(r.results(0), v1::TRANSFER_RESULT_OK);

  // A pending appropriation of central money: the officer, though a second person, cannot
  // post it; a second admin can.
  ASSERT_TRUE(
      Send({T("central-pending", central, pool, 500, v1::TRANSFER_KIND_APPROPRIATION, false, 3600)},
           &r, &admin_)
          .ok());
  ASSERT_EQ(r.results(0), v1::TRANSFER_RESULT_OK);
  v1::PostPendingTransferRequest post;
  post.set_request_id(NextId());
  post.set_transfer_id("central-pending");
  v1::Transfer t;
  st = stub_->PostPendingTransfer(ContextAs(finance_).get(), post, &t);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(common::ReasonOf(st), "SOURCE_LEVEL_NOT_ALLOWED");
  EXPECT_EQ(Get(pool).credits_pending_fen(), 500);
  EXPECT_EQ(Get(pool).credits_posted_fen(), 1100);
  post.set_request_id(NextId());
  st = stub_->PostPendingTransfer(ContextAs(second_admin).get(), post, &t);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Get(pool).credits_posted_fen(), 1600);

  // Another county's officer: out of scope, as for any account; nothing about the level.
  ASSERT_TRUE(
      Send({T("x", central, pool, 5, v1::TRANSFER_KIND_APPROPRIATION)}, &r, &other_county_).ok());
  EXPECT_EQ(r.results(0), v1::TRANSFER_RESULT_OUT_OF_SCOPE);
  ExpectLedgerConsistent();
}

TEST_F(FundsTest, BadTransfersAndScope) {
  std::string src = Account("SRC", v1::ACCOUNT_KIND_SOURCE, "520221", v1::SOURCE_LEVEL_CENTRAL);
  std::string pool = Account("POOL", v1::ACCOUNT_KIND_POOL, "520221");
  v1::CreateTransfersResponse r;
  struct Case {
    v1::Transfer t;
    std::string field;
  };
  std::vector<Case> cases = {
      {T("a", src, pool, 0, v1::TRANSFER_KIND_APPROPRIATION), "transfers[0].amount_fen"},
      {T("a", src, pool, -7, v1::TRANSFER_KIND_APPROPRIATION), "transfers[0].amount_fen"},
      {T("a", src, pool, 1'000'000'000'000'001, v1::TRANSFER_KIND_APPROPRIATION),
       "transfers[0].amount_fen"},
      {T("a", src, pool, 5, v1::TRANSFER_KIND_UNSPECIFIED), "transfers[0].kind"},
      {T("a", src, pool, 5, static_cast<v1::TransferKind>(77)), "transfers[0].kind"},
      {T("a b", src, pool, 5, v1::TRANSFER_KIND_APPROPRIATION), "transfers[0].id"},
      {T("a", "", pool, 5, v1::TRANSFER_KIND_APPROPRIATION), "transfers[0].debit_account_id"},
      {T("a", src, pool, 5, v1::TRANSFER_KIND_APPROPRIATION, false, 31 * 24 * 3600),
       "transfers[0].timeout"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(ViolatedField(Send({cases[i].t}, &r)), cases[i].field) << i;
  }
  v1::CreateTransfersRequest empty;
  empty.set_request_id(NextId());
  EXPECT_EQ(ViolatedField(stub_->CreateTransfers(ContextAs(finance_).get(), empty, &r)),
            "transfers");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM transfers"), 0);

  // Another county's officer: every transfer touching Shuicheng accounts is out of scope.
  ASSERT_TRUE(
      Send({T("a", src, pool, 5, v1::TRANSFER_KIND_APPROPRIATION)}, &r, &other_county_).ok());
  EXPECT_EQ(r.results(0), v1::TRANSFER_RESULT_OUT_OF_SCOPE);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM transfers"), 0);
  EXPECT_EQ(
      Send({T("a", src, pool, 5, v1::TRANSFER_KIND_APPROPRIATION)}, &r, &auditor_).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

// Attack: a lineage of any width made TraceFunds do unbounded work (and one account read
// per edge). A trace stops at 2000 edges and says so.
TEST_F(FundsTest, ATraceIsBoundedAndSaysWhenItWasCut) {
  auto create = [&](const std::string& code, v1::AccountKind kind, v1::SourceLevel level) {
    v1::CreateAccountRequest req;
    req.set_request_id(NextId());
    auto* a = req.mutable_account();
    a->set_code(code);
    a->set_kind(kind);
    a->set_name(code);
    a->set_region_code("520221");
    a->set_source_level(level);
    v1::Account out;
    grpc::Status st = stub_->CreateAccount(ContextAs(admin_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.id();
  };
  std::string pool = create("WIDE-POOL", v1::ACCOUNT_KIND_POOL, v1::SOURCE_LEVEL_UNSPECIFIED);
  constexpr int kSources = 2001;
  std::vector<v1::Transfer> batch;
  for (int i = 0; i < kSources; ++i) {
    std::string src =
        create(absl::StrCat("WIDE-SRC-", i), v1::ACCOUNT_KIND_SOURCE, v1::SOURCE_LEVEL_COUNTY);
    batch.push_back(T(absl::StrCat("wide-", i), src, pool, 1, v1::TRANSFER_KIND_APPROPRIATION));
    if (batch.size() == 1000 || i == kSources - 1) {
      v1::CreateTransfersResponse out;
      grpc::Status st = Send(batch, &out, &admin_);
      ASSERT_TRUE(st.ok()) << st.error_message();
      batch.clear();
    }
  }
  v1::TraceFundsRequest req;
  req.set_account_id(pool);
  v1::FundTrace trace;
  ASSERT_TRUE(stub_->TraceFunds(ContextAs(auditor_).get(), req, &trace).ok());
  EXPECT_TRUE(trace.truncated());
  EXPECT_EQ(trace.edges_size(), 2000);
  // A lineage within the bound is whole.
  std::string small = create("SMALL-POOL", v1::ACCOUNT_KIND_POOL, v1::SOURCE_LEVEL_UNSPECIFIED);
  std::string source = create("SMALL-SRC", v1::ACCOUNT_KIND_SOURCE, v1::SOURCE_LEVEL_COUNTY);
  v1::CreateTransfersResponse out;
  ASSERT_TRUE(
      Send({T("small-1", source, small, 5, v1::TRANSFER_KIND_APPROPRIATION)}, &out, &admin_).ok());
  req.set_account_id(small);
  ASSERT_TRUE(stub_->TraceFunds(ContextAs(auditor_).get(), req, &trace).ok());
  EXPECT_FALSE(trace.truncated());
  ASSERT_EQ(trace.edges_size(), 1);
  EXPECT_EQ(trace.edges(0).from_account_id(), source);
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

// Attack (issue 18, point 1): a county linked its project account to another county's
// task. The task is a named object: in scope, and in the account's village; a missing one
// looks like another county's.
TEST_F(FundsTest, AProjectAccountNamesOnlyATaskOfTheCallersScopeAndVillage) {
  tasks_.villages = {{"task-own", kVillage},
                     {"task-other-village", "520221104002"},
                     {"task-liuzhi", "520203101001"}};
  auto create = [&](const std::string& code, const std::string& task) {
    v1::CreateAccountRequest req;
    req.set_request_id(NextId());
    auto* a = req.mutable_account();
    a->set_code(code);
    a->set_kind(v1::ACCOUNT_KIND_PROJECT);
    a->set_name(code);
    a->set_region_code(kVillage);
    a->set_sector(tuopin::common::v1::SECTOR_RURAL_ROADS);
    a->set_task_id(task);
    v1::Account out;
    return stub_->CreateAccount(ContextAs(finance_).get(), req, &out);
  };
  grpc::Status other = create("PRJ-T1", "task-liuzhi");
  grpc::Status ghost = create("PRJ-T2", "task-ghost");
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ghost.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(other.error_message(),
            absl::StrReplaceAll(ghost.error_message(), {{"task-ghost", "task-liuzhi"}}));
  EXPECT_EQ(ViolatedField(create("PRJ-T3", "task-other-village")), "account.task_id");
  EXPECT_TRUE(create("PRJ-T4", "task-own").ok());
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM accounts WHERE code LIKE 'PRJ-T%'"), 1);
}

}  // namespace
}  // namespace tuopin::funds
