// Unit tests of every FundsLogic method on the in-memory store (tests/support): the
// refusals of issuance, four eyes and region scope, the sweeper's expiry, the bounded
// lineage and the reports. No database; the deciders are the real ones.

#include "services/funds/funds_logic.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "tests/support/fake_directories.h"
#include "tests/support/fake_funds_store.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/same_refusal.h"
#include "tests/unit/funds/ledger_builders.h"

namespace tuopin::funds {
namespace {

using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_AUDITOR;
using tuopin::common::v1::ROLE_FINANCE_OFFICER;
using tuopin::testing::ExpectSameRefusal;
using tuopin::testing::MakePrincipal;

constexpr char kShuicheng[] = "520221";
constexpr char kVillage[] = "520221104001";
constexpr char kLiuzhi[] = "520203";
const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone());

std::string Reason(const absl::Status& st) { return common::ReasonOf(common::ToGrpcStatus(st)); }

class FundsLogicTest : public ::testing::Test {
 protected:
  FundsLogicTest()
      : clock_(kStart),
        tokens_("funds-unit-test-page-token-key-012345"),
        logic_(store_, clock_, tokens_, &tasks_) {
    source_county_ = Acct("src-county", v1::ACCOUNT_KIND_SOURCE, 0, kShuicheng);
    source_county_.set_source_level(v1::SOURCE_LEVEL_COUNTY);
    source_central_ = Acct("src-central", v1::ACCOUNT_KIND_SOURCE, 0, kShuicheng);
    source_central_.set_source_level(v1::SOURCE_LEVEL_CENTRAL);
    for (const auto& a :
         {source_county_, source_central_, Acct("pool", v1::ACCOUNT_KIND_POOL, 0, kShuicheng),
          Acct("proj", v1::ACCOUNT_KIND_PROJECT, 0, kVillage),
          Acct("payee", v1::ACCOUNT_KIND_PAYEE, 0, kVillage),
          Acct("pool-liuzhi", v1::ACCOUNT_KIND_POOL, 500, kLiuzhi)}) {
      store_.Put(a);
    }
    tasks_.villages = {{"task-sc", kVillage}, {"task-liuzhi", "520203101001"}};
  }

  MutationContext Ctx(const Principal& p, const google::protobuf::Message& req,
                      const std::string& method) {
    MutationContext ctx;
    ctx.service = "funds";
    ctx.method = absl::StrCat("/tuopin.funds.v1.FundsService/", method);
    ctx.principal = p;
    ctx.request_id = absl::StrCat("req-", ++requests_);
    ctx.request_sha256 = common::MessageSha256(req);
    ctx.now = clock_.Now();
    return ctx;
  }

  absl::Status Create(const Principal& p, const v1::Account& a, v1::Account* out = nullptr,
                      bool allow_overdraft = false) {
    v1::CreateAccountRequest req;
    *req.mutable_account() = a;
    req.set_allow_overdraft(allow_overdraft);
    v1::Account created;
    absl::Status st = logic_.CreateAccount(Ctx(p, req, "CreateAccount"), req, created);
    if (out != nullptr) *out = created;
    return st;
  }

  absl::StatusOr<v1::CreateTransfersResponse> Move(const Principal& p,
                                                   std::vector<v1::Transfer> transfers) {
    v1::CreateTransfersRequest req;
    for (auto& t : transfers) *req.add_transfers() = t;
    v1::CreateTransfersResponse out;
    TUOPIN_RETURN_IF_ERROR(logic_.CreateTransfers(Ctx(p, req, "CreateTransfers"), req, out));
    return out;
  }

  absl::Status Post(const Principal& p, const std::string& id, v1::Transfer* out = nullptr) {
    v1::PostPendingTransferRequest req;
    req.set_transfer_id(id);
    v1::Transfer t;
    absl::Status st = logic_.PostPendingTransfer(Ctx(p, req, "PostPendingTransfer"), req, t);
    if (out != nullptr) *out = t;
    return st;
  }

