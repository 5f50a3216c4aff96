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
#include "google/protobuf/message.h"
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

}  // namespace

namespace limits_internal {

// How a value of a message-typed field is checked.
enum class Kind : uint8_t { kScalar, kDate, kTimestamp, kSuite, kOtherMessage };

// What the walk needs to know of a field, read from its options once per message type.
struct MessagePlan;
struct FieldPlan {
  const FieldDescriptor* field;
  absl::string_view name;     // the field's, kept here as the walk reads it for every field
  const FieldLimits* limits;  // null: none declared
  bool output_only;
  bool in_oneof;
  bool repeated;
  FieldDescriptor::CppType cpp_type;
  Kind kind;
  // An enum whose values are exactly 0..n-1: n (a value is defined when below it);
  // otherwise 0, and the enum's descriptor is asked.
  int dense_values = 0;
  // A message of the suite's (tuopin.*, dates too): the plan of its type.
  const MessagePlan* sub = nullptr;
};
struct MessagePlan {
  // Only the fields a check can apply to: those with limits, and the messages that hold
  // some (a walk of a valid request does nothing for the rest, so it does not visit them).
  std::vector<FieldPlan> fields;
  const FieldDescriptor* mask = nullptr;  // an update's FieldMask, if the message has one
  // The generated message's reflection: its sub-messages are generated too, so the walk
  // takes theirs from their plans instead of asking each message.
  const Reflection* generated = nullptr;
  bool has_limits = false;  // a field of it, or of a message in it, declares limits
};

namespace {

int DenseValues(const google::protobuf::EnumDescriptor* e) {
  std::set<int> numbers;
  for (int i = 0; i < e->value_count(); ++i) numbers.insert(e->value(i)->number());
  const int n = static_cast<int>(numbers.size());
  return *numbers.begin() == 0 && *numbers.rbegin() == n - 1 ? n : 0;
}

using PlanMap = absl::flat_hash_map<const Descriptor*, std::unique_ptr<MessagePlan>>;

// Builds the plans of `d` and of the suite's messages in it, unfiltered, into `plans`.
MessagePlan* BuildPlan(const Descriptor* d, PlanMap& plans, std::vector<MessagePlan*>& fresh) {
  auto& slot = plans[d];
  if (slot != nullptr) return slot.get();
  slot = std::make_unique<MessagePlan>();
  MessagePlan* plan = slot.get();
  fresh.push_back(plan);
  const Message* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(d);
  if (prototype != nullptr) plan->generated = prototype->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const auto& options = f->options();
    FieldPlan fp{f,
                 f->name(),
                 options.HasExtension(v1::limits) ? &options.GetExtension(v1::limits) : nullptr,
                 options.GetExtension(v1::output_only),
                 f->real_containing_oneof() != nullptr,
                 f->is_repeated(),
                 f->cpp_type(),
                 Kind::kScalar};
    if (const auto* e = f->enum_type(); e != nullptr) fp.dense_values = DenseValues(e);
    if (const Descriptor* type = f->message_type(); type != nullptr) {
      fp.kind = type == tuopin::common::v1::Date::descriptor()      ? Kind::kDate
                : type == google::protobuf::Timestamp::descriptor() ? Kind::kTimestamp
                : absl::StartsWith(type->full_name(), "tuopin.")    ? Kind::kSuite
                                                                    : Kind::kOtherMessage;
      if (fp.kind == Kind::kDate || fp.kind == Kind::kSuite) fp.sub = BuildPlan(type, plans, fresh);
      if (type == google::protobuf::FieldMask::descriptor() && !f->is_repeated()) plan->mask = f;
    }
    plan->has_limits = plan->has_limits || fp.limits != nullptr;
    plan->fields.push_back(fp);
  }
  return plan;
}

}  // namespace

const MessagePlan& PlanOf(const Descriptor* d) {
  static absl::Mutex mu;
  static auto* plans = new PlanMap();
  absl::MutexLock lock(&mu);
  std::vector<MessagePlan*> fresh;
  const MessagePlan* plan = BuildPlan(d, *plans, fresh);
  // Which new plans hold limits somewhere below: to a fixed point, as types may nest in
  // a cycle.
  for (bool changed = true; changed;) {
    changed = false;
    for (MessagePlan* p : fresh) {
      if (p->has_limits) continue;
      for (const FieldPlan& fp : p->fields) {
        if (fp.sub != nullptr && fp.sub->has_limits) {
          p->has_limits = changed = true;
          break;
        }
      }
    }
  }
  // A field without limits is checked only for the limits inside its message (an
  // output-only one not even that).
  for (MessagePlan* p : fresh) {
    std::erase_if(p->fields, [](const FieldPlan& fp) {
      return fp.limits == nullptr && (fp.output_only || fp.sub == nullptr || !fp.sub->has_limits);
    });
  }
  return *plan;
}

}  // namespace limits_internal

