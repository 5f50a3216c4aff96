// common/export: the CSV and XLSX writers, the flattening of rows, the paging of an export
// run, and which methods of the compiled contracts are exportable.

#include "common/export.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "tuopin/auditquery/v1/auditquery.pb.h"
#include "tuopin/common/v1/common.pb.h"
#include "tuopin/common/v1/internal.pb.h"
#include "tuopin/personnel/v1/exit.pb.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::common {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Csv(const std::vector<std::vector<ExportCell>>& rows) {
  auto w = MakeTableWriter(ExportFormat::kCsv);
  for (const auto& r : rows) w->Row(r);
  w->Finish();
  return w->TakeOutput();
}

TEST(CsvTest, QuotesPerRfc4180) {
  EXPECT_EQ(CsvField({"plain", false}), "plain");
  EXPECT_EQ(CsvField({"a,b", false}), "\"a,b\"");
  EXPECT_EQ(CsvField({"say \"hi\"", false}), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField({"two\nlines", false}), "\"two\nlines\"");
  EXPECT_EQ(CsvField({"cr\rhere", false}), "\"cr\rhere\"");
  EXPECT_EQ(CsvField({"", false}), "");
}

TEST(CsvTest, GuardsAgainstFormulaInjection) {
  EXPECT_EQ(CsvField({"=HYPERLINK(\"x\")", false}), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(CsvField({"+1", false}), "'+1");
  EXPECT_EQ(CsvField({"-cmd", false}), "'-cmd");
  EXPECT_EQ(CsvField({"@SUM(A1)", false}), "'@SUM(A1)");
  EXPECT_EQ(CsvField({"\tx", false}), "'\tx");
  EXPECT_EQ(CsvField({"'=x", false}), "''=x");  // so "'=x" does not read back as "=x"
  EXPECT_EQ(CsvField({"'plain", false}), "''plain");
  // A number is data, not a formula: a negative amount stays a number.
  EXPECT_EQ(CsvField({"-1500", true}), "-1500");
  EXPECT_EQ(CsvField({"a=b", false}), "a=b");
}

TEST(CsvTest, FileHasBomHeaderAndCrlfRows) {
  EXPECT_EQ(Csv({{{"id", false}, {"name", false}}, {{"1", true}, {"张三, 李四", false}}}),
            "\xEF\xBB\xBFid,name\r\n1,\"张三, 李四\"\r\n");
}

// Reads an XLSX with Python's zipfile and ElementTree (an independent reader), printing
// each cell as ref=type:value, one per line.
std::string ReadXlsx(const std::string& bytes) {
  // Named per test and process: ctest runs the tests of this file in parallel, and a
  // shared name let one test read the other's file.
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path =
      absl::StrCat(::testing::TempDir(), "/export_test_", test->name(), "_", getpid(), ".xlsx");
  std::ofstream(path, std::ios::binary) << bytes;
  std::string cmd = absl::StrCat(
      "/usr/bin/python3 -c '\n"
      "import sys, zipfile, xml.etree.ElementTree as ET\n"
      "z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None\n"
      "names = set(z.namelist())\n"
      "for n in [\"[Content_Types].xml\", \"_rels/.rels\", \"xl/workbook.xml\",\n"
      "          \"xl/_rels/workbook.xml.rels\"]:\n"
      "    assert n in names, n; ET.fromstring(z.read(n))\n"
      "ns = {\"m\": \"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"}\n"
      "root = ET.fromstring(z.read(\"xl/worksheets/sheet1.xml\"))\n"
      "for c in root.iterfind(\".//m:c\", ns):\n"
      "    t = c.find(\"m:is/m:t\", ns)\n"
      "    v = t.text if t is not None else c.find(\"m:v\", ns).text\n"
      "    print(\"%s=%s:%s\" % (c.get(\"r\"), c.get(\"t\", \"n\"), v))\n"
      "' ",
      path);
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out;
  std::remove(path.c_str());
  return out;
}

TEST(XlsxTest, PythonReadsCellsTypesAndEscapes) {
  auto w = MakeTableWriter(ExportFormat::kXlsx);
  w->Row({{"id", false}, {"name", false}, {"income_fen", false}});
  w->Row({{"h1", false}, {"<A & \"B\">", false}, {"-123456", true}});
  w->Row({{"h2", false}, {"村\x01民", false}, {"0", true}});
  std::string bytes = w->TakeOutput();
  w->Finish();
  bytes += w->TakeOutput();
  EXPECT_EQ(ReadXlsx(bytes),
            "A1=inlineStr:id\nB1=inlineStr:name\nC1=inlineStr:income_fen\n"
            "A2=inlineStr:h1\nB2=inlineStr:<A & \"B\">\nC2=n:-123456\n"
            "A3=inlineStr:h2\nB3=inlineStr:村民\nC3=n:0\n");
}

