// Second-by-second audience curves: retention, peaks and the peak-end score.
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

namespace mimicry::audience {

// The second a viewer is lost from: the start of the first run of `run_s` (>= 1) seconds
// in a row without attention (attentive[s] == 0); attentive.size() when never lost.
size_t LostAt(const std::vector<unsigned char>& attentive, size_t run_s = 3);

// Up to `count` local extremes of a per-second curve (highest first for peaks, lowest first
// for troughs), at least min_gap_s seconds apart; NaN seconds are skipped.
std::vector<size_t> Extremes(const std::vector<double>& curve, bool peaks, size_t count = 3, size_t min_gap_s = 3);

// The peak-end score of a per-second curve: (its highest value + the mean of its last
// `end_s` seconds) / 2 (Kahneman's peak-end rule); NaN parts give NaN.
struct PeakEnd {
  double peak = std::numeric_limits<double>::quiet_NaN();
  double end = std::numeric_limits<double>::quiet_NaN();
  double score = std::numeric_limits<double>::quiet_NaN();
};
PeakEnd PeakEndOf(const std::vector<double>& curve, size_t end_s = 3);

}  // namespace mimicry::audience
