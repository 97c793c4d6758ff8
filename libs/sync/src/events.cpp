#include "mimicry/sync/events.h"

#include "mimicry/schema/vocabulary.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "mimicry/stats/descriptive.h"
#include "mimicry/stats/tests.h"
#include "mimicry/sync/xcorr.h"

namespace mimicry::sync {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using schema::kActions;

int AuSlot(int code) { return schema::AuIndex(code); }

bool SameAffect(int a, int b) { return std::string(kActions[a].affect) == kActions[b].affect; }

struct Counts {
  int strict = 0, broad = 0;
  double prompt_strict = 0, prompt_broad = 0;  // sums of the answers' promptness (0..1)
};
// Promptness of an answer: 1 at the earliest latency of the answer window, 0 at the latest.
Counts Count(const std::vector<Match>& m, const MatchOptions& o) {
  Counts c;
  const double span = std::max(1e-9, o.max_latency_s - o.min_latency_s);
  for (const auto& x : m) {
    const double pr = std::clamp((o.max_latency_s - x.latency_s) / span, 0.0, 1.0);
    (x.strict ? c.strict : c.broad)++;
    (x.strict ? c.prompt_strict : c.prompt_broad) += pr;
  }
  return c;
}
// The tested statistic: the count, with ties between equal counts broken by the answers'
// mean promptness (a count of k always ranks below a count of k + 1).
double Score(int count, double prompt_sum) { return count + (count > 0 ? 0.999 * prompt_sum / count : 0.0); }

}  // namespace

std::span<const Action> Actions() { return kActions; }

int ActionIndex(const std::string& name) {
  for (int i = 0; i < static_cast<int>(std::size(kActions)); ++i)
    if (name == kActions[i].name) return i;
  return -1;
}

// The rises of one intensity series v (NaN = missing) as events of action a: smoothed inside
// runs of valid samples, above max(threshold, median + noise_k robust SDs) for at least
// min_duration_s.
// The onset and offset are where the smoothed series crosses onset_fraction of the way from
// the rest level to the apex: 0 for AUs (intensities over the neutral), the median for
// series with a level of their own (rest_at_median).
void Rises(const std::vector<double>& v, int a, double t0_s, double rate_hz, const EventOptions& o, bool rest_at_median,
           std::vector<ExprEvent>& found) {
  const size_t n = v.size();
  const int half = std::max(0, static_cast<int>(std::lround(o.smooth_s * rate_hz / 2)));
  const size_t min_len = static_cast<size_t>(std::max(1L, std::lround(o.min_duration_s * rate_hz)));
  // Moving average inside runs of valid samples.
  std::vector<double> s(n, kNaN);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) continue;
    double sum = 0;
    int cnt = 0;
    for (int d = -half; d <= half; ++d) {
      const int64_t j = static_cast<int64_t>(i) + d;
      if (j < 0 || j >= static_cast<int64_t>(n)) continue;
      if (!std::isfinite(v[static_cast<size_t>(j)])) {
        if (d < 0) {
          sum = 0;
          cnt = 0;
          continue;
        }
        break;
      }
      sum += v[static_cast<size_t>(j)];
      ++cnt;
    }
    s[i] = sum / cnt;
  }
  std::vector<double> valid;
  for (double x : s)
    if (std::isfinite(x)) valid.push_back(x);
  if (valid.size() < min_len) return;
  const double med = stats::Median(valid);
  std::vector<double> dev;
  for (double x : valid) dev.push_back(std::abs(x - med));
  const double thr = std::max(o.threshold, med + o.noise_k * 1.4826 * stats::Median(dev));
  for (size_t i = 0; i < n;) {
    if (!(std::isfinite(s[i]) && s[i] >= thr)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && std::isfinite(s[j]) && s[j] >= thr) ++j;
    if (j - i >= min_len) {
      size_t apex = i;
      for (size_t k = i; k < j; ++k)
        if (s[k] > s[apex]) apex = k;
      const double rest = rest_at_median ? med : 0.0;
      const double floor = rest + o.onset_fraction * (s[apex] - rest);
      size_t on = i, off = j - 1;
      while (on > 0 && std::isfinite(s[on - 1]) && s[on - 1] > floor) --on;
      while (off + 1 < n && std::isfinite(s[off + 1]) && s[off + 1] > floor) ++off;
      ExprEvent e;
      e.onset_s = t0_s + static_cast<double>(on) / rate_hz;
      e.apex_s = t0_s + static_cast<double>(apex) / rate_hz;
      e.offset_s = t0_s + static_cast<double>(off) / rate_hz;
      e.intensity = static_cast<float>(s[apex]);
      e.action = a;
      e.actions = {a};
      found.push_back(e);
      i = off + 1;
    } else {
      i = j;
    }
  }
}

