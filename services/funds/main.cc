// tuopin-funds: the double-entry ledger from budget source to village project.

#include "absl/flags/flag.h"
#include "common/handler.h"
#include "common/periodic.h"
#include "common/server_flags.h"
#include "common/service_main.h"
#include "common/task_client.h"
#include "services/funds/funds_service.h"
#include "services/funds/mysql_funds_rollup.h"
#include "services/funds/mysql_funds_store.h"

ABSL_FLAG(absl::Duration, sweep_interval, absl::Seconds(1),
          "How often expired pending transfers are voided.");
ABSL_FLAG(int, rollup_idle_days, 30,
          "The idle period (days, 1-3650) whose idle money the utilisation roll-up keeps "
          "(GetUtilization from_summary with that idle_older_than_days; the scorecard's is 30).");

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& FundsMigrations();
}

int main(int argc, char** argv) {
  using namespace tuopin;
  common::ServiceEnv env =
      common::InitService(argc, argv, "funds", 50062, generated::FundsMigrations());
  common::RandomIdGenerator ids;
  common::PageTokenCodec tokens(env.page_token_key);
  funds::MysqlFundsStore store(*env.pool, ids, common::GroupCommitFromFlags(env));
  std::unique_ptr<common::GatewayTaskClient> tasks;
  if (env.gateway) tasks = std::make_unique<common::GatewayTaskClient>(*env.gateway);
  funds::FundsLogic logic(store, *common::SystemClock::Get(), tokens, tasks.get());
  const auto* descriptor = common::FindService(funds::v1::FundsService::service_full_name());
  common::Authorizer authorizer(env.internal_key, descriptor, common::SystemClock::Get(),
                                env.digest_key);
  common::Handler handler("funds", authorizer, *common::SystemClock::Get());
  auto service = funds::NewFundsService(logic, handler);
  common::PeriodicTask sweeper("pending-transfer sweeper", absl::GetFlag(FLAGS_sweep_interval),
                               [&] { return logic.SweepExpired(ids).status(); });
  sweeper.Start();
  int idle_days = absl::GetFlag(FLAGS_rollup_idle_days);
  if (idle_days < 1 || idle_days > 3650) {
    common::FailStartup("funds", "--rollup_idle_days must be 1-3650");
  }
  funds::MysqlUtilizationRollupStore rollup(*env.pool);
  absl::StatusOr<common::RollupOptions> rollup_flags = common::RollupOptionsFromFlags();
  if (!rollup_flags.ok()) common::FailStartup("funds", std::string(rollup_flags.status().message()));
  common::RollupOptions rollup_options = *rollup_flags;
  logic.SetUtilizationRollup(&rollup, rollup_options, idle_days);
  common::PeriodicTask rollups("utilization roll-up", rollup_options.interval,
                               [&] { return logic.RefreshUtilizationRollup(); });
  rollups.Start();
  env.server.services = {service.get()};
  env.server.service_names = {descriptor->full_name()};
  env.server.on_stopping = [&sweeper, &rollups] {
    sweeper.Stop();
    rollups.Stop();
  };
  common::StartOutboxRelay(env);
  return common::RunServer(std::move(env.server));
}
