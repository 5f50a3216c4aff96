#pragma once
// Opaque page tokens (AIP-158) for keyset pagination. A token carries the sort key of the
// last row returned and a digest of the query's filters, authenticated with an HMAC, so a
// token that was edited, or reused with other filters, is INVALID_ARGUMENT.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/status.h"
#include "google/protobuf/message.h"

namespace tuopin::common {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// 0 -> default; negative or above the maximum -> a violation on `page_size`.
int ResolvePageSize(int32_t requested, FieldViolations& violations);

// Digest of a list request without its page_token and page_size fields.
std::string QueryDigest(const google::protobuf::Message& request);

class PageTokenCodec {
 public:
  explicit PageTokenCodec(std::string key) : key_(std::move(key)) {}
  std::string Encode(const google::protobuf::Message& request,
                     const std::vector<std::string>& last_key) const;
  // An empty token decodes to an empty key (the first page).
  absl::StatusOr<std::vector<std::string>> Decode(const google::protobuf::Message& request,
                                                  absl::string_view token) const;

 private:
  std::string key_;
};

}  // namespace tuopin::common
