// Unit tests of the ledger engine, the resolution of pending transfers (four eyes) and
// source attribution: no database, plain accounts.

#include "common/auth.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "services/funds/funds_logic.h"
#include "tests/unit/funds/ledger_builders.h"

namespace tuopin::funds {
namespace {

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    accounts_["src"] = Acct("src", v1::ACCOUNT_KIND_SOURCE);
    accounts_["pool"] = Acct("pool", v1::ACCOUNT_KIND_POOL, 1000);
    accounts_["proj"] = Acct("proj", v1::ACCOUNT_KIND_PROJECT);
    accounts_["payee"] = Acct("payee", v1::ACCOUNT_KIND_PAYEE);
    accounts_["far"] = Acct("far", v1::ACCOUNT_KIND_PROJECT, 0, "520203");
  }
  // As a caller of Shuicheng (520221), or, with `scope` "*", one who sees every region.
  BatchOutcome Apply(const std::vector<v1::Transfer>& ts, const TransferMap& existing = {},
                     const std::string& scope = "520221") {
    return ApplyTransfers(
        ts, accounts_, existing,
        [&](const v1::Account& a) { return common::RegionCovers(scope, a.region_code()); },
        absl::FromUnixSeconds(1536710400));
  }
  AccountMap accounts_;
};

TEST_F(LedgerTest, PostedTransferMovesBalances) {
  auto out = Apply({T("t1", "pool", "proj", 300, v1::TRANSFER_KIND_ALLOCATION)});
  ASSERT_EQ(out.results[0], v1::TRANSFER_RESULT_OK);
  EXPECT_EQ(accounts_["pool"].debits_posted_fen(), 300);
  EXPECT_EQ(accounts_["proj"].credits_posted_fen(), 300);
  EXPECT_EQ(out.accepted.size(), 1u);
  EXPECT_EQ(out.accepted[0].state(), v1::TRANSFER_STATE_POSTED);
  EXPECT_EQ(out.touched, (std::vector<std::string>{"pool", "proj"}));
}

TEST_F(LedgerTest, GuardedAccountsNeverOverdraw) {
  auto out =
      Apply({T("a", "pool", "proj", 700, v1::TRANSFER_KIND_ALLOCATION),
             T("b", "pool", "proj", 301, v1::TRANSFER_KIND_ALLOCATION),
             T("c", "pool", "proj", 300, v1::TRANSFER_KIND_ALLOCATION, false, /*pending=*/true),
             T("d", "pool", "proj", 1, v1::TRANSFER_KIND_ALLOCATION)});
  EXPECT_EQ(out.results, (std::vector<v1::TransferResult>{
                             v1::TRANSFER_RESULT_OK, v1::TRANSFER_RESULT_EXCEEDS_CREDITS,
                             v1::TRANSFER_RESULT_OK, v1::TRANSFER_RESULT_EXCEEDS_CREDITS}));
  EXPECT_EQ(accounts_["pool"].debits_posted_fen(), 700);
  EXPECT_EQ(accounts_["pool"].debits_pending_fen(), 300);
  // Sources are not guarded: they issue money into the ledger.
  out = Apply({T("s", "src", "pool", 1'000'000, v1::TRANSFER_KIND_APPROPRIATION)});
  EXPECT_EQ(out.results[0], v1::TRANSFER_RESULT_OK);
  // Pending credits do not count as received.
  accounts_["fresh"] = Acct("fresh", v1::ACCOUNT_KIND_PROJECT);
  auto pending_in = Apply({T("p1", "pool", "fresh", 500, v1::TRANSFER_KIND_ALLOCATION, false, true),
                           T("p2", "fresh", "payee", 100, v1::TRANSFER_KIND_DISBURSEMENT)});
  EXPECT_EQ(pending_in.results[0], v1::TRANSFER_RESULT_OK);
  EXPECT_EQ(pending_in.results[1], v1::TRANSFER_RESULT_EXCEEDS_CREDITS);
}

