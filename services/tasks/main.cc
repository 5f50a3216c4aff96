// tuopin-tasks: the three-stage campaign, tasks in ten sectors, progress, verification, lag.

#include "absl/flags/flag.h"
#include "common/gateway_client.h"
#include "common/handler.h"
#include "common/periodic.h"
#include "common/server_flags.h"
#include "common/service_main.h"
#include "services/tasks/mysql_tasks_rollup.h"
#include "services/tasks/mysql_tasks_store.h"
#include "services/tasks/tasks_service.h"

ABSL_FLAG(absl::Duration, indicator_retry_interval, absl::Seconds(5),
          "How often owed household indicator updates are sent to personnel.");

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& TasksMigrations();
}

int main(int argc, char** argv) {
  using namespace tuopin;
  common::ServiceEnv env =
      common::InitService(argc, argv, "tasks", 50063, generated::TasksMigrations());
  if (!env.gateway) {
    common::FailStartup(
        "tasks", "--service_token_file is required: tasks asks personnel through the gateway");
  }
  common::GatewayPersonnelDirectory personnel(*env.gateway);
  common::RandomIdGenerator ids;
  common::PageTokenCodec tokens(env.page_token_key);
  tasks::MysqlTasksStore store(*env.pool, ids, common::GroupCommitFromFlags(env));
  tasks::TasksLogic logic(store, personnel, *common::SystemClock::Get(), tokens);
  const auto* descriptor = common::FindService(tasks::v1::TaskService::service_full_name());
  common::Authorizer authorizer(env.internal_key, descriptor, common::SystemClock::Get(),
                                env.digest_key);
  common::Handler handler("tasks", authorizer, *common::SystemClock::Get());
  auto service = tasks::NewTasksService(logic, handler);
  common::PeriodicTask indicators("indicator updates",
                                  absl::GetFlag(FLAGS_indicator_retry_interval),
                                  [&] { return logic.DeliverIndicatorUpdates().status(); });
  indicators.Start();
  tasks::MysqlSectorRollupStore rollup(*env.pool);
  absl::StatusOr<common::RollupOptions> rollup_flags = common::RollupOptionsFromFlags();
  if (!rollup_flags.ok()) common::FailStartup("tasks", std::string(rollup_flags.status().message()));
  common::RollupOptions rollup_options = *rollup_flags;
  logic.SetSectorRollup(&rollup, rollup_options);
  common::PeriodicTask rollups("sector roll-up", rollup_options.interval,
                               [&] { return logic.RefreshSectorRollup(); });
  rollups.Start();
  env.server.services = {service.get()};
  env.server.service_names = {descriptor->full_name()};
  env.server.on_stopping = [&indicators, &rollups] {
    indicators.Stop();
    rollups.Stop();
  };
  common::StartOutboxRelay(env);
  return common::RunServer(std::move(env.server));
}
