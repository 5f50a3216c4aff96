#include "common/exit_criteria.h"

namespace tuopin::common {

std::string FirstUnmetExitCriterion(const personnel::v1::Indicators& indicators,
                                    int64_t income_per_head_fen, int64_t poverty_line_fen) {
  if (income_per_head_fen <= poverty_line_fen) return "income_per_head";
  const auto* descriptor = indicators.GetDescriptor();
  const auto* reflection = indicators.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (!reflection->GetBool(indicators, field)) return "indicators." + field->name();
  }
  return "";
}

int64_t ScaleRoundHalfUp(int64_t a, int64_t b, int64_t c) {
  if (c <= 0 || a <= 0 || b <= 0) return 0;
  __int128 product = static_cast<__int128>(a) * b;
  return static_cast<int64_t>((2 * product + c) / (2 * static_cast<__int128>(c)));
}

v1::Criterion RatioCriterion(const std::string& name, int64_t numerator, int64_t denominator,
                             v1::Criterion::Comparison comparison, int32_t threshold_bp) {
  v1::Criterion c;
  c.set_name(name);
  c.set_numerator(numerator);
  c.set_denominator(denominator);
  c.set_comparison(comparison);
  c.set_threshold_bp(threshold_bp);
  if (denominator <= 0) {
    c.set_value_bp(0);
    c.set_pass(false);
    return c;
  }
  c.set_value_bp(static_cast<int32_t>(ScaleRoundHalfUp(numerator, 10000, denominator)));
  __int128 lhs = static_cast<__int128>(numerator) * 10000;
  __int128 rhs = static_cast<__int128>(threshold_bp) * denominator;
  c.set_pass(comparison == v1::Criterion::COMPARISON_AT_MOST ? lhs <= rhs : lhs >= rhs);
  return c;
}

v1::Criterion YesNoCriterion(const std::string& name, bool holds) {
  return RatioCriterion(name, holds ? 1 : 0, 1, v1::Criterion::COMPARISON_AT_LEAST, 10000);
}

}  // namespace tuopin::common
