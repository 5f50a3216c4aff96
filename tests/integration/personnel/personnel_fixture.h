#pragma once
// PersonnelService through a real gRPC server on loopback and a real MariaDB: the fixture
// the personnel integration tests share.

#include <cppconn/resultset.h>

#include <atomic>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/handler.h"
#include "common/migrate.h"
#include "common/pii_crypto.h"
#include "common/validate.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/personnel/mysql_personnel_store.h"
#include "services/personnel/personnel_service.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& PersonnelMigrations();
}

namespace tuopin::personnel {

using google::protobuf::util::TimeUtil;
using testing::ContextAs;
using testing::MakePrincipal;
using testing::ViolatedField;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_AUDITOR;
using tuopin::common::v1::ROLE_CADRE;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;
using tuopin::common::v1::ROLE_INSPECTOR;

inline constexpr char kShuicheng[] = "520221";
inline constexpr char kVillageA[] = "520221104001";
inline constexpr char kVillageB[] = "520221104002";
inline constexpr char kLiuzhiVillage[] = "520203100001";
// The personal-data key of the tests (two keys: the second, current, one after a rotation).
inline constexpr char kTestPiiKeys[] =
    "k1 8f3a1c9e5b7d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3f5b7d9a2c4e6f8b0d1e\n"
    "k2 1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a5c7e9b2d4f6a8c0e1b3d\n";
inline const absl::Time kSymposium =
    absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone());

class PersonnelTest : public ::testing::Test {
 protected:
  PersonnelTest()
      : pool_(db_.NewPool(16)),
        clock_(kSymposium),
        tokens_("page-token-key-for-personnel-tests"),
        store_(*pool_, ids_, &pii_),
        logic_(store_, clock_, tokens_, PersonnelConfig{.pairing_limit = 3}),
        authorizer_(testing::kTestInternalKey,
                    common::FindService(v1::PersonnelService::service_full_name())),
        handler_("personnel", authorizer_, clock_, MemberDigestForm(pii_)),
        service_(NewPersonnelService(logic_, handler_)),
        server_({service_.get()}),
        stub_(v1::PersonnelService::NewStub(server_.channel())) {}

  void SetUp() override {
    ASSERT_TRUE(common::ApplyMigrations(*pool_, generated::PersonnelMigrations()).ok());
    v1::ImportRegionsRequest req;
    req.set_request_id(NextId());
    for (auto [code, name] :
         std::vector<std::pair<const char*, const char*>>{{"52", "Guizhou"},
                                                          {"5202", "Liupanshui"},
                                                          {"520221", "Shuicheng County"},
                                                          {"520221104", "Mugang Town"},
                                                          {kVillageA, "Gaofeng Village"},
                                                          {kVillageB, "Shuiqing Village"},
                                                          {"520203", "Liuzhi Special District"},
                                                          {"520203100", "Pingzhai Town"},
                                                          {kLiuzhiVillage, "Yanjiao Village"}}) {
      auto* r = req.add_regions();
      r->set_code(code);
      r->set_name(name);
    }
    v1::ImportRegionsResponse resp;
    ASSERT_TRUE(stub_->ImportRegions(ContextAs(admin_).get(), req, &resp).ok());
    ASSERT_EQ(resp.created(), 9);
  }

  std::string NextId() { return absl::StrCat("req-", ++request_counter_); }

  grpc::Status CreateHousehold(const common::Principal& as, const std::string& village,
                               const std::string& name, v1::Household* out,
                               v1::HouseholdStatus status = v1::HOUSEHOLD_STATUS_REGISTERED_POOR) {
    v1::CreateHouseholdRequest req;
    req.set_request_id(NextId());
    auto* h = req.mutable_household();
    h->set_village_code(village);
    h->set_head_name(name);
    h->set_member_count(4);
    h->set_status(status);
    h->set_income_per_head_fen(280000);
    if (status == v1::HOUSEHOLD_STATUS_LIFTED_OUT ||
        status == v1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN) {
      // Created exited only as an exit imported from the national register (admins).
      h->mutable_prior_exit()->set_year(2017);
      h->mutable_prior_exit()->set_reference(absl::StrCat("GZ-2017-", name));
    }
    return stub_->CreateHousehold(ContextAs(as).get(), req, out);
  }

