#pragma once
// FundsService through a real gRPC server and a real MariaDB: the fixture the funds
// integration tests share (accounts made by the right role, transfers sent, the
// ledger checked for conservation).

#include <atomic>

#include "absl/strings/str_cat.h"
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

using google::protobuf::util::TimeUtil;
using testing::ContextAs;
using testing::MakePrincipal;
using testing::ViolatedField;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_AUDITOR;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;
using tuopin::common::v1::ROLE_FINANCE_OFFICER;

inline constexpr char kVillage[] = "520221104001";
inline const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone());

class FundsTest : public ::testing::Test {
 protected:
  // Group commit as the binary runs it by default (--group_commit_*).
  explicit FundsTest(common::GroupCommitOptions group_commit = common::GroupCommitOptions{})
      : pool_(db_.NewPool(24)),
        clock_(kStart),
        tokens_("page-token-key-for-funds-tests-012345"),
        store_(*pool_, ids_, group_commit),
        logic_(store_, clock_, tokens_, &tasks_),
        authorizer_(testing::kTestInternalKey,
                    common::FindService(v1::FundsService::service_full_name())),
        handler_("funds", authorizer_, clock_),
        service_(NewFundsService(logic_, handler_)),
        server_({service_.get()}),
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
  std::unique_ptr<v1::FundsService::Service> service_;
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

}  // namespace tuopin::funds
