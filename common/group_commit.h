#pragma once
// Group commit of concurrent mutations (issue 23): single-item calls that arrive while
// others are being written are gathered into one transaction, each keeping its own
// answer, idempotency record and audit events, so that N concurrent callers cost the
// database one transaction and a few round trips instead of N.
//
//   GroupCommit<Input> group("CreateTask", pool, ids, options, body, alone);
//   group.Run(ctx, input, response);   // from the handler's thread; blocks until done
//
// A call waits at most `window` for others to join (none by default: the calls that arrive
// while a group is being written form the next one) and a group holds at most `max_calls`.
// `workers` groups are written at once, each on its own pooled connection.
//
// Only what the group body accepts is committed in a group. Everything else runs alone,
// in its caller's thread, through `alone` (the service's ordinary RunMutation path), after
// the group it was in has ended: a call the body refuses, whose audit event could not be
// logged, whose request id was already recorded (a retry, answered from its record), and
// every call of a group whose transaction failed as a whole. So a call's answer is what it
// would have been alone, and a failing call never fails another: each call set aside
// costs the others of its group one more writing of the group, at once (copies of one
// request id in a group are set aside before it is written, every unloggable call of an
// attempt at once), and a group that cannot commit sends its calls alone.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/db.h"
#include "common/mutation.h"

namespace prometheus {
class Counter;
}

namespace tuopin::common {

struct GroupCommitOptions {
  // Groups written at once; 0 turns group commit off (every call runs alone).
  int workers = 1;
  // How long the first call of a group waits for more while fewer than max_calls wait.
  absl::Duration window = absl::ZeroDuration();
  // The most calls in one group.
  int max_calls = 64;
};

// One call in a group, as the group body sees it.
struct GroupedCall {
  const MutationContext* ctx = nullptr;
  const void* input = nullptr;
  google::protobuf::Message* response = nullptr;
  // Set by the body. Not OK: the call is not part of this group (nothing of it may be
  // written); it then runs alone, which gives its real answer.
  absl::Status status;
  // Set by the body for an accepted call: the entities of each of its audit events.
  std::vector<EntityRefs> entities;
};

// What a group did, for tests and metrics.
struct GroupCommitStats {
  int64_t groups = 0;         // transactions that committed calls of a group
  int64_t grouped_calls = 0;  // calls committed in a group
  int64_t alone_calls = 0;    // calls run alone (refused, replays, failed groups, groups of one)
  int64_t failed_groups = 0;  // group transactions that failed as a whole
  int64_t largest_group = 0;
  int64_t waiting = 0;  // calls waiting for a group now
};

class GroupCommitEngine {
 public:
  // Decides every call of the group in order, in the group's transaction (each call sees
  // the writes of the ones before it), fills each accepted call's response and entities,
  // and writes what the accepted calls write; the engine then writes the calls' records
  // and events and commits, in one round trip. It may run more than once (retried
  // deadlocks, a call taken out), so it has no effects outside the transaction. A non-OK
  // status fails the group: every call then runs alone.
  using Body = std::function<absl::Status(DbSession&, std::vector<GroupedCall*>&)>;
  // Runs one call by itself: the ordinary mutation.
  using Alone = std::function<absl::Status(const MutationContext&, const void* input,
                                           google::protobuf::Message& response)>;

  GroupCommitEngine(std::string name, ConnectionPool& pool, IdGenerator& ids,
                    GroupCommitOptions options, Body body, Alone alone);
  ~GroupCommitEngine();  // writes the calls still waiting, then stops the workers
  GroupCommitEngine(const GroupCommitEngine&) = delete;
  GroupCommitEngine& operator=(const GroupCommitEngine&) = delete;

  absl::Status Run(const MutationContext& ctx, const void* input,
                   google::protobuf::Message& response);
  GroupCommitStats stats() const;

 private:
  struct Waiting {
    GroupedCall call;
    absl::Time enqueued;
    bool alone = false;
    absl::Notification done;
  };
  void Work();
  void Write(std::vector<Waiting*>& group);
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool CanGather() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string name_;
  ConnectionPool& pool_;
  IdGenerator& ids_;
  const GroupCommitOptions options_;
  const Body body_;
  const Alone alone_;
  mutable absl::Mutex mu_;
  std::deque<Waiting*> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool gathering_ ABSL_GUARDED_BY(mu_) = false;
  GroupCommitStats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_;
  // tuopin_group_commit_* of this method.
  prometheus::Counter* grouped_counter_ = nullptr;
  prometheus::Counter* alone_counter_ = nullptr;
  prometheus::Counter* groups_counter_ = nullptr;
  prometheus::Counter* failed_counter_ = nullptr;
};

// The same with the service's own input type.
template <typename Input>
class GroupCommit {
 public:
  using Body = std::function<absl::Status(DbSession&, std::vector<GroupedCall*>& calls)>;
  using Alone =
      std::function<absl::Status(const MutationContext&, const Input&, google::protobuf::Message&)>;
  GroupCommit(std::string name, ConnectionPool& pool, IdGenerator& ids, GroupCommitOptions options,
              Body body, Alone alone)
      : engine_(std::move(name), pool, ids, options, std::move(body),
                [alone = std::move(alone)](const MutationContext& ctx, const void* input,
                                           google::protobuf::Message& response) {
                  return alone(ctx, *static_cast<const Input*>(input), response);
                }) {}
  absl::Status Run(const MutationContext& ctx, const Input& input,
                   google::protobuf::Message& response) {
    return engine_.Run(ctx, &input, response);
  }
  // The input of a call the body is given.
  static const Input& InputOf(const GroupedCall& call) {
    return *static_cast<const Input*>(call.input);
  }
  GroupCommitStats stats() const { return engine_.stats(); }

 private:
  GroupCommitEngine engine_;
};

}  // namespace tuopin::common
