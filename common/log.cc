#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace tuopin::common {
namespace {
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};
constexpr const char* kLevelNames[] = {"debug", "info", "warning", "error"};
}  // namespace

void SetMinLogLevel(LogLevel level) { g_min_level = static_cast<int>(level); }

namespace {

// Appends `s` as a JSON string: runs of plain characters in one append.
void AppendJsonQuoted(std::string* out, absl::string_view s) {
  out->push_back('"');
  size_t plain = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        absl::StrAppendFormat(out, "\\u%04x", c);
    }
  }
  out->append(s.data() + plain, s.size() - plain);
  out->push_back('"');
}

}  // namespace

std::string JsonQuote(absl::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendJsonQuoted(&out, s);
  return out;
}

std::string FormatLogTime(absl::Time t) {
  std::string out;
  AppendUtcMicros(&out, t, 'T');
  out += 'Z';
  return out;
}

namespace {

std::string FormatLine(LogLevel level, absl::string_view message,
                       std::initializer_list<LogField> fields) {
  std::string line;
  line.reserve(160 + message.size());
  line += "{\"ts\":\"";
  AppendUtcMicros(&line, absl::Now(), 'T');
  line += 'Z';
  absl::StrAppend(&line, "\",\"level\":\"", kLevelNames[static_cast<int>(level)], "\",\"msg\":");
  AppendJsonQuoted(&line, message);
  for (const auto& [key, value] : fields) {
    line += ',';
    AppendJsonQuoted(&line, key);
    line += ':';
    AppendJsonQuoted(&line, value);
  }
  line += "}\n";
  return line;
}

// One writer thread drains queued lines in batches.
class AsyncWriter {
 public:
  static AsyncWriter& Get() {
    static AsyncWriter* w = new AsyncWriter();  // lives for the process
    return *w;
  }
  void Push(std::string line) {
    absl::MutexLock lock(&mu_);
    if (queue_.size() >= kMaxQueued) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(line));
  }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Writes what is queued now, on the caller's thread; returns once every line queued
  // before the call is written (a batch the writer took is finished first).
  void Flush() { TakeAndWrite(); }

 private:
  static constexpr size_t kMaxQueued = 65536;
  static constexpr size_t kBatch = 512;
  static constexpr absl::Duration kFlushEvery = absl::Milliseconds(50);
  AsyncWriter() {
    std::thread([this] {
      while (true) {
        {
          absl::MutexLock lock(&mu_);
          // Woken by a full batch or by time, never by each line: a wake-up per line
          // costs a busy server a thread switch per call.
          mu_.AwaitWithTimeout(
              absl::Condition(
                  +[](std::deque<std::string>* q) { return q->size() >= kBatch; }, &queue_),
              kFlushEvery);
        }
        TakeAndWrite();
      }
    }).detach();
  }
  void TakeAndWrite() {
    absl::MutexLock writing(&write_mu_);
    std::deque<std::string> batch;
    {
      absl::MutexLock lock(&mu_);
      batch.swap(queue_);
    }
    std::string out;
    for (const auto& l : batch) out += l;
    if (!out.empty()) {
      std::fwrite(out.data(), 1, out.size(), stderr);
      std::fflush(stderr);
    }
  }
  absl::Mutex write_mu_;  // held while a batch is taken and written
  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace

void Log(LogLevel level, absl::string_view message, std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < g_min_level.load(std::memory_order_relaxed)) return;
  std::string line = FormatLine(level, message, fields);
  // One fwrite per line keeps lines whole when threads log at once.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void LogAsync(LogLevel level, absl::string_view message, std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < g_min_level.load(std::memory_order_relaxed)) return;
  AsyncWriter::Get().Push(FormatLine(level, message, fields));
}

uint64_t DroppedAsyncLogLines() { return AsyncWriter::Get().dropped(); }

void FlushAsyncLog() { AsyncWriter::Get().Flush(); }

}  // namespace tuopin::common
