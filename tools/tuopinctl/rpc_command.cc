#include "tools/tuopinctl/rpc_command.h"

#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/auth.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/export.h"
#include "common/gateway_client.h"
#include "common/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::ctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

int Usage(const std::string& message) {
  std::fprintf(stderr, "tuopinctl: %s\n", message.c_str());
  return 2;
}

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : v;
}

std::string Roles(const MethodDescriptor* m) {
  if (!m->options().HasExtension(tuopin::common::v1::policy)) return "nobody";
  std::vector<std::string> names;
  for (int r : m->options().GetExtension(tuopin::common::v1::policy).roles()) {
    names.push_back(common::RoleName(static_cast<common::Role>(r)));
  }
  return absl::StrJoin(names, ", ");
}

bool Mutating(const MethodDescriptor* m) {
  return m->options().HasExtension(tuopin::common::v1::policy) &&
         m->options().GetExtension(tuopin::common::v1::policy).mutating();
}

void PrintServiceHelp(const std::string& name, const google::protobuf::ServiceDescriptor* s) {
  std::printf("tuopinctl %s <method> [flags]: the %s service (%s).\n\nMethods:\n", name.c_str(),
              name.c_str(), s->full_name().c_str());
  for (int i = 0; i < s->method_count(); ++i) {
    std::printf("  %-30s %s; roles: %s\n", KebabCase(s->method(i)->name()).c_str(),
                Mutating(s->method(i)) ? "changes state" : "reads", Roles(s->method(i)).c_str());
  }
  std::printf("\nRun 'tuopinctl %s <method> --help' for its flags.\n", name.c_str());
}

void PrintMethodHelp(const std::string& service, const MethodDescriptor* m) {
  std::printf(
      "tuopinctl %s %s [flags]: calls %s.%s (roles: %s).\n\nRequest fields (%s), as flags:\n",
      service.c_str(), KebabCase(m->name()).c_str(), m->service()->full_name().c_str(),
      m->name().c_str(), Roles(m).c_str(), m->input_type()->full_name().c_str());
  for (int i = 0; i < m->input_type()->field_count(); ++i) {
    const FieldDescriptor* f = m->input_type()->field(i);
    std::string kind = f->type() == FieldDescriptor::TYPE_MESSAGE
                           ? "JSON " + f->message_type()->name()
                       : f->type() == FieldDescriptor::TYPE_ENUM ? "enum " + f->enum_type()->name()
                                                                 : f->type_name();
    std::printf("  --%-28s %s%s\n", f->name().c_str(), kind.c_str(),
                f->is_repeated() ? " (repeatable)" : "");
  }
  std::printf(
      "\nOther flags:\n"
      "  --request JSON                the whole request in the protobuf JSON mapping (flags "
      "override)\n"
      "  --json                        print the answer as JSON\n"
      "  --format csv|xlsx             export every page of a list or report as a file\n"
      "  --out FILE                    where --format writes (default: stdout)\n"
      "  --rows FIELD                  which list of a report with several to export\n"
      "  --http URL                    with --format: export through the gateway's JSON front\n"
      "                                (http[s]://host:port, default $TUOPIN_HTTP), where the\n"
      "                                export is recorded in the audit log as a logged read\n"
      "  --gateway HOST:PORT           default $TUOPIN_GATEWAY or 127.0.0.1:50051\n"
      "  --token TOKEN                 default $TUOPIN_TOKEN (or --token_file F)\n");
  if (Mutating(m))
    std::printf("A request_id is generated when none is given; it is printed for retries.\n");
}

// Sets one field from a flag's text.
bool SetField(Message& msg, const FieldDescriptor* f, const std::string& value,
              std::string* error) {
  // A time as RFC 3339 (--as_of 2026-03-01T00:00:00Z): its JSON mapping is that string,
  // quoted, which a shell makes awkward to type.
  if (f->type() == FieldDescriptor::TYPE_MESSAGE &&
      f->message_type()->full_name() == "google.protobuf.Timestamp" && !value.empty() &&
      value[0] != '"') {
    return SetField(msg, f, absl::StrCat("\"", value, "\""), error);
  }
  if (common::SetFieldFromText(msg, f, value, error)) return true;
  *error = "--" + *error;
  return false;
}

