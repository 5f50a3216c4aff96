// tuopinctl's RPC commands, the real binary, through the real gateway to the real
// personnel service: flags to request fields, tables and JSON out, generated request
// ids, field violations and exit codes.

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/field_limits.h"
#include "common/handler.h"
#include "common/jwt.h"
#include "common/migrate.h"
#include "gtest/gtest.h"
#include "services/gateway/gateway.h"
#include "services/gateway/proxy.h"
#include "services/personnel/mysql_personnel_store.h"
#include "services/personnel/personnel_service.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"
#include "tools/tuopinctl/rpc_command.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& PersonnelMigrations();
}

namespace tuopin {
namespace {

namespace pv1 = tuopin::personnel::v1;
constexpr char kSecret[] = "tuopinctl-test-secret-0123456789abcdef";

struct Result {
  int exit;
  std::string out;
};

// A service added to the contracts is a tuopinctl command (the JSON front reads the
// descriptors and needs no list).
TEST(TuopinctlTest, EveryServiceOfTheContractsIsACommand) {
  std::set<std::string> named;
  for (const auto& [name, full] : ctl::Services()) named.insert(full);
  for (const auto* service : common::ContractServices()) {
    EXPECT_TRUE(named.count(service->full_name())) << service->full_name();
  }
}

TEST(TuopinctlTest, CallsEveryKindOfRpcThroughTheGateway) {
  testing::TestDatabase db;
  auto pool = db.NewPool(4);
  ASSERT_TRUE(common::ApplyMigrations(*pool, generated::PersonnelMigrations()).ok());
  common::RandomIdGenerator ids;
  common::PageTokenCodec tokens("tuopinctl-test-page-token-key-012345");
  personnel::MysqlPersonnelStore store(*pool, ids);
  personnel::PersonnelLogic logic(store, *common::SystemClock::Get(), tokens);
  common::Authorizer auth(testing::kTestInternalKey,
                          common::FindService(pv1::PersonnelService::service_full_name()));
  common::Handler handler("personnel", auth, *common::SystemClock::Get());
  auto service = personnel::NewPersonnelService(logic, handler);
  testing::TestServer personnel_server({service.get()});
  common::JwtConfig jwt;
  jwt.issuer = "tuopin-local";
  jwt.audience = "tuopin";
  jwt.algorithms = {"HS256"};
  jwt.hs256_secret = kSecret;
  gateway::GatewayConfig config;
  config.routes = {{"tuopin.personnel.v1.PersonnelService", "personnel"}};
  config.targets = {{"personnel", absl::StrCat("127.0.0.1:", personnel_server.port())}};
  config.internal_key = testing::kTestInternalKey;
  auto gw = std::move(*gateway::Gateway::Create(
      config, std::move(*common::JwtVerifier::Create(jwt)), common::SystemClock::Get()));
  gw->set_access_log(false);
  gateway::ProxyService proxy(*gw);
  testing::TestServer gateway_server({}, &proxy);
  common::JwtClaims c;
  c.subject = "admin-1";
  c.roles = {"admin"};
  c.regions = {"*"};
  c.issuer = "tuopin-local";
  c.audience = "tuopin";
  c.issued_at = absl::Now();
  c.expires = absl::Now() + absl::Hours(1);
  std::string token = common::SignJwtHs256(c, kSecret);
  std::string out_file = ::testing::TempDir() + "/tuopinctl.out";
  auto run = [&](const std::string& args) {
    std::string cmd =
        absl::StrCat("TUOPIN_GATEWAY=127.0.0.1:", gateway_server.port(), " TUOPIN_TOKEN=", token,
                     " ", TUOPINCTL, " ", args, " > ", out_file, " 2>&1");
    int status = std::system(cmd.c_str());
    std::stringstream text;
    text << std::ifstream(out_file).rdbuf();
    return Result{WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
  };

  Result r =
      run(R"(personnel import-regions --request '{"regions":[{"code":"52","name":"Guizhou"},)"
          R"({"code":"5202","name":"Liupanshui"},{"code":"520221","name":"Shuicheng County"}]}')");
  ASSERT_EQ(r.exit, 0) << r.out;
  EXPECT_NE(r.out.find("request_id: ctl-"), std::string::npos)
      << "a request id is generated and shown";
  EXPECT_NE(r.out.find("created:"), std::string::npos) << r.out;

  r = run("personnel list-regions --parent_code 5202");
  ASSERT_EQ(r.exit, 0) << r.out;
  EXPECT_NE(r.out.find("CODE"), std::string::npos) << "a table with a header";
  EXPECT_NE(r.out.find("Shuicheng County"), std::string::npos) << r.out;

  r = run("personnel get-region --code 520221 --json");
  ASSERT_EQ(r.exit, 0) << r.out;
  EXPECT_NE(r.out.find("\"level\": \"REGION_LEVEL_COUNTY\""), std::string::npos) << r.out;

  r = run("personnel list-households --region_code 520221 --status registered_poor");
  EXPECT_EQ(r.exit, 0) << "short enum names work: " << r.out;
  r = run("personnel list-households --region_code 520221 --as_of 2018-03-01T00:00:00Z");
  EXPECT_EQ(r.exit, 0) << "a time flag in RFC 3339: " << r.out;
  EXPECT_EQ(run("personnel list-households --region_code 520221 --as_of 2018-03-01").exit, 2);

  r = run("personnel get-region --code 52a");
  EXPECT_EQ(r.exit, 1);
  EXPECT_NE(r.out.find("INVALID_ARGUMENT"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("code: must be"), std::string::npos)
      << "the field violation is shown: " << r.out;

  EXPECT_EQ(run("personnel no-such-method").exit, 2);
  EXPECT_EQ(run("personnel get-region --no_such_field 1").exit, 2);
  EXPECT_EQ(run("personnel list-households --status not_a_status").exit, 2);
  r = run("personnel --help");
  EXPECT_EQ(r.exit, 0);
  EXPECT_NE(r.out.find("pair-cadre-with-household"), std::string::npos)
      << "every RPC has a subcommand";
}

}  // namespace
}  // namespace tuopin
