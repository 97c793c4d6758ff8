#include "mimicry/micro/spot.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace mimicry::micro {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// The AU order of the face stage (face/facs.h), restated: the micro stage takes plain arrays.
constexpr int kAuCodes[] = {1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45};
constexpr size_t kBlinkSlot = 16;
constexpr double kMaxGapS = 0.25;

// Running q-quantile of v over samples within +-half_s of each sample's time (NaN where the
// sample is missing). A low quantile over a window much longer than an expression follows
// the neutral and slow drifts but not the expressions themselves.
std::vector<double> RunningQuantile(std::span<const double> t, const std::vector<float>& v, double half_s, double q) {
  const size_t n = t.size();
  std::vector<double> out(n, kNaN);
  std::vector<double> win;
  size_t lo = 0, hi = 0;
  // Computed every `stride` samples (~0.1 s; the baseline moves slowly) and held between.
  size_t stride = 1;
  if (n > 1 && t[n - 1] > t[0]) stride = std::max<size_t>(1, static_cast<size_t>(0.1 / ((t[n - 1] - t[0]) / static_cast<double>(n - 1))));
  double held = kNaN;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) continue;
    if (i % stride != 0 && std::isfinite(held)) {
      out[i] = held;
      continue;
    }
    while (lo < i && t[lo] < t[i] - half_s) ++lo;
    if (hi < i) hi = i;
    while (hi + 1 < n && t[hi + 1] <= t[i] + half_s) ++hi;
    win.clear();
    // Subsample long windows to at most ~60 values (the median of a 4-s window at 30 Hz).
    const size_t step = std::max<size_t>(1, (hi - lo + 1) / 100);
    for (size_t k = lo; k <= hi; k += step)
      if (std::isfinite(v[k])) win.push_back(v[k]);
    if (win.empty()) continue;
    auto at = win.begin() + static_cast<long>(q * static_cast<double>(win.size() - 1));
    std::nth_element(win.begin(), at, win.end());
    out[i] = held = *at;
  }
  return out;
}

}  // namespace

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kMicro: return "micro";
    case Kind::kMacro: return "macro";
    case Kind::kBlink: return "blink";
  }
  return "?";
}