TEST(XlsxTest, ManyRowsStreamAndStillRead) {
  auto w = MakeTableWriter(ExportFormat::kXlsx);
  std::string bytes;
  for (int i = 0; i < 30000; ++i) {
    w->Row({{absl::StrCat("row ", i), false}, {absl::StrCat(i), true}});
    bytes += w->TakeOutput();
  }
  w->Finish();
  bytes += w->TakeOutput();
  std::string cells = ReadXlsx(bytes);
  EXPECT_THAT(cells, HasSubstr("A30000=inlineStr:row 29999\nB30000=n:29999\n"));
}

std::map<std::string, ExportCell> ByColumn(const google::protobuf::Message& m) {
  std::vector<std::string> cols = ExportColumns(m.GetDescriptor());
  std::vector<ExportCell> cells = ExportRow(m);
  EXPECT_EQ(cells.size(), cols.size());
  std::map<std::string, ExportCell> out;
  for (size_t i = 0; i < cols.size() && i < cells.size(); ++i) out[cols[i]] = cells[i];
  return out;
}

TEST(FlattenTest, NestedDottedEnumsTimesNumbersAndRepeated) {
  tuopin::personnel::v1::Household h;
  h.set_id("h1");
  h.set_member_count(3);
  h.set_income_per_head_fen(-250);
  h.set_status(tuopin::personnel::v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  h.mutable_indicators()->set_food(true);
  h.mutable_create_time()->set_seconds(1700000000);
  auto* m = h.add_members();
  m->set_name("A");
  auto cells = ByColumn(h);
  EXPECT_EQ(cells["id"].text, "h1");
  EXPECT_FALSE(cells["id"].number);
  EXPECT_EQ(cells["member_count"].text, "3");
  EXPECT_TRUE(cells["member_count"].number);
  EXPECT_EQ(cells["income_per_head_fen"].text, "-250");  // money: integer fen
  EXPECT_TRUE(cells["income_per_head_fen"].number);
  EXPECT_EQ(cells["status"].text, "HOUSEHOLD_STATUS_REGISTERED_POOR");
  EXPECT_EQ(cells["indicators.food"].text, "true");
  EXPECT_EQ(cells["indicators.housing_safety"].text, "false");
  EXPECT_EQ(cells["create_time"].text, "2023-11-14T22:13:20Z");
  EXPECT_EQ(cells["update_time"].text, "");                         // unset: empty, not the epoch
  EXPECT_EQ(cells["prior_exit.year"].text, "");                     // unset nested: empty, not 0
  EXPECT_THAT(cells["members"].text, HasSubstr("\"name\":\"A\""));  // repeated messages: JSON
}

TEST(FlattenTest, DatesAndRepeatedScalars) {
  tuopin::personnel::v1::ExitStatus status;
  status.add_villages_without_profile("520221104001");
  status.add_villages_without_profile("520221104002");
  auto cells = ByColumn(status);
  EXPECT_EQ(cells["villages_without_profile"].text, "520221104001; 520221104002");
  tuopin::common::v1::Date d;
  d.set_year(2026);
  d.set_month(3);
  d.set_day(1);
  tuopin::auditquery::v1::ExportAuditBundleRequest req;
  *req.mutable_from_date() = d;
  EXPECT_EQ(ByColumn(req)["from_date"].text, "2026-03-01");
}

TEST(FlattenTest, CellsOfAReport) {
  tuopin::auditquery::v1::SectorScore s;
  std::vector<std::string> cols = ExportColumns(s.GetDescriptor());
  EXPECT_EQ(ExportRow(s).size(), cols.size());
}

// Exportability follows from the contracts: every List* read and the reports the issue
// names can be exported.
TEST(ExportShapeTest, EveryListAndTheNamedReportsAreExportable) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::vector<std::string> files = {"tuopin/personnel/v1/personnel.proto",
                                    "tuopin/personnel/v1/exit.proto",
                                    "tuopin/funds/v1/funds.proto",
                                    "tuopin/tasks/v1/tasks.proto",
                                    "tuopin/accountability/v1/accountability.proto",
                                    "tuopin/accountability/v1/assessment.proto",
                                    "tuopin/auditlog/v1/auditlog.proto",
                                    "tuopin/auditquery/v1/auditquery.proto"};
  int lists = 0;
  for (const std::string& name : files) {
    const auto* file = pool->FindFileByName(name);
    ASSERT_NE(file, nullptr) << name;
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) {
        const auto* method = file->service(s)->method(m);
        if (method->name().rfind("List", 0) != 0) continue;
        ++lists;
        auto shape = ExportShapeOf(method);
        ASSERT_TRUE(shape.ok()) << method->full_name() << ": " << shape.status();
        EXPECT_NE(shape->rows, nullptr) << method->full_name();
        EXPECT_NE(shape->page_token, nullptr) << method->full_name() << " does not page";
      }
    }
  }
  EXPECT_GE(lists, 15);
  for (const char* m :
       {"tuopin.personnel.v1.PersonnelService.ListHouseholds",
        "tuopin.personnel.v1.PersonnelService.ListCadres",
        "tuopin.personnel.v1.PersonnelService.ListPostings",
        "tuopin.personnel.v1.PersonnelService.ListPairings",
        "tuopin.tasks.v1.TaskService.ListTasks", "tuopin.funds.v1.FundsService.ListAccounts",
        "tuopin.funds.v1.FundsService.ListTransfers",
        "tuopin.accountability.v1.AccountabilityService.ListFindings",
        "tuopin.accountability.v1.AccountabilityService.ListRectificationOrders",
        "tuopin.auditquery.v1.AuditQueryService.GetScorecard"}) {
    const auto* method = pool->FindMethodByName(m);
    ASSERT_NE(method, nullptr) << m;
    EXPECT_TRUE(ExportShapeOf(method).ok()) << m;
  }
  const auto* exit =
      pool->FindMethodByName("tuopin.personnel.v1.ExitCriteriaService.GetExitStatus");
  ASSERT_NE(exit, nullptr);
  EXPECT_FALSE(ExportShapeOf(exit).ok());  // several lists: the caller names one
  auto villages = ExportShapeOf(exit, "villages");
  ASSERT_TRUE(villages.ok()) << villages.status();
  EXPECT_EQ(villages->rows->name(), "villages");
  // A write is never exportable.
  EXPECT_FALSE(
      ExportShapeOf(pool->FindMethodByName("tuopin.personnel.v1.PersonnelService.CreateHousehold"))
          .ok());
}

