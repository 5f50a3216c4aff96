#pragma once
// Export of any list or report of the suite as CSV or XLSX, built from the compiled
// contracts, on top of the public RPCs themselves: an export calls the method with the
// caller's own identity, so the services' scope and masking apply unchanged.
//
// Which methods are exportable follows from the contract, nothing is listed by hand:
// - a read (its policy is not `mutating`) with a unary request and response;
// - its rows are the response's repeated message field (`rows` names one when the
//   response has several, e.g. ExitStatus.villages); a response without one is one row
//   (a report such as an assessment's);
// - when the request has `page_token` and the response `next_page_token`, every page is
//   fetched, at most kMaxExportRows rows in all (a larger export is refused with
//   OUT_OF_RANGE: narrow it with the request's filters).
//
// Columns are the row message's fields flattened: nested messages as dotted names
// (household.address.village), repeated scalars joined with "; ", repeated messages as
// their JSON array, enums by name, google.protobuf.Timestamp as RFC 3339,
// tuopin.common.v1.Date as YYYY-MM-DD, integers (money: *_fen) as integers, bools as
// true/false, bytes as hex.
//
// CSV (RFC 4180): CRLF line ends, a field quoted when it holds a comma, a quote, CR or LF
// (quotes doubled), UTF-8 with a byte-order mark first, so Excel opens Chinese text as
// UTF-8 rather than the locale's code page. Formula injection (OWASP "CSV Injection"): a
// text cell that begins with = + - @, tab or CR gets a single quote in front, so a
// spreadsheet shows it as text instead of evaluating it; numeric cells (a negative
// amount) are written as they are.
//
// XLSX (Office Open XML, ECMA-376): one worksheet with inline strings (no shared-string
// table, so rows stream), numbers as numbers, every text XML-escaped (characters XML 1.0
// forbids dropped). The zip is written here: small parts stored, the sheet deflated as it
// streams, its CRC and sizes in a data descriptor after it.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace tuopin::common {

inline constexpr int64_t kMaxExportRows = 200000;

enum class ExportFormat { kCsv, kXlsx };

absl::StatusOr<ExportFormat> ParseExportFormat(const std::string& name);
const char* ExportContentType(ExportFormat format);
const char* ExportExtension(ExportFormat format);  // "csv", "xlsx"

// One cell: its text, and whether it is a number (XLSX writes it as such).
struct ExportCell {
  std::string text;
  bool number = false;
};

// Writes a table; the bytes so far are taken with TakeOutput, so a caller streams them.
class TableWriter {
 public:
  virtual ~TableWriter() = default;
  virtual void Row(const std::vector<ExportCell>& cells) = 0;
  // Ends the file (XLSX: the zip's directory); no Row after it.
  virtual void Finish() = 0;
  std::string TakeOutput() {
    std::string taken;
    taken.swap(out_);
    return taken;
  }

 protected:
  std::string out_;
};

std::unique_ptr<TableWriter> MakeTableWriter(ExportFormat format);

// A CSV field as written (quoted if needed; a text beginning with = + - @ tab CR or a single
// quote has a single quote put before it, the formula guard).
std::string CsvField(const ExportCell& cell);

// The shape of an exportable method.
struct ExportShape {
  const google::protobuf::FieldDescriptor* rows = nullptr;        // null: the response is one row
  const google::protobuf::FieldDescriptor* page_token = nullptr;  // request
  const google::protobuf::FieldDescriptor* page_size = nullptr;   // request
  const google::protobuf::FieldDescriptor* next_page_token = nullptr;  // response
};

// The method's export shape, or why it is not exportable. `rows` names the response's
// repeated field to export; empty: its only repeated message field.
absl::StatusOr<ExportShape> ExportShapeOf(const google::protobuf::MethodDescriptor* method,
                                          const std::string& rows = "");

// Flattened columns of a row type, and the cells of one row in the same order.
std::vector<std::string> ExportColumns(const google::protobuf::Descriptor* row);
std::vector<ExportCell> ExportRow(const google::protobuf::Message& row);

// A column of ExportColumns with the fields from the row down to its cell.
struct ExportColumn {
  std::string name;
  std::vector<const google::protobuf::FieldDescriptor*> path;
};
std::vector<ExportColumn> ExportColumnPaths(const google::protobuf::Descriptor* row);

// The reader of the export's own CSV (export_reader.cc), so a file exported here can be
// imported or compared elsewhere: the BOM skipped, RFC 4180 quoting (CRLF or LF line ends),
// the formula guard's quote removed (one leading quote of any cell: "'=x" reads "=x",
// "''x" reads "'x"), empty records at the end skipped (a trailing blank line), each column
// set from its text as ExportRow wrote it (empty: unset). The header names the columns, in
// any order; a column the row type has not is an error. Errors name the line (of the file,
// the header is line 1) and the column, never the cell's text (it may be personal data).
absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(absl::string_view text,
                                                               std::vector<int>* lines = nullptr);
struct ExportTableRow {
  int line = 0;  // where its record begins
  std::unique_ptr<google::protobuf::Message> message;
};
absl::StatusOr<std::vector<ExportTableRow>> ParseExportTable(
    const google::protobuf::Descriptor* row, absl::string_view csv);

// Sets a request field from text (a query parameter, a command-line flag): scalars and
// enums (full or short name, e.g. registered_poor) as text, messages as protobuf JSON.
bool SetFieldFromText(google::protobuf::Message& msg, const google::protobuf::FieldDescriptor* f,
                      const std::string& value, std::string* error);

// One export run: Step calls the method for the next page (with `call`, which must use the
// caller's identity) and writes its rows; TakeOutput after each Step streams the file.
class ExportRun {
 public:
  using Call = absl::FunctionRef<absl::Status(const google::protobuf::Message& request,
                                              google::protobuf::Message* response)>;
  // `request` holds the caller's filters; page_token is managed here and page_size set to
  // its contract maximum when the caller left it unset.
  ExportRun(const google::protobuf::MethodDescriptor* method, ExportShape shape,
            std::unique_ptr<google::protobuf::Message> request, ExportFormat format,
            int64_t max_rows = kMaxExportRows);
  // True while more pages remain; after the last page the file is finished.
  absl::StatusOr<bool> Step(Call call);
  std::string TakeOutput() { return writer_->TakeOutput(); }
  int64_t rows() const { return rows_; }

 private:
  const google::protobuf::MethodDescriptor* method_;
  ExportShape shape_;
  std::unique_ptr<google::protobuf::Message> request_;
  std::unique_ptr<TableWriter> writer_;
  int64_t max_rows_;
  int64_t rows_ = 0;
  bool header_written_ = false;
  bool done_ = false;
};

}  // namespace tuopin::common
