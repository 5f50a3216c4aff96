// The reader of the export's CSV (common/export.h): the inverse of CsvWriter and ExportRow.

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "common/crypto.h"
#include "common/export.h"
#include "google/protobuf/util/json_util.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::common {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

absl::Status At(int line, int column, absl::string_view name, absl::string_view why) {
  return absl::InvalidArgumentError(
      name.empty() ? absl::StrCat("line ", line, ", column ", column, ": ", why)
                   : absl::StrCat("line ", line, ", column ", column, " (", name, "): ", why));
}

// The text the writer guarded: the writer guards every text that begins with a quote, so
// one leading quote is always the guard's.
std::string Unguarded(std::string v) {
  if (!v.empty() && v[0] == '\'') v.erase(0, 1);
  return v;
}

// YYYY-MM-DD, zero-padded, as ExportRow writes a Date, and a day of the calendar.
bool ParseDate(absl::string_view text, tuopin::common::v1::Date& d) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  int y = 0, m = 0, day = 0;
  if (!absl::SimpleAtoi(text.substr(0, 4), &y) || !absl::SimpleAtoi(text.substr(5, 2), &m) ||
      !absl::SimpleAtoi(text.substr(8, 2), &day)) {
    return false;
  }
  // CivilDay normalizes an impossible day (02-30 becomes 03-02): a real one is unchanged.
  const absl::CivilDay civil(y, m, day);
  if (y < 1 || civil.year() != y || civil.month() != m || civil.day() != day) return false;
  d.set_year(y);
  d.set_month(m);
  d.set_day(day);
  return true;
}

// Sets (or, for a repeated field, adds) one value of `f` in `m` from its cell text.
bool SetOne(Message& m, const FieldDescriptor* f, const std::string& text) {
  const auto* r = m.GetReflection();
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    Message* sub = f->is_repeated() ? r->AddMessage(&m, f) : r->MutableMessage(&m, f);
    if (f->message_type()->full_name() == "tuopin.common.v1.Date") {
      tuopin::common::v1::Date d;
      if (!ParseDate(text, d)) return false;
      sub->CopyFrom(d);
      return true;
    }
    // A Timestamp's JSON is its RFC 3339 text in quotes; any other message is JSON.
    std::string json = f->message_type()->full_name() == "google.protobuf.Timestamp"
                           ? absl::StrCat("\"", text, "\"")
                           : text;
    return google::protobuf::util::JsonStringToMessage(json, sub).ok();
  }
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!absl::SimpleAtoi(text, &v)) return false;
      f->is_repeated() ? r->AddUInt32(&m, f, v) : r->SetUInt32(&m, f, v);
      return true;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(text, &v)) return false;
      f->is_repeated() ? r->AddUInt64(&m, f, v) : r->SetUInt64(&m, f, v);
      return true;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      if (!absl::SimpleAtod(text, &v)) return false;
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        f->is_repeated() ? r->AddFloat(&m, f, static_cast<float>(v))
                         : r->SetFloat(&m, f, static_cast<float>(v));
      } else {
        f->is_repeated() ? r->AddDouble(&m, f, v) : r->SetDouble(&m, f, v);
      }
      return true;
    }
    case FieldDescriptor::CPPTYPE_STRING:
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        std::optional<std::string> bytes = HexDecode(text);
        if (!bytes.has_value()) return false;
        f->is_repeated() ? r->AddString(&m, f, *bytes) : r->SetString(&m, f, *bytes);
        return true;
      }
      [[fallthrough]];
    default: {
      std::string ignored;  // it quotes the value: the caller words the error
      return SetFieldFromText(m, f, text, &ignored);
    }
  }
}

