// tuopin-personnel: regions, households, cadres, postings, pairings, check-ins, coverage,
// and the exit from poverty (ExitService, ExitCriteriaService).

#include "absl/flags/flag.h"
#include "common/handler.h"
#include "common/periodic.h"
#include "common/pii_crypto.h"
#include "common/service_main.h"
#include "services/personnel/exit_criteria_service.h"
#include "services/personnel/exit_service.h"
#include "services/personnel/mysql_exit_criteria_store.h"
#include "services/personnel/mysql_exit_store.h"
#include "services/personnel/mysql_personnel_store.h"
#include "services/personnel/personnel_service.h"

ABSL_FLAG(int, pairing_limit, 10, "Most households one cadre may answer for (1-100).");
ABSL_FLAG(std::string, pii_key_file, "",
          "Key file of the members' personal data (id-card numbers, phones): lines \"<key id> "
          "<64 hex>\", the last one current (docs/OPERATIONS.md \"Personal data keys\"). "
          "Required.");
ABSL_FLAG(absl::Duration, coverage_refresh_interval, absl::Seconds(30),
          "How often the per-village coverage summary (counts_only answers) is recomputed.");
ABSL_FLAG(absl::Duration, coverage_refresh_max_skip, absl::Minutes(10),
          "A coverage refresh is skipped while nothing was written since the last one, for at "
          "most this long (stale check-ins move with time alone); 0 never skips (0-24h).");
ABSL_FLAG(absl::Duration, coverage_change_overlap, absl::Seconds(60),
          "How far before the last coverage refresh a write still counts as new (a write "
          "committing later than this after its call arrived waits for the next unskipped "
          "refresh) (1s-24h).");

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& PersonnelMigrations();
}

int main(int argc, char** argv) {
  using namespace tuopin;
  common::ServiceEnv env =
      common::InitService(argc, argv, "personnel", 50061, generated::PersonnelMigrations());
  int limit = absl::GetFlag(FLAGS_pairing_limit);
  if (limit < 1 || limit > 100) {
    std::fprintf(stderr, "tuopin-personnel: --pairing_limit must be 1-100\n");
    return 2;
  }
  absl::Duration max_skip = absl::GetFlag(FLAGS_coverage_refresh_max_skip);
  absl::Duration overlap = absl::GetFlag(FLAGS_coverage_change_overlap);
  if (max_skip < absl::ZeroDuration() || max_skip > absl::Hours(24) ||
      overlap < absl::Seconds(1) || overlap > absl::Hours(24)) {
    std::fprintf(stderr,
                 "tuopin-personnel: --coverage_refresh_max_skip must be 0-24h and "
                 "--coverage_change_overlap 1s-24h\n");
    return 2;
  }
  std::string pii_key_file = absl::GetFlag(FLAGS_pii_key_file);
  if (pii_key_file.empty()) {
    std::fprintf(stderr,
                 "tuopin-personnel: --pii_key_file (TUOPIN_PII_KEY_FILE) is required: the key "
                 "file of the members' personal data\n");
    return 2;
  }
  absl::StatusOr<common::PiiKeyRing> pii = common::PiiKeyRing::FromFile(pii_key_file);
  if (!pii.ok()) {
    std::fprintf(stderr, "tuopin-personnel: --pii_key_file: %s\n",
                 std::string(pii.status().message()).c_str());
    return 2;
  }
  common::RandomIdGenerator ids;
  common::PageTokenCodec tokens(env.page_token_key);
  personnel::MysqlPersonnelStore store(*env.pool, ids, &*pii);
  // Households stored before history was kept get their first version (schema/006).
  if (absl::StatusOr<int> begun = store.BackfillHouseholdVersions(); !begun.ok()) {
    std::fprintf(stderr, "tuopin-personnel: household history backfill: %s\n",
                 std::string(begun.status().message()).c_str());
    return 1;
  }
  personnel::PersonnelLogic logic(store, *common::SystemClock::Get(), tokens,
                                  personnel::PersonnelConfig{
                                      .pairing_limit = limit,
                                      .coverage_overlap = overlap,
                                      .coverage_max_skip = max_skip});
  // Members' personal data never reaches a request digest (personnel_logic.h).
  common::ServiceFrame frame(env, "personnel", personnel::v1::PersonnelService::service_full_name(),
                             personnel::MemberDigestForm(*pii));
  auto service = personnel::NewPersonnelService(logic, frame.handler());

  // The exit services, each in its own frame.
  personnel::MysqlExitCriteriaStore criteria_store(*env.pool, ids);
  personnel::ExitCriteriaLogic criteria_logic(criteria_store);
  common::ServiceFrame criteria_frame(env, "personnel",
                                      personnel::v1::ExitCriteriaService::service_full_name());
  auto criteria_service =
      personnel::NewExitCriteriaService(criteria_logic, criteria_frame.handler());

  personnel::MysqlExitStore exit_store(*env.pool, ids, &*pii);
  personnel::ExitLogic exit_logic(store, exit_store, criteria_store, *common::SystemClock::Get(),
                                  tokens);
  common::ServiceFrame exit_frame(env, "personnel",
                                  personnel::v1::ExitService::service_full_name());
  auto exit_service = personnel::NewExitService(exit_logic, exit_frame.handler());

  common::PeriodicTask coverage("coverage summary", absl::GetFlag(FLAGS_coverage_refresh_interval),
                                [&] { return logic.RefreshCoverageSummary(); });
  coverage.Start();
  env.server.services = {service.get(), exit_service.get(), criteria_service.get()};
  env.server.service_names = {frame.full_name(), exit_frame.full_name(),
                              criteria_frame.full_name()};
  env.server.on_stopping = [&coverage] { coverage.Stop(); };
  common::StartOutboxRelay(env);
  return common::RunServer(std::move(env.server));
}
