// Funds reports and who may do what, through a real gRPC server and a real MariaDB:
// lineage across three levels, utilization and public notices, the bound on a trace, who
// may issue money (source levels by role), bad input and region scope.

#include <map>

#include "absl/strings/str_replace.h"
#include "tests/integration/funds/funds_fixture.h"

namespace tuopin::funds {
namespace {

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
