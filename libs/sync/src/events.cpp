#include "mimicry/sync/events.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mimicry/sync/xcorr.h"

namespace mimicry::sync {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Priority order: the defining action of an expression comes first.
constexpr Action kActions[] = {
    {"smile", {12, 0}, "positive"},         {"brow_lower", {4, 0}, "negative"},
    {"lip_corner_depress", {15, 0}, "negative"}, {"brow_raise", {1, 2}, "surprise"},
    {"cheek_raise", {6, 0}, "positive"},    {"nose_wrinkle", {9, 10}, "negative"},
    {"lip_press", {23, 0}, "negative"},     {"chin_raise", {17, 0}, "negative"},
    {"lip_stretch", {20, 0}, "negative"},   {"dimpler", {14, 0}, "negative"},
    {"eye_widen", {5, 0}, "surprise"},      {"mouth_open", {25, 26}, "surprise"},
};

constexpr int kAuOrder[] = {1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45};

int AuSlot(int code) {
  for (int i = 0; i < static_cast<int>(std::size(kAuOrder)); ++i)
    if (kAuOrder[i] == code) return i;
  return -1;
}

bool SameAffect(int a, int b) { return std::string(kActions[a].affect) == kActions[b].affect; }

double Median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

struct Counts {
  int strict = 0, broad = 0;
};
Counts Count(const std::vector<Match>& m) {
  Counts c;
  for (const auto& x : m) (x.strict ? c.strict : c.broad)++;
  return c;
}

}  // namespace

std::span<const Action> Actions() { return kActions; }

int ActionIndex(const std::string& name) {
  for (int i = 0; i < static_cast<int>(std::size(kActions)); ++i)
    if (name == kActions[i].name) return i;
  return -1;
}

