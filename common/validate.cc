#include "common/validate.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/region_code.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/util/time_util.h"
#include "google/protobuf/wire_format_lite.h"

namespace tuopin::common {

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    int n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    // The last continuation byte is at i + n.
    if (i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      unsigned char cc = s[i + k];
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

bool IsValidId(absl::string_view value) {
  if (value.empty() || value.size() > 64) return false;
  for (char c : value) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != ':' && c != '-') return false;
  }
  return true;
}

void ValidateId(absl::string_view field, absl::string_view value, FieldViolations& v,
                bool required) {
  if (value.empty()) {
    if (required) v.Add(std::string(field), "is required");
  } else if (!IsValidId(value)) {
    v.Add(std::string(field), "must be 1-64 characters of [A-Za-z0-9._:-]");
  }
}

void ValidateText(absl::string_view field, absl::string_view value, size_t min_bytes,
                  size_t max_bytes, FieldViolations& v) {
  if (!IsValidUtf8(value)) {
    v.Add(std::string(field), "must be valid UTF-8");
    return;
  }
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      v.Add(std::string(field), "must not contain control characters");
      return;
    }
  }
  if (value.size() < min_bytes) {
    v.Add(std::string(field),
          min_bytes == 1 ? "is required" : absl::StrCat("must be at least ", min_bytes, " bytes"));
  } else if (value.size() > max_bytes) {
    v.Add(std::string(field), absl::StrCat("must be at most ", max_bytes, " bytes"));
  }
}

bool IsRegionCode(absl::string_view code) {
  if (RegionLevelOf(code) == 0) return false;
  for (char c : code) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

void ValidateRegionCode(absl::string_view field, absl::string_view code, FieldViolations& v,
                        int min_len, int max_len) {
  if (code.empty()) {
    v.Add(std::string(field), "is required");
  } else if (!IsRegionCode(code)) {
    v.Add(std::string(field), "must be an administrative code of 2, 4, 6, 9 or 12 digits");
  } else if (static_cast<int>(code.size()) < min_len || static_cast<int>(code.size()) > max_len) {
    v.Add(std::string(field),
          absl::StrCat("must have between ", min_len, " and ", max_len, " digits here"));
  }
}

void ValidateEnum(absl::string_view field, int value, const google::protobuf::EnumDescriptor* desc,
                  FieldViolations& v) {
  if (value == 0) {
    v.Add(std::string(field), "is required (the UNSPECIFIED value is not accepted)");
  } else if (desc->FindValueByNumber(value) == nullptr) {
    v.Add(std::string(field), absl::StrCat("has an unknown value ", value));
  }
}

std::optional<absl::CivilDay> ValidateDate(absl::string_view field,
                                           const tuopin::common::v1::Date& date,
                                           FieldViolations& v) {
  if (date.year() < 2000 || date.year() > 2100 || date.month() < 1 || date.month() > 12 ||
      date.day() < 1 || date.day() > 31) {
    v.Add(std::string(field), "must be a date between 2000-01-01 and 2100-12-31");
    return std::nullopt;
  }
  absl::CivilDay day(date.year(), date.month(), date.day());
  if (day.month() != date.month() || day.day() != date.day()) {
    v.Add(std::string(field), absl::StrFormat("%04d-%02d-%02d is not a calendar day", date.year(),
                                              date.month(), date.day()));
    return std::nullopt;
  }
  return day;
}

std::optional<absl::Time> ValidateTimestamp(absl::string_view field,
                                            const google::protobuf::Timestamp& ts,
                                            FieldViolations& v) {
  // 2000-01-01 .. 2100-12-31.
  if (ts.seconds() < 946684800 || ts.seconds() > 4133980799 || ts.nanos() < 0 ||
      ts.nanos() > 999999999) {
    v.Add(std::string(field), "must be a time between 2000 and 2100");
    return std::nullopt;
  }
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(t));
}

tuopin::common::v1::Date ToDate(absl::CivilDay day) {
  tuopin::common::v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

absl::CivilDay FromDate(const tuopin::common::v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

absl::CivilDay ChinaDay(absl::Time t) {
  static const absl::TimeZone kChina = absl::FixedTimeZone(8 * 3600);
  return absl::ToCivilDay(t, kChina);
}

namespace {

constexpr int kMaxNesting = 64;

// false when the bytes are malformed; *found set to the first bad field's path.
bool ScanUtf8(const google::protobuf::Descriptor* type, absl::string_view wire, int depth,
              std::optional<std::string>* found) {
  using google::protobuf::FieldDescriptor;
  using google::protobuf::internal::WireFormatLite;
  if (depth > kMaxNesting) return false;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(wire.data()),
                                            static_cast<int>(wire.size()));
  std::vector<std::pair<int, int>> seen;  // occurrences of each repeated field so far
  while (uint32_t tag = in.ReadTag()) {
    const int number = static_cast<int>(WireFormatLite::GetTagFieldNumber(tag));
    const FieldDescriptor* field = type->FindFieldByNumber(number);
    const bool delimited =
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    if (field == nullptr || !delimited ||
        (field->type() != FieldDescriptor::TYPE_STRING &&
         field->type() != FieldDescriptor::TYPE_MESSAGE)) {
      if (!WireFormatLite::SkipField(&in, tag)) return false;
      continue;
    }
    uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return false;
    const size_t at = static_cast<size_t>(in.CurrentPosition());
    if (length > wire.size() - at || !in.Skip(static_cast<int>(length))) return false;
    const absl::string_view bytes = wire.substr(at, length);
    // The index of this occurrence of a repeated field; paths are built only when needed.
    int index = 0;
    if (field->is_repeated()) {
      auto it = std::find_if(seen.begin(), seen.end(), [&](auto& p) { return p.first == number; });
      if (it == seen.end()) it = seen.insert(seen.end(), {number, 0});
      index = it->second++;
    }
    auto path = [&] {
      return field->is_repeated() ? absl::StrCat(field->name(), "[", index, "]") : field->name();
    };
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (!IsValidUtf8(bytes)) {
        *found = path();
        return true;
      }
    } else {
      if (!ScanUtf8(field->message_type(), bytes, depth + 1, found)) return false;
      if (found->has_value()) {  // the path below this field, prefixed on the way out
        *found = absl::StrCat(path(), ".", **found);
        return true;
      }
    }
  }
  return in.ConsumedEntireMessage();
}

}  // namespace

std::optional<std::string> FindInvalidUtf8(const google::protobuf::Descriptor* type,
                                           absl::string_view wire) {
  std::optional<std::string> found;
  if (!ScanUtf8(type, wire, 0, &found)) return std::nullopt;
  return found;
}

}  // namespace tuopin::common