  v1::Cadre CreateCadre(const std::string& employee_number, const std::string& home = "520221105",
                        const std::string& managing = kShuicheng) {
    v1::CreateCadreRequest req;
    req.set_request_id(NextId());
    auto* c = req.mutable_cadre();
    c->set_employee_number(employee_number);
    c->set_name(absl::StrCat("Cadre ", employee_number));
    c->set_origin_level(v1::ORIGIN_LEVEL_PROVINCIAL);
    c->set_dispatching_unit("Guizhou Provincial Department of Finance");
    c->set_home_region_code(home);
    c->set_managing_region_code(managing);
    v1::Cadre out;
    grpc::Status st = stub_->CreateCadre(ContextAs(official_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  grpc::Status Post(const std::string& cadre_id, const std::string& village, v1::PostingRole role,
                    v1::Posting* out, const std::string& waiver = "") {
    v1::PostCadreRequest req;
    req.set_request_id(NextId());
    req.set_cadre_id(cadre_id);
    req.set_village_code(village);
    req.set_role(role);
    *req.mutable_start_date() = common::ToDate(absl::CivilDay(2018, 3, 1));
    req.set_home_waiver(waiver);
    return stub_->PostCadre(ContextAs(official_).get(), req, out);
  }

  int64_t Count(const std::string& sql) { return testing::QueryInt(*pool_, sql); }

  // Runs `call` while another connection holds village `code` exclusively (a merger's first
  // lock); once `call` waits for the village's shared lock (a state, not a duration),
  // returns whether household `household_id` is free to lock (NOWAIT). A call that locks the
  // village first holds nothing of the household then.
  absl::Status HouseholdFreeWhileVillageHeld(const std::string& code,
                                             const std::string& household_id,
                                             const std::function<void()>& call) {
    absl::Notification held, release;
    std::thread merger([&] {
      EXPECT_TRUE(
          common::RunInTransaction(*pool_, [&](common::DbSession& s) {
            common::Query(s, "SELECT code FROM regions WHERE code = ? FOR UPDATE").Arg(code).Rows();
            held.Notify();
            release.WaitForNotification();
            return absl::OkStatus();
          }).ok());
    });
    held.WaitForNotification();
    std::thread caller(call);
    auto waiting = [&] {
      return common::WithConnection(*pool_, [&](common::DbSession& s) {
        bool found = common::Query(s,
                                   "SELECT 1 FROM information_schema.processlist WHERE"
                                   " db = DATABASE() AND id <> CONNECTION_ID() AND info LIKE ?")
                         .Arg("%FROM regions WHERE code = ? LOCK IN SHARE MODE")
                         .Rows()
                         ->next();
        return found ? absl::OkStatus() : absl::NotFoundError("not yet");
      });
    };
    while (!waiting().ok()) absl::SleepFor(absl::Milliseconds(5));
    absl::Status free = common::WithConnection(*pool_, [&](common::DbSession& s) {
      common::Query(s, "SELECT id FROM households WHERE id = ? FOR UPDATE NOWAIT")
          .Arg(household_id)
          .Rows();
      return absl::OkStatus();
    });
    release.Notify();
    merger.join();
    caller.join();
    return free;
  }

  testing::TestDatabase db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  common::FakeClock clock_;
  common::SequentialIdGenerator ids_{"p"};
  common::PageTokenCodec tokens_;
  common::PiiKeyRing pii_ = *common::PiiKeyRing::Parse(kTestPiiKeys);
  MysqlPersonnelStore store_;
  PersonnelLogic logic_;
  common::Authorizer authorizer_;
  common::Handler handler_;
  std::unique_ptr<v1::PersonnelService::Service> service_;
  testing::TestServer server_;
  std::unique_ptr<v1::PersonnelService::Stub> stub_;
  std::atomic<int> request_counter_{0};

  const common::Principal admin_ = MakePrincipal("admin-1", {ROLE_ADMIN}, {"*"});
  const common::Principal official_ =
      MakePrincipal("official-shuicheng", {ROLE_COUNTY_OFFICIAL}, {kShuicheng});
  const common::Principal liuzhi_official_ =
      MakePrincipal("official-liuzhi", {ROLE_COUNTY_OFFICIAL}, {"520203"});
  const common::Principal auditor_ = MakePrincipal("auditor-1", {ROLE_AUDITOR}, {"52"});
  const common::Principal inspector_ = MakePrincipal("inspector-1", {ROLE_INSPECTOR}, {"5202"});
};

}  // namespace tuopin::personnel