// A Timestamp as RFC 3339, a tuopin Date as YYYY-MM-DD; "" for other messages.
std::string WellKnown(const Message& m) {
  const std::string& type = m.GetDescriptor()->full_name();
  if (type == "google.protobuf.Timestamp") {
    google::protobuf::Timestamp ts;
    ts.CopyFrom(m);
    return google::protobuf::util::TimeUtil::ToString(ts);
  }
  if (type == "tuopin.common.v1.Date") {
    const auto& d = static_cast<const tuopin::common::v1::Date&>(m);
    return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
  }
  return "";
}

std::string Cell(const Message& m, const FieldDescriptor* f) {
  const auto* r = m.GetReflection();
  if (f->is_repeated()) return absl::StrCat("[", r->FieldSize(m, f), "]");
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return f->type() == FieldDescriptor::TYPE_BYTES
                 ? common::HexEncode(r->GetString(m, f)).substr(0, 16)
                 : r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_INT32:
      return std::to_string(r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetBool(m, f) ? "yes" : "no";
    case FieldDescriptor::CPPTYPE_ENUM:
      return r->GetEnum(m, f)->name();
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      // A nested message in a cell: a time or date as such, otherwise its set scalar
      // fields, "name=value ...".
      if (!r->HasField(m, f)) return "";
      const Message& sub = r->GetMessage(m, f);
      if (std::string when = WellKnown(sub); !when.empty()) return when;
      std::vector<std::string> parts;
      for (int i = 0; i < sub.GetDescriptor()->field_count(); ++i) {
        const FieldDescriptor* sf = sub.GetDescriptor()->field(i);
        if (sf->is_repeated() || sf->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) continue;
        std::string v = Cell(sub, sf);
        if (!v.empty() && v != "0" && v != "no") parts.push_back(absl::StrCat(sf->name(), "=", v));
      }
      return absl::StrJoin(parts, " ");
    }
    default:
      return "";
  }
}

// "name: value" lines for the fields of m (nested messages as prefix.name; long repeated
// fields summarised by their count: --json shows everything).
void PrintFields(const Message& m, const std::string& prefix, const FieldDescriptor* skip) {
  const Descriptor* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f == skip) continue;
    std::string name = prefix + f->name();
    if (f->is_repeated()) {
      int n = r->FieldSize(m, f);
      if (n == 0) continue;
      std::vector<std::string> items;
      bool simple = f->cpp_type() == FieldDescriptor::CPPTYPE_STRING ||
                    f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM;
      for (int k = 0; simple && k < n && k < 5; ++k) {
        items.push_back(f->cpp_type() == FieldDescriptor::CPPTYPE_STRING
                            ? r->GetRepeatedString(m, f, k)
                            : r->GetRepeatedEnum(m, f, k)->name());
      }
      std::string v = simple ? absl::StrJoin(items, ", ") : "";
      if (!simple || n > 5)
        v += absl::StrCat(simple ? " ... (" : "(", n, " in all; --json lists them)");
      std::printf("%-34s %s\n", (name + ":").c_str(), v.c_str());
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
               WellKnown(r->GetMessage(m, f)).empty()) {
      if (r->HasField(m, f)) PrintFields(r->GetMessage(m, f), name + ".", nullptr);
    } else {
      std::string v = Cell(m, f);
      if (!v.empty()) std::printf("%-34s %s\n", (name + ":").c_str(), v.c_str());
    }
  }
}

