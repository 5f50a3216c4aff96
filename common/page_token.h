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
#include "google/protobuf/repeated_ptr_field.h"

namespace tuopin::common {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// 0 -> default; negative or above the maximum -> a violation on `page_size`.
int ResolvePageSize(int32_t requested, FieldViolations& violations);

// Digest of a list request without its page_token and page_size fields.
std::string QueryDigest(const google::protobuf::Message& request);

// A keyset page to read: the sort key after which it starts, and how many rows to
// fetch — one more than the page holds, to know whether another page follows.
struct PageRequest {
  std::vector<std::string> after;
  int limit = kDefaultPageSize + 1;
};

class PageTokenCodec;

// Validates page_size, decodes the token (bound to `req`'s filters) and checks that it
// carries a key of `key_parts` parts.
absl::StatusOr<PageRequest> BeginPage(const PageTokenCodec& tokens,
                                      const google::protobuf::Message& req,
                                      const std::string& token, int32_t page_size,
                                      size_t key_parts);

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

// Moves the rows of a page into `out`; when the store returned the extra row, drops it
// and sets the next token from the last row kept.
template <typename T, typename KeyFn>
void FinishPage(std::vector<T>& rows, const PageRequest& page, const PageTokenCodec& tokens,
                const google::protobuf::Message& req, KeyFn key,
                google::protobuf::RepeatedPtrField<T>* out, std::string* next_token) {
  int limit = page.limit - 1;
  bool more = static_cast<int>(rows.size()) > limit;
  if (more) rows.resize(limit);
  for (auto& r : rows) *out->Add() = std::move(r);
  if (more && !out->empty()) *next_token = tokens.Encode(req, key(*out->rbegin()));
}

}  // namespace tuopin::common
