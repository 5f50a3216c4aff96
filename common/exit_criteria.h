#pragma once
// The rules of an exit from poverty that more than one service applies: whether a
// household meets the year's standard (personnel's exit procedure and accountability's
// assessment visits judge a household by the same words), and exact ratio criteria
// (personnel's exit status and the assessment's county gate). Pure functions.

#include <cstdint>
#include <string>

#include "tuopin/common/v1/common.pb.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::common {

// The first criterion the household fails, in a fixed order: "income_per_head" (income
// per head must be strictly above the line), then "indicators.<name>" in the order of
// personnel.v1.Indicators' fields. Empty when every criterion holds.
std::string FirstUnmetExitCriterion(const personnel::v1::Indicators& indicators,
                                    int64_t income_per_head_fen, int64_t poverty_line_fen);

// A ratio criterion: pass is decided exactly (numerator * 10000 against threshold_bp *
// denominator); a zero or negative denominator fails. value_bp is the figure rounded half
// up (0 when the denominator is 0).
v1::Criterion RatioCriterion(const std::string& name, int64_t numerator, int64_t denominator,
                             v1::Criterion::Comparison comparison, int32_t threshold_bp);

// A yes/no criterion: 1/1 or 0/1, AT_LEAST 10000.
v1::Criterion YesNoCriterion(const std::string& name, bool holds);

// round_half_up(a * b / c) for non-negative a, b and positive c, without overflow for
// populations (a, b < 2^31); 0 when c <= 0.
int64_t ScaleRoundHalfUp(int64_t a, int64_t b, int64_t c);

}  // namespace tuopin::common