// A table for the first repeated message field (the list), key: value lines otherwise.
void PrintTable(const Message& m) {
  const Descriptor* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (!f->is_repeated() || f->type() != FieldDescriptor::TYPE_MESSAGE) continue;
    const Descriptor* row = f->message_type();
    std::vector<const FieldDescriptor*> cols;
    for (int c = 0; c < row->field_count() && cols.size() < 7; ++c) {
      if (!row->field(c)->is_repeated()) cols.push_back(row->field(c));
    }
    std::vector<std::vector<std::string>> cells;
    std::vector<size_t> width(cols.size());
    for (size_t c = 0; c < cols.size(); ++c) width[c] = cols[c]->name().size();
    for (int k = 0; k < r->FieldSize(m, f); ++k) {
      auto& line = cells.emplace_back();
      for (size_t c = 0; c < cols.size(); ++c) {
        std::string v = Cell(r->GetRepeatedMessage(m, f, k), cols[c]).substr(0, 60);
        width[c] = std::max(width[c], v.size());
        line.push_back(v);
      }
    }
    for (size_t c = 0; c < cols.size(); ++c)
      std::printf("%-*s  ", static_cast<int>(width[c]),
                  absl::AsciiStrToUpper(cols[c]->name()).c_str());
    std::printf("\n");
    for (const auto& line : cells) {
      for (size_t c = 0; c < line.size(); ++c)
        std::printf("%-*s  ", static_cast<int>(width[c]), line[c].c_str());
      std::printf("\n");
    }
    PrintFields(m, "", f);
    return;
  }
  PrintFields(m, "", nullptr);
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& Services() {
  static const auto* s = new std::vector<std::pair<std::string, std::string>>{
      {"personnel", "tuopin.personnel.v1.PersonnelService"},
      {"funds", "tuopin.funds.v1.FundsService"},
      {"tasks", "tuopin.tasks.v1.TaskService"},
      {"exit", "tuopin.personnel.v1.ExitService"},
      {"exit-criteria", "tuopin.personnel.v1.ExitCriteriaService"},
      {"accountability", "tuopin.accountability.v1.AccountabilityService"},
      {"assessment", "tuopin.accountability.v1.AssessmentService"},
      {"log", "tuopin.auditlog.v1.AuditLog"},
      {"auditquery", "tuopin.auditquery.v1.AuditQueryService"},
  };
  return *s;
}

std::string KebabCase(const std::string& method) {
  std::string out;
  for (char c : method) {
    if (absl::ascii_isupper(c) && !out.empty()) out += '-';
    out += absl::ascii_tolower(c);
  }
  return out;
}

bool ReadFlag(int argc, char** argv, int& i, std::string& name, std::string& value,
              std::string& error) {
  const std::string arg = argv[i];
  if (arg.rfind("--", 0) != 0) {
    error = absl::StrCat("unexpected argument '", arg, "'");
    return false;
  }
  name = arg.substr(2);
  if (size_t eq = name.find('='); eq != std::string::npos) {
    value = name.substr(eq + 1);
    name = name.substr(0, eq);
  } else if (i + 1 < argc) {
    value = argv[++i];
  } else {
    error = absl::StrCat("flag --", name, " needs a value");
    return false;
  }
  return true;
}

int PrintError(const grpc::Status& st) {
  std::fprintf(stderr, "error: %s: %s\n",
               absl::StatusCodeToString(static_cast<absl::StatusCode>(st.error_code())).c_str(),
               st.error_message().c_str());
  for (const auto& [field, description] : common::FieldViolationsOf(st)) {
    std::fprintf(stderr, "  %s: %s\n", field.c_str(), description.c_str());
  }
  return 1;
}

