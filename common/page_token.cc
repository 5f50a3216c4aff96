#include "common/page_token.h"

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/mutation.h"
#include "tuopin/common/v1/internal.pb.h"

namespace tuopin::common {
namespace {
constexpr size_t kMacBytes = 16;
constexpr size_t kDigestBytes = 16;

absl::Status BadToken(absl::string_view why) {
  return WithReason(InvalidField("page_token", why), ErrorReason::INVALID_PAGE_TOKEN);
}
}  // namespace

int ResolvePageSize(int32_t requested, FieldViolations& violations) {
  if (requested == 0) return kDefaultPageSize;
  if (requested < 0 || requested > kMaxPageSize) {
    violations.Add("page_size", absl::StrCat("must be between 0 and ", kMaxPageSize));
    return kDefaultPageSize;
  }
  return requested;
}

absl::StatusOr<PageRequest> BeginPage(const PageTokenCodec& tokens,
                                      const google::protobuf::Message& req,
                                      const std::string& token, int32_t page_size,
                                      size_t key_parts) {
  FieldViolations v;
  int limit = ResolvePageSize(page_size, v);
  TUOPIN_RETURN_IF_ERROR(v.ToStatus());
  TUOPIN_ASSIGN_OR_RETURN(std::vector<std::string> after, tokens.Decode(req, token));
  if (!after.empty() && after.size() != key_parts) {
    return BadToken("is not a token of this list");
  }
  return PageRequest{std::move(after), limit + 1};
}

std::string QueryDigest(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const auto* desc = copy->GetDescriptor();
  const auto* refl = copy->GetReflection();
  for (const char* name : {"page_token", "page_size"}) {
    if (const auto* f = desc->FindFieldByName(name)) refl->ClearField(copy.get(), f);
  }
  return MessageSha256(*copy).substr(0, kDigestBytes);
}

std::string PageTokenCodec::Encode(const google::protobuf::Message& request,
                                   const std::vector<std::string>& last_key) const {
  tuopin::common::v1::PageTokenBody body;
  body.set_query_digest(QueryDigest(request));
  for (const auto& k : last_key) body.add_last_key(k);
  std::string bytes = body.SerializeAsString();
  return Base64UrlEncode(absl::StrCat(bytes, HmacSha256(key_, bytes).substr(0, kMacBytes)));
}

absl::StatusOr<std::vector<std::string>> PageTokenCodec::Decode(
    const google::protobuf::Message& request, absl::string_view token) const {
  if (token.empty()) return std::vector<std::string>{};
  if (token.size() > 2048) return BadToken("is too long");
  auto raw = Base64UrlDecode(token);
  if (!raw.has_value() || raw->size() <= kMacBytes)
    return BadToken("is not a token of this service");
  absl::string_view bytes(raw->data(), raw->size() - kMacBytes);
  absl::string_view mac(raw->data() + bytes.size(), kMacBytes);
  if (!ConstantTimeEquals(HmacSha256(key_, bytes).substr(0, kMacBytes), mac)) {
    return BadToken("is not a token of this service, or was altered");
  }
  tuopin::common::v1::PageTokenBody body;
  if (!body.ParseFromString(std::string(bytes))) return BadToken("does not parse");
  if (body.query_digest() != QueryDigest(request)) {
    return BadToken("was issued for a query with other filters");
  }
  return std::vector<std::string>(body.last_key().begin(), body.last_key().end());
}

}  // namespace tuopin::common
