// --group_commit_*: in their own object file, so that only the binaries whose stores write
// in groups (funds, tasks) link these flags and list them in --help.

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/server_flags.h"
#include "common/service_main.h"

ABSL_FLAG(int, group_commit_workers, 1,
          "Group commit of concurrent single-item writes (CreateTask, CreateTransfers of one"
          " transfer): how many groups are written at once; 0 writes every call alone.");
ABSL_FLAG(absl::Duration, group_commit_window, absl::ZeroDuration(),
          "How long the first call of a group waits for others to join it (0: a group is what"
          " arrived while the previous one was written). At most 10ms.");
ABSL_FLAG(int, group_commit_max_calls, 64, "The most calls written in one group (2 to 1024).");

namespace tuopin::common {

GroupCommitOptions GroupCommitFromFlags(const ServiceEnv& env) {
  const std::string& name = env.server.name;
  GroupCommitOptions o;
  o.workers = absl::GetFlag(FLAGS_group_commit_workers);
  o.window = absl::GetFlag(FLAGS_group_commit_window);
  o.max_calls = absl::GetFlag(FLAGS_group_commit_max_calls);
  if (o.workers < 0 || o.workers > 16)
    FailStartup(name, "--group_commit_workers must be between 0 and 16");
  if (o.window < absl::ZeroDuration() || o.window > absl::Milliseconds(10))
    FailStartup(name, "--group_commit_window must be between 0 and 10ms");
  if (o.max_calls < 2 || o.max_calls > 1024)
    FailStartup(name, "--group_commit_max_calls must be between 2 and 1024");
  // Every group holds a connection while it is written: at least half the pool stays for
  // the calls that run alone, the reads, the relay and the timers.
  if (2 * o.workers > env.pool->config().pool_size)
    FailStartup(name, absl::StrCat("--group_commit_workers (", o.workers,
                                   ") may be at most half the connection pool (",
                                   env.pool->config().pool_size, ", the DSN's pool=)"));
  return o;
}

}  // namespace tuopin::common
