#include "mimicry/micro/spot.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "mimicry/stats/descriptive.h"

namespace mimicry::micro {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// The AU order of the face stage (face/facs.h), restated: the micro stage takes plain arrays.
constexpr int kAuCodes[] = {1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45};
constexpr size_t kBlinkSlot = 16;
constexpr double kMaxGapS = 0.25;
// Facial areas: AU slots (kAuCodes order) and regions (kRegionNames order) that see the
// same movements. Slot/region 99 = none.
struct Area {
  size_t aus[8];
  size_t regions[3];
};
constexpr Area kAreas[] = {
    {{0, 1, 2, 99, 99, 99, 99, 99}, {0, 1, 2}},          // brows: AU1, AU2, AU4 | brow_r, brow_l, glabella
    {{3, 4, 5, 99, 99, 99, 99, 99}, {3, 4, 99}},         // eyes: AU5, AU6, AU7 | eye_r, eye_l
    {{6, 7, 99, 99, 99, 99, 99, 99}, {5, 99, 99}},       // nose: AU9, AU10 | nose
    {{8, 9, 10, 11, 12, 13, 14, 15}, {6, 7, 99}},        // mouth: AU12 ... AU26 | mouth, chin
};

// Running q-quantile of v over samples within +-half_s of each sample's time (NaN where the
// sample is missing). A low quantile over a window much longer than an expression follows
// the neutral and slow drifts but not the expressions themselves.
std::vector<double> RunningQuantile(std::span<const double> t, const std::vector<float>& v, double before_s, double after_s,
                                    double q) {
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
    while (lo < i && t[lo] < t[i] - before_s) ++lo;
    if (hi < i) hi = i;
    while (hi + 1 < n && t[hi + 1] <= t[i] + after_s) ++hi;
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

// 3-sample running median within gap-free stretches: a landmark glitch of one frame moves
// every AU and region at once and looks like the shortest micro-expression; the median
// removes it and keeps any movement of two frames or more.
std::vector<float> Median3(std::span<const double> t, const std::vector<float>& v) {
  std::vector<float> out(v);
  const size_t n = v.size();
  auto med = [](float a, float b, float c) { return std::max(std::min(a, b), std::min(std::max(a, b), c)); };
  auto linked = [&](size_t i) { return i + 1 < n && std::isfinite(v[i]) && std::isfinite(v[i + 1]) && t[i + 1] - t[i] < kMaxGapS; };
  for (size_t i = 0; i < n; ++i) {
    const bool left = i > 0 && linked(i - 1), right = linked(i);
    if (left && right) out[i] = med(v[i - 1], v[i], v[i + 1]);
    // At the ends of a stretch (the start of a video, after a gap): the median of the
    // first (last) three samples, so that a first frame's glitch goes too.
    else if (right && linked(i + 1)) out[i] = med(v[i], v[i + 1], v[i + 2]);
    else if (left && i > 1 && linked(i - 2)) out[i] = med(v[i - 2], v[i - 1], v[i]);
  }
  return out;
}

// The noise of one sample: robust SD of the second differences v[i+1] - 2 v[i] + v[i-1]
// (/ sqrt 6 for white noise), or `fallback` with fewer than 10 of them. Second
// differences, because they ignore the smooth slopes of real movements; and triplets that
// sit at the series' minimum are skipped: AU intensities are clamped at 0, and an AU that
// rests at 0 would otherwise look noiseless, so that its smallest flicker became a huge
// normalised rise.
double FrameNoise(std::span<const double> t, const std::vector<float>& v, double floor, double fallback) {
  float lo = std::numeric_limits<float>::infinity();
  for (float x : v)
    if (std::isfinite(x)) lo = std::min(lo, x);
  std::vector<double> d;
  for (size_t i = 1; i + 1 < v.size(); ++i)
    if (std::isfinite(v[i - 1]) && std::isfinite(v[i]) && std::isfinite(v[i + 1]) && t[i] - t[i - 1] < kMaxGapS &&
        t[i + 1] - t[i] < kMaxGapS && (v[i - 1] > lo || v[i] > lo || v[i + 1] > lo))
      d.push_back(std::abs(static_cast<double>(v[i + 1]) - 2.0 * v[i] + v[i - 1]));
  if (d.size() < 10) return fallback;
  return std::max(floor, 1.4826 * stats::Median(d) / std::sqrt(6.0));
}

// Non-negative least squares y ~ sum_j c_j x_j (no intercept: y is a rise over a
// baseline; c >= 0: turning the head cannot make the face look more like its reference),
// by coordinate descent, refitted twice without the points more than 2.5 robust SD above
// the fit (the expressions). Returns the coefficients (all 0 with fewer than 30 points).
std::vector<double> PoseFit(const std::vector<double>& y, const std::vector<std::vector<double>>& x) {
  const size_t n = y.size(), m = x.size();
  std::vector<double> c(m, 0.0);
  std::vector<uint8_t> use(n, 0);
  for (size_t i = 0; i < n; ++i) {
    use[i] = std::isfinite(y[i]);
    for (const auto& xj : x) use[i] = use[i] && std::isfinite(xj[i]);
  }
  for (int it = 0; it < 3; ++it) {
    std::vector<double> g(m * m, 0.0), h(m, 0.0);
    size_t count = 0;
    for (size_t i = 0; i < n; ++i)
      if (use[i]) {
        ++count;
        for (size_t a = 0; a < m; ++a) {
          h[a] += x[a][i] * y[i];
          for (size_t b = 0; b < m; ++b) g[a * m + b] += x[a][i] * x[b][i];
        }
      }
    if (count < 30) return std::vector<double>(m, 0.0);
    for (int sweep = 0; sweep < 100; ++sweep)
      for (size_t a = 0; a < m; ++a) {
        if (!(g[a * m + a] > 1e-12)) continue;
        double r = h[a];
        for (size_t b = 0; b < m; ++b)
          if (b != a) r -= g[a * m + b] * c[b];
        c[a] = std::max(0.0, r / g[a * m + a]);
      }
    std::vector<double> res;
    auto fit = [&](size_t i) {
      double f = 0;
      for (size_t a = 0; a < m; ++a) f += c[a] * x[a][i];
      return f;
    };
    for (size_t i = 0; i < n; ++i)
      if (use[i]) res.push_back(std::abs(y[i] - fit(i)));
    const double cut = 2.5 * 1.4826 * std::max(stats::Median(res), 1e-6);
    for (size_t i = 0; i < n; ++i)
      if (use[i] && y[i] - fit(i) > cut) use[i] = 0;
  }
  return c;
}

// Removes from each series what the pose regressors explain (PoseFit), clamping at 0.
void RemovePose(std::vector<double>& y, const std::vector<std::vector<double>>& x) {
  if (x.empty()) return;
  const auto c = PoseFit(y, x);
  for (size_t i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y[i])) continue;
    double f = 0;
    bool ok = true;
    for (size_t a = 0; a < x.size(); ++a) {
      ok = ok && std::isfinite(x[a][i]);
      f += c[a] * x[a][i];
    }
    if (ok) y[i] = std::max(0.0, y[i] - f);
  }
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

std::vector<Interval> Spot(std::span<const double> t, const std::vector<std::vector<float>>& aus,
                           const std::vector<std::vector<float>>& regions, std::span<const float> pitch,
                           std::span<const float> yaw, const SpotOptions& o) {
  const size_t n = t.size();
  assert(aus.size() == std::size(kAuCodes));
  for ([[maybe_unused]] const auto& a : aus) assert(a.size() == n);
  assert(regions.empty() || regions.size() == kNumRegions);
  for ([[maybe_unused]] const auto& a : regions) assert(a.size() == n);
  std::vector<Interval> out;
  if (n < 3) return out;
  std::vector<std::vector<float>> filtered_aus, filtered_regions;
  if (o.median3) {
    for (const auto& a : aus) filtered_aus.push_back(Median3(t, a));
    for (const auto& a : regions) filtered_regions.push_back(Median3(t, a));
  }
  const auto& au_in = o.median3 ? filtered_aus : aus;
  const auto& region_in = o.median3 ? filtered_regions : regions;
  // 1. Rises above the running-median baseline.
  std::vector<std::vector<double>> rise(aus.size(), std::vector<double>(n, kNaN));
  for (size_t k = 0; k < aus.size(); ++k) {
    const auto base = RunningQuantile(t, au_in[k], o.baseline_s, o.baseline_s, o.baseline_quantile);
    for (size_t i = 0; i < n; ++i)
      if (std::isfinite(au_in[k][i]) && std::isfinite(base[i])) rise[k][i] = std::max(0.0, au_in[k][i] - base[i]);
  }
  // A blink moves the lids, and so the AUs measured against the eyes: brows (1, 2, 4),
  // the eye region (5 upper-lid raiser, 6 cheek raiser, 7 lid tightener) and the nose
  // wrinkler (9: nostril wings against the inner eye corners). Around blinks those rises
  // are the blink's, not an expression's.
  std::vector<uint8_t> blinking(n, 0);
  {
    for (size_t i = 0; i < n; ++i)
      if (std::isfinite(rise[kBlinkSlot][i]) && rise[kBlinkSlot][i] >= 0.5 * o.blink_min)
        for (size_t d = (i >= 3 ? i - 3 : 0); d <= std::min(n - 1, i + 3); ++d) blinking[d] = 1;
    for (size_t k : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{6}})
      for (size_t i = 0; i < n; ++i)
        if (blinking[i] && std::isfinite(rise[k][i])) rise[k][i] = 0;
  }
  // Each AU's rise in units of its own frame-to-frame noise (robust SD of the first
  // differences / sqrt 2): an AU that jitters from frame to frame (as the appearance-based
  // ones can) must rise further than a steady one to count.
  std::vector<double> noise(aus.size(), 1.0);
  for (size_t k = 0; k < aus.size(); ++k) noise[k] = FrameNoise(t, aus[k], o.noise_floor, 1.0);
  for (size_t k = 0; k < aus.size(); ++k)
    if (k != kBlinkSlot)
      for (size_t i = 0; i < n; ++i)
        if (std::isfinite(rise[k][i])) rise[k][i] /= noise[k];
  // Pose regressors: the head's deviation from its median pose of the last 10 s (the
  // appearance reference's time span, face/motion.h), up and down / left and right apart,
  // in degrees. The AUs are measured in the canonical frontal frame, but a generic 3D face
  // leaves some of a nod in them; the appearance of any 2D-aligned face changes with it.
  std::vector<std::vector<double>> pose_x;
  if (o.pose_correction && pitch.size() == n && yaw.size() == n) {
    const std::vector<float> pf(pitch.begin(), pitch.end()), yf(yaw.begin(), yaw.end());
    const auto mp = RunningQuantile(t, pf, 10.0, 0.0, 0.5), my = RunningQuantile(t, yf, 10.0, 0.0, 0.5);
    pose_x.assign(4, std::vector<double>(n, kNaN));
    for (size_t i = 0; i < n; ++i)
      if (std::isfinite(pitch[i]) && std::isfinite(mp[i]) && std::isfinite(yaw[i]) && std::isfinite(my[i])) {
        const double p = (pitch[i] - mp[i]) * 180 / M_PI, y = (yaw[i] - my[i]) * 180 / M_PI;
        pose_x[0][i] = std::max(0.0, p);
        pose_x[1][i] = std::max(0.0, -p);
        pose_x[2][i] = std::max(0.0, y);
        pose_x[3][i] = std::max(0.0, -y);
      }
    for (size_t k = 0; k < aus.size(); ++k)
      if (k != kBlinkSlot) RemovePose(rise[k], pose_x);
  }
  // Regions: rise over the running baseline in units of noise, blinks' eye-region rises
  // removed, then the part explained by the head's deviation from its recent pose.
  const bool use_regions = regions.size() == kNumRegions && o.region_weight > 0;
  std::vector<std::vector<double>> rrise;
  if (use_regions) {
    rrise.assign(kNumRegions, std::vector<double>(n, kNaN));
    for (size_t r = 0; r < kNumRegions; ++r) {
      const auto base = RunningQuantile(t, region_in[r], o.baseline_s, o.baseline_s, o.baseline_quantile);
      const double nz = FrameNoise(t, regions[r], o.region_noise_floor, 1.0);
      for (size_t i = 0; i < n; ++i)
        if (std::isfinite(region_in[r][i]) && std::isfinite(base[i])) rrise[r][i] = std::max(0.0, region_in[r][i] - base[i]) / nz;
      if (r <= 5)  // brows, glabella, eyes, nose (its alignment and AU9 hang on the eye corners)
        for (size_t i = 0; i < n; ++i)
          if (blinking[i] && std::isfinite(rrise[r][i])) rrise[r][i] = 0;
      RemovePose(rrise[r], pose_x);
    }
  }
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
    if (use_regions) {
      // Per facial area, the AU and the appearance evidence averaged (two noisy views of
      // one movement); then the strongest area plus half the second.
      double ga = -1, gb = -1;
      for (const Area& g : kAreas) {
        double au = -1, rg = -1;
        for (size_t k : g.aus)
          if (k < aus.size() && std::isfinite(rise[k][i])) au = std::max(au, rise[k][i]);
        for (size_t r : g.regions)
          if (r < kNumRegions && std::isfinite(rrise[r][i])) rg = std::max(rg, rrise[r][i]);
        double v;
        if (au >= 0 && rg >= 0) v = (au + o.region_weight * rg) / (1 + o.region_weight);
        else v = std::max(au, rg);
        if (v < 0) continue;
        if (v > ga) gb = ga, ga = v;
        else if (v > gb) gb = v;
      }
      if (ga >= 0) s[i] = ga + 0.5 * std::max(0.0, gb);
    }
    blink[i] = rise[kBlinkSlot][i];
  }
  // Head-motion veto: the head rotating fast, or turned far from its usual pose (its
  // median over +-baseline_s), where the landmarks and so the AUs are least reliable; a
  // movement there counts only if it is strong (twice the threshold, below).
  std::vector<uint8_t> veto(n, 0);
  if (pitch.size() == n && yaw.size() == n) {
    const std::vector<float> pf(pitch.begin(), pitch.end()), yf(yaw.begin(), yaw.end());
    const auto mp = RunningQuantile(t, pf, o.baseline_s, o.baseline_s, 0.5), my = RunningQuantile(t, yf, o.baseline_s, o.baseline_s, 0.5);
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(pitch[i]) || !std::isfinite(yaw[i])) continue;
      if (std::isfinite(mp[i]) && std::isfinite(my[i]) &&
          std::max(std::abs(pitch[i] - mp[i]), std::abs(yaw[i] - my[i])) * 180 / M_PI > o.head_turn_deg)
        veto[i] = 1;
      if (i == 0) continue;
      const double dt = t[i] - t[i - 1];
      if (!(dt > 0) || !std::isfinite(pitch[i - 1]) || !std::isfinite(yaw[i - 1])) continue;
      const double w = std::hypot(pitch[i] - pitch[i - 1], yaw[i] - yaw[i - 1]) / dt * 180 / M_PI;
      if (w > o.head_veto_deg_s) veto[i] = 1;
    }
  }
  // 3. Adaptive threshold: mean + p (max - mean), max = the 99.5th percentile (one
  // glitch must not raise it), at least min_rise.
  auto adaptive = [&](const std::vector<double>& sig) {
    double sum = 0;
    std::vector<double> sorted;
    for (double x : sig)
      if (std::isfinite(x)) sum += x, sorted.push_back(x);
    if (sorted.empty()) return kNaN;
    const double mean = sum / static_cast<double>(sorted.size());
    auto at = sorted.begin() + static_cast<long>(0.995 * static_cast<double>(sorted.size() - 1));
    std::nth_element(sorted.begin(), at, sorted.end());
    return std::max(o.min_rise, mean + o.p * (*at - mean));
  };
  double thr = adaptive(s);
  if (o.cap_sd > 0) {
    // Capped at the fused signal's median + cap_sd robust SDs (1.4826 MAD): a video's
    // strongest movements set "max", and must not hide its weaker ones that still stand
    // far out of the signal's own spread.
    thr = std::max(o.min_rise, std::min(thr, stats::Median(s) + o.cap_sd * stats::Mad(s)));
  }
  if (!std::isfinite(thr)) return out;
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
        const size_t h = static_cast<size_t>(std::max(0, o.edge_smooth / 2));
        for (size_t q = (k > h ? k - h : 0); q <= std::min(n - 1, k + h); ++q)
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
    if (!d.empty()) period = stats::Median(d);
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
    if (use_regions) {
      double rtop = 0;
      for (size_t r = 0; r < kNumRegions; ++r)
        if (std::isfinite(rrise[r][ia])) rtop = std::max(rtop, rrise[r][ia]);
      for (size_t r = 0; r < kNumRegions; ++r)
        if (rtop > 0 && std::isfinite(rrise[r][ia]) && rrise[r][ia] >= 0.5 * rtop) x.regions.push_back(kRegionNames[r]);
    }
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
