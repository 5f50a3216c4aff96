#include "common/periodic.h"

#include "common/log.h"

namespace tuopin::common {

void PeriodicTask::Start() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    while (true) {
      absl::Status st = fn_();
      if (!st.ok()) LogWarning("periodic task failed", {{"task", name_}, {"error", st.ToString()}});
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
      if (stopping_) return;
    }
  });
}

void PeriodicTask::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace tuopin::common