std::vector<Interval> Spot(std::span<const double> t, const std::vector<std::vector<float>>& aus, std::span<const float> pitch,
                           std::span<const float> yaw, const SpotOptions& o) {
  const size_t n = t.size();
  assert(aus.size() == std::size(kAuCodes));
  for ([[maybe_unused]] const auto& a : aus) assert(a.size() == n);
  std::vector<Interval> out;
  if (n < 3) return out;
  // 1. Rises above the running-median baseline.
  std::vector<std::vector<double>> rise(aus.size(), std::vector<double>(n, kNaN));
  for (size_t k = 0; k < aus.size(); ++k) {
    const auto base = RunningQuantile(t, aus[k], o.baseline_s, o.baseline_quantile);
    for (size_t i = 0; i < n; ++i)
      if (std::isfinite(aus[k][i]) && std::isfinite(base[i])) rise[k][i] = std::max(0.0, aus[k][i] - base[i]);
  }
  // A blink moves the lids, and so the AUs measured against the eyes: brows (1, 2, 4) and
  // the eye region (5 upper-lid raiser, 6 cheek raiser, 7 lid tightener). Around blinks
  // those rises are the blink's, not an expression's.
  {
    std::vector<uint8_t> blinking(n, 0);
    for (size_t i = 0; i < n; ++i)
      if (std::isfinite(rise[kBlinkSlot][i]) && rise[kBlinkSlot][i] >= 0.5 * o.blink_min)
        for (size_t d = (i >= 3 ? i - 3 : 0); d <= std::min(n - 1, i + 3); ++d) blinking[d] = 1;
    for (size_t k : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}})
      for (size_t i = 0; i < n; ++i)
        if (blinking[i] && std::isfinite(rise[k][i])) rise[k][i] = 0;
  }
  // Each AU's rise in units of its own frame-to-frame noise (robust SD of the first
  // differences / sqrt 2): an AU that jitters from frame to frame (as the appearance-based
  // ones can) must rise further than a steady one to count.
  std::vector<double> noise(aus.size(), 1.0);
  for (size_t k = 0; k < aus.size(); ++k) {
    std::vector<double> d;
    for (size_t i = 1; i < n; ++i)
      if (std::isfinite(aus[k][i]) && std::isfinite(aus[k][i - 1]) && t[i] - t[i - 1] < kMaxGapS) d.push_back(std::abs(aus[k][i] - aus[k][i - 1]));
    if (d.size() < 10) continue;
    auto mid = d.begin() + static_cast<long>(d.size() / 2);
    std::nth_element(d.begin(), mid, d.end());
    noise[k] = std::max(o.noise_floor, 1.4826 * *mid / std::sqrt(2.0));
  }
  for (size_t k = 0; k < aus.size(); ++k)
    if (k != kBlinkSlot)
      for (size_t i = 0; i < n; ++i)
        if (std::isfinite(rise[k][i])) rise[k][i] /= noise[k];
  // 2. Fused expression signal (AU45 apart) and the blink signal.
  std::vector<double> s(n, kNaN), blink(n, kNaN);
  for (size_t i = 0; i < n; ++i) {
    double a = -1, b = -1;
    for (size_t k = 0; k < aus.size(); ++k) {
      if (k == kBlinkSlot || !std::isfinite(rise[k][i])) continue;
      const double r = rise[k][i];
      if (r > a) b = a, a = r;
      else if (r > b) b = r;
    }
    if (a >= 0) s[i] = a + 0.5 * std::max(0.0, b);
    blink[i] = rise[kBlinkSlot][i];
  }
  // Head-motion veto: fast rotation with no clear AU rise.
  std::vector<uint8_t> veto(n, 0);
  if (pitch.size() == n && yaw.size() == n)
    for (size_t i = 1; i < n; ++i) {
      const double dt = t[i] - t[i - 1];
      if (!(dt > 0) || !std::isfinite(pitch[i]) || !std::isfinite(pitch[i - 1])) continue;
      const double w = std::hypot(pitch[i] - pitch[i - 1], yaw[i] - yaw[i - 1]) / dt * 180 / M_PI;
      veto[i] = w > o.head_veto_deg_s;
    }
  // 3. Adaptive threshold.
  double sum = 0;
  std::vector<double> sorted;
  for (double x : s)
    if (std::isfinite(x)) sum += x, sorted.push_back(x);
  if (sorted.empty()) return out;
  const double mean = sum / static_cast<double>(sorted.size());
  // A robust maximum (99.5th percentile): one glitch must not raise the threshold.
  auto at = sorted.begin() + static_cast<long>(0.995 * static_cast<double>(sorted.size() - 1));
  std::nth_element(sorted.begin(), at, sorted.end());
  const double mx = *at;
  const double thr = std::max(o.min_rise, mean + o.p * (mx - mean));
  // 4. Runs above the threshold -> intervals (extended to edge_fraction of the apex, never
  // across a gap), merged when close, classified by duration.
  auto gap_after = [&](size_t i) { return i + 1 < n && t[i + 1] - t[i] > kMaxGapS; };
  auto find = [&](const std::vector<double>& sig, double th, Kind fixed, bool use_veto) {
    std::vector<Interval> iv;
    for (size_t i = 0; i < n;) {
      if (!(std::isfinite(sig[i]) && sig[i] >= th)) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j + 1 < n && std::isfinite(sig[j + 1]) && sig[j + 1] >= th && !gap_after(j)) ++j;
      size_t apex = i;
      for (size_t k = i; k <= j; ++k)
        if (sig[k] > sig[apex]) apex = k;
      // Onset and offset: outwards from the run while the (3-sample smoothed) signal stays
      // above edge_fraction of the apex.
      const double edge = std::max(o.edge_fraction * sig[apex], o.edge_threshold_fraction * th);
      auto sm = [&](size_t k) {
        double a = 0;
        int c = 0;
        for (size_t q = (k > 0 ? k - 1 : 0); q <= std::min(n - 1, k + 1); ++q)
          if (std::isfinite(sig[q])) a += sig[q], ++c;
        return c > 0 ? a / c : 0.0;
      };
      size_t on = i, off = j;
      while (on > 0 && !gap_after(on - 1) && std::isfinite(sig[on - 1]) && sm(on - 1) > edge) --on;
      while (off + 1 < n && !gap_after(off) && std::isfinite(sig[off + 1]) && sm(off + 1) > edge) ++off;
      int vetoed = 0;
      for (size_t k = i; k <= j; ++k) vetoed += veto[k];
      if (!(use_veto && vetoed * 2 > static_cast<int>(j - i + 1) && sig[apex] < 2 * th)) {
        Interval x;
        x.onset_s = t[on];
        x.apex_s = t[apex];
        x.offset_s = t[off];
        x.intensity = sig[apex];
        x.confidence = std::clamp((sig[apex] - th) / std::max(1e-9, th), 0.0, 1.0);
        x.kind = fixed;
        iv.push_back(x);
      }
      i = std::max(j, off) + 1;
    }
    // Merge movements separated by less than merge_gap_s.
    std::vector<Interval> merged;
    for (const auto& x : iv) {
      if (!merged.empty() && x.onset_s - merged.back().offset_s < o.merge_gap_s) {
        auto& m = merged.back();
        if (x.intensity > m.intensity) m.apex_s = x.apex_s, m.intensity = x.intensity, m.confidence = x.confidence;
        m.offset_s = std::max(m.offset_s, x.offset_s);
      } else {
        merged.push_back(x);
      }
    }
    return merged;
  };
  auto expr = find(s, thr, Kind::kMacro, true);
  auto blinks = find(blink, o.blink_min, Kind::kBlink, false);
  // A frame period at the ends: an interval of k samples spans k sample periods.
  double period = 0;
  {
    std::vector<double> d;
    for (size_t i = 1; i < n; ++i)
      if (t[i] - t[i - 1] > 0 && t[i] - t[i - 1] < kMaxGapS) d.push_back(t[i] - t[i - 1]);
    if (!d.empty()) {
      std::nth_element(d.begin(), d.begin() + static_cast<long>(d.size() / 2), d.end());
      period = d[d.size() / 2];
    }
  }
  for (auto& x : expr) {
    const double dur = x.offset_s - x.onset_s + period;
    if (dur < o.micro_min_s - 1e-9) continue;
    if (dur > o.macro_max_s) x.offset_s = x.onset_s + o.macro_max_s - period;
    x.kind = dur <= o.micro_max_s + 1e-9 ? Kind::kMicro : Kind::kMacro;
    // The AUs involved: those rising at the apex by >= 50% of the largest rise.
    size_t ia = 0;
    while (ia + 1 < n && t[ia] < x.apex_s) ++ia;
    double top = 0;
    for (size_t k = 0; k < aus.size(); ++k)
      if (k != kBlinkSlot && std::isfinite(rise[k][ia])) top = std::max(top, rise[k][ia]);
    for (size_t k = 0; k < aus.size(); ++k)
      if (k != kBlinkSlot && std::isfinite(rise[k][ia]) && rise[k][ia] >= 0.5 * top && top > 0) x.aus.push_back(kAuCodes[k]);
    // A blink at the same time explains eye-region rises: the blink is reported, the rest
    // of the interval stays an expression only if a non-eye AU rises.
    out.push_back(x);
  }
  for (auto& b : blinks) {
    b.aus = {45};
    out.push_back(b);
  }
  std::sort(out.begin(), out.end(), [](const Interval& a, const Interval& b) { return a.onset_s < b.onset_s; });
  return out;
}

}  // namespace mimicry::micro