std::vector<ExprEvent> DetectEvents(const std::vector<std::span<const float>>& aus, double t0_s, double rate_hz,
                                    const EventOptions& o) {
  std::vector<ExprEvent> found;
  if (aus.empty()) return found;
  const size_t n = aus[0].size();
  for (int a = 0; a < static_cast<int>(std::size(kActions)); ++a) {
    if (kActions[a].aus[0] == 0) continue;  // "movement": series only
    // The action's intensity: the largest of its AUs.
    std::vector<double> v(n, kNaN);
    for (int code : kActions[a].aus) {
      if (code == 0) continue;
      const int slot = AuSlot(code);
      if (slot < 0 || static_cast<size_t>(slot) >= aus.size()) continue;
      for (size_t i = 0; i < n; ++i) {
        const float x = aus[static_cast<size_t>(slot)][i];
        if (std::isfinite(x)) v[i] = std::isfinite(v[i]) ? std::max(v[i], static_cast<double>(x)) : x;
      }
    }
    Rises(v, a, t0_s, rate_hz, o, false, found);
  }
  // Merge actions whose onsets are close into one expression.
  std::sort(found.begin(), found.end(), [](const ExprEvent& x, const ExprEvent& y) { return x.onset_s < y.onset_s; });
  std::vector<ExprEvent> out;
  for (size_t i = 0; i < found.size();) {
    size_t j = i + 1;
    // Chained: each next onset within merge_s of the previous one, the whole expression
    // starting within 2 x merge_s (a brow raise whose jaw drop follows 0.4 s later, after
    // a faint lip movement, is one surprise, not two events).
    while (j < found.size() && found[j].onset_s - found[j - 1].onset_s <= o.merge_s &&
           found[j].onset_s - found[i].onset_s <= 2 * o.merge_s)
      ++j;
    // Primary: among the actions at least 70% as intense as the strongest, the first in
    // priority order (a smile with an equally strong cheek raise is a smile; a faint
    // co-occurring action does not override a clear one).
    ExprEvent e;
    for (size_t k = i; k < j; ++k) {
      e.actions.push_back(found[k].action);
      e.intensity = std::max(e.intensity, found[k].intensity);
    }
    size_t primary = j;
    for (size_t k = i; k < j; ++k)
      if (found[k].intensity >= 0.7f * e.intensity && (primary == j || found[k].action < found[primary].action)) primary = k;
    e.onset_s = found[primary].onset_s;
    e.apex_s = found[primary].apex_s;
    e.offset_s = found[primary].offset_s;
    e.action = found[primary].action;
    std::sort(e.actions.begin(), e.actions.end());
    e.actions.erase(std::unique(e.actions.begin(), e.actions.end()), e.actions.end());
    out.push_back(std::move(e));
    i = j;
  }
  return out;
}

std::vector<ExprEvent> DetectSeriesEvents(std::span<const float> x, double t0_s, double rate_hz, const EventOptions& o) {
  std::vector<double> v(x.begin(), x.end());
  std::vector<ExprEvent> found;
  Rises(v, ActionIndex("movement"), t0_s, rate_hz, o, true, found);
  std::sort(found.begin(), found.end(), [](const ExprEvent& a, const ExprEvent& b) { return a.onset_s < b.onset_s; });
  return found;
}