namespace {

// --format: every page of the method's rows, as CSV or XLSX (common/export.h), written as
// each page arrives.
template <typename CallFn>
int Export(const MethodDescriptor* method, std::unique_ptr<Message> request,
           const std::string& format_name, const std::string& rows, const std::string& out_path,
           CallFn& call) {
  auto format = common::ParseExportFormat(format_name);
  if (!format.ok()) return Usage("--format must be csv or xlsx");
  auto shape = common::ExportShapeOf(method, rows);
  if (!shape.ok()) return Usage(std::string(shape.status().message()));
  FILE* file = out_path.empty() ? stdout : std::fopen(out_path.c_str(), "wb");
  if (file == nullptr) return Usage(absl::StrCat("cannot write ", out_path));
  common::ExportRun run(method, *shape, std::move(request), *format);
  grpc::Status failed;
  for (;;) {
    auto more = run.Step([&](const Message& req, Message* resp) {
      grpc::ByteBuffer out;
      grpc::Status st = call(req, &out);
      if (!st.ok()) {
        failed = st;
        return common::FromGrpcStatus(st);
      }
      grpc::Slice slice;
      if (!out.DumpToSingleSlice(&slice).ok() ||
          !resp->ParseFromArray(slice.begin(), static_cast<int>(slice.size()))) {
        return absl::InternalError("the answer does not parse");
      }
      return absl::OkStatus();
    });
    std::string bytes = run.TakeOutput();
    std::fwrite(bytes.data(), 1, bytes.size(), file);
    if (!more.ok()) {
      if (file != stdout) std::fclose(file);
      return PrintError(failed.ok() ? common::ToGrpcStatus(more.status()) : failed);
    }
    if (!*more) break;
  }
  if (file != stdout && std::fclose(file) != 0)
    return Usage(absl::StrCat("cannot write ", out_path));
  std::fprintf(stderr, "%lld rows exported\n", static_cast<long long>(run.rows()));
  return 0;
}

// --format with --http: GET /v1/export/... of the gateway's JSON front
// (services/gateway/http_export.h), streamed to the file; the gateway pages, and records
// the export in the audit log.
int HttpExport(const std::string& url, const std::string& token, const MethodDescriptor* method,
               const std::vector<std::pair<std::string, std::string>>& fields,
               const std::string& format, const std::string& rows, const std::string& out_path) {
  httplib::Params params{{"format", format}};
  if (!rows.empty()) params.emplace("rows", rows);
  for (const auto& [name, value] : fields) params.emplace(name, value);
  std::string path =
      absl::StrCat("/v1/export/", method->service()->full_name(), "/", method->name(), "?",
                   httplib::detail::params_to_query_str(params));
  httplib::Client client(url);
  client.set_read_timeout(300, 0);
  FILE* file = nullptr;
  std::string error_body;
  int status = 0;
  auto res = client.Get(
      path, {{"Authorization", "Bearer " + token}},
      [&](const httplib::Response& r) {
        status = r.status;
        if (status == 200) {
          file = out_path.empty() ? stdout : std::fopen(out_path.c_str(), "wb");
          return file != nullptr;
        }
        return true;
      },
      [&](const char* data, size_t n) {
        if (status != 200) {
          error_body.append(data, n);
          return true;
        }
        return std::fwrite(data, 1, n, file) == n;
      });
  if (file != nullptr && file != stdout) std::fclose(file);
  if (!res) {
    std::fprintf(stderr, "error: the export from %s failed: %s\n", url.c_str(),
                 httplib::to_string(res.error()).c_str());
    return 1;
  }
  if (status != 200) {
    std::fprintf(stderr, "error: HTTP %d: %s", status, error_body.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int RunRpcCommand(const std::string& service_name, int argc, char** argv, int first) {
  std::string full;
  for (const auto& [name, f] : Services()) {
    if (name == service_name) full = f;
  }
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full);
  if (service == nullptr) return Usage(absl::StrCat("unknown service '", service_name, "'"));
  if (first >= argc || std::string(argv[first]) == "--help" || std::string(argv[first]) == "-h") {
    PrintServiceHelp(service_name, service);
    return first >= argc ? 2 : 0;
  }
  const MethodDescriptor* method = nullptr;
  for (int i = 0; i < service->method_count(); ++i) {
    if (KebabCase(service->method(i)->name()) == argv[first] ||
        service->method(i)->name() == argv[first]) {
      method = service->method(i);
    }
  }
  if (method == nullptr) {
    return Usage(
        absl::StrCat("'", argv[first], "' is not a method of ", service_name, " (see --help)"));
  }
  auto* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method->input_type());
  std::unique_ptr<Message> request(prototype->New());
  bool json = false;
  std::string gateway = Env("TUOPIN_GATEWAY", "127.0.0.1:50051"), token = Env("TUOPIN_TOKEN", "");
  std::vector<std::pair<std::string, std::string>> field_flags;
  std::string format, out_path, rows, http = Env("TUOPIN_HTTP", "");
  bool request_json = false;
  for (int i = first + 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      PrintMethodHelp(service_name, method);
      return 0;
    }
    if (arg == "--json") {
      json = true;
      continue;
    }
    std::string name, value, error;
    if (!ReadFlag(argc, argv, i, name, value, error)) return Usage(error);
    if (name == "gateway") {
      gateway = value;
    } else if (name == "format") {
      format = value;
    } else if (name == "out") {
      out_path = value;
    } else if (name == "rows") {
      rows = value;
    } else if (name == "http") {
      http = value;
    } else if (name == "token") {
      token = value;
    } else if (name == "token_file") {
      auto t = common::ReadSecretFile(value);
      if (!t.ok()) return Usage(std::string(t.status().message()));
      token = *t;
    } else if (name == "request") {
      request_json = true;
      if (!google::protobuf::util::JsonStringToMessage(value, request.get()).ok()) {
        return Usage(absl::StrCat("--request is not JSON of ", method->input_type()->full_name()));
      }
    } else {
      field_flags.emplace_back(name, value);
    }
  }
  for (const auto& [name, value] : field_flags) {
    const FieldDescriptor* f = method->input_type()->FindFieldByName(name);
    if (f == nullptr) return Usage(absl::StrCat("unknown flag --", name, " (see --help)"));
    std::string error;
    if (!SetField(*request, f, value, &error)) return Usage(error);
  }
  if (Mutating(method)) {
    const FieldDescriptor* rid = method->input_type()->FindFieldByName("request_id");
    if (rid != nullptr && request->GetReflection()->GetString(*request, rid).empty()) {
      std::string id = absl::StrCat("ctl-", common::HexEncode(common::RandomBytes(8)));
      request->GetReflection()->SetString(request.get(), rid, id);
      std::fprintf(stderr, "request_id: %s (repeat it to retry safely)\n", id.c_str());
    }
  }
  if (token.empty())
    return Usage(
        "no token: set --token, --token_file or TUOPIN_TOKEN (see 'tuopinctl token mint')");

  common::GatewayClient client(gateway, token);
  grpc::GenericStub stub(client.channel());
  auto call = [&](const Message& req, grpc::ByteBuffer* out) {
    std::string bytes = req.SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer in(&slice, 1);
    auto ctx = client.Context(absl::Seconds(30));
    std::promise<grpc::Status> done;
    stub.UnaryCall(ctx.get(), absl::StrCat("/", service->full_name(), "/", method->name()),
                   grpc::StubOptions(), &in, out,
                   [&](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  };
  if (!format.empty() && !http.empty()) {
    if (request_json)
      return Usage("--http exports take the request's fields as flags, not --request");
    return HttpExport(http, token, method, field_flags, format, rows, out_path);
  }
  if (!format.empty()) return Export(method, std::move(request), format, rows, out_path, call);
  grpc::ByteBuffer out;
  grpc::Status st = call(*request, &out);
  if (!st.ok()) return PrintError(st);
  std::unique_ptr<Message> response(google::protobuf::MessageFactory::generated_factory()
                                        ->GetPrototype(method->output_type())
                                        ->New());
  grpc::Slice response_slice;
  if (!out.DumpToSingleSlice(&response_slice).ok() ||
      !response->ParseFromArray(response_slice.begin(), static_cast<int>(response_slice.size()))) {
    return Usage("the answer does not parse");
  }
  if (json) {
    std::string text;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(*response, &text, options);
    std::printf("%s", text.c_str());
  } else {
    PrintTable(*response);
  }
  return 0;
}

}  // namespace tuopin::ctl