TEST_F(LedgerTest, LinkedChainIsAllOrNothing) {
  auto out =
      Apply({T("x1", "pool", "proj", 400, v1::TRANSFER_KIND_ALLOCATION, /*linked=*/true),
             T("x2", "proj", "payee", 500, v1::TRANSFER_KIND_DISBURSEMENT, true),  // 500 > 400
             T("x3", "proj", "payee", 100, v1::TRANSFER_KIND_DISBURSEMENT),
             T("y1", "pool", "proj", 10, v1::TRANSFER_KIND_ALLOCATION)});
  EXPECT_EQ(out.results,
            (std::vector<v1::TransferResult>{
                v1::TRANSFER_RESULT_LINKED_EVENT_FAILED, v1::TRANSFER_RESULT_EXCEEDS_CREDITS,
                v1::TRANSFER_RESULT_LINKED_EVENT_FAILED, v1::TRANSFER_RESULT_OK}));
  EXPECT_EQ(accounts_["pool"].debits_posted_fen(), 10) << "the failed chain left a trace";
  EXPECT_EQ(accounts_["proj"].credits_posted_fen(), 10);
  ASSERT_EQ(out.accepted.size(), 1u);
  EXPECT_EQ(out.accepted[0].id(), "y1");

  auto ok = Apply({T("z1", "pool", "proj", 400, v1::TRANSFER_KIND_ALLOCATION, true),
                   T("z2", "proj", "payee", 400, v1::TRANSFER_KIND_DISBURSEMENT)});
  EXPECT_EQ(ok.results,
            (std::vector<v1::TransferResult>{v1::TRANSFER_RESULT_OK, v1::TRANSFER_RESULT_OK}));
}

TEST_F(LedgerTest, ChainLeftOpenFailsWhole) {
  auto out = Apply({T("o1", "pool", "proj", 1, v1::TRANSFER_KIND_ALLOCATION),
                    T("o2", "pool", "proj", 1, v1::TRANSFER_KIND_ALLOCATION, true)});
  EXPECT_EQ(out.results[0], v1::TRANSFER_RESULT_OK);
  EXPECT_EQ(out.results[1], v1::TRANSFER_RESULT_LINKED_EVENT_CHAIN_OPEN);
  EXPECT_EQ(out.accepted.size(), 1u);
}

TEST_F(LedgerTest, IdsAreIdempotent) {
  TransferMap existing;
  existing["old"] = T("old", "pool", "proj", 5, v1::TRANSFER_KIND_ALLOCATION);
  auto out = Apply({T("old", "pool", "proj", 5, v1::TRANSFER_KIND_ALLOCATION),
                    T("old", "pool", "proj", 6, v1::TRANSFER_KIND_ALLOCATION),
                    T("new", "pool", "proj", 5, v1::TRANSFER_KIND_ALLOCATION),
                    T("new", "pool", "proj", 5, v1::TRANSFER_KIND_ALLOCATION)},
                   existing);
  EXPECT_EQ(out.results,
            (std::vector<v1::TransferResult>{v1::TRANSFER_RESULT_EXISTS,
                                             v1::TRANSFER_RESULT_EXISTS_WITH_DIFFERENT_FIELDS,
                                             v1::TRANSFER_RESULT_OK, v1::TRANSFER_RESULT_EXISTS}));
  EXPECT_EQ(accounts_["pool"].debits_posted_fen(), 5);
  // The same new id twice inside one chain is accepted once.
  auto chain = Apply({T("c", "pool", "proj", 1, v1::TRANSFER_KIND_ALLOCATION, true),
                      T("c", "pool", "proj", 1, v1::TRANSFER_KIND_ALLOCATION)});
  EXPECT_EQ(chain.results[1], v1::TRANSFER_RESULT_EXISTS);
  EXPECT_EQ(chain.accepted.size(), 1u);
}

