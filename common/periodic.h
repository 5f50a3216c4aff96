#pragma once
// Runs a function every interval on its own thread until stopped (sweepers, sequencers).
// A failing run is logged and retried at the next tick.

#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tuopin::common {

class PeriodicTask {
 public:
  PeriodicTask(std::string name, absl::Duration interval, std::function<absl::Status()> fn)
      : name_(std::move(name)), interval_(interval), fn_(std::move(fn)) {}
  ~PeriodicTask() { Stop(); }
  void Start();
  void Stop();

 private:
  std::string name_;
  absl::Duration interval_;
  std::function<absl::Status()> fn_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tuopin::common
