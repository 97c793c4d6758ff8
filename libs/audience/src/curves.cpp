#include "mimicry/audience/curves.h"

#include <algorithm>
#include <cmath>

#include "mimicry/stats/descriptive.h"

namespace mimicry::audience {

size_t LostAt(const std::vector<unsigned char>& attentive, size_t run_s) {
  size_t run = 0;
  for (size_t s = 0; s < attentive.size(); ++s) {
    run = attentive[s] ? 0 : run + 1;
    if (run >= run_s) return s + 1 - run_s;
  }
  return attentive.size();
}

std::vector<size_t> Extremes(const std::vector<double>& curve, bool peaks, size_t count, size_t min_gap_s) {
  std::vector<size_t> idx;
  for (size_t s = 0; s < curve.size(); ++s)
    if (std::isfinite(curve[s])) idx.push_back(s);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return peaks ? curve[a] > curve[b] : curve[a] < curve[b]; });
  std::vector<size_t> taken;
  for (size_t s : idx) {
    if (taken.size() == count) break;
    if (std::any_of(taken.begin(), taken.end(), [&](size_t t) { return (s > t ? s - t : t - s) < min_gap_s; })) continue;
    taken.push_back(s);
  }
  return taken;
}

PeakEnd PeakEndOf(const std::vector<double>& curve, size_t end_s) {
  PeakEnd r;
  for (double x : curve)
    if (std::isfinite(x) && (!std::isfinite(r.peak) || x > r.peak)) r.peak = x;
  const size_t k = std::min(end_s, curve.size());
  r.end = stats::Mean(std::vector<double>(curve.end() - static_cast<long>(k), curve.end()));
  r.score = (r.peak + r.end) / 2;
  return r;
}

}  // namespace mimicry::audience