  absl::Status Void(const Principal& p, const std::string& id) {
    v1::VoidPendingTransferRequest req;
    req.set_transfer_id(id);
    req.set_reason("withdrawn");
    v1::Transfer t;
    return logic_.VoidPendingTransfer(Ctx(p, req, "VoidPendingTransfer"), req, t);
  }

  // Central money into the pool (twice `amount`), then `amount` of it to the project.
  void Fund(int64_t amount) {
    auto r = Move(admin_, {T(absl::StrCat("fund-a-", amount), "src-central", "pool", 2 * amount,
                             v1::TRANSFER_KIND_APPROPRIATION),
                           T(absl::StrCat("fund-b-", amount), "pool", "proj", amount,
                             v1::TRANSFER_KIND_ALLOCATION)});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->results(1), v1::TRANSFER_RESULT_OK);
  }

  const v1::Account& Stored(const std::string& id) { return store_.accounts.at(id); }

  common::FakeClock clock_;
  common::PageTokenCodec tokens_;
  testing::FakeFundsStore store_;
  testing::FakeTaskLookup tasks_;
  FundsLogic logic_;
  int requests_ = 0;
  v1::Account source_county_, source_central_;

  const Principal finance_ =
      MakePrincipal("finance-shuicheng", {ROLE_FINANCE_OFFICER}, {kShuicheng});
  const Principal second_finance_ =
      MakePrincipal("finance-shuicheng-2", {ROLE_FINANCE_OFFICER}, {kShuicheng});
  const Principal liuzhi_ = MakePrincipal("finance-liuzhi", {ROLE_FINANCE_OFFICER}, {kLiuzhi});
  const Principal admin_ = MakePrincipal("admin-province", {ROLE_ADMIN}, {"*"});
  const Principal second_admin_ = MakePrincipal("admin-province-2", {ROLE_ADMIN}, {"*"});
  const Principal auditor_ = MakePrincipal("auditor-1", {ROLE_AUDITOR}, {"52"});
};

TEST_F(FundsLogicTest, CreateAccountGuardsAndChecksIssuance) {
  v1::Account created;
  ASSERT_TRUE(Create(finance_, Acct("", v1::ACCOUNT_KIND_POOL, 0, kShuicheng), &created).ok());
  EXPECT_TRUE(created.debits_must_not_exceed_credits()) << "accounts are guarded by default";
  v1::Account payee = Acct("payee-2", v1::ACCOUNT_KIND_PAYEE, 0, kVillage);
  ASSERT_TRUE(Create(finance_, payee, &created, /*allow_overdraft=*/true).ok());
  EXPECT_FALSE(created.debits_must_not_exceed_credits());
  // A finance officer issues only the county's own budget.
  v1::Account central = Acct("src-2", v1::ACCOUNT_KIND_SOURCE, 0, kShuicheng);
  central.set_source_level(v1::SOURCE_LEVEL_CENTRAL);
  absl::Status st = Create(finance_, central);
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << st;
  EXPECT_EQ(Reason(st), "SOURCE_LEVEL_NOT_ALLOWED");
  EXPECT_TRUE(Create(admin_, central, &created).ok());
  EXPECT_FALSE(created.debits_must_not_exceed_credits()) << "sources issue money";
  v1::Account county = Acct("src-3", v1::ACCOUNT_KIND_SOURCE, 0, kShuicheng);
  county.set_source_level(v1::SOURCE_LEVEL_COUNTY);
  EXPECT_TRUE(Create(finance_, county).ok());
  // Another county's region; a code taken.
  st = Create(finance_, Acct("pool-x", v1::ACCOUNT_KIND_POOL, 0, kLiuzhi));
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << st;
  st = Create(finance_, Acct("pool", v1::ACCOUNT_KIND_POOL, 0, kShuicheng));
  EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists) << st;
  EXPECT_EQ(Reason(st), "ACCOUNT_CODE_TAKEN");
}

