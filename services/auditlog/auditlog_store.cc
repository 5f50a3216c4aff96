#include "services/auditlog/auditlog_store.h"

#include "common/validate.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::auditlog {

absl::StatusOr<LeafKeys> KeysOfLeaf(const std::string& leaf_value) {
  tuopin::common::v1::AuditEvent event;
  if (!event.ParseFromString(leaf_value)) return absl::DataLossError("a leaf does not parse");
  LeafKeys keys;
  keys.occurred_at = common::FromTimestamp(event.occurred_at());
  for (const auto& e : event.entities()) {
    if (e.type().empty() || e.type().size() > 32 || e.id().empty() || e.id().size() > 64 ||
        e.region_code().size() > 12) {
      continue;
    }
    keys.entities.push_back({e.type(), e.id(), e.region_code()});
  }
  return keys;
}

}  // namespace tuopin::auditlog
