// libFuzzer target: page-token decoding. Any input is rejected or yields a key; nothing
// crashes, and a token only decodes when its MAC is right (the fuzzer cannot forge one).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/page_token.h"
#include "tuopin/personnel/v1/personnel.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const tuopin::common::PageTokenCodec codec("fuzz-page-token-key-0123456789abcdef");
  tuopin::personnel::v1::ListHouseholdsRequest req;
  req.set_region_code("520221");
  std::string token(reinterpret_cast<const char*>(data), size);
  auto key = codec.Decode(req, token);
  // A round trip of whatever decoded must decode to the same key.
  if (key.ok() && !token.empty()) {
    auto again = codec.Decode(req, codec.Encode(req, *key));
    if (!again.ok() || *again != *key) std::abort();
  }
  return 0;
}