TEST_F(FundsLogicTest, CreateAccountChecksTheTaskItFunds) {
  auto project = [](const std::string& task, const std::string& code) {
    v1::Account a = Acct(code, v1::ACCOUNT_KIND_PROJECT, 0, kVillage);
    a.set_task_id(task);
    return a;
  };
  EXPECT_TRUE(Create(finance_, project("task-sc", "p1")).ok());
  // Another county's task and a missing one: one refusal.
  ExpectSameRefusal(Create(finance_, project("task-liuzhi", "p2")), "task-liuzhi",
                    Create(finance_, project("task-ghost", "p3")), "task-ghost");
  // Whoever sees every region is told the task is unknown, or of another village.
  absl::Status st = Create(admin_, project("task-ghost", "p4"));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  st = Create(admin_, project("task-liuzhi", "p5"));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find("another village"), std::string::npos) << st;
  // Without task tracking such an account is never created unchecked.
  FundsLogic blind(store_, clock_, tokens_);
  v1::CreateAccountRequest req;
  *req.mutable_account() = project("task-sc", "p6");
  v1::Account out;
  st = blind.CreateAccount(Ctx(finance_, req, "CreateAccount"), req, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_FALSE(store_.accounts.contains(out.id()) && !out.id().empty());
}

TEST_F(FundsLogicTest, GetAccountFollowsTheScope) {
  auto get = [&](const Principal& p, const std::string& id) {
    v1::GetAccountRequest req;
    req.set_id(id);
    v1::Account out;
    return logic_.GetAccount(p, req, out);
  };
  EXPECT_TRUE(get(finance_, "pool").ok());
  EXPECT_TRUE(get(auditor_, "pool").ok()) << "the province's auditor sees the county";
  ExpectSameRefusal(get(finance_, "pool-liuzhi"), "pool-liuzhi", get(finance_, "ghost"), "ghost");
  EXPECT_EQ(get(admin_, "ghost").code(), absl::StatusCode::kNotFound);
}

