#include "common/field_limits.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <set>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/audit_event.h"
#include "common/validate.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/rpc/error_details.pb.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::common {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using tuopin::common::v1::FieldLimits;

constexpr char kBadRequestUrl[] = "type.googleapis.com/google.rpc.BadRequest";
constexpr int kMaxDepth = 16;

// Where a value is, built into a string only for a violation (the walk of a valid request
// allocates nothing for paths).
struct Path {
  const Path* parent;
  absl::string_view name;
  int index = -1;  // name[index] for an element of a repeated field

  std::string str() const {
    std::string out = parent == nullptr ? "" : parent->str();
    if (!out.empty()) out += ".";
    out.append(name.data(), name.size());
    if (index >= 0) absl::StrAppend(&out, "[", index, "]");
    return out;
  }
};

// Runs a check of common/validate.h against a value and names its violations by the path.
template <typename Check>
void Named(const Path& path, FieldViolations& v, Check check) {
  FieldViolations found;
  check(found);
  if (found.empty()) return;
  const std::string at = path.str();
  for (const auto& [field, description] : found.violations()) v.Add(at, description);
}

// What the walk needs to know of a field, read from its options once per message type.
struct FieldPlan {
  const FieldDescriptor* field;
  const FieldLimits* limits;  // null: none declared
  bool output_only;
};
struct MessagePlan {
  std::vector<FieldPlan> fields;
  const FieldDescriptor* mask = nullptr;  // an update's FieldMask, if the message has one
};

const MessagePlan& BuildPlanOf(const Descriptor* d) {
  static absl::Mutex mu;
  static auto* plans = new absl::flat_hash_map<const Descriptor*, std::unique_ptr<MessagePlan>>();
  absl::MutexLock lock(&mu);
  auto& plan = (*plans)[d];
  if (plan == nullptr) {
    plan = std::make_unique<MessagePlan>();
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      const auto& options = f->options();
      plan->fields.push_back(
          {f, options.HasExtension(v1::limits) ? &options.GetExtension(v1::limits) : nullptr,
           options.GetExtension(v1::output_only)});
      if (f->message_type() == google::protobuf::FieldMask::descriptor() && !f->is_repeated())
        plan->mask = f;
    }
  }
  return *plan;
}

// Plans never change once built: each thread keeps its own index of them, so the walk of
// a request takes no lock.
const MessagePlan& PlanOf(const Descriptor* d) {
  thread_local absl::flat_hash_map<const Descriptor*, const MessagePlan*> known;
  auto [it, inserted] = known.try_emplace(d, nullptr);
  if (inserted) it->second = &BuildPlanOf(d);
  return *it->second;
}

// Which fields of a message the walk looks at: all of them, or in a message under an
// update mask only the named ones (and the identifying output-only ones).
struct Scope {
  bool update = false;
  const google::protobuf::RepeatedPtrField<std::string>* mask = nullptr;

  bool Names(absl::string_view field) const {
    for (const auto& p : *mask) {
      if (p == field ||
          (absl::StartsWith(p, field) && p.size() > field.size() && p[field.size()] == '.')) {
        return true;
      }
    }
    return false;
  }
};

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

std::string Lengths(const FieldLimits& l, absl::string_view unit) {
  if (l.min_len() == l.max_len()) return absl::StrCat(l.max_len(), " ", unit);
  return absl::StrCat(l.min_len(), "-", l.max_len(), " ", unit);
}

// Text as ValidateText takes it: valid UTF-8, no control characters but newline and tab.
bool IsPlainText(absl::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
  }
  return IsValidUtf8(s);
}

