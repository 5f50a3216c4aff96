// common/grpc_metrics: which method paths get their own label values. Only the methods of
// the services a server serves (added up front, as RunServer does) do, each under the path
// gRPC gives it; a method of a service merely linked into the binary, a path split
// elsewhere and a name nobody knows all share the "unknown" entry.

#include "common/grpc_metrics.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/server.h"
#include "gtest/gtest.h"
#include "tuopin/auditquery/v1/auditquery.pb.h"
#include "tuopin/funds/v1/funds.pb.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::common {
namespace {

constexpr char kFunds[] = "tuopin.funds.v1.FundsService";
// Linked into this test (and into every binary linking the contracts), never added here.
constexpr char kPersonnel[] = "tuopin.personnel.v1.PersonnelService";

// The contracts' descriptors, from the generated code (which also keeps it linked in).
const google::protobuf::ServiceDescriptor* Service(const google::protobuf::Descriptor* message,
                                                   absl::string_view name) {
  return message->file()->FindServiceByName(std::string(name));
}
const google::protobuf::ServiceDescriptor* FundsService() {
  return Service(funds::v1::CreateTransfersRequest::descriptor(), "FundsService");
}
const google::protobuf::ServiceDescriptor* PersonnelService() {
  return Service(personnel::v1::ImportRegionsRequest::descriptor(), "PersonnelService");
}
const google::protobuf::ServiceDescriptor* AuditQueryService() {
  return Service(auditquery::v1::GetEntityHistoryRequest::descriptor(), "AuditQueryService");
}

// The series of grpc_server_handled_total whose grpc_service is `service`.
int HandledSeries(const std::string& service) {
  int n = 0;
  for (const auto& family : MetricsRegistry().Collect()) {
    if (family.name != "grpc_server_handled_total") continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "grpc_service" && label.value == service) ++n;
      }
    }
  }
  return n;
}

TEST(GrpcServerMetricsTest, ServedMethodsGetTheirOwnLabels) {
  auto& metrics = GrpcServerMetrics::Get();
  ASSERT_TRUE(metrics.AddService(kFunds));
  const auto* service = FundsService();
  ASSERT_NE(service, nullptr);
  ASSERT_EQ(service->full_name(), kFunds);
  ASSERT_GT(service->method_count(), 0);
  for (int i = 0; i < service->method_count(); ++i) {
    GrpcMethodMetrics* m = metrics.ForMethod(absl::StrCat("/", kFunds, "/", service->method(i)->name()));
    ASSERT_NE(m, metrics.Unknown()) << service->method(i)->name();
    EXPECT_EQ(m->service(), kFunds);
    EXPECT_EQ(m->method(), service->method(i)->name());
  }
}

TEST(GrpcServerMetricsTest, LinkedButUnservedServiceIsUnknown) {
  auto& metrics = GrpcServerMetrics::Get();
  // In the descriptor pool (the contracts are linked in), but not served.
  ASSERT_NE(PersonnelService(), nullptr);
  ASSERT_EQ(PersonnelService()->full_name(), kPersonnel);
  ASSERT_NE(google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
                absl::StrCat(kPersonnel, ".ImportRegions")),
            nullptr);
  GrpcMethodMetrics* m = metrics.ForMethod(absl::StrCat("/", kPersonnel, "/ImportRegions"));
  EXPECT_EQ(m, metrics.Unknown());
  // Its calls (UNIMPLEMENTED) add no series of their own.
  m->Observe(12, 0.001);
  EXPECT_EQ(HandledSeries(kPersonnel), 0);
  EXPECT_GE(HandledSeries("unknown"), 1);
}

TEST(GrpcServerMetricsTest, PathSplitElsewhereIsUnknown) {
  auto& metrics = GrpcServerMetrics::Get();
  ASSERT_TRUE(metrics.AddService(kFunds));
  GrpcMethodMetrics* canonical = metrics.ForMethod(absl::StrCat("/", kFunds, "/CreateTransfers"));
  ASSERT_NE(canonical, metrics.Unknown());
  // The same method by its full name, split at another dot: gRPC would not route it to
  // the service, and it gets no entry of its own.
  EXPECT_EQ(metrics.ForMethod("/tuopin.funds.v1/FundsService.CreateTransfers"), metrics.Unknown());
  EXPECT_EQ(metrics.ForMethod("/tuopin/funds.v1.FundsService.CreateTransfers"), metrics.Unknown());
  // Added by such a path (a route), it is kept under the canonical one: one entry.
  EXPECT_EQ(metrics.AddMethod("/tuopin.funds.v1/FundsService.CreateTransfers"), canonical);
  EXPECT_EQ(metrics.ForMethod("/tuopin.funds.v1/FundsService.CreateTransfers"), metrics.Unknown());
}

TEST(GrpcServerMetricsTest, UnknownNamesAreUnknown) {
  auto& metrics = GrpcServerMetrics::Get();
  EXPECT_FALSE(metrics.AddService("no.such.Service"));
  EXPECT_EQ(metrics.AddMethod("/no.such.Service/Method"), metrics.Unknown());
  EXPECT_EQ(metrics.AddMethod("no-slash"), metrics.Unknown());
  EXPECT_EQ(metrics.ForMethod("/no.such.Service/Method"), metrics.Unknown());
  EXPECT_EQ(metrics.ForMethod(""), metrics.Unknown());
  EXPECT_EQ(metrics.Unknown()->service(), "unknown");
  EXPECT_EQ(metrics.Unknown()->method(), "unknown");
}

TEST(GrpcServerMetricsTest, AddMethodAddsOneMethod) {
  auto& metrics = GrpcServerMetrics::Get();
  const std::string path = "/tuopin.auditquery.v1.AuditQueryService/";
  const auto* service = AuditQueryService();
  ASSERT_NE(service, nullptr);
  ASSERT_GE(service->method_count(), 2);
  GrpcMethodMetrics* added = metrics.AddMethod(path + service->method(0)->name());
  ASSERT_NE(added, metrics.Unknown());
  EXPECT_EQ(metrics.ForMethod(path + service->method(0)->name()), added);
  EXPECT_EQ(metrics.ForMethod(path + service->method(1)->name()), metrics.Unknown());
}

}  // namespace
}  // namespace tuopin::common
