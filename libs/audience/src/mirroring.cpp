#include "mimicry/audience/mirroring.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mimicry/stats/random.h"

namespace mimicry::audience {

std::vector<int> AnsweredBy(const std::vector<sync::ExprEvent>& stimulus, const std::vector<sync::ExprEvent>& viewer,
                            const sync::MatchOptions& match) {
  return AnswerIndex(sync::MatchEvents(stimulus, viewer, match), stimulus.size());
}

std::vector<int> AnswerIndex(const std::vector<sync::Match>& matches, size_t stimulus_events) {
  std::vector<int> by(stimulus_events, -1);
  for (const auto& x : matches) by[static_cast<size_t>(x.from)] = x.to;
  return by;
}

std::vector<uint8_t> Eligible(const std::vector<sync::ExprEvent>& stimulus, const std::vector<uint8_t>& valid, double rate_hz,
                              const sync::MatchOptions& match) {
  std::vector<uint8_t> out(stimulus.size(), 0);
  for (size_t k = 0; k < stimulus.size(); ++k) {
    const long a = std::lround((stimulus[k].onset_s + match.min_latency_s) * rate_hz);
    const long b = std::lround((stimulus[k].onset_s + match.max_latency_s) * rate_hz);
    int ok = 0, all = 0;
    for (long i = a; i <= b; ++i, ++all)
      if (i >= 0 && i < static_cast<long>(valid.size()) && valid[static_cast<size_t>(i)]) ++ok;
    out[k] = ok * 2 >= all;
  }
  return out;
}

void ShiftedAnswers(const std::vector<sync::ExprEvent>& stimulus, const std::vector<std::vector<sync::ExprEvent>>& viewers,
                    const sync::MatchOptions& match, const ShiftOptions& o,
                    const std::function<void(const std::vector<std::vector<int>>&)>& each) {
  if (stimulus.empty() || !(o.duration_s > 2 * o.min_shift_s)) return;
  stats::Rng rng(o.seed);
  std::vector<std::vector<int>> by(viewers.size());
  for (int s = 0; s < o.surrogates; ++s) {
    for (size_t k = 0; k < viewers.size(); ++k) {
      const double shift = o.min_shift_s + rng.Uniform() * (o.duration_s - 2 * o.min_shift_s);
      std::vector<sync::ExprEvent> ev = viewers[k];
      for (auto& e : ev) {
        const double d = e.offset_s - e.onset_s, a = e.apex_s - e.onset_s;
        e.onset_s = std::fmod(e.onset_s + shift, o.duration_s);
        e.apex_s = e.onset_s + a;
        e.offset_s = e.onset_s + d;
      }
      std::sort(ev.begin(), ev.end(), [](const auto& x, const auto& y) { return x.onset_s < y.onset_s; });
      by[k] = AnsweredBy(stimulus, ev, match);
    }
    each(by);
  }
}

double FractionAnswered(const std::vector<std::vector<int>>& answered_by, const std::vector<std::vector<uint8_t>>& eligible,
                        const std::vector<uint8_t>& include) {
  int e = 0, a = 0;
  for (size_t k = 0; k < answered_by.size(); ++k) {
    if (!include.empty() && !include[k]) continue;
    for (size_t j = 0; j < answered_by[k].size(); ++j)
      if (eligible[k][j]) ++e, a += answered_by[k][j] >= 0;
  }
  return e > 0 ? static_cast<double>(a) / e : std::numeric_limits<double>::quiet_NaN();
}

double ChanceCorrected(double p, double c) {
  if (!std::isfinite(p) || !std::isfinite(c) || c >= 1) return std::numeric_limits<double>::quiet_NaN();
  return std::max(0.0, (p - c) / (1 - c));
}

}  // namespace mimicry::audience
