// common/exit_criteria: the household's exit criteria in their fixed order, and ratio
// criteria decided exactly (never through a rounded figure).

#include "common/exit_criteria.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace tuopin::common {
namespace {

using v1::Criterion;

personnel::v1::Indicators AllIndicators() {
  personnel::v1::Indicators i;
  i.set_food(true);
  i.set_clothing(true);
  i.set_compulsory_education(true);
  i.set_basic_medical_care(true);
  i.set_housing_safety(true);
  i.set_drinking_water_safety(true);
  return i;
}

TEST(FirstUnmetExitCriterionTest, EmptyWhenEveryCriterionHolds) {
  EXPECT_EQ(FirstUnmetExitCriterion(AllIndicators(), 368001, 368000), "");
}

TEST(FirstUnmetExitCriterionTest, IncomeMustBeStrictlyAboveTheLine) {
  EXPECT_EQ(FirstUnmetExitCriterion(AllIndicators(), 368000, 368000), "income_per_head");
  EXPECT_EQ(FirstUnmetExitCriterion(AllIndicators(), 0, 368000), "income_per_head");
}

TEST(FirstUnmetExitCriterionTest, IncomeComesBeforeTheIndicators) {
  personnel::v1::Indicators none;
  EXPECT_EQ(FirstUnmetExitCriterion(none, 100, 368000), "income_per_head");
  EXPECT_EQ(FirstUnmetExitCriterion(none, 400000, 368000), "indicators.food");
}

TEST(FirstUnmetExitCriterionTest, IndicatorsInTheirFieldOrder) {
  personnel::v1::Indicators i = AllIndicators();
  i.set_housing_safety(false);
  i.set_drinking_water_safety(false);
  EXPECT_EQ(FirstUnmetExitCriterion(i, 400000, 368000), "indicators.housing_safety");
  i.set_housing_safety(true);
  EXPECT_EQ(FirstUnmetExitCriterion(i, 400000, 368000), "indicators.drinking_water_safety");
  i = AllIndicators();
  i.set_clothing(false);
  i.set_basic_medical_care(false);
  EXPECT_EQ(FirstUnmetExitCriterion(i, 400000, 368000), "indicators.clothing");
  i = AllIndicators();
  i.set_compulsory_education(false);
  EXPECT_EQ(FirstUnmetExitCriterion(i, 400000, 368000), "indicators.compulsory_education");
}

TEST(RatioCriterionTest, AtMostIsExactAtTheThreshold) {
  Criterion at =
      RatioCriterion("wrongful_exit_rate", 200, 10000, Criterion::COMPARISON_AT_MOST, 200);
  EXPECT_TRUE(at.pass());
  EXPECT_EQ(at.value_bp(), 200);
  EXPECT_EQ(at.name(), "wrongful_exit_rate");
  EXPECT_EQ(at.numerator(), 200);
  EXPECT_EQ(at.denominator(), 10000);
  EXPECT_EQ(at.threshold_bp(), 200);
  EXPECT_EQ(at.comparison(), Criterion::COMPARISON_AT_MOST);
  EXPECT_FALSE(RatioCriterion("r", 201, 10000, Criterion::COMPARISON_AT_MOST, 200).pass());
}

TEST(RatioCriterionTest, DecidedExactlyNotByTheRoundedFigure) {
  // 2001 / 100000 rounds to 200 bp but is above 2 %.
  Criterion just_over = RatioCriterion("r", 2001, 100000, Criterion::COMPARISON_AT_MOST, 200);
  EXPECT_EQ(just_over.value_bp(), 200);
  EXPECT_FALSE(just_over.pass());
  // 89995 / 100000 rounds to 9000 bp but is below 90 %.
  Criterion just_under =
      RatioCriterion("approval", 89995, 100000, Criterion::COMPARISON_AT_LEAST, 9000);
  EXPECT_EQ(just_under.value_bp(), 9000);
  EXPECT_FALSE(just_under.pass());
}

TEST(RatioCriterionTest, AtLeastIsExactAtTheThreshold) {
  EXPECT_TRUE(RatioCriterion("approval", 9, 10, Criterion::COMPARISON_AT_LEAST, 9000).pass());
  EXPECT_FALSE(
      RatioCriterion("approval", 8999, 10000, Criterion::COMPARISON_AT_LEAST, 9000).pass());
}

TEST(RatioCriterionTest, ZeroDenominatorFails) {
  Criterion none = RatioCriterion("r", 0, 0, Criterion::COMPARISON_AT_MOST, 300);
  EXPECT_FALSE(none.pass());
  EXPECT_EQ(none.value_bp(), 0);
  EXPECT_FALSE(RatioCriterion("r", 5, 0, Criterion::COMPARISON_AT_LEAST, 0).pass());
  EXPECT_FALSE(RatioCriterion("r", 0, -3, Criterion::COMPARISON_AT_MOST, 10000).pass());
}

TEST(RatioCriterionTest, RoundsHalfUp) {
  // 1 / 3 = 3333.33 bp; 2 / 3 = 6666.67 bp; 1 / 20000 = 0.5 bp.
  EXPECT_EQ(RatioCriterion("r", 1, 3, Criterion::COMPARISON_AT_MOST, 0).value_bp(), 3333);
  EXPECT_EQ(RatioCriterion("r", 2, 3, Criterion::COMPARISON_AT_MOST, 0).value_bp(), 6667);
  EXPECT_EQ(RatioCriterion("r", 1, 20000, Criterion::COMPARISON_AT_MOST, 0).value_bp(), 1);
  EXPECT_EQ(RatioCriterion("r", 1, 20001, Criterion::COMPARISON_AT_MOST, 0).value_bp(), 0);
}

TEST(RatioCriterionTest, LargePopulationsDoNotOverflow) {
  // A province's registered poor over its rural population.
  int64_t poor = 2'000'000'000, rural = 2'100'000'000;
  Criterion c = RatioCriterion("r", poor, rural, Criterion::COMPARISON_AT_MOST, 9524);
  EXPECT_EQ(c.value_bp(), 9524);  // 9523.81
  EXPECT_TRUE(c.pass());
  EXPECT_FALSE(RatioCriterion("r", poor, rural, Criterion::COMPARISON_AT_MOST, 9523).pass());
}

TEST(YesNoCriterionTest, HoldsOrNot) {
  Criterion yes = YesNoCriterion("services.broadband", true);
  EXPECT_TRUE(yes.pass());
  EXPECT_EQ(yes.value_bp(), 10000);
  EXPECT_EQ(yes.comparison(), Criterion::COMPARISON_AT_LEAST);
  EXPECT_EQ(yes.threshold_bp(), 10000);
  Criterion no = YesNoCriterion("services.broadband", false);
  EXPECT_FALSE(no.pass());
  EXPECT_EQ(no.value_bp(), 0);
  EXPECT_EQ(no.name(), "services.broadband");
}

TEST(ScaleRoundHalfUpTest, RoundsHalfUp) {
  EXPECT_EQ(ScaleRoundHalfUp(1, 10000, 3), 3333);
  EXPECT_EQ(ScaleRoundHalfUp(2, 10000, 3), 6667);
  EXPECT_EQ(ScaleRoundHalfUp(1, 1, 2), 1);  // 0.5
  EXPECT_EQ(ScaleRoundHalfUp(5, 1, 2), 3);  // 2.5
  EXPECT_EQ(ScaleRoundHalfUp(3, 1, 7), 0);  // 0.43
  EXPECT_EQ(ScaleRoundHalfUp(10, 10, 10), 10);
}

TEST(ScaleRoundHalfUpTest, ZeroForNoDenominatorOrFactor) {
  EXPECT_EQ(ScaleRoundHalfUp(5, 10000, 0), 0);
  EXPECT_EQ(ScaleRoundHalfUp(5, 10000, -1), 0);
  EXPECT_EQ(ScaleRoundHalfUp(0, 10000, 7), 0);
  EXPECT_EQ(ScaleRoundHalfUp(5, 0, 7), 0);
}

TEST(ScaleRoundHalfUpTest, NoOverflowForPopulations) {
  // (2^31 - 1)^2 overflows int64 before the division; the result does not.
  int64_t a = 2'147'483'647;
  EXPECT_EQ(ScaleRoundHalfUp(a, a, a), a);
  EXPECT_EQ(ScaleRoundHalfUp(a, a - 1, a), a - 1);
  EXPECT_EQ(ScaleRoundHalfUp(a, 10000, 2 * a), 5000);
}

}  // namespace
}  // namespace tuopin::common
