// The CSV and XLSX writers of common/export.h, and the small zip writer XLSX needs.

#include <zlib.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/export.h"

namespace tuopin::common {
namespace {

// ---- CSV ----

class CsvWriter : public TableWriter {
 public:
  // The byte-order mark makes Excel read the file as UTF-8 (see export.h).
  CsvWriter() { out_ = "\xEF\xBB\xBF"; }
  void Row(const std::vector<ExportCell>& cells) override {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out_ += ',';
      out_ += CsvField(cells[i]);
    }
    out_ += "\r\n";
  }
  void Finish() override {}
};

// ---- zip (APPNOTE 6.3: local headers, data descriptor, central directory) ----

void Put16(std::string& s, uint32_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
void Put32(std::string& s, uint32_t v) {
  Put16(s, v & 0xffff);
  Put16(s, v >> 16);
}

constexpr uint32_t kDosTime = 0;                         // 00:00:00
constexpr uint32_t kDosDate = (44 << 9) | (1 << 5) | 1;  // 2024-01-01: files carry no clock

struct ZipEntry {
  std::string name;
  uint16_t flags = 0, method = 0;
  uint32_t crc = 0, compressed = 0, size = 0, offset = 0;
};

class ZipStream {
 public:
  explicit ZipStream(std::string& out) : out_(out) {}

  void Stored(const std::string& name, const std::string& data) {
    ZipEntry e{name, 0, 0};
    e.crc = crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
    e.compressed = e.size = static_cast<uint32_t>(data.size());
    LocalHeader(e);
    Append(data);
    entries_.push_back(e);
  }

  // A deflated entry whose data arrives in pieces; sizes and CRC follow it.
  void BeginDeflated(const std::string& name) {
    current_ = ZipEntry{name, 0x0008, 8};
    LocalHeader(current_);
    std::memset(&z_, 0, sizeof z_);
    // Raw deflate (negative window bits): zip has its own headers.
    deflateInit2(&z_, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  }
  void Write(const std::string& data) {
    current_.crc = crc32(current_.crc, reinterpret_cast<const Bytef*>(data.data()),
                         static_cast<uInt>(data.size()));
    current_.size += static_cast<uint32_t>(data.size());
    Deflate(data, Z_NO_FLUSH);
  }
  void EndDeflated() {
    Deflate("", Z_FINISH);
    deflateEnd(&z_);
    std::string d;
    Put32(d, 0x08074b50);
    Put32(d, current_.crc);
    Put32(d, current_.compressed);
    Put32(d, current_.size);
    Append(d);
    entries_.push_back(current_);
  }

  void Finish() {
    uint32_t start = offset_;
    for (const ZipEntry& e : entries_) {
      std::string h;
      Put32(h, 0x02014b50);
      Put16(h, 20);
      Put16(h, 20);
      Put16(h, e.flags);
      Put16(h, e.method);
      Put16(h, kDosTime);
      Put16(h, kDosDate);
      Put32(h, e.crc);
      Put32(h, e.compressed);
      Put32(h, e.size);
      Put16(h, static_cast<uint32_t>(e.name.size()));
      Put16(h, 0);  // extra
      Put16(h, 0);  // comment
      Put16(h, 0);  // disk
      Put16(h, 0);  // internal attributes
      Put32(h, 0);  // external attributes
      Put32(h, e.offset);
      h += e.name;
      Append(h);
    }
    std::string end;
    Put32(end, 0x06054b50);
    Put16(end, 0);
    Put16(end, 0);
    Put16(end, static_cast<uint32_t>(entries_.size()));
    Put16(end, static_cast<uint32_t>(entries_.size()));
    Put32(end, offset_ - start);
    Put32(end, start);
    Put16(end, 0);
    Append(end);
  }

 private:
  void LocalHeader(ZipEntry& e) {
    e.offset = offset_;
    std::string h;
    Put32(h, 0x04034b50);
    Put16(h, 20);
    Put16(h, e.flags);
    Put16(h, e.method);
    Put16(h, kDosTime);
    Put16(h, kDosDate);
    Put32(h, e.crc);  // zero for a streamed entry: in its data descriptor
    Put32(h, e.compressed);
    Put32(h, e.size);
    Put16(h, static_cast<uint32_t>(e.name.size()));
    Put16(h, 0);
    h += e.name;
    Append(h);
  }
  void Deflate(const std::string& data, int flush) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z_.avail_in = static_cast<uInt>(data.size());
    char buf[16384];
    do {
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      deflate(&z_, flush);
      size_t n = sizeof buf - z_.avail_out;
      current_.compressed += static_cast<uint32_t>(n);
      Append(std::string(buf, n));
    } while (z_.avail_out == 0);
  }
  void Append(const std::string& s) {
    out_ += s;
    offset_ += static_cast<uint32_t>(s.size());
  }

  std::string& out_;
  uint32_t offset_ = 0;
  std::vector<ZipEntry> entries_;
  ZipEntry current_;
  z_stream z_;
};

// ---- XLSX ----

constexpr char kXmlHead[] = R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)";
constexpr char kRelNs[] = "http://schemas.openxmlformats.org/package/2006/relationships";
constexpr char kDocRel[] = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
constexpr char kMainNs[] = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

std::string XmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 allows no control characters but tab, LF and CR.
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        out += static_cast<char>(c);
    }
  }
  return out;
}

