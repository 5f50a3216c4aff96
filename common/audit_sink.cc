#include "common/audit_sink.h"

#include "common/status.h"
#include "tuopin/auditlog/v1/auditlog.grpc.pb.h"

namespace tuopin::common {

absl::Status GatewayAuditSink::Ship(const std::vector<tuopin::common::v1::AuditEvent>& events) {
  namespace lv1 = tuopin::auditlog::v1;
  auto stub = lv1::AuditLog::NewStub(client_.channel());
  // At most 1000 events a call, as the contract says.
  for (size_t start = 0; start < events.size(); start += 1000) {
    lv1::AppendEventsRequest req;
    for (size_t i = start; i < std::min(events.size(), start + 1000); ++i)
      *req.add_events() = events[i];
    req.set_request_id(req.events(0).event_id());
    lv1::AppendEventsResponse resp;
    grpc::Status st = stub->AppendEvents(client_.Context(absl::Seconds(10)).get(), req, &resp);
    if (!st.ok()) return FromGrpcStatus(st);
  }
  return absl::OkStatus();
}

}  // namespace tuopin::common
