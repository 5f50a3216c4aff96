#include "common/export.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/crypto.h"
#include "common/status.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::common {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// A nested message deeper than this is one JSON cell: the contracts nest two or three
// levels, and a recursive type must not flatten for ever.
constexpr int kMaxDepth = 4;

bool IsWellKnown(const Descriptor* d) {
  return d->full_name() == "google.protobuf.Timestamp" || d->full_name() == "tuopin.common.v1.Date";
}

bool Flattened(const FieldDescriptor* f, int depth) {
  return !f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         !IsWellKnown(f->message_type()) && depth < kMaxDepth;
}

void ColumnPaths(const Descriptor* d, const std::string& prefix, int depth,
                 std::vector<const FieldDescriptor*>& path, std::vector<ExportColumn>& out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    path.push_back(f);
    if (Flattened(f, depth)) {
      ColumnPaths(f->message_type(), prefix + f->name() + ".", depth + 1, path, out);
    } else {
      out.push_back({prefix + f->name(), path});
    }
    path.pop_back();
  }
}

void Columns(const Descriptor* d, const std::string& prefix, int depth,
             std::vector<std::string>& out) {
  std::vector<const FieldDescriptor*> path;
  std::vector<ExportColumn> columns;
  ColumnPaths(d, prefix, depth, path, columns);
  for (auto& c : columns) out.push_back(std::move(c.name));
}

std::string Json(const Message& m) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(m, &json);
  return json;
}

std::string WellKnownText(const Message& m) {
  if (m.GetDescriptor()->full_name() == "google.protobuf.Timestamp") {
    google::protobuf::Timestamp ts;
    ts.CopyFrom(m);
    return google::protobuf::util::TimeUtil::ToString(ts);
  }
  tuopin::common::v1::Date d;
  d.CopyFrom(m);
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

// The text of a scalar (index -1: singular).
ExportCell Scalar(const Message& m, const FieldDescriptor* f, int index) {
  const auto* r = m.GetReflection();
  bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string v = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      return {f->type() == FieldDescriptor::TYPE_BYTES ? HexEncode(v) : v, false};
    }
    case FieldDescriptor::CPPTYPE_INT32:
      return {absl::StrCat(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f)), true};
    case FieldDescriptor::CPPTYPE_INT64:
      return {absl::StrCat(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f)), true};
    case FieldDescriptor::CPPTYPE_UINT32:
      return {absl::StrCat(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f)), true};
    case FieldDescriptor::CPPTYPE_UINT64:
      return {absl::StrCat(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f)), true};
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return {absl::StrCat(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f)), true};
    case FieldDescriptor::CPPTYPE_FLOAT:
      return {absl::StrCat(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f)), true};
    case FieldDescriptor::CPPTYPE_BOOL:
      return {(rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false", false};
    case FieldDescriptor::CPPTYPE_ENUM:
      return {(rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f))->name(), false};
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& sub = rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f);
      if (IsWellKnown(f->message_type())) return {WellKnownText(sub), false};
      return {Json(sub), false};
    }
  }
  return {};
}

void Cells(const Message& m, int depth, std::vector<ExportCell>& out) {
  const Descriptor* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (Flattened(f, depth)) {
      if (r->HasField(m, f)) {
        Cells(r->GetMessage(m, f), depth + 1, out);
      } else {  // unset: empty cells, not its defaults (a year 0)
        std::vector<std::string> columns;
        Columns(f->message_type(), "", depth + 1, columns);
        out.resize(out.size() + columns.size());
      }
    } else if (f->is_repeated()) {
      int n = r->FieldSize(m, f);
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !IsWellKnown(f->message_type())) {
        std::vector<std::string> items;
        for (int k = 0; k < n; ++k) items.push_back(Scalar(m, f, k).text);
        out.push_back({n == 0 ? "" : absl::StrCat("[", absl::StrJoin(items, ","), "]"), false});
      } else {
        std::vector<std::string> items;
        for (int k = 0; k < n; ++k) items.push_back(Scalar(m, f, k).text);
        out.push_back({absl::StrJoin(items, "; "), false});
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !r->HasField(m, f)) {
      out.push_back({});
    } else {
      out.push_back(Scalar(m, f, -1));
    }
  }
}