TEST_F(LedgerTest, RefusesWrongKindsScopeAndAccounts) {
  auto out = Apply({T("k1", "src", "proj", 1, v1::TRANSFER_KIND_APPROPRIATION),
                    T("k2", "pool", "payee", 1, v1::TRANSFER_KIND_DISBURSEMENT),
                    T("k3", "pool", "far", 1, v1::TRANSFER_KIND_ALLOCATION),
                    T("k4", "pool", "pool", 1, v1::TRANSFER_KIND_ALLOCATION),
                    T("k5", "ghost", "proj", 1, v1::TRANSFER_KIND_ALLOCATION),
                    T("k6", "pool", "ghost", 1, v1::TRANSFER_KIND_ALLOCATION)});
  // A missing account is outside every county's scope: refused like another county's.
  EXPECT_EQ(out.results,
            (std::vector<v1::TransferResult>{
                v1::TRANSFER_RESULT_KIND_NOT_ALLOWED_FOR_ACCOUNTS,
                v1::TRANSFER_RESULT_KIND_NOT_ALLOWED_FOR_ACCOUNTS, v1::TRANSFER_RESULT_OUT_OF_SCOPE,
                v1::TRANSFER_RESULT_ACCOUNTS_MUST_BE_DIFFERENT, v1::TRANSFER_RESULT_OUT_OF_SCOPE,
                v1::TRANSFER_RESULT_OUT_OF_SCOPE}));
  EXPECT_TRUE(out.accepted.empty());
  // Only a caller who sees every region is told an account is missing.
  auto global = Apply({T("g5", "ghost", "proj", 1, v1::TRANSFER_KIND_ALLOCATION),
                       T("g6", "pool", "ghost", 1, v1::TRANSFER_KIND_ALLOCATION)},
                      {}, "*");
  EXPECT_EQ(global.results,
            (std::vector<v1::TransferResult>{v1::TRANSFER_RESULT_DEBIT_ACCOUNT_NOT_FOUND,
                                             v1::TRANSFER_RESULT_CREDIT_ACCOUNT_NOT_FOUND}));
}

// Issue 18 point 8: a transfer id another county already used is no oracle. The outsider,
// naming that transfer's accounts or its own, is refused for scope whether or not the id
// is taken; the owner still gets EXISTS.
TEST_F(LedgerTest, AnotherCountysTransferIdAnswersOutOfScope) {
  accounts_["far-pool"] = Acct("far-pool", v1::ACCOUNT_KIND_POOL, 1000, "520203");
  TransferMap existing;
  existing["theirs"] = T("theirs", "far-pool", "far", 5, v1::TRANSFER_KIND_ALLOCATION);
  auto taken = Apply({T("theirs", "far-pool", "far", 5, v1::TRANSFER_KIND_ALLOCATION)}, existing);
  auto free = Apply({T("unused", "far-pool", "far", 5, v1::TRANSFER_KIND_ALLOCATION)}, existing);
  EXPECT_EQ(taken.results[0], v1::TRANSFER_RESULT_OUT_OF_SCOPE);
  EXPECT_EQ(free.results[0], v1::TRANSFER_RESULT_OUT_OF_SCOPE);
  // With its own accounts, the outsider still learns nothing about the transfer.
  auto own = Apply({T("theirs", "pool", "proj", 5, v1::TRANSFER_KIND_ALLOCATION)}, existing);
  EXPECT_EQ(own.results[0], v1::TRANSFER_RESULT_OUT_OF_SCOPE);
  EXPECT_TRUE(own.accepted.empty());
  EXPECT_EQ(accounts_["pool"].debits_posted_fen(), 0);
  // The owner retrying sees its transfer.
  auto retry =
      Apply({T("theirs", "far-pool", "far", 5, v1::TRANSFER_KIND_ALLOCATION)}, existing, "520203");
  EXPECT_EQ(retry.results[0], v1::TRANSFER_RESULT_EXISTS);
}

TEST_F(LedgerTest, NoInt64Overflow) {
  accounts_["src"].set_debits_posted_fen(std::numeric_limits<int64_t>::max() - 10);
  auto out = Apply({T("big", "src", "pool", 11, v1::TRANSFER_KIND_APPROPRIATION)});
  EXPECT_EQ(out.results[0], v1::TRANSFER_RESULT_OVERFLOWS);
}

