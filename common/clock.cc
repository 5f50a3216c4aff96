#include "common/clock.h"

#include "absl/strings/str_format.h"
#include "common/crypto.h"

namespace tuopin::common {

void AppendUtcMicros(std::string* out, absl::Time t, char separator) {
  // The civil date from the day number (H. Hinnant's civil_from_days): no time-zone
  // lookup, which costs more than the rest of a log line.
  int64_t us = absl::ToUnixMicros(t);
  int64_t secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
  int64_t micros = us - secs * 1000000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t sod = secs - days * 86400;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  absl::StrAppendFormat(out, "%04d-%02d-%02d%c%02d:%02d:%02d.%06d", year, month, day, separator,
                        sod / 3600, sod / 60 % 60, sod % 60, micros);
}

SystemClock* SystemClock::Get() {
  static SystemClock clock;
  return &clock;
}

std::string RandomIdGenerator::NewId() {
  std::string bytes = UniqueBytes(16);
  uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(clock_->Now()));
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<char>((ms >> (8 * (5 - i))) & 0xff);
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x70);  // version 7
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return HexEncode(bytes);
}

std::string SequentialIdGenerator::NewId() {
  return absl::StrFormat("%s-%06d", prefix_, next_.fetch_add(1));
}

}  // namespace tuopin::common
