// libFuzzer target: the request validators on arbitrary protobuf bytes. Whatever a
// validator accepts must respect the limits the contracts document.
#include <cstdint>
#include <cstdlib>

#include "common/validate.h"
#include "services/funds/funds_validate.h"
#include "services/personnel/personnel_validate.h"
#include "services/tasks/tasks_validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 4;
  const void* body = data + 1;
  const int len = static_cast<int>(size - 1);
  if (which == 0) {
    tuopin::funds::v1::CreateTransfersRequest r;
    if (r.ParseFromArray(body, len) && tuopin::funds::Validate(r).ok()) {
      if (r.transfers_size() < 1 || r.transfers_size() > 1000) std::abort();
      for (const auto& t : r.transfers()) {
        if (t.amount_fen() <= 0 || t.amount_fen() > tuopin::common::kMaxAmountFen) std::abort();
        if (!tuopin::common::IsValidId(t.id())) std::abort();
      }
    }
  } else if (which == 1) {
    tuopin::personnel::v1::CreateHouseholdRequest r;
    if (r.ParseFromArray(body, len) && tuopin::personnel::Validate(r).ok()) {
      const auto& h = r.household();
      if (!tuopin::common::IsRegionCode(h.village_code()) || h.village_code().size() != 12) std::abort();
      if (h.head_name().empty() || h.head_name().size() > 64 || !tuopin::common::IsValidUtf8(h.head_name())) std::abort();
      if (h.member_count() < 1 || h.member_count() > 30) std::abort();
    }
  } else if (which == 2) {
    tuopin::tasks::v1::CreateTaskRequest r;
    if (r.ParseFromArray(body, len) && tuopin::tasks::Validate(r).ok()) {
      if (r.task().title().empty() || r.task().title().size() > 200) std::abort();
    }
  } else {
    tuopin::personnel::v1::GetAttendanceRequest r;
    if (r.ParseFromArray(body, len) && tuopin::personnel::Validate(r).ok()) {
      if (tuopin::common::FromDate(r.to_date()) < tuopin::common::FromDate(r.from_date())) std::abort();
    }
  }
  return 0;
}