void CheckString(const Path& path, const std::string& s, const FieldLimits& l, FieldViolations& v) {
  if (!l.checked_by().empty() || (l.optional() && s.empty())) return;
  const size_t max_len = l.max_len() == 0 ? std::numeric_limits<size_t>::max() : l.max_len();
  switch (l.format()) {
    case FieldLimits::FORMAT_TEXT:
    case FieldLimits::FORMAT_ABSOLUTE_URI:
      if (s.size() < l.min_len() || s.size() > max_len || !IsPlainText(s)) {
        Named(path, v, [&](FieldViolations& f) { ValidateText("", s, l.min_len(), max_len, f); });
      }
      if (l.format() == FieldLimits::FORMAT_ABSOLUTE_URI && !s.empty() &&
          s.find("://") == std::string::npos) {
        v.Add(path.str(), "must be an absolute URI");
      }
      if (l.single_line() && s.find('\n') != std::string::npos)
        v.Add(path.str(), "must be one line");
      return;
    case FieldLimits::FORMAT_ID:
      if (!IsValidId(s)) Named(path, v, [&](FieldViolations& f) { ValidateId("", s, f); });
      return;
    case FieldLimits::FORMAT_REQUEST_ID:
      if (s.empty()) {
        v.Add(path.str(), "is required: a unique id per request, reused only for retries");
      } else if (!IsValidId(s)) {
        v.Add(path.str(), "must be 1-64 characters of [A-Za-z0-9._:-]");
      }
      return;
    case FieldLimits::FORMAT_REGION_CODE: {
      const int lo = l.min_digits() == 0 ? 2 : static_cast<int>(l.min_digits());
      const int hi = l.max_digits() == 0 ? 12 : static_cast<int>(l.max_digits());
      const int n = static_cast<int>(s.size());
      if (!IsRegionCode(s) || n < lo || n > hi)
        Named(path, v, [&](FieldViolations& f) { ValidateRegionCode("", s, f, lo, hi); });
      return;
    }
    case FieldLimits::FORMAT_LOWER_HEX:
      if (s.size() < l.min_len() || s.size() > max_len || s.size() % 2 != 0 || !IsLowerHex(s))
        v.Add(path.str(), absl::StrCat("must be ", Lengths(l, "lower-case hex characters")));
      return;
    case FieldLimits::FORMAT_ENTITY_TYPE:
      if (!IsEntityType(s))
        Named(path, v, [&](FieldViolations& f) { ValidateEntityType("", s, f); });
      return;
    case FieldLimits::FORMAT_EMPLOYEE_NUMBER: {
      bool ok = s.size() >= l.min_len() && s.size() <= max_len;
      for (char c : s) ok = ok && (absl::ascii_isalnum(c) || c == '-');
      if (!ok)
        v.Add(path.str(), absl::StrCat("must be ", Lengths(l, "characters of [A-Za-z0-9-]")));
      return;
    }
    case FieldLimits::FORMAT_OPAQUE:
      if (s.size() < l.min_len() || s.size() > max_len) {
        v.Add(path.str(), l.min_len() == 0 ? absl::StrCat("must be at most ", max_len, " bytes")
                                           : absl::StrCat("must be ", Lengths(l, "bytes")));
      }
      return;
    default:
      v.Add(path.str(), "has limits of an unknown format");
  }
}

void CheckInteger(const Path& path, int64_t value, const FieldLimits& l, FieldViolations& v) {
  if (!l.has_min() && !l.has_max()) return;
  if (l.optional() && value == 0) return;
  const int64_t min = l.has_min() ? l.min() : std::numeric_limits<int64_t>::min();
  const int64_t max = l.has_max() ? l.max() : std::numeric_limits<int64_t>::max();
  if (value < min || value > max)
    v.Add(path.str(), absl::StrCat("must be between ", min, " and ", max));
}

void CheckEnum(const Path& path, int value, const FieldDescriptor* f, const FieldLimits& l,
               FieldViolations& v) {
  if (!l.defined() || (l.optional() && value == 0)) return;
  if (value == 0 || f->enum_type()->FindValueByNumber(value) == nullptr)
    Named(path, v, [&](FieldViolations& x) { ValidateEnum("", value, f->enum_type(), x); });
}

void CheckMessage(const Message& m, const Path* at, Scope scope, int depth, FieldViolations& v);

// A message-typed value: dates and instants by their rules, the suite's own messages by
// their fields, other well-known types (masks, durations) by the method's rules.
void CheckSubMessage(const Path& path, const Message& sub, bool set, const FieldLimits* l,
                     int depth, FieldViolations& v) {
  const Descriptor* type = sub.GetDescriptor();
  if (type == tuopin::common::v1::Date::descriptor()) {
    if (l == nullptr || (l->optional() && !set)) return;
    tuopin::common::v1::Date date;
    date.CopyFrom(sub);
    Named(path, v, [&](FieldViolations& f) { ValidateDate("", date, f); });
  } else if (type == google::protobuf::Timestamp::descriptor()) {
    if (l == nullptr) return;
    if (!set) {
      if (l->required()) v.Add(path.str(), "is required");
      return;
    }
    google::protobuf::Timestamp ts;
    ts.CopyFrom(sub);
    Named(path, v, [&](FieldViolations& f) { ValidateTimestamp("", ts, f); });
  } else if (absl::StartsWith(type->full_name(), "tuopin.")) {
    if (l != nullptr && l->required() && !set) v.Add(path.str(), "is required");
    CheckMessage(sub, &path, Scope{}, depth + 1, v);
  }
}