TEST(ExportRunTest, PagesThroughAllPagesAndBoundsTheRows) {
  const auto* method = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      "tuopin.personnel.v1.PersonnelService.ListHouseholds");
  auto shape = ExportShapeOf(method);
  ASSERT_TRUE(shape.ok());
  std::vector<std::string> tokens_seen;
  auto call = [&](const google::protobuf::Message& req, google::protobuf::Message* resp) {
    const auto& r = static_cast<const tuopin::personnel::v1::ListHouseholdsRequest&>(req);
    tokens_seen.push_back(r.page_token());
    EXPECT_EQ(r.page_size(), 1000);  // the contract's maximum
    auto* out = static_cast<tuopin::personnel::v1::ListHouseholdsResponse*>(resp);
    int page = r.page_token().empty() ? 0 : r.page_token()[0] - '0';
    for (int i = 0; i < 2; ++i) out->add_households()->set_id(absl::StrCat("h", page, i));
    if (page < 2) out->set_next_page_token(absl::StrCat(page + 1));
    return absl::OkStatus();
  };
  ExportRun run(method, *shape, std::make_unique<tuopin::personnel::v1::ListHouseholdsRequest>(),
                ExportFormat::kCsv);
  std::string csv;
  for (;;) {
    auto more = run.Step(call);
    ASSERT_TRUE(more.ok()) << more.status();
    csv += run.TakeOutput();
    if (!*more) break;
  }
  EXPECT_THAT(tokens_seen, ElementsAre("", "1", "2"));
  EXPECT_EQ(run.rows(), 6);
  for (const char* id : {"h00", "h01", "h10", "h21"}) EXPECT_THAT(csv, HasSubstr(id));

  ExportRun bounded(method, *shape,
                    std::make_unique<tuopin::personnel::v1::ListHouseholdsRequest>(),
                    ExportFormat::kCsv, /*max_rows=*/5);
  absl::StatusOr<bool> more = true;
  while (more.ok() && *more) more = bounded.Step(call);
  EXPECT_EQ(more.status().code(), absl::StatusCode::kOutOfRange);
}

// The reader: what the writer wrote reads back as the same message.
std::string CsvOf(const std::vector<const google::protobuf::Message*>& rows) {
  auto w = MakeTableWriter(ExportFormat::kCsv);
  std::vector<ExportCell> header;
  for (auto& name : ExportColumns(rows[0]->GetDescriptor())) header.push_back({name, false});
  w->Row(header);
  for (const auto* m : rows) w->Row(ExportRow(*m));
  w->Finish();
  return w->TakeOutput();
}