bool IsMutating(const google::protobuf::MethodDescriptor* m) {
  return !m->options().HasExtension(tuopin::common::v1::policy) ||
         m->options().GetExtension(tuopin::common::v1::policy).mutating();
}

}  // namespace

absl::StatusOr<ExportFormat> ParseExportFormat(const std::string& name) {
  if (name == "csv") return ExportFormat::kCsv;
  if (name == "xlsx") return ExportFormat::kXlsx;
  return InvalidField("format", "must be csv or xlsx");
}

const char* ExportContentType(ExportFormat format) {
  return format == ExportFormat::kCsv
             ? "text/csv; charset=utf-8"
             : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
}

const char* ExportExtension(ExportFormat format) {
  return format == ExportFormat::kCsv ? "csv" : "xlsx";
}

absl::StatusOr<ExportShape> ExportShapeOf(const google::protobuf::MethodDescriptor* method,
                                          const std::string& rows) {
  if (IsMutating(method) || method->client_streaming() || method->server_streaming()) {
    return absl::FailedPreconditionError(
        absl::StrCat(method->full_name(), " is not a unary read: it cannot be exported"));
  }
  ExportShape shape;
  const Descriptor* out = method->output_type();
  std::vector<std::string> candidates;
  for (int i = 0; i < out->field_count(); ++i) {
    const FieldDescriptor* f = out->field(i);
    if (!f->is_repeated() || f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    candidates.push_back(f->name());
    if (rows.empty() || rows == f->name()) shape.rows = f;
  }
  if (!rows.empty() && shape.rows == nullptr) {
    return InvalidField(
        "rows", absl::StrCat("must be one of the repeated fields of ", out->full_name(), ": ",
                             absl::StrJoin(candidates, ", ")));
  }
  if (rows.empty() && candidates.size() > 1) {
    return InvalidField("rows", absl::StrCat(out->full_name(), " has several lists; name one: ",
                                             absl::StrJoin(candidates, ", ")));
  }
  shape.page_token = method->input_type()->FindFieldByName("page_token");
  shape.page_size = method->input_type()->FindFieldByName("page_size");
  shape.next_page_token = out->FindFieldByName("next_page_token");
  if (shape.page_token == nullptr || shape.next_page_token == nullptr) {
    shape.page_token = shape.next_page_token = nullptr;
  }
  return shape;
}

std::vector<std::string> ExportColumns(const Descriptor* row) {
  std::vector<std::string> out;
  Columns(row, "", 0, out);
  return out;
}

std::vector<ExportColumn> ExportColumnPaths(const Descriptor* row) {
  std::vector<const FieldDescriptor*> path;
  std::vector<ExportColumn> out;
  ColumnPaths(row, "", 0, path, out);
  return out;
}

std::vector<ExportCell> ExportRow(const Message& row) {
  std::vector<ExportCell> out;
  Cells(row, 0, out);
  return out;
}

bool SetFieldFromText(Message& msg, const FieldDescriptor* f, const std::string& value,
                      std::string* error) {
  const auto* r = msg.GetReflection();
  if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
    std::unique_ptr<Message> sub(r->GetMessageFactory()->GetPrototype(f->message_type())->New());
    if (!google::protobuf::util::JsonStringToMessage(value, sub.get()).ok()) {
      *error = absl::StrCat(f->name(), " needs JSON of ", f->message_type()->full_name());
      return false;
    }
    f->is_repeated() ? r->AddMessage(&msg, f)->CopyFrom(*sub)
                     : r->MutableMessage(&msg, f)->CopyFrom(*sub);
    return true;
  }
  auto bad = [&]() {
    *error = absl::StrCat(f->name(), ": '", value, "' is not a ", f->type_name());
    return false;
  };
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      f->is_repeated() ? r->AddString(&msg, f, value) : r->SetString(&msg, f, value);
      return true;
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(value, &v)) return bad();
      f->is_repeated() ? r->AddInt32(&msg, f, v) : r->SetInt32(&msg, f, v);
      return true;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(value, &v)) return bad();
      f->is_repeated() ? r->AddInt64(&msg, f, v) : r->SetInt64(&msg, f, v);
      return true;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (!absl::SimpleAtob(value, &v)) return bad();
      f->is_repeated() ? r->AddBool(&msg, f, v) : r->SetBool(&msg, f, v);
      return true;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      // Full names, or short ones without the enum's prefix: registered_poor.
      const auto* ev = f->enum_type()->FindValueByName(value);
      if (ev == nullptr) ev = f->enum_type()->FindValueByName(absl::AsciiStrToUpper(value));
      std::string unspecified = f->enum_type()->value(0)->name();  // X_UNSPECIFIED
      std::string prefix = unspecified.substr(0, unspecified.rfind("UNSPECIFIED"));
      if (ev == nullptr)
        ev = f->enum_type()->FindValueByName(prefix + absl::AsciiStrToUpper(value));
      if (ev == nullptr) {
        *error =
            absl::StrCat(f->name(), ": '", value, "' is not a value of ", f->enum_type()->name());
        return false;
      }
      f->is_repeated() ? r->AddEnum(&msg, f, ev) : r->SetEnum(&msg, f, ev);
      return true;
    }
    default:
      *error = absl::StrCat(f->name(), " cannot be set from text");
      return false;
  }
}