TEST_F(FundsLogicTest, ListAccountsPagesTheRegionByKind) {
  v1::ListAccountsRequest req;
  req.set_region_code(kShuicheng);
  req.set_page_size(2);
  std::vector<std::string> seen;
  do {
    v1::ListAccountsResponse out;
    ASSERT_TRUE(logic_.ListAccounts(finance_, req, out).ok());
    for (const auto& a : out.accounts()) seen.push_back(a.id());
    req.set_page_token(out.next_page_token());
  } while (!req.page_token().empty());
  // By (region, id): the county's three, then the village's two; never Liuzhi's.
  EXPECT_EQ(seen, (std::vector<std::string>{"pool", "src-central", "src-county", "payee", "proj"}));
  req.set_page_token("");
  req.set_kind(v1::ACCOUNT_KIND_SOURCE);
  v1::ListAccountsResponse sources;
  ASSERT_TRUE(logic_.ListAccounts(finance_, req, sources).ok());
  EXPECT_EQ(sources.accounts_size(), 2);
  req.set_region_code(kLiuzhi);
  EXPECT_EQ(logic_.ListAccounts(finance_, req, sources).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(FundsLogicTest, CreateTransfersRunsTheLedgerAndRefusesIssuance) {
  // A finance officer may not move central money: the whole batch is refused.
  auto refused =
      Move(finance_, {T("t1", "src-county", "pool", 100, v1::TRANSFER_KIND_APPROPRIATION),
                      T("t2", "src-central", "pool", 100, v1::TRANSFER_KIND_APPROPRIATION)});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Reason(refused.status()), "SOURCE_LEVEL_NOT_ALLOWED");
  EXPECT_TRUE(store_.transfers.empty());
  EXPECT_EQ(Stored("pool").credits_posted_fen(), 0);
  // The county's own budget, then an allocation beyond the pool (the overdraft guard) and
  // one into another county (out of scope).
  auto r = Move(finance_, {T("t1", "src-county", "pool", 100, v1::TRANSFER_KIND_APPROPRIATION),
                           T("t3", "pool", "proj", 150, v1::TRANSFER_KIND_ALLOCATION),
                           T("t4", "pool", "pool-liuzhi", 10, v1::TRANSFER_KIND_ALLOCATION)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->results(0), v1::TRANSFER_RESULT_OK);
  EXPECT_EQ(r->results(1), v1::TRANSFER_RESULT_EXCEEDS_CREDITS);
  EXPECT_EQ(r->results(2), v1::TRANSFER_RESULT_OUT_OF_SCOPE);
  EXPECT_EQ(Stored("pool").credits_posted_fen(), 100);
  EXPECT_EQ(Stored("src-county").debits_posted_fen(), 100);
  EXPECT_EQ(store_.transfers.at("t1").created_by(), finance_.subject());
  EXPECT_EQ(store_.totals.at("pool").appropriated_in, 100);
  // The same id again: EXISTS, nothing moves twice.
  r = Move(finance_, {T("t1", "src-county", "pool", 100, v1::TRANSFER_KIND_APPROPRIATION)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->results(0), v1::TRANSFER_RESULT_EXISTS);
  EXPECT_EQ(Stored("pool").credits_posted_fen(), 100);
}

TEST_F(FundsLogicTest, CreateTransfersReplaysARequestId) {
  v1::CreateTransfersRequest req;
  *req.add_transfers() = T("t1", "src-county", "pool", 100, v1::TRANSFER_KIND_APPROPRIATION);
  MutationContext ctx = Ctx(finance_, req, "CreateTransfers");
  v1::CreateTransfersResponse first, again;
  ASSERT_TRUE(logic_.CreateTransfers(ctx, req, first).ok());
  ASSERT_TRUE(logic_.CreateTransfers(ctx, req, again).ok());
  EXPECT_EQ(again.results(0), v1::TRANSFER_RESULT_OK) << "the recorded answer";
  EXPECT_EQ(Stored("pool").credits_posted_fen(), 100);
  EXPECT_EQ(store_.mutations.events.size(), 1u);
  req.mutable_transfers(0)->set_amount_fen(5);
  ctx.request_sha256 = common::MessageSha256(req);
  EXPECT_EQ(Reason(logic_.CreateTransfers(ctx, req, again)), "REQUEST_ID_REUSED");
}

TEST_F(FundsLogicTest, PostPendingTransferNeedsFourEyesAndIssuance) {
  Fund(1000);
  ASSERT_TRUE(
      Move(finance_, {T("p1", "pool", "proj", 300, v1::TRANSFER_KIND_ALLOCATION, false, true)})
          .ok());
  EXPECT_EQ(Stored("pool").debits_pending_fen(), 300);
  // Four eyes: the creator never posts, whatever the role.
  absl::Status st = Post(finance_, "p1");
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << st;
  EXPECT_EQ(Reason(st), "FOUR_EYES");
  // Another county: refused as a missing transfer is.
  ExpectSameRefusal(Post(liuzhi_, "p1"), "p1", Post(liuzhi_, "p-ghost"), "p-ghost");
  v1::Transfer posted;
  ASSERT_TRUE(Post(second_finance_, "p1", &posted).ok());
  EXPECT_EQ(posted.state(), v1::TRANSFER_STATE_POSTED);
  EXPECT_EQ(posted.resolved_by(), second_finance_.subject());
  EXPECT_EQ(Stored("pool").debits_pending_fen(), 0);
  EXPECT_EQ(Stored("proj").credits_posted_fen(), 1300);
  EXPECT_EQ(store_.totals.at("proj").allocated_in, 1300);
  st = Post(admin_, "p1");
  EXPECT_EQ(Reason(st), "NOT_PENDING");
  // A reservation out of a central source: posting it issues the money.
  ASSERT_TRUE(Move(admin_, {T("p2", "src-central", "pool", 50, v1::TRANSFER_KIND_APPROPRIATION,
                              false, true)})
                  .ok());
  st = Post(second_finance_, "p2");
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << st;
  EXPECT_EQ(Reason(st), "SOURCE_LEVEL_NOT_ALLOWED");
  EXPECT_TRUE(Post(second_admin_, "p2").ok());
  // Past its timeout a reservation cannot be posted.
  ASSERT_TRUE(
      Move(finance_, {T("p3", "pool", "proj", 10, v1::TRANSFER_KIND_ALLOCATION, false, true)})
          .ok());
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(Reason(Post(second_finance_, "p3")), "PENDING_EXPIRED");
  EXPECT_EQ(Post(admin_, "p-ghost").code(), absl::StatusCode::kNotFound);
}

TEST_F(FundsLogicTest, VoidPendingTransferReleasesTheReservation) {
  Fund(1000);
  ASSERT_TRUE(
      Move(finance_, {T("p1", "pool", "proj", 300, v1::TRANSFER_KIND_ALLOCATION, false, true)})
          .ok());
  ExpectSameRefusal(Void(liuzhi_, "p1"), "p1", Void(liuzhi_, "p-ghost"), "p-ghost");
  ASSERT_TRUE(Void(finance_, "p1").ok()) << "the creator may void";
  EXPECT_EQ(store_.transfers.at("p1").state(), v1::TRANSFER_STATE_VOIDED);
  EXPECT_EQ(store_.resolution_reasons.at("p1"), "withdrawn");
  EXPECT_EQ(Stored("pool").debits_pending_fen(), 0);
  EXPECT_EQ(Stored("proj").credits_pending_fen(), 0);
  EXPECT_EQ(Stored("proj").credits_posted_fen(), 1000);
  EXPECT_EQ(Reason(Void(finance_, "p1")), "NOT_PENDING");
}

TEST_F(FundsLogicTest, SweepExpiredVoidsOnlyWhatIsDue) {
  Fund(1000);
  ASSERT_TRUE(
      Move(finance_, {T("p1", "pool", "proj", 300, v1::TRANSFER_KIND_ALLOCATION, false, true),
                      T("p2", "pool", "proj", 200, v1::TRANSFER_KIND_ALLOCATION, false, true)})
          .ok());
  clock_.Advance(absl::Minutes(30));
  v1::Transfer late = T("p3", "pool", "proj", 100, v1::TRANSFER_KIND_ALLOCATION, false, true);
  ASSERT_TRUE(Move(finance_, {late}).ok());
  common::SequentialIdGenerator ids("evt-");
  size_t events_before = store_.mutations.events.size();
  EXPECT_EQ(*logic_.SweepExpired(ids), 0) << "nothing is due yet";
  clock_.Advance(absl::Minutes(31));  // p1 and p2 are due, p3 not
  EXPECT_EQ(*logic_.SweepExpired(ids, /*limit=*/1), 1);
  EXPECT_EQ(*logic_.SweepExpired(ids), 1);
  EXPECT_EQ(*logic_.SweepExpired(ids), 0);
  for (const std::string id : {"p1", "p2"}) {
    const v1::Transfer& t = store_.transfers.at(id);
    EXPECT_EQ(t.state(), v1::TRANSFER_STATE_EXPIRED) << id;
    EXPECT_EQ(t.resolved_by(), kExpiryActor);
    EXPECT_EQ(store_.resolution_reasons.at(id), "timeout");
  }
  EXPECT_EQ(store_.transfers.at("p3").state(), v1::TRANSFER_STATE_PENDING);
  EXPECT_EQ(Stored("pool").debits_pending_fen(), 100);
  EXPECT_EQ(Stored("proj").credits_pending_fen(), 100);
  EXPECT_EQ(Stored("proj").credits_posted_fen(), 1000);
  ASSERT_EQ(store_.mutations.events.size(), events_before + 2);
  const auto& event = store_.mutations.events.back();
  EXPECT_EQ(event.method(), "/tuopin.funds.v1.FundsService/ExpirePendingTransfer");
  EXPECT_EQ(event.actor_subject(), kExpiryActor);
  EXPECT_EQ(ExpiryContext(store_.transfers.at("p1"), kStart).request_id,
            ExpiryContext(store_.transfers.at("p1"), kStart + absl::Hours(1)).request_id)
      << "one expiry, one request id";
}

TEST_F(FundsLogicTest, ListTransfersPagesAnAccountsTransfers) {
  Fund(100);
  clock_.Advance(absl::Seconds(1));
  Fund(200);
  v1::ListTransfersRequest req;
  req.set_account_id("pool");
  req.set_page_size(3);
  v1::ListTransfersResponse page1, page2;
  ASSERT_TRUE(logic_.ListTransfers(finance_, req, page1).ok());
  ASSERT_EQ(page1.transfers_size(), 3);
  EXPECT_EQ(page1.transfers(0).id(), "fund-a-100");
  EXPECT_EQ(page1.transfers(1).id(), "fund-b-100");
  req.set_page_token(page1.next_page_token());
  ASSERT_TRUE(logic_.ListTransfers(finance_, req, page2).ok());
  ASSERT_EQ(page2.transfers_size(), 1);
  EXPECT_EQ(page2.transfers(0).id(), "fund-b-200");
  EXPECT_TRUE(page2.next_page_token().empty());
  v1::ListTransfersRequest other;
  other.set_account_id("pool-liuzhi");
  v1::ListTransfersRequest ghost;
  ghost.set_account_id("ghost");
  ExpectSameRefusal(logic_.ListTransfers(finance_, other, page1), "pool-liuzhi",
                    logic_.ListTransfers(finance_, ghost, page1), "ghost");
}

TEST_F(FundsLogicTest, TraceFundsAttributesLevels) {
  ASSERT_TRUE(Move(admin_, {T("a1", "src-central", "pool", 600, v1::TRANSFER_KIND_APPROPRIATION),
                            T("a2", "src-county", "pool", 400, v1::TRANSFER_KIND_APPROPRIATION),
                            T("a3", "pool", "proj", 500, v1::TRANSFER_KIND_ALLOCATION)})
                  .ok());
  v1::TraceFundsRequest req;
  req.set_account_id("proj");
  v1::FundTrace trace;
  ASSERT_TRUE(logic_.TraceFunds(finance_, req, trace).ok());
  EXPECT_FALSE(trace.truncated());
  EXPECT_EQ(trace.received_fen(), 500);
  ASSERT_EQ(trace.edges_size(), 3);
  EXPECT_EQ(trace.edges(0).level(), 1);
  ASSERT_EQ(trace.by_source_size(), 2);
  EXPECT_EQ(trace.by_source(0).source_level(), v1::SOURCE_LEVEL_CENTRAL);
  EXPECT_EQ(trace.by_source(0).amount_fen(), 300);
  EXPECT_EQ(trace.by_source(1).amount_fen(), 200);
  req.set_account_id("pool-liuzhi");
  v1::TraceFundsRequest ghost;
  ghost.set_account_id("ghost");
  ExpectSameRefusal(logic_.TraceFunds(finance_, req, trace), "pool-liuzhi",
                    logic_.TraceFunds(finance_, ghost, trace), "ghost");
}

// A lineage is cut at 2,000 edges, whatever the ledger's shape; at 2,000 it is whole.
TEST_F(FundsLogicTest, TraceFundsIsBounded) {
  auto feed = [&](int pools) {
    for (int i = 0; i < pools; ++i) {
      std::string pool = absl::StrCat("feeder-", i);
      store_.Put(Acct(pool, v1::ACCOUNT_KIND_POOL, 0, kShuicheng));
      v1::Transfer t = T(absl::StrCat("feed-", i), pool, "proj", 1, v1::TRANSFER_KIND_ALLOCATION);
      t.set_state(v1::TRANSFER_STATE_POSTED);
      store_.transfers[t.id()] = t;
    }
  };
  v1::TraceFundsRequest req;
  req.set_account_id("proj");
  feed(2000);
  v1::FundTrace whole;
  ASSERT_TRUE(logic_.TraceFunds(finance_, req, whole).ok());
  EXPECT_FALSE(whole.truncated());
  EXPECT_EQ(whole.edges_size(), 2000);
  feed(2001);
  v1::FundTrace cut;
  int reads_before = store_.incoming_funding_reads;
  ASSERT_TRUE(logic_.TraceFunds(finance_, req, cut).ok());
  EXPECT_TRUE(cut.truncated());
  EXPECT_EQ(cut.edges_size(), 2000);
  EXPECT_EQ(store_.incoming_funding_reads - reads_before, 1) << "no level read past the cut";
}

TEST_F(FundsLogicTest, GetUtilizationComputesRates) {
  Fund(1000);
  ASSERT_TRUE(Move(finance_, {T("d1", "proj", "payee", 250, v1::TRANSFER_KIND_DISBURSEMENT)}).ok());
  v1::GetUtilizationRequest req;
  req.set_region_code(kShuicheng);
  req.set_by_sector(true);
  v1::Utilization u;
  ASSERT_TRUE(logic_.GetUtilization(auditor_, req, u).ok());
  EXPECT_EQ(u.appropriated_fen(), 2000);
  EXPECT_EQ(u.allocated_fen(), 1000);
  EXPECT_EQ(u.disbursed_fen(), 250);
  EXPECT_EQ(u.disbursement_rate_bp(), 2500);
  ASSERT_EQ(u.sectors_size(), 1);
  EXPECT_EQ(u.sectors(0).disbursement_rate_bp(), 2500);
  EXPECT_EQ(u.idle_fen(), 0) << "without a cut-off nothing is idle";
  req.set_idle_older_than_days(30);
  clock_.Advance(absl::Hours(24 * 31));
  ASSERT_TRUE(logic_.GetUtilization(auditor_, req, u).ok());
  EXPECT_EQ(u.idle_fen(), 750);
  req.set_region_code(kLiuzhi);
  EXPECT_EQ(logic_.GetUtilization(finance_, req, u).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(FundsLogicTest, ListIdleFundsFindsMoneyLeftLying) {
  Fund(1000);
  v1::ListIdleFundsRequest req;
  req.set_region_code(kShuicheng);
  req.set_older_than_days(90);
  v1::ListIdleFundsResponse out;
  ASSERT_TRUE(logic_.ListIdleFunds(finance_, req, out).ok());
  EXPECT_EQ(out.idle_funds_size(), 0) << "credited today";
  clock_.Advance(absl::Hours(24 * 91));
  ASSERT_TRUE(logic_.ListIdleFunds(finance_, req, out).ok());
  ASSERT_EQ(out.idle_funds_size(), 1);
  EXPECT_EQ(out.idle_funds(0).project_account_id(), "proj");
  EXPECT_EQ(out.idle_funds(0).idle_fen(), 1000);
  req.set_region_code(kLiuzhi);
  EXPECT_EQ(logic_.ListIdleFunds(finance_, req, out).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(FundsLogicTest, ListPublicNoticesShowsAVillagesProjects) {
  Fund(1000);
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(Move(finance_, {T("d1", "proj", "payee", 250, v1::TRANSFER_KIND_DISBURSEMENT)}).ok());
  v1::ListPublicNoticesRequest req;
  req.set_village_code(kVillage);
  v1::ListPublicNoticesResponse out;
  ASSERT_TRUE(logic_.ListPublicNotices(finance_, req, out).ok());
  ASSERT_EQ(out.notices_size(), 1);
  const auto& n = out.notices(0);
  EXPECT_EQ(n.project_account_id(), "proj");
  EXPECT_EQ(n.allocated_fen(), 1000);
  EXPECT_EQ(n.disbursed_fen(), 250);
  ASSERT_EQ(n.sources_size(), 1);
  EXPECT_EQ(n.sources(0).source_level(), v1::SOURCE_LEVEL_CENTRAL);
  EXPECT_EQ(common::FromTimestamp(n.first_allocation_time()), kStart);
  EXPECT_EQ(common::FromTimestamp(n.last_disbursement_time()), kStart + absl::Hours(1));
  req.set_village_code("520203101001");
  EXPECT_EQ(logic_.ListPublicNotices(finance_, req, out).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace tuopin::funds