std::string ColumnName(size_t index) {  // 0 -> A, 26 -> AA
  std::string name;
  for (size_t n = index + 1; n > 0; n = (n - 1) / 26) {
    name.insert(name.begin(), static_cast<char>('A' + (n - 1) % 26));
  }
  return name;
}

class XlsxWriter : public TableWriter {
 public:
  XlsxWriter() : zip_(out_) {
    zip_.Stored(
        "[Content_Types].xml",
        absl::StrCat(kXmlHead,
                     "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
                     "content-types\"><Default Extension=\"rels\" ContentType=\"application/"
                     "vnd.openxmlformats-package.relationships+xml\"/><Default "
                     "Extension=\"xml\" ContentType=\"application/xml\"/><Override "
                     "PartName=\"/xl/workbook.xml\" ContentType=\"application/"
                     "vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
                     "<Override PartName=\"/xl/worksheets/sheet1.xml\" "
                     "ContentType=\"application/"
                     "vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
                     "</Types>"));
    zip_.Stored("_rels/.rels",
                absl::StrCat(kXmlHead, "<Relationships xmlns=\"", kRelNs,
                             "\"><Relationship Id=\"rId1\" Type=\"", kDocRel,
                             "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"));
    zip_.Stored("xl/workbook.xml",
                absl::StrCat(kXmlHead, "<workbook xmlns=\"", kMainNs, "\" xmlns:r=\"", kDocRel,
                             "\"><sheets><sheet name=\"Export\" sheetId=\"1\" r:id=\"rId1\"/>"
                             "</sheets></workbook>"));
    zip_.Stored("xl/_rels/workbook.xml.rels",
                absl::StrCat(kXmlHead, "<Relationships xmlns=\"", kRelNs,
                             "\"><Relationship Id=\"rId1\" Type=\"", kDocRel,
                             "/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>"));
    zip_.BeginDeflated("xl/worksheets/sheet1.xml");
    zip_.Write(absl::StrCat(kXmlHead, "<worksheet xmlns=\"", kMainNs, "\"><sheetData>"));
  }
  void Row(const std::vector<ExportCell>& cells) override {
    ++row_;
    std::string xml = absl::StrCat("<row r=\"", row_, "\">");
    for (size_t i = 0; i < cells.size(); ++i) {
      if (cells[i].text.empty()) continue;
      std::string ref = absl::StrCat(ColumnName(i), row_);
      if (cells[i].number) {
        absl::StrAppend(&xml, "<c r=\"", ref, "\"><v>", cells[i].text, "</v></c>");
      } else {
        absl::StrAppend(&xml, "<c r=\"", ref, "\" t=\"inlineStr\"><is><t xml:space=\"preserve\">",
                        XmlEscape(cells[i].text), "</t></is></c>");
      }
    }
    xml += "</row>";
    zip_.Write(xml);
  }
  void Finish() override {
    zip_.Write("</sheetData></worksheet>");
    zip_.EndDeflated();
    zip_.Finish();
  }

 private:
  ZipStream zip_;
  int64_t row_ = 0;
};

}  // namespace

std::string CsvField(const ExportCell& cell) {
  std::string v = cell.text;
  // A text that begins with the guard's own quote is guarded too, so a reader drops one
  // leading quote from every cell that has one and gets every text back.
  if (!cell.number && !v.empty() && v[0] != '\0' && std::strchr("=+-@\t\r'", v[0]) != nullptr)
    v.insert(0, "'");
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string quoted = "\"";
  for (char c : v) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::unique_ptr<TableWriter> MakeTableWriter(ExportFormat format) {
  if (format == ExportFormat::kXlsx) return std::make_unique<XlsxWriter>();
  return std::make_unique<CsvWriter>();
}

}  // namespace tuopin::common
