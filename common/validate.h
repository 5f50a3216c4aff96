#pragma once
// The checks the contract's field limits are made of (common/field_limits.h applies them
// from the descriptors) and that the services' cross-field rules reuse. Each appends a
// violation naming the field (AIP-193 BadRequest) instead of failing at the first, so a
// client sees every problem.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::common {

// 10^15 fen: the limit funds.proto declares on amounts (a unit test holds them equal).
inline constexpr int64_t kMaxAmountFen = 1'000'000'000'000'000;

bool IsValidUtf8(absl::string_view s);

// Scans the wire form of a message of `type` for a string field (at any depth) that is
// not valid UTF-8, and returns its path, e.g. "transfers[2].memo". The gateway runs it
// before forwarding, so such a request is INVALID_ARGUMENT naming the field instead of
// the backend parser's INTERNAL. nullopt when every string is valid, and also when the
// bytes are not a well-formed message (the backend then refuses them itself).
std::optional<std::string> FindInvalidUtf8(const google::protobuf::Descriptor* type,
                                           absl::string_view wire);

// An id as the services issue them or clients choose them: 1-64 of [A-Za-z0-9._:-].
bool IsValidId(absl::string_view value);
void ValidateId(absl::string_view field, absl::string_view value, FieldViolations& v,
                bool required = true);
// Valid UTF-8, without control characters other than newline and tab, between
// min_bytes and max_bytes long.
void ValidateText(absl::string_view field, absl::string_view value, size_t min_bytes,
                  size_t max_bytes, FieldViolations& v);
// Digits only, of one of the administrative lengths (2, 4, 6, 9, 12), restricted to
// [min_len, max_len].
bool IsRegionCode(absl::string_view code);
void ValidateRegionCode(absl::string_view field, absl::string_view code, FieldViolations& v,
                        int min_len = 2, int max_len = 12);
// A known, specified enum value.
void ValidateEnum(absl::string_view field, int value, const google::protobuf::EnumDescriptor* desc,
                  FieldViolations& v);
// year 2000-2100 and a real calendar day.
std::optional<absl::CivilDay> ValidateDate(absl::string_view field,
                                           const tuopin::common::v1::Date& date,
                                           FieldViolations& v);
std::optional<absl::Time> ValidateTimestamp(absl::string_view field,
                                            const google::protobuf::Timestamp& ts,
                                            FieldViolations& v);

google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);

tuopin::common::v1::Date ToDate(absl::CivilDay day);
absl::CivilDay FromDate(const tuopin::common::v1::Date& date);
// The calendar day of an instant in China Standard Time (UTC+8).
absl::CivilDay ChinaDay(absl::Time t);

}  // namespace tuopin::common
