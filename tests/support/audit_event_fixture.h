#pragma once
// The audit event the log's tests append: funds' CreateTransfers of transfer "t-<i>", in a
// village of Shuicheng unless told otherwise.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/validate.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::testing {

inline tuopin::common::v1::AuditEvent TransferEvent(int i, absl::Time occurred_at,
                                                    const std::string& region = "520221104001") {
  tuopin::common::v1::AuditEvent e;
  e.set_event_id(absl::StrCat("evt-", i));
  e.set_service("funds");
  e.set_method("/tuopin.funds.v1.FundsService/CreateTransfers");
  e.set_actor_subject("finance-shuicheng");
  auto* ref = e.add_entities();
  ref->set_type("transfer");
  ref->set_id(absl::StrCat("t-", i));
  ref->set_region_code(region);
  *e.mutable_occurred_at() = common::ToTimestamp(occurred_at);
  return e;
}

}  // namespace tuopin::testing