// Sets the column's field of `row` from a non-empty cell, creating the messages on its path.
bool SetCell(Message& row, const ExportColumn& column, const std::string& text) {
  Message* m = &row;
  for (size_t i = 0; i + 1 < column.path.size(); ++i) {
    m = m->GetReflection()->MutableMessage(m, column.path[i]);
  }
  const FieldDescriptor* f = column.path.back();
  if (!f->is_repeated()) return SetOne(*m, f, text);
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
      f->message_type()->full_name() != "google.protobuf.Timestamp" &&
      f->message_type()->full_name() != "tuopin.common.v1.Date") {
    // A JSON array: parsed as the field of a message of the parent's type.
    std::unique_ptr<Message> holder(m->New());
    std::string json = absl::StrCat("{\"", f->json_name(), "\":", text, "}");
    if (!google::protobuf::util::JsonStringToMessage(json, holder.get()).ok()) return false;
    const auto* r = holder->GetReflection();
    for (int k = 0; k < r->FieldSize(*holder, f); ++k) {
      m->GetReflection()->AddMessage(m, f)->CopyFrom(r->GetRepeatedMessage(*holder, f, k));
    }
    return true;
  }
  for (absl::string_view item : absl::StrSplit(text, "; ")) {
    if (!SetOne(*m, f, std::string(item))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(absl::string_view text,
                                                               std::vector<int>* lines) {
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  int line = 1, column = 1, record_line = 1;
  size_t i = 0;
  auto end_record = [&] {
    record.push_back(std::move(field));
    field.clear();
    records.push_back(std::move(record));
    record.clear();
    if (lines != nullptr) lines->push_back(record_line);
  };
  while (i < text.size()) {
    if (text[i] == '"') {
      const int open_line = line;
      for (++i;; ++i) {
        if (i >= text.size()) return At(open_line, column, "", "a quoted field is not closed");
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            ++i;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
        return At(line, column, "", "text follows a quoted field's closing quote");
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
        if (text[i] == '"') return At(line, column, "", "a quote inside an unquoted field");
        field += text[i++];
      }
    }
    if (i >= text.size()) break;
    if (text[i] == ',') {
      record.push_back(std::move(field));
      field.clear();
      ++column;
      ++i;
      continue;
    }
    // A line end: CRLF, or LF alone.
    if (text[i] == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n') {
        return At(line, column, "", "a CR not followed by LF outside a quoted field");
      }
      ++i;
    }
    ++i;
    end_record();
    ++line;
    column = 1;
    record_line = line;
  }
  if (!field.empty() || !record.empty()) end_record();
  return records;
}

absl::StatusOr<std::vector<ExportTableRow>> ParseExportTable(const Descriptor* row,
                                                             absl::string_view csv) {
  std::vector<int> lines;
  auto records = ParseCsv(csv, &lines);
  if (!records.ok()) return records.status();
  if (records->empty()) return At(1, 1, "", "the file has no header");
  std::map<std::string, const ExportColumn*> by_name;
  std::vector<ExportColumn> columns = ExportColumnPaths(row);
  for (const auto& c : columns) by_name[c.name] = &c;
  const std::vector<std::string>& header = (*records)[0];
  // Blank lines at the end (an editor's trailing newline) are no rows; with one column a
  // blank line is the writer's row of an empty cell.
  while (header.size() > 1 && records->size() > 1 && records->back().size() == 1 &&
         records->back()[0].empty()) {
    records->pop_back();
  }
  std::vector<const ExportColumn*> order;
  std::map<std::string, int> seen;
  for (size_t c = 0; c < header.size(); ++c) {
    auto found = by_name.find(header[c]);
    if (found == by_name.end()) {
      return At(lines[0], c + 1, "", absl::StrCat("is not a column of ", row->full_name()));
    }
    if (!seen.emplace(header[c], c).second) return At(lines[0], c + 1, header[c], "is repeated");
    order.push_back(found->second);
  }
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(row);
  std::vector<ExportTableRow> out;
  for (size_t k = 1; k < records->size(); ++k) {
    const auto& cells = (*records)[k];
    if (cells.size() != header.size()) {
      return At(
          lines[k], cells.size() + 1, "",
          absl::StrCat("the record has ", cells.size(), " fields, the header ", header.size()));
    }
    ExportTableRow parsed{lines[k], std::unique_ptr<Message>(prototype->New())};
    for (size_t c = 0; c < cells.size(); ++c) {
      if (cells[c].empty()) continue;
      if (!SetCell(*parsed.message, *order[c], Unguarded(cells[c]))) {
        const FieldDescriptor* f = order[c]->path.back();
        return At(lines[k], c + 1, header[c],
                  absl::StrCat("is not a valid ", f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
                                                      ? f->message_type()->full_name()
                                                  : f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM
                                                      ? f->enum_type()->full_name()
                                                      : f->type_name()));
      }
    }
    out.push_back(std::move(parsed));
  }
  return out;
}

}  // namespace tuopin::common
