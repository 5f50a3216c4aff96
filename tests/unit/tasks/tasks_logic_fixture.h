#pragma once
// The world the tasks logic's unit tests share: the logic over the in-memory store and
// personnel directory, a clock on 5 September 2018 (day 8 of stage two), Shuicheng's
// (520221) and the neighbour's (520222) campaign, cadre and household.

#include <utility>

#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/tasks/tasks_logic.h"
#include "tests/support/fake_directories.h"
#include "tests/support/fake_tasks_store.h"

namespace tuopin::tasks {

inline constexpr char kShuichengVillage[] = "520221104001";
inline constexpr char kNeighbourVillage[] = "520222101001";

class TasksLogicFixture : public ::testing::Test {
 protected:
  TasksLogicFixture()
      : clock_(absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone())),
        tokens_("tasks-unit-test-page-token-key-012345"),
        logic_(store_, personnel_, clock_, tokens_) {
    for (auto [id, region] : {std::pair{"camp-sc", "520221"}, std::pair{"camp-nb", "520222"}}) {
      v1::Campaign& c = store_.campaigns[id];
      c.set_id(id);
      c.set_region_code(region);
      *c.mutable_start_date() = common::ToDate(absl::CivilDay(2018, 4, 1));
    }
    personnel_.cadre_regions = {{"cadre-sc", "520221"}, {"cadre-nb", "520222"}};
    personnel_.household_villages = {{"hh-sc", kShuichengVillage}, {"hh-nb", kNeighbourVillage}};
  }

  common::FakeClock clock_;
  common::PageTokenCodec tokens_;
  testing::FakeTasksStore store_;
  testing::FakePersonnelDirectory personnel_;
  TasksLogic logic_;
};

}  // namespace tuopin::tasks
