#pragma once
// Outside one's scope, "does not exist" and "not yours" look the same (AIP-211): the
// refusal of another county's object and of a missing one are one PERMISSION_DENIED, with
// the same reason, word for word but for the id the caller sent.

#include <string>

#include "absl/status/status.h"
#include "common/status.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"

namespace tuopin::testing {

inline void ExpectSameRefusal(const grpc::Status& other, const std::string& other_id,
                              const grpc::Status& missing, const std::string& missing_id) {
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED) << other.error_message();
  EXPECT_EQ(missing.error_code(), other.error_code()) << missing.error_message();
  std::string a = other.error_message(), b = missing.error_message();
  ASSERT_NE(a.find(other_id), std::string::npos) << a;
  ASSERT_NE(b.find(missing_id), std::string::npos) << b;
  a.replace(a.find(other_id), other_id.size(), "<id>");
  b.replace(b.find(missing_id), missing_id.size(), "<id>");
  EXPECT_EQ(a, b);
  EXPECT_EQ(common::ReasonOf(other), common::ReasonOf(missing));
}

// The same for the logic's statuses, as the adapter would answer them.
inline void ExpectSameRefusal(const absl::Status& other, const std::string& other_id,
                              const absl::Status& missing, const std::string& missing_id) {
  ExpectSameRefusal(common::ToGrpcStatus(other), other_id, common::ToGrpcStatus(missing),
                    missing_id);
}

}  // namespace tuopin::testing