template <typename T>
std::vector<T> ReadBack(const std::string& csv) {
  auto parsed = ParseExportTable(T::descriptor(), csv);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  std::vector<T> out;
  if (!parsed.ok()) return out;
  for (auto& row : *parsed) {
    T m;
    m.CopyFrom(*row.message);
    out.push_back(std::move(m));
  }
  return out;
}

TEST(CsvReaderTest, EveryFieldKindRoundTrips) {
  namespace pv1 = tuopin::personnel::v1;
  pv1::Household full;
  full.set_id("h1");
  full.set_head_name("=HYPERLINK(\"x\"), \"王\"\r\n二行");  // guarded, quoted, two lines
  full.set_village_code("520221104001");
  full.set_national_household_number("-5202");  // text that looks like a negative number
  full.set_member_count(2);
  full.set_income_per_head_fen(-250);
  full.set_status(pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  full.mutable_indicators()->set_food(true);  // and the others false, yet set
  full.mutable_create_time()->set_seconds(1700000000);
  full.mutable_create_time()->set_nanos(500000000);
  full.mutable_prior_exit()->set_year(2018);
  full.mutable_prior_exit()->set_reference("@GZ-2018");
  auto* m = full.add_members();
  m->set_name("+A");
  m->set_relation(pv1::MEMBER_RELATION_HEAD);
  m->set_id_card_number("11010519491231002X");
  full.add_members()->set_birth_year(1990);
  pv1::Household empty;  // every field unset
  empty.set_id("h2");
  std::vector<pv1::Household> back = ReadBack<pv1::Household>(CsvOf({&full, &empty}));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].DebugString(), full.DebugString());
  EXPECT_EQ(back[1].DebugString(), empty.DebugString());
  EXPECT_FALSE(back[1].has_indicators());
  EXPECT_FALSE(back[1].has_prior_exit());

  // Dates and repeated scalars; unsigned integers; bytes.
  tuopin::personnel::v1::ExitStatus status;
  status.add_villages_without_profile("520221104001");
  status.add_villages_without_profile("520221104002");
  auto statuses = ReadBack<pv1::ExitStatus>(CsvOf({&status}));
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].DebugString(), status.DebugString());
  tuopin::auditquery::v1::ExportAuditBundleRequest req;
  req.mutable_from_date()->set_year(2026);
  req.mutable_from_date()->set_month(3);
  req.mutable_from_date()->set_day(1);
  auto reqs = ReadBack<tuopin::auditquery::v1::ExportAuditBundleRequest>(CsvOf({&req}));
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].DebugString(), req.DebugString());
  tuopin::common::v1::FieldLimits limits;
  limits.set_max_len(4000000000u);
  limits.set_min(-3);
  limits.set_max(7);  // the writer writes an unset proto3 `optional` scalar as its default
  auto limits_back = ReadBack<tuopin::common::v1::FieldLimits>(CsvOf({&limits}));
  ASSERT_EQ(limits_back.size(), 1u);
  EXPECT_EQ(limits_back[0].DebugString(), limits.DebugString());
  tuopin::common::v1::PageTokenBody body;
  body.set_query_digest(std::string("\x00\xff\x10", 3));
  body.add_last_key("a");
  auto bodies = ReadBack<tuopin::common::v1::PageTokenBody>(CsvOf({&body}));
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0].DebugString(), body.DebugString());
}

TEST(CsvReaderTest, GuardedCellGetsItsValueBack) {
  // A text that begins with a quote is guarded too, so the reader's "one leading quote is
  // the guard's" gets every text back, "'=x" included.
  for (std::string text : {"=1+1", "+1", "-cmd", "@SUM(A1)", "\tx", "a=b", "'plain", "'=1+1", "'+1",
                           "'@x", "'", "''", "''=x"}) {
    auto records = ParseCsv(absl::StrCat("h\r\n", CsvField({text, false}), "\r\n"));
    ASSERT_TRUE(records.ok()) << records.status();
    ASSERT_EQ(records->size(), 2u);
    tuopin::personnel::v1::Household h;
    h.set_head_name(text);
    auto back = ReadBack<tuopin::personnel::v1::Household>(CsvOf({&h}));
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].head_name(), text);
  }
}

