// libFuzzer target: every request validator on arbitrary protobuf bytes. The first byte
// picks the request type from tests/fuzz/validators_table.h, which the build generates from
// the contracts (every request of every method of every service); the rest is its wire
// form. Each request is validated as the frame of every RPC does it: the contract's field
// limits, then the method's own rules (common::ValidateRequest). For every request: the
// gateway's UTF-8 scan never flags what protobuf parses, a refusal is INVALID_ARGUMENT
// naming at least one field, and the verdict is the same twice. For the requests that carry
// money, households and tasks: whatever is accepted respects the limits the contracts
// declare.
#include <cstdint>
#include <cstdlib>

#include "common/field_limits.h"
#include "common/status.h"
#include "common/validate.h"
#include "tests/fuzz/validators_table.h"

namespace {
using namespace tuopin;

void CheckVerdict(const absl::Status& st, const absl::Status& again) {
  if (st.ok()) {
    if (!again.ok()) std::abort();
    return;
  }
  if (st.code() != absl::StatusCode::kInvalidArgument || again.code() != st.code()) std::abort();
  auto violations = common::FieldViolationsOf(common::ToGrpcStatus(st));
  if (violations.empty()) std::abort();
  for (const auto& [field, description] : violations) {
    if (field.empty() || description.empty()) std::abort();
  }
}

template <typename Req>
void CheckAccepted(const Req&) {}

void CheckAccepted(const funds::v1::CreateTransfersRequest& r) {
  if (r.transfers_size() < 1 || r.transfers_size() > 1000) std::abort();
  for (const auto& t : r.transfers()) {
    if (t.amount_fen() <= 0 || t.amount_fen() > common::kMaxAmountFen) std::abort();
    if (!common::IsValidId(t.id())) std::abort();
  }
}

void CheckAccepted(const personnel::v1::CreateHouseholdRequest& r) {
  const auto& h = r.household();
  if (!common::IsRegionCode(h.village_code()) || h.village_code().size() != 12) std::abort();
  if (h.head_name().empty() || h.head_name().size() > 64 || !common::IsValidUtf8(h.head_name()))
    std::abort();
  if (h.member_count() < 1 || h.member_count() > 30) std::abort();
}

void CheckAccepted(const tasks::v1::CreateTaskRequest& r) {
  if (r.task().title().empty() || r.task().title().size() > 200) std::abort();
}

void CheckAccepted(const personnel::v1::GetAttendanceRequest& r) {
  if (common::FromDate(r.to_date()) < common::FromDate(r.from_date())) std::abort();
}

using Fuzzer = void (*)(const uint8_t*, int);
// The gateway's UTF-8 scan never refuses what protobuf's parser (and so the backend)
// would accept.
void CheckUtf8Scan(const google::protobuf::Descriptor* type, const uint8_t* body, int len,
                   bool parsed) {
  auto bad = common::FindInvalidUtf8(
      type, absl::string_view(reinterpret_cast<const char*>(body), static_cast<size_t>(len)));
  if (parsed && bad.has_value()) std::abort();
}

#define TUOPIN_FUZZ_ONE(ns, Req, method)                                      \
  [](const uint8_t* body, int len) {                                          \
    ns::v1::Req r;                                                            \
    const bool parsed = r.ParseFromArray(body, len);                          \
    CheckUtf8Scan(ns::v1::Req::descriptor(), body, len, parsed);              \
    if (!parsed) return;                                                      \
    absl::Status st = common::ValidateRequest<ns::v1::Req>(r, &ns::Validate); \
    CheckVerdict(st, common::ValidateRequest<ns::v1::Req>(r, &ns::Validate)); \
    if (st.ok()) CheckAccepted(r);                                            \
  },
constexpr Fuzzer kFuzzers[] = {TUOPIN_VALIDATED_REQUESTS(TUOPIN_FUZZ_ONE)};
constexpr size_t kCount = sizeof(kFuzzers) / sizeof(kFuzzers[0]);
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  kFuzzers[data[0] % kCount](data + 1, static_cast<int>(size - 1));
  return 0;
}