ExportRun::ExportRun(const google::protobuf::MethodDescriptor* method, ExportShape shape,
                     std::unique_ptr<Message> request, ExportFormat format, int64_t max_rows)
    : method_(method),
      shape_(shape),
      request_(std::move(request)),
      writer_(MakeTableWriter(format)),
      max_rows_(max_rows) {
  const FieldDescriptor* size = shape_.page_size;
  if (size != nullptr && size->cpp_type() == FieldDescriptor::CPPTYPE_INT32 &&
      request_->GetReflection()->GetInt32(*request_, size) == 0 &&
      size->options().HasExtension(tuopin::common::v1::limits)) {
    const auto& limits = size->options().GetExtension(tuopin::common::v1::limits);
    if (limits.has_max())
      request_->GetReflection()->SetInt32(request_.get(), size, static_cast<int32_t>(limits.max()));
  }
}

absl::StatusOr<bool> ExportRun::Step(Call call) {
  if (done_) return false;
  std::unique_ptr<Message> response(
      request_->GetReflection()->GetMessageFactory()->GetPrototype(method_->output_type())->New());
  if (absl::Status s = call(*request_, response.get()); !s.ok()) return s;
  const Descriptor* row_type =
      shape_.rows != nullptr ? shape_.rows->message_type() : method_->output_type();
  if (!header_written_) {
    std::vector<ExportCell> header;
    for (std::string& name : ExportColumns(row_type)) header.push_back({std::move(name), false});
    writer_->Row(header);
    header_written_ = true;
  }
  const auto* r = response->GetReflection();
  int n = shape_.rows != nullptr ? r->FieldSize(*response, shape_.rows) : 1;
  if (rows_ + n > max_rows_) {
    return absl::OutOfRangeError(absl::StrCat("the export has more than ", max_rows_,
                                              " rows; narrow it with the request's filters"));
  }
  for (int k = 0; k < n; ++k) {
    writer_->Row(ExportRow(shape_.rows != nullptr ? r->GetRepeatedMessage(*response, shape_.rows, k)
                                                  : *response));
  }
  rows_ += n;
  std::string next =
      shape_.next_page_token != nullptr ? r->GetString(*response, shape_.next_page_token) : "";
  if (!next.empty() && shape_.page_token->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    if (next == request_->GetReflection()->GetString(*request_, shape_.page_token)) {
      return absl::InternalError("the service returned the same page token twice");
    }
    request_->GetReflection()->SetString(request_.get(), shape_.page_token, next);
    return true;
  }
  writer_->Finish();
  done_ = true;
  return false;
}

}  // namespace tuopin::common