common::Principal Caller(const std::string& subject, tuopin::common::v1::Role role,
                         const std::string& region = "520221") {
  common::Principal p;
  p.set_subject(subject);
  p.add_roles(role);
  p.add_region_scopes(region);
  return p;
}

// Four eyes on money: the resolution decider refuses a post by the transfer's creator,
// whatever the creator's roles, and leaves the balances untouched; a second person in
// scope posts; the creator may void.
class ResolutionTest : public LedgerTest {
 protected:
  void SetUp() override {
    LedgerTest::SetUp();
    auto out = Apply({T("p", "pool", "proj", 300, v1::TRANSFER_KIND_ALLOCATION, false, true)});
    ASSERT_EQ(out.results[0], v1::TRANSFER_RESULT_OK);
    pending_ = out.accepted[0];
    pending_.set_created_by("finance-a");
  }
  absl::Status Resolve(v1::TransferState state, const common::Principal& p) {
    return ApplyResolution(pending_, state, accounts_, p, absl::FromUnixSeconds(1536710400 + 60));
  }
  v1::Transfer pending_;
  const common::Principal creator_ = Caller("finance-a", tuopin::common::v1::ROLE_FINANCE_OFFICER);
  const common::Principal second_ = Caller("finance-b", tuopin::common::v1::ROLE_FINANCE_OFFICER);
};

TEST_F(ResolutionTest, CreatorCannotPostOwnPendingTransfer) {
  AccountMap before = accounts_;
  absl::Status st = Resolve(v1::TRANSFER_STATE_POSTED, creator_);
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << st;
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "FOUR_EYES");
  EXPECT_NE(st.message().find("second person"), absl::string_view::npos) << st.message();
  // Admin gets no exception: the rule is about the person, not the role.
  pending_.set_created_by("admin-1");
  st = Resolve(v1::TRANSFER_STATE_POSTED,
               Caller("admin-1", tuopin::common::v1::ROLE_ADMIN, /*region=*/"*"));
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "FOUR_EYES") << st;
  // A transfer whose creator was never recorded cannot prove a second person.
  pending_.clear_created_by();
  st = Resolve(v1::TRANSFER_STATE_POSTED, second_);
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "FOUR_EYES") << st;
  for (const auto& id : {"pool", "proj"}) {
    EXPECT_EQ(accounts_[id].debits_posted_fen(), before[id].debits_posted_fen()) << id;
    EXPECT_EQ(accounts_[id].credits_posted_fen(), before[id].credits_posted_fen()) << id;
    EXPECT_EQ(accounts_[id].debits_pending_fen(), before[id].debits_pending_fen()) << id;
    EXPECT_EQ(accounts_[id].credits_pending_fen(), before[id].credits_pending_fen()) << id;
  }
}

TEST_F(ResolutionTest, SecondPersonPosts) {
  ASSERT_TRUE(Resolve(v1::TRANSFER_STATE_POSTED, second_).ok());
  EXPECT_EQ(accounts_["pool"].debits_pending_fen(), 0);
  EXPECT_EQ(accounts_["pool"].debits_posted_fen(), 300);
  EXPECT_EQ(accounts_["proj"].credits_posted_fen(), 300);
}

TEST_F(ResolutionTest, CreatorMayVoid) {
  ASSERT_TRUE(Resolve(v1::TRANSFER_STATE_VOIDED, creator_).ok()) << "voiding moves no money";
  EXPECT_EQ(accounts_["pool"].debits_pending_fen(), 0);
  EXPECT_EQ(accounts_["proj"].credits_pending_fen(), 0);
  EXPECT_EQ(accounts_["proj"].credits_posted_fen(), 0);
}

TEST_F(ResolutionTest, RegionScopeStillComesFirst) {
  absl::Status st =
      Resolve(v1::TRANSFER_STATE_POSTED,
              Caller("finance-c", tuopin::common::v1::ROLE_FINANCE_OFFICER, "520203"));
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "OUT_OF_REGION") << st;
  EXPECT_EQ(accounts_["pool"].debits_posted_fen(), 0);
}

