#pragma once
// Time and id sources, injected so that logic and tests are deterministic.

#include <atomic>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tuopin::common {

// Appends "YYYY-MM-DD<separator>hh:mm:ss.ffffff", the time in UTC (log lines use 'T' and
// add 'Z'; DATETIME(6) literals use ' ').
void AppendUtcMicros(std::string* out, absl::Time t, char separator);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  static SystemClock* Get();
};

// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual std::string NewId() = 0;
};

// Time-ordered ids (UUIDv7 layout, 32 hex digits without dashes): rows inserted by id
// stay close together in InnoDB's clustered index.
class RandomIdGenerator final : public IdGenerator {
 public:
  explicit RandomIdGenerator(const Clock* clock = SystemClock::Get()) : clock_(clock) {}
  std::string NewId() override;

 private:
  const Clock* clock_;
};

// "<prefix>-000001", "<prefix>-000002", ...: for tests.
class SequentialIdGenerator final : public IdGenerator {
 public:
  explicit SequentialIdGenerator(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string NewId() override;

 private:
  std::string prefix_;
  std::atomic<int64_t> next_{1};
};

}  // namespace tuopin::common