namespace {

using limits_internal::FieldPlan;
using limits_internal::Kind;
using limits_internal::MessagePlan;

// Plans never change once built: each thread keeps its own index of them, so the walk of
// a request takes no lock. Keyed by the message's reflection, which names its type (asking
// a message for its descriptor costs as much again); only generated ones, which live as
// long as the program.
const MessagePlan& CachedPlanOf(const Message& m, const Reflection* r) {
  thread_local absl::flat_hash_map<const Reflection*, const MessagePlan*> known;
  if (auto it = known.find(r); it != known.end()) return *it->second;
  const MessagePlan& plan = limits_internal::PlanOf(m.GetDescriptor());
  if (plan.generated == r) known.emplace(r, &plan);
  return plan;
}

// The reflection of `sub`, a message in one `parent_r` reads.
const Reflection* ReflectionOf(const Message& sub, const MessagePlan& parent,
                               const Reflection* parent_r, const MessagePlan& plan) {
  if (parent_r == parent.generated && plan.generated != nullptr) return plan.generated;
  return sub.GetReflection();
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

void CheckEnum(const Path& path, int value, const FieldPlan& fp, const FieldLimits& l,
               FieldViolations& v) {
  if (!l.defined() || (l.optional() && value == 0)) return;
  const FieldDescriptor* f = fp.field;
  const bool defined = fp.dense_values > 0
                           ? value > 0 && value < fp.dense_values
                           : value != 0 && f->enum_type()->FindValueByNumber(value) != nullptr;
  if (!defined)
    Named(path, v, [&](FieldViolations& x) { ValidateEnum("", value, f->enum_type(), x); });
}

void CheckMessage(const Message& m, const Reflection* r, const MessagePlan& plan, const Path* at,
                  Scope scope, int depth, FieldViolations& v);

// A message-typed value: dates and instants by their rules, the suite's own messages by
// their fields, other well-known types (masks, durations) by the method's rules.
void CheckSubMessage(const Path& path, const Message& sub, const Reflection* sub_r,
                     const FieldPlan& fp, bool set, const FieldLimits* l, int depth,
                     FieldViolations& v) {
  switch (fp.kind) {
    case Kind::kDate: {
      if (l == nullptr || (l->optional() && !set)) return;
      tuopin::common::v1::Date date;
      date.CopyFrom(sub);
      Named(path, v, [&](FieldViolations& f) { ValidateDate("", date, f); });
      return;
    }
    case Kind::kTimestamp: {
      if (l == nullptr) return;
      if (!set) {
        if (l->required()) v.Add(path.str(), "is required");
        return;
      }
      google::protobuf::Timestamp ts;
      ts.CopyFrom(sub);
      Named(path, v, [&](FieldViolations& f) { ValidateTimestamp("", ts, f); });
      return;
    }
    case Kind::kSuite:
      if (l != nullptr && l->required() && !set) v.Add(path.str(), "is required");
      // An optional message left unset has no fields to check.
      if (l != nullptr && l->optional() && !set) return;
      CheckMessage(sub, sub_r, *fp.sub, &path, Scope{}, depth + 1, v);
      return;
    default:
      return;
  }
}

void CheckRepeated(const Message& m, const Reflection* r, const MessagePlan& plan,
                   const FieldPlan& fp, const Path& path, int depth, FieldViolations& v) {
  const FieldDescriptor* f = fp.field;
  const FieldLimits* l = fp.limits;
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
  if (fp.cpp_type != FieldDescriptor::CPPTYPE_MESSAGE && l == nullptr) return;
  // Elements the method checks one by one (`checked_by`: a bulk import refuses a bad row
  // alone, naming it, instead of the whole request).
  if (fp.cpp_type == FieldDescriptor::CPPTYPE_MESSAGE && l != nullptr && !l->checked_by().empty())
    return;
  std::set<std::string> seen;
  std::string scratch;
  for (int i = 0; i < checked; ++i) {
    const Path at{path.parent, path.name, i};
    switch (fp.cpp_type) {
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const Message& sub = r->GetRepeatedMessage(m, f, i);
        const Reflection* sub_r = fp.sub == nullptr ? nullptr : ReflectionOf(sub, plan, r, *fp.sub);
        CheckSubMessage(at, sub, sub_r, fp, true, nullptr, depth, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        const std::string& s = r->GetRepeatedStringReference(m, f, i, &scratch);
        CheckString(at, s, *l, v);
        if (l->unique() && !seen.insert(s).second) v.Add(at.str(), "is repeated");
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM:
        CheckEnum(at, r->GetRepeatedEnumValue(m, f, i), fp, *l, v);
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

void CheckMessage(const Message& m, const Reflection* r, const MessagePlan& plan, const Path* at,
                  Scope scope, int depth, FieldViolations& v) {
  if (depth > kMaxDepth) return;
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
      named = scope.Names(fp.name) && (l == nullptr || !l->immutable());
      if (fp.output_only ? l == nullptr : !named) continue;
    } else if (fp.output_only) {
      continue;
    }
    // Of a oneof, only the member that is set (or that an update names) has a value.
    if (fp.in_oneof && !named && !r->HasField(m, f)) continue;
    const Path path{at, fp.name};
    if (fp.repeated) {
      CheckRepeated(m, r, plan, fp, path, depth, v);
      continue;
    }
    switch (fp.cpp_type) {
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const Message& sub = r->GetMessage(m, f);
        const Reflection* sub_r = fp.sub == nullptr ? nullptr : ReflectionOf(sub, plan, r, *fp.sub);
        if (mask != nullptr && fp.sub != nullptr) {
          CheckMessage(sub, sub_r, *fp.sub, &path, Scope{true, mask}, depth + 1, v);
        } else {
          // Whether it is set matters only to its limits.
          const bool set = l != nullptr && r->HasField(m, f);
          CheckSubMessage(path, sub, sub_r, fp, set, l, depth, v);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING:
        if (l != nullptr) CheckString(path, r->GetStringReference(m, f, &scratch), *l, v);
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        if (l != nullptr) CheckEnum(path, r->GetEnumValue(m, f), fp, *l, v);
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
  const Reflection* r = request.GetReflection();
  CheckMessage(request, r, CachedPlanOf(request, r), nullptr, Scope{}, 0, v);
}

void limits_internal::CheckLimits(const Message& request, const MessagePlan& plan,
                                  FieldViolations& v) {
  const Reflection* r = plan.generated != nullptr ? plan.generated : request.GetReflection();
  CheckMessage(request, r, plan, nullptr, Scope{}, 0, v);
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

namespace {

void FindUnenforced(const Descriptor* d, std::set<const Descriptor*>& seen,
                    std::vector<std::string>& out) {
  if (!seen.insert(d).second) return;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const Descriptor* type = f->message_type();
    if (type != nullptr && absl::StartsWith(type->full_name(), "tuopin.") && !f->is_map()) {
      FindUnenforced(type, seen, out);
    }
    if (!f->options().HasExtension(v1::limits)) continue;
    const FieldLimits& l = f->options().GetExtension(v1::limits);
    auto report = [&](absl::string_view what) {
      out.push_back(absl::StrCat(d->full_name(), ".", f->name(), ": ", what));
    };
    // What applies to the field as a whole (the count of a repeated one) and what only
    // describes it (what an id refers to, who checks it, whether an update may change it)
    // are not checks of a value.
    FieldLimits element = l;
    element.clear_ref();
    element.clear_checked_by();
    element.clear_immutable();
    if (f->is_repeated()) {
      element.clear_min_items();
      element.clear_max_items();
      element.clear_unique();
    } else if (l.min_items() > 0 || l.max_items() > 0) {
      report("min_items/max_items on a single value");
    }
    if (f->is_map()) {
      if (element.ByteSizeLong() > 0) report("limits on a map's entries");
      continue;
    }
    if (l.unique() && !(f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_STRING))
      report("unique on a field other than a repeated string");
    const bool integer = f->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
                         f->cpp_type() == FieldDescriptor::CPPTYPE_INT64 ||
                         f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32;
    if ((element.has_min() || element.has_max()) && !integer)
      report("min/max on a field that is not a 32- or 64-bit integer (or uint32)");
    if (element.defined() && f->cpp_type() != FieldDescriptor::CPPTYPE_ENUM)
      report("defined on a field that is not an enum");
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        const auto format = element.format();
        if ((element.min_digits() > 0 || element.max_digits() > 0) &&
            format != FieldLimits::FORMAT_REGION_CODE) {
          report("digits on a field that is not a region code");
        }
        if ((element.min_len() > 0 || element.max_len() > 0) &&
            (format == FieldLimits::FORMAT_ID || format == FieldLimits::FORMAT_REGION_CODE ||
             format == FieldLimits::FORMAT_ENTITY_TYPE ||
             format == FieldLimits::FORMAT_REQUEST_ID)) {
          report("lengths on a format that fixes its own");
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const bool dated = type == tuopin::common::v1::Date::descriptor() ||
                           type == google::protobuf::Timestamp::descriptor();
        const bool suite = absl::StartsWith(type->full_name(), "tuopin.") && !dated;
        if (f->is_repeated()) {
          if (element.ByteSizeLong() > 0) report("limits on a repeated message's elements");
        } else if (!dated && !suite && element.ByteSizeLong() > 0) {
          report(absl::StrCat("limits on a ", type->full_name(), ", which the walk does not read"));
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM:
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
        break;
      default:
        if (element.ByteSizeLong() > 0) report("limits on a kind of field the walk does not check");
    }
  }
}

}  // namespace

std::vector<std::string> UnenforcedLimits(const Descriptor* type) {
  std::set<const Descriptor*> seen;
  std::vector<std::string> out;
  FindUnenforced(type, seen, out);
  return out;
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