std::vector<Match> MatchEvents(const std::vector<ExprEvent>& from, const std::vector<ExprEvent>& to,
                               const MatchOptions& o) {
  std::vector<size_t> order(from.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return from[a].onset_s < from[b].onset_s; });
  std::vector<size_t> by_onset(to.size());
  for (size_t i = 0; i < by_onset.size(); ++i) by_onset[i] = i;
  std::sort(by_onset.begin(), by_onset.end(), [&](size_t a, size_t b) { return to[a].onset_s < to[b].onset_s; });
  std::vector<bool> used(to.size(), false);
  std::vector<Match> out;
  for (size_t fi : order) {
    const ExprEvent& f = from[fi];
    int best = -1;
    bool best_strict = false;
    auto it = std::lower_bound(by_onset.begin(), by_onset.end(), f.onset_s + o.min_latency_s,
                               [&](size_t k, double t) { return to[k].onset_s < t; });
    for (; it != by_onset.end() && to[*it].onset_s <= f.onset_s + o.max_latency_s; ++it) {
      const size_t k = *it;
      if (used[k]) continue;
      const bool strict = to[k].action == f.action;
      bool broad = SameAffect(to[k].action, f.action);
      if (o.broad_any_action)
        for (int a : to[k].actions) broad = broad || SameAffect(a, f.action);
      if (!strict && !broad) continue;
      if (best < 0 || (strict && !best_strict)) {
        best = static_cast<int>(k);
        best_strict = strict;
      }
    }
    if (best >= 0) {
      used[static_cast<size_t>(best)] = true;
      out.push_back({static_cast<int>(fi), best, best_strict, to[static_cast<size_t>(best)].onset_s - f.onset_s});
    }
  }
  return out;
}

std::vector<ExprEvent> ResampleEvents(const std::vector<ExprEvent>& events, const std::vector<Block>& blocks, double t0_s,
                                      double unit_s, int64_t n) {
  std::vector<ExprEvent> out;
  const double span = static_cast<double>(n) * unit_s;
  for (const Block& bl : blocks) {
    const double src = static_cast<double>(bl.src) * unit_s, dst = static_cast<double>(bl.dst) * unit_s,
                 len = static_cast<double>(bl.len) * unit_s;
    for (const auto& e : events) {
      double rel = e.onset_s - t0_s - src;  // the onset's place in the block's source range
      if (rel < 0) rel += span;
      if (!(rel < len)) continue;
      ExprEvent m = e;
      const double d = t0_s + dst + rel - e.onset_s;
      m.onset_s += d;
      m.apex_s += d;
      m.offset_s += d;
      out.push_back(std::move(m));
    }
  }
  std::sort(out.begin(), out.end(), [](const ExprEvent& x, const ExprEvent& y) { return x.onset_s < y.onset_s; });
  return out;
}

const char* EventSurrogateName(EventSurrogate k) {
  switch (k) {
    case EventSurrogate::kAuto: return "auto";
    case EventSurrogate::kBlockBootstrap: return "bootstrap";
    case EventSurrogate::kCircularShift: return "circular";
    case EventSurrogate::kSegmentShuffle: return "segment";
    case EventSurrogate::kJitter: return "jitter";
  }
  return "auto";
}

namespace {
double EventBlockS(const MimicryOptions& o) { return o.block_s > 0 ? o.block_s : std::max(5.0, o.match.max_latency_s + 2); }
}  // namespace

EventSurrogate ResolveEventKind(const MimicryOptions& o, double duration_s) {
  if (o.kind != EventSurrogate::kAuto) return o.kind;
  return duration_s < o.segment_from_s ? EventSurrogate::kBlockBootstrap : EventSurrogate::kSegmentShuffle;
}

double MimicryMinSpanS(const MimicryOptions& o, EventSurrogate k) {
  switch (k) {
    case EventSurrogate::kCircularShift: return 2 * o.min_shift_s + 19 * o.match.max_latency_s;
    case EventSurrogate::kSegmentShuffle: return 4 * o.segment_s;
    case EventSurrogate::kJitter: return 2 * o.jitter_s;
    default: return 3 * EventBlockS(o);
  }
}

