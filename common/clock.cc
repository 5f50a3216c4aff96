#include "common/clock.h"

#include "absl/strings/str_format.h"
#include "common/crypto.h"

namespace tuopin::common {

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