void CheckRepeated(const Message& m, const FieldPlan& plan, const Path& path, int depth,
                   FieldViolations& v) {
  const FieldDescriptor* f = plan.field;
  const FieldLimits* l = plan.limits;
  const Reflection* r = m.GetReflection();
  const int count = r->FieldSize(m, f);
  int checked = count;
  if (l != nullptr) {
    const int min = static_cast<int>(l->min_items()), max = static_cast<int>(l->max_items());
    if (count < min || (max > 0 && count > max)) {
      v.Add(path.str(), min > 0 && max > 0 ? absl::StrCat("must hold ", min, "-", max, " items")
                        : max > 0          ? absl::StrCat("must hold at most ", max, " items")
                                           : absl::StrCat("must hold at least ", min, " items"));
    }
    if (max > 0 && checked > max) checked = max;
  }
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE && l == nullptr) return;
  std::set<std::string> seen;
  std::string scratch;
  for (int i = 0; i < checked; ++i) {
    const Path at{path.parent, path.name, i};
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE:
        CheckSubMessage(at, r->GetRepeatedMessage(m, f, i), true, nullptr, depth, v);
        break;
      case FieldDescriptor::CPPTYPE_STRING: {
        const std::string& s = r->GetRepeatedStringReference(m, f, i, &scratch);
        CheckString(at, s, *l, v);
        if (l->unique() && !seen.insert(s).second) v.Add(at.str(), "is repeated");
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM:
        CheckEnum(at, r->GetRepeatedEnumValue(m, f, i), f, *l, v);
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        CheckInteger(at, r->GetRepeatedInt32(m, f, i), *l, v);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        CheckInteger(at, r->GetRepeatedInt64(m, f, i), *l, v);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        CheckInteger(at, r->GetRepeatedUInt32(m, f, i), *l, v);
        break;
      default:
        break;
    }
  }
}

void CheckMessage(const Message& m, const Path* at, Scope scope, int depth, FieldViolations& v) {
  if (depth > kMaxDepth) return;
  const MessagePlan& plan = PlanOf(m.GetDescriptor());
  const Reflection* r = m.GetReflection();
  // An update request: the message beside the mask is checked under it.
  const google::protobuf::RepeatedPtrField<std::string>* mask = nullptr;
  if (plan.mask != nullptr) {
    mask = &static_cast<const google::protobuf::FieldMask&>(r->GetMessage(m, plan.mask)).paths();
  }
  std::string scratch;
  for (const FieldPlan& fp : plan.fields) {
    const FieldDescriptor* f = fp.field;
    const FieldLimits* l = fp.limits;
    bool named = false;
    if (scope.update) {
      // An immutable field an update names is the method's to refuse (the path), not a value.
      named = scope.Names(f->name()) && (l == nullptr || !l->immutable());
      if (fp.output_only ? l == nullptr : !named) continue;
    } else if (fp.output_only) {
      continue;
    }
    // Of a oneof, only the member that is set (or that an update names) has a value.
    if (f->real_containing_oneof() != nullptr && !named && !r->HasField(m, f)) continue;
    const Path path{at, f->name()};
    if (f->is_repeated()) {
      CheckRepeated(m, fp, path, depth, v);
      continue;
    }
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const Message& sub = r->GetMessage(m, f);
        if (mask != nullptr && absl::StartsWith(sub.GetDescriptor()->full_name(), "tuopin.")) {
          CheckMessage(sub, &path, Scope{true, mask}, depth + 1, v);
        } else {
          CheckSubMessage(path, sub, r->HasField(m, f), l, depth, v);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING:
        if (l != nullptr) CheckString(path, r->GetStringReference(m, f, &scratch), *l, v);
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        if (l != nullptr) CheckEnum(path, r->GetEnumValue(m, f), f, *l, v);
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        if (l != nullptr) CheckInteger(path, r->GetInt32(m, f), *l, v);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        if (l != nullptr) CheckInteger(path, r->GetInt64(m, f), *l, v);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        if (l != nullptr) CheckInteger(path, r->GetUInt32(m, f), *l, v);
        break;
      default:
        break;
    }
  }
}

}  // namespace

void CheckLimits(const Message& request, FieldViolations& v) {
  CheckMessage(request, nullptr, Scope{}, 0, v);
}

absl::Status ValidateLimits(const Message& request) {
  FieldViolations v;
  CheckLimits(request, v);
  return v.ToStatus();
}

std::vector<const google::protobuf::ServiceDescriptor*> ContractServices() {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::vector<std::string> files;
  google::protobuf::DescriptorPool::internal_generated_database()->FindAllFileNames(&files);
  std::sort(files.begin(), files.end());
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const auto& name : files) {
    if (!absl::StartsWith(name, "tuopin/")) continue;
    const auto* file = pool->FindFileByName(name);
    for (int i = 0; file != nullptr && i < file->service_count(); ++i) {
      services.push_back(file->service(i));
    }
  }
  std::sort(services.begin(), services.end(),
            [](auto* a, auto* b) { return a->full_name() < b->full_name(); });
  return services;
}

absl::Status MergeRuleViolations(const absl::Status& rules, FieldViolations& v) {
  if (rules.ok()) return absl::OkStatus();
  auto payload = rules.GetPayload(kBadRequestUrl);
  google::rpc::BadRequest bad;
  if (!payload.has_value() || !bad.ParseFromString(std::string(*payload))) return rules;
  std::set<std::string> named;
  for (const auto& [field, description] : v.violations()) named.insert(field);
  for (const auto& fv : bad.field_violations()) {
    if (named.count(fv.field()) == 0) v.Add(fv.field(), fv.description());
  }
  return absl::OkStatus();
}

}  // namespace tuopin::common