MimicryResult Mimicry(const std::vector<ExprEvent>& a, const std::vector<ExprEvent>& b, double t0_s,
                      double duration_s, const MimicryOptions& o) {
  MimicryResult r;
  r.ab = MatchEvents(a, b, o.match);
  r.ba = MatchEvents(b, a, o.match);
  const Counts ab = Count(r.ab, o.match), ba = Count(r.ba, o.match);
  auto latency = [](const std::vector<Match>& m, bool strict) {
    std::vector<double> l;
    for (const auto& x : m)
      if (x.strict == strict) l.push_back(x.latency_s);
    return stats::Median(l);
  };
  auto init = [](MimicryStat& s, int events, int count, double lat) {
    s.events = events;
    s.count = count;
    s.median_latency_s = lat;
    s.expected = s.index = s.p = kNaN;
  };
  init(r.strict_ab, static_cast<int>(a.size()), ab.strict, latency(r.ab, true));
  init(r.broad_ab, static_cast<int>(a.size()), ab.broad, latency(r.ab, false));
  init(r.strict_ba, static_cast<int>(b.size()), ba.strict, latency(r.ba, true));
  init(r.broad_ba, static_cast<int>(b.size()), ba.broad, latency(r.ba, false));
  r.direction_p = kNaN;
  r.kind = ResolveEventKind(o, duration_s);
  MimicryStat* stats[4] = {&r.strict_ab, &r.broad_ab, &r.strict_ba, &r.broad_ba};
  // Which directions can be tested.
  std::string why;
  const double need = MimicryMinSpanS(o, r.kind);
  if (o.surrogates <= 0) why = "no surrogates were asked for (--surrogates 0)";
  else if (duration_s + 1e-9 < need)
    why = fmt::format("the session ({:.1f} s) is shorter than the {:.0f} s this test needs ({} surrogates)", duration_s, need,
                      EventSurrogateName(r.kind));
  for (int i = 0; i < 4; ++i) {
    const bool ab_dir = i < 2;
    const size_t leader = ab_dir ? a.size() : b.size(), follower = ab_dir ? b.size() : a.size();
    if (!why.empty()) stats[i]->not_tested = why;
    else if (leader == 0) stats[i]->not_tested = "the leader showed no expression events";
    else if (follower == 0) stats[i]->not_tested = "the follower showed no expression events";
    stats[i]->tested = stats[i]->not_tested.empty();
  }
  if (!r.strict_ab.tested && !r.strict_ba.tested) return r;

  const int N = o.surrogates;
  r.surrogates = N;
  double effective = 0;
  if (r.kind == EventSurrogate::kCircularShift)
    effective = std::max(0.0, std::floor((duration_s - 2 * o.min_shift_s) / o.match.max_latency_s));
  r.p_floor = r.kind == EventSurrogate::kCircularShift ? 1.0 / (effective + 1) : 1.0 / (N + 1);
  const int segments = std::max(1, static_cast<int>(std::floor(duration_s / o.segment_s)));
  // The bootstrap works on a 100-Hz grid of the session.
  const int64_t grid = std::max<int64_t>(1, std::lround(duration_s * 100));
  const double block = EventBlockS(o);
  std::vector<std::array<double, 4>> sur(static_cast<size_t>(N)), score(static_cast<size_t>(N));
  std::vector<ExprEvent> moved;
  for (int s = 0; s < N; ++s) {
    stats::Rng rng = stats::Rng::Derived(o.seed, static_cast<uint64_t>(s));
    moved.clear();
    auto place = [&](const ExprEvent& e, double d) {
      ExprEvent m = e;
      m.onset_s += d;
      m.apex_s += d;
      m.offset_s += d;
      moved.push_back(std::move(m));
    };
    if (r.kind == EventSurrogate::kCircularShift) {
      const double shift = o.min_shift_s + rng.Uniform() * (duration_s - 2 * o.min_shift_s);
      for (const auto& e : b) {
        const double t = std::fmod(e.onset_s - t0_s + shift, duration_s);
        place(e, t + t0_s - e.onset_s);
      }
    } else if (r.kind == EventSurrogate::kJitter) {
      // Each event moves to a uniform place inside its own jitter_s-long bin of the session.
      for (const auto& e : b) {
        const double rel = e.onset_s - t0_s;
        const double bin = std::floor(rel / o.jitter_s) * o.jitter_s;
        const double width = std::min(o.jitter_s, duration_s - bin);
        place(e, bin + rng.Uniform() * width - rel);
      }
      std::sort(moved.begin(), moved.end(), [](const ExprEvent& x, const ExprEvent& y) { return x.onset_s < y.onset_s; });
    } else if (r.kind == EventSurrogate::kSegmentShuffle) {
      std::vector<int> perm(static_cast<size_t>(segments));
      for (int i = 0; i < segments; ++i) perm[static_cast<size_t>(i)] = i;
      for (int i = segments - 1; i > 0; --i) std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(rng.Int(0, i))]);
      for (const auto& e : b) {
        const int seg = std::min(segments - 1, static_cast<int>((e.onset_s - t0_s) / o.segment_s));
        place(e, (perm[static_cast<size_t>(seg)] - seg) * o.segment_s);
      }
    } else {
      // Blocks may come from anywhere, their own place included: excluding offsets near zero
      // inflated the size (bench/calibration.sh, 2026-12).
      moved = ResampleEvents(b, StationaryBootstrap(grid, block * 100, rng, 0), t0_s,
                             0.01, grid);
    }
    const Counts sab = Count(MatchEvents(a, moved, o.match), o.match), sba = Count(MatchEvents(moved, a, o.match), o.match);
    sur[static_cast<size_t>(s)] = {static_cast<double>(sab.strict), static_cast<double>(sab.broad), static_cast<double>(sba.strict),
                                   static_cast<double>(sba.broad)};
    score[static_cast<size_t>(s)] = {Score(sab.strict, sab.prompt_strict), Score(sab.broad, sab.prompt_broad),
                                     Score(sba.strict, sba.prompt_strict), Score(sba.broad, sba.prompt_broad)};
  }
  const std::array<double, 4> observed = {Score(ab.strict, ab.prompt_strict), Score(ab.broad, ab.prompt_broad),
                                          Score(ba.strict, ba.prompt_strict), Score(ba.broad, ba.prompt_broad)};
  for (int i = 0; i < 4; ++i) {
    MimicryStat& st = *stats[i];
    if (!st.tested) continue;
    std::vector<double> v(static_cast<size_t>(N)), sc(static_cast<size_t>(N));
    for (int s = 0; s < N; ++s) {
      v[static_cast<size_t>(s)] = sur[static_cast<size_t>(s)][static_cast<size_t>(i)];
      sc[static_cast<size_t>(s)] = score[static_cast<size_t>(s)][static_cast<size_t>(i)];
    }
    st.chance = ChanceOf(v);
    st.expected = st.chance.mean;
    st.p = std::max(r.p_floor, stats::UpperP(observed[static_cast<size_t>(i)], sc));
    st.index = st.events > st.expected ? (st.count - st.expected) / (st.events - st.expected) : kNaN;
  }
  // Direction: excess answers b->a minus excess a->b, against the surrogates' spread.
  if (r.strict_ab.tested && r.strict_ba.tested) {
    const double e_ab = r.strict_ab.expected + r.broad_ab.expected, e_ba = r.strict_ba.expected + r.broad_ba.expected;
    const double obs = (ab.strict + ab.broad - e_ab) - (ba.strict + ba.broad - e_ba);
    std::vector<double> d(static_cast<size_t>(N));
    for (int s = 0; s < N; ++s) {
      const auto& c = sur[static_cast<size_t>(s)];
      d[static_cast<size_t>(s)] = std::abs((c[0] + c[1] - e_ab) - (c[2] + c[3] - e_ba));
    }
    r.direction_p = std::max(r.p_floor, stats::UpperP(std::abs(obs), d));
  }
  return r;
}

}  // namespace mimicry::sync
