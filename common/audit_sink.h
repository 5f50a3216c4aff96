#pragma once
// The outbox relays' sink in production: AuditLog.AppendEvents through the gateway, with
// the service's own token. The log deduplicates by event id, so a batch shipped again
// after a crash (shipped, but not yet marked) is appended once.

#include "common/gateway_client.h"
#include "common/outbox.h"

namespace tuopin::common {

class GatewayAuditSink final : public OutboxSink {
 public:
  explicit GatewayAuditSink(const GatewayClient& client) : client_(client) {}
  absl::Status Ship(const std::vector<tuopin::common::v1::AuditEvent>& events) override;

 private:
  const GatewayClient& client_;
};

}  // namespace tuopin::common