// Who issues money: an admin any source level, a finance officer the county's own budget
// only, nobody else; the same rule for moving money out of a source (a batch is refused
// whole) and for posting a pending appropriation, while a source out of scope is left to
// the ledger's OUT_OF_SCOPE.
TEST(IssuanceTest, SourceLevelsByRole) {
  using tuopin::common::v1::ROLE_ADMIN;
  using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;
  using tuopin::common::v1::ROLE_FINANCE_OFFICER;
  const auto admin = Caller("admin-1", ROLE_ADMIN, "*");
  const auto finance = Caller("finance-a", ROLE_FINANCE_OFFICER);
  const auto official = Caller("official-a", ROLE_COUNTY_OFFICIAL);
  for (int l = v1::SOURCE_LEVEL_CENTRAL; l <= v1::SOURCE_LEVEL_COUNTERPART_AID; ++l) {
    auto level = static_cast<v1::SourceLevel>(l);
    EXPECT_TRUE(MayIssue(admin, level)) << l;
    EXPECT_EQ(MayIssue(finance, level), level == v1::SOURCE_LEVEL_COUNTY) << l;
    EXPECT_FALSE(MayIssue(official, level)) << l;
  }
}

TEST_F(LedgerTest, AppropriationsNeedTheSourcesEntitlement) {
  using tuopin::common::v1::ROLE_FINANCE_OFFICER;
  accounts_["src"].set_source_level(v1::SOURCE_LEVEL_CENTRAL);
  accounts_["budget"] = Acct("budget", v1::ACCOUNT_KIND_SOURCE);
  accounts_["budget"].set_source_level(v1::SOURCE_LEVEL_COUNTY);
  accounts_["far-src"] = Acct("far-src", v1::ACCOUNT_KIND_SOURCE, 0, "520203");
  accounts_["far-src"].set_source_level(v1::SOURCE_LEVEL_CENTRAL);
  auto in_scope = [](const v1::Account& a) { return a.region_code().rfind("520221", 0) == 0; };
  const auto finance = Caller("finance-a", ROLE_FINANCE_OFFICER);
  auto check = [&](std::vector<v1::Transfer> ts) {
    return CheckIssuance(ts, accounts_, finance, in_scope);
  };
  EXPECT_TRUE(check({T("a", "budget", "pool", 5, v1::TRANSFER_KIND_APPROPRIATION)}).ok());
  absl::Status st = check({T("a", "budget", "pool", 5, v1::TRANSFER_KIND_APPROPRIATION),
                           T("b", "src", "pool", 5, v1::TRANSFER_KIND_APPROPRIATION)});
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << st;
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "SOURCE_LEVEL_NOT_ALLOWED");
  // Whatever the kind: money out of a source is issuance (the ledger refuses the kind too).
  EXPECT_FALSE(check({T("b", "src", "pool", 5, v1::TRANSFER_KIND_RECLAIM)}).ok());
  // Out of scope or unknown: the ledger answers, the level is not revealed.
  EXPECT_TRUE(check({T("c", "far-src", "pool", 5, v1::TRANSFER_KIND_APPROPRIATION),
                     T("d", "nowhere", "pool", 5, v1::TRANSFER_KIND_APPROPRIATION)})
                  .ok());
  // Money into a source (a reclaim) issues nothing.
  EXPECT_TRUE(check({T("e", "pool", "src", 5, v1::TRANSFER_KIND_RECLAIM)}).ok());

  // A pending central appropriation: a second finance officer cannot post it, an admin can.
  auto out = Apply({T("p", "src", "pool", 50, v1::TRANSFER_KIND_APPROPRIATION, false, true)});
  ASSERT_EQ(out.results[0], v1::TRANSFER_RESULT_OK);
  v1::Transfer pending = out.accepted[0];
  pending.set_created_by("admin-1");
  absl::Time now = absl::FromUnixSeconds(1536710400 + 60);
  st = ApplyResolution(pending, v1::TRANSFER_STATE_POSTED, accounts_,
                       Caller("finance-b", ROLE_FINANCE_OFFICER), now);
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "SOURCE_LEVEL_NOT_ALLOWED") << st;
  EXPECT_EQ(accounts_["pool"].credits_pending_fen(), 50);
  EXPECT_TRUE(ApplyResolution(pending, v1::TRANSFER_STATE_VOIDED, accounts_,
                              Caller("finance-b", ROLE_FINANCE_OFFICER), now)
                  .ok())
      << "voiding issues nothing";
  AccountMap again = accounts_;
  again["pool"].set_credits_pending_fen(50);
  again["src"].set_debits_pending_fen(50);
  EXPECT_TRUE(ApplyResolution(pending, v1::TRANSFER_STATE_POSTED, again,
                              Caller("admin-2", tuopin::common::v1::ROLE_ADMIN, "*"), now)
                  .ok());
}