std::vector<ExprEvent> DetectEvents(const std::vector<std::span<const float>>& aus, double t0_s, double rate_hz,
                                    const EventOptions& o) {
  std::vector<ExprEvent> found;
  if (aus.empty()) return found;
  const size_t n = aus[0].size();
  const int half = std::max(0, static_cast<int>(std::lround(o.smooth_s * rate_hz / 2)));
  const size_t min_len = static_cast<size_t>(std::max(1L, std::lround(o.min_duration_s * rate_hz)));
  for (int a = 0; a < static_cast<int>(std::size(kActions)); ++a) {
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
    if (valid.size() < min_len) continue;
    const double med = Median(valid);
    std::vector<double> dev;
    for (double x : valid) dev.push_back(std::abs(x - med));
    const double thr = std::max(o.threshold, med + o.noise_k * 1.4826 * Median(dev));
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
        const double floor = o.onset_fraction * s[apex];
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

MimicryResult Mimicry(const std::vector<ExprEvent>& a, const std::vector<ExprEvent>& b, double t0_s,
                      double duration_s, const MimicryOptions& o) {
  MimicryResult r;
  r.ab = MatchEvents(a, b, o.match);
  r.ba = MatchEvents(b, a, o.match);
  const Counts ab = Count(r.ab), ba = Count(r.ba);
  auto latency = [](const std::vector<Match>& m, bool strict) {
    std::vector<double> l;
    for (const auto& x : m)
      if (x.strict == strict) l.push_back(x.latency_s);
    return l.empty() ? kNaN : Median(l);
  };
  r.strict_ab = {static_cast<int>(a.size()), ab.strict, 0, 0, 1, latency(r.ab, true)};
  r.broad_ab = {static_cast<int>(a.size()), ab.broad, 0, 0, 1, latency(r.ab, false)};
  r.strict_ba = {static_cast<int>(b.size()), ba.strict, 0, 0, 1, latency(r.ba, true)};
  r.broad_ba = {static_cast<int>(b.size()), ba.broad, 0, 0, 1, latency(r.ba, false)};
  const bool can_shift = duration_s > 2 * o.min_shift_s;
  if (o.surrogates <= 0 || (o.kind == EventSurrogate::kCircularShift && !can_shift)) {
    for (MimicryStat* s : {&r.strict_ab, &r.broad_ab, &r.strict_ba, &r.broad_ba}) {
      s->expected = kNaN;
      s->index = kNaN;
      s->p = kNaN;
    }
    r.direction_p = kNaN;
    return r;
  }
  Rng rng(o.seed);
  const int segments = std::max(1, static_cast<int>(std::floor(duration_s / o.segment_s)));
  std::array<int, 4> k{};  // surrogates at least as large: strict_ab, broad_ab, strict_ba, broad_ba
  std::array<double, 4> sum{};
  int kdir = 0;
  std::vector<std::array<int, 4>> sur;
  sur.reserve(static_cast<size_t>(o.surrogates));
  std::vector<ExprEvent> moved = b;
  for (int s = 0; s < o.surrogates; ++s) {
    if (o.kind == EventSurrogate::kCircularShift) {
      const double shift = o.min_shift_s + rng.Uniform() * (duration_s - 2 * o.min_shift_s);
      for (size_t i = 0; i < b.size(); ++i) {
        double t = b[i].onset_s - t0_s + shift;
        t = std::fmod(t, duration_s);
        const double d = t + t0_s - b[i].onset_s;
        moved[i] = b[i];
        moved[i].onset_s += d;
        moved[i].apex_s += d;
        moved[i].offset_s += d;
      }
    } else {
      std::vector<int> perm(static_cast<size_t>(segments));
      for (int i = 0; i < segments; ++i) perm[static_cast<size_t>(i)] = i;
      for (int i = segments - 1; i > 0; --i) std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(rng.Int(0, i))]);
      for (size_t i = 0; i < b.size(); ++i) {
        const double rel = b[i].onset_s - t0_s;
        const int seg = std::min(segments - 1, static_cast<int>(rel / o.segment_s));
        const double d = (perm[static_cast<size_t>(seg)] - seg) * o.segment_s;
        moved[i] = b[i];
        moved[i].onset_s += d;
        moved[i].apex_s += d;
        moved[i].offset_s += d;
      }
    }
    const Counts sab = Count(MatchEvents(a, moved, o.match)), sba = Count(MatchEvents(moved, a, o.match));
    const std::array<int, 4> c = {sab.strict, sab.broad, sba.strict, sba.broad};
    sur.push_back(c);
    const std::array<int, 4> obs = {ab.strict, ab.broad, ba.strict, ba.broad};
    for (int i = 0; i < 4; ++i) {
      k[static_cast<size_t>(i)] += c[static_cast<size_t>(i)] >= obs[static_cast<size_t>(i)] ? 1 : 0;
      sum[static_cast<size_t>(i)] += c[static_cast<size_t>(i)];
    }
  }
  const double N = static_cast<double>(o.surrogates);
  MimicryStat* stats[4] = {&r.strict_ab, &r.broad_ab, &r.strict_ba, &r.broad_ba};
  for (int i = 0; i < 4; ++i) {
    MimicryStat& s = *stats[i];
    s.expected = sum[static_cast<size_t>(i)] / N;
    s.p = (k[static_cast<size_t>(i)] + 1) / (N + 1);
    s.index = s.events > s.expected ? (s.count - s.expected) / (s.events - s.expected) : kNaN;
  }
  // Direction: excess answers b->a minus excess a->b, against the surrogates' spread.
  const double e_ab = r.strict_ab.expected + r.broad_ab.expected, e_ba = r.strict_ba.expected + r.broad_ba.expected;
  const double obs = (ab.strict + ab.broad - e_ab) - (ba.strict + ba.broad - e_ba);
  for (const auto& c : sur) {
    const double d = (c[0] + c[1] - e_ab) - (c[2] + c[3] - e_ba);
    kdir += std::abs(d) >= std::abs(obs) ? 1 : 0;
  }
  r.direction_p = (kdir + 1) / (N + 1);
  return r;
}

}  // namespace mimicry::sync