TEST(CsvReaderTest, BlankLinesAtTheEndAreNoRecords) {
  for (std::string end : {"\r\n", "\n", "\r\n\r\n\n"}) {
    auto back = ReadBack<tuopin::personnel::v1::Household>(
        absl::StrCat("id,head_name\r\nh1,a\r\nh2,\r\n", end));
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[1].id(), "h2");
  }
  // Within the file a blank line is still a record too short.
  auto inner = ParseExportTable(tuopin::personnel::v1::Household::descriptor(),
                                "id,head_name\r\n\r\nh1,a\r\n");
  EXPECT_EQ(inner.status().message(), "line 2, column 2: the record has 1 fields, the header 2");
  // One column: a blank line is the writer's row with its cell empty.
  tuopin::auditquery::v1::GetAssessmentReportRequest none;
  EXPECT_EQ(
      ReadBack<tuopin::auditquery::v1::GetAssessmentReportRequest>(CsvOf({&none, &none})).size(),
      2u);
}

TEST(CsvReaderTest, DatesAreZeroPaddedDaysOfTheCalendar) {
  using tuopin::auditquery::v1::ExportAuditBundleRequest;
  auto read = [](const std::string& date) {
    return ParseExportTable(ExportAuditBundleRequest::descriptor(),
                            absl::StrCat("region_code,from_date\r\n5202,", date, "\r\n"));
  };
  auto good = read("2024-02-29");
  ASSERT_TRUE(good.ok()) << good.status();
  ExportAuditBundleRequest req;
  req.CopyFrom(*(*good)[0].message);
  EXPECT_EQ(req.from_date().year(), 2024);
  EXPECT_EQ(req.from_date().month(), 2);
  EXPECT_EQ(req.from_date().day(), 29);
  for (const char* bad :
       {"2026-3-01", "2026-03-1", "2026-3-1", "26-03-01", "2026-02-29", "2026-02-30", "2026-13-01",
        "2026-00-10", "2026-04-00", "2026-04-31", "0000-01-01", "2026-03-01x", "2026-03-0x",
        "+026-03-01", "2026/03/01", " 2026-03-01", "2026-03- 1"}) {
    auto parsed = read(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().message(),
              "line 2, column 2 (from_date): is not a valid tuopin.common.v1.Date")
        << bad;
  }
}

TEST(CsvReaderTest, AcceptsLfAndColumnsInAnyOrder) {
  auto back = ReadBack<tuopin::personnel::v1::Household>(
      "status,head_name\nHOUSEHOLD_STATUS_LIFTED_OUT,\"a\nb\"\n");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].status(), tuopin::personnel::v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  EXPECT_EQ(back[0].head_name(), "a\nb");
}

TEST(CsvReaderTest, MalformedFileNamesLineAndColumn) {
  const auto* d = tuopin::personnel::v1::Household::descriptor();
  auto error = [&](const std::string& csv) {
    auto parsed = ParseExportTable(d, csv);
    EXPECT_FALSE(parsed.ok());
    return std::string(parsed.status().message());
  };
  EXPECT_EQ(error("\xEF\xBB\xBFid,head_name\r\nh1,\"unclosed\r\n"),
            "line 2, column 2: a quoted field is not closed");
  EXPECT_EQ(error("id,head_name\r\nh1,\"a\"b\r\n"),
            "line 2, column 2: text follows a quoted field's closing quote");
  EXPECT_EQ(error("id,head_name\r\nh1,a\"b\r\n"),
            "line 2, column 2: a quote inside an unquoted field");
  EXPECT_EQ(error("id,head_name\r\n\"two\r\nlines\",x\r\nh3\r\n"),
            "line 4, column 2: the record has 1 fields, the header 2");
  EXPECT_EQ(error("id,status\r\nh1,HOUSEHOLD_STATUS_RICH\r\n"),
            "line 2, column 2 (status): is not a valid tuopin.personnel.v1.HouseholdStatus");
  EXPECT_EQ(error("id,member_count\r\nh1,two\r\n"),
            "line 2, column 2 (member_count): is not a valid int32");
  EXPECT_EQ(error("id,members\r\nh1,\"[{\"\"nom\"\":1}]\"\r\n"),
            "line 2, column 2 (members): is not a valid tuopin.personnel.v1.Member");
  EXPECT_EQ(error("id,colour\r\n"),
            "line 1, column 2: is not a column of tuopin.personnel.v1.Household");
  EXPECT_EQ(error("id,id\r\n"), "line 1, column 2 (id): is repeated");
  // The value itself is never in the message (it may be personal data).
  EXPECT_THAT(error("id,create_time\r\nh1,11010519491231002X\r\n"),
              ::testing::Not(HasSubstr("1101051949")));
}

}  // namespace
}  // namespace tuopin::common