TEST(KindTest, AllowedMoves) {
  EXPECT_TRUE(
      KindAllowed(v1::TRANSFER_KIND_RECLAIM, v1::ACCOUNT_KIND_PROJECT, v1::ACCOUNT_KIND_POOL));
  EXPECT_TRUE(
      KindAllowed(v1::TRANSFER_KIND_RECLAIM, v1::ACCOUNT_KIND_POOL, v1::ACCOUNT_KIND_SOURCE));
  EXPECT_FALSE(
      KindAllowed(v1::TRANSFER_KIND_RECLAIM, v1::ACCOUNT_KIND_PAYEE, v1::ACCOUNT_KIND_PROJECT));
  EXPECT_TRUE(
      KindAllowed(v1::TRANSFER_KIND_ALLOCATION, v1::ACCOUNT_KIND_POOL, v1::ACCOUNT_KIND_POOL));
  EXPECT_FALSE(
      KindAllowed(v1::TRANSFER_KIND_UNSPECIFIED, v1::ACCOUNT_KIND_POOL, v1::ACCOUNT_KIND_POOL));
}

TEST(AttributionTest, ThreeLevelsProportionally) {
  absl::flat_hash_map<std::string, v1::Account> accounts;
  auto source = [&](const std::string& id, v1::SourceLevel level) {
    v1::Account a = Acct(id, v1::ACCOUNT_KIND_SOURCE);
    a.set_source_level(level);
    accounts[id] = a;
  };
  source("central", v1::SOURCE_LEVEL_CENTRAL);
  source("province", v1::SOURCE_LEVEL_PROVINCIAL);
  source("aid", v1::SOURCE_LEVEL_COUNTERPART_AID);
  accounts["city"] = Acct("city", v1::ACCOUNT_KIND_POOL);
  accounts["county"] = Acct("county", v1::ACCOUNT_KIND_POOL);
  accounts["proj"] = Acct("proj", v1::ACCOUNT_KIND_PROJECT);
  // City pool: 600 central + 400 provincial. County pool: 500 from the city + 500 aid.
  // Project: 300 from the county pool.
  std::vector<FundingEdge> edges = {{"central", "city", 600, {}},
                                    {"province", "city", 400, {}},
                                    {"city", "county", 500, {}},
                                    {"aid", "county", 500, {}},
                                    {"county", "proj", 300, {}}};
  auto shares = AttributeSources("proj", edges, accounts);
  std::map<v1::SourceLevel, int64_t> by;
  int64_t total = 0;
  for (const auto& s : shares) {
    by[s.source_level()] = s.amount_fen();
    total += s.amount_fen();
  }
  EXPECT_EQ(total, 300);
  EXPECT_EQ(by[v1::SOURCE_LEVEL_CENTRAL], 90);  // 300 * 1/2 * 0.6
  EXPECT_EQ(by[v1::SOURCE_LEVEL_PROVINCIAL], 60);
  EXPECT_EQ(by[v1::SOURCE_LEVEL_COUNTERPART_AID], 150);
}

}  // namespace
}  // namespace tuopin::funds
