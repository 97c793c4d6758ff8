#include "mimicry/sync/xcorr.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "curve.h"

namespace mimicry::sync {
namespace {

constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

// Prefix sums of valid count, value and square (missing = NaN skipped).
struct Prefix {
  std::vector<double> n, s, ss;
  explicit Prefix(std::span<const float> v) : n(v.size() + 1, 0), s(v.size() + 1, 0), ss(v.size() + 1, 0) {
    for (size_t i = 0; i < v.size(); ++i) {
      const bool ok = std::isfinite(v[i]);
      const double x = ok ? v[i] : 0.0;
      n[i + 1] = n[i] + (ok ? 1 : 0);
      s[i + 1] = s[i] + x;
      ss[i + 1] = ss[i] + x * x;
    }
  }
  double N(size_t a, size_t b) const { return n[b] - n[a]; }
  double S(size_t a, size_t b) const { return s[b] - s[a]; }
  double SS(size_t a, size_t b) const { return ss[b] - ss[a]; }
};

}  // namespace

WlccResult Wlcc(std::span<const float> x, std::span<const float> y, double rate_hz, const WlccOptions& o) {
  assert(x.size() == y.size() && rate_hz > 0);
  WlccResult res;
  const size_t n = x.size();
  const size_t W = static_cast<size_t>(std::max(3L, std::lround(o.window_s * rate_hz)));
  const size_t S = static_cast<size_t>(std::max(1L, std::lround(o.step_s * rate_hz)));
  const int L = static_cast<int>(std::lround(o.max_lag_s * rate_hz));
  if (n < W) return res;
  const Prefix px(x), py(y);
  const double need = (1.0 - o.max_missing) * static_cast<double>(W);
  const size_t nw = (n - W) / S + 1, nl = static_cast<size_t>(2 * L + 1);
  // r for every window (row) and lag (column). Windows whose x and lagged y are complete
  // take their cross-products from one prefix sum per lag (O(n) per lag, not O(W) per
  // window); the others are computed pairwise-complete.
  std::vector<double> R(nw * nl, std::numeric_limits<double>::quiet_NaN());
  std::vector<double> prod(n + 1);
  for (int t = -L; t <= L; ++t) {
    prod[0] = 0;
    for (size_t u = 0; u < n; ++u) {
      const int64_t v = static_cast<int64_t>(u) + t;
      double p = 0;
      if (v >= 0 && static_cast<size_t>(v) < n && std::isfinite(x[u]) && std::isfinite(y[static_cast<size_t>(v)]))
        p = static_cast<double>(x[u]) * y[static_cast<size_t>(v)];
      prod[u + 1] = prod[u] + p;
    }
    for (size_t k = 0; k < nw; ++k) {
      const size_t a = k * S;
      if (px.N(a, a + W) < need || py.N(a, a + W) < need) continue;
      const int64_t b64 = static_cast<int64_t>(a) + t;
      if (b64 < 0 || static_cast<size_t>(b64) + W > n) continue;
      const size_t b = static_cast<size_t>(b64);
      double& rv = R[k * nl + static_cast<size_t>(t + L)];
      if (px.N(a, a + W) == static_cast<double>(W) && py.N(b, b + W) == static_cast<double>(W)) {
        const double mx = px.S(a, a + W) / static_cast<double>(W);
        const double vx = px.SS(a, a + W) / static_cast<double>(W) - mx * mx;
        const double my = py.S(b, b + W) / static_cast<double>(W);
        const double vy = py.SS(b, b + W) / static_cast<double>(W) - my * my;
        if (vx <= 1e-12 || vy <= 1e-12) continue;
        const double sxy = prod[a + W] - prod[a];
        rv = std::clamp((sxy / static_cast<double>(W) - mx * my) / std::sqrt(vx * vy), -1.0, 1.0);
      } else {
        double cn = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        for (size_t i = 0; i < W; ++i) {
          const float xi = x[a + i], yi = y[b + i];
          if (!std::isfinite(xi) || !std::isfinite(yi)) continue;
          cn += 1;
          sx += xi;
          sy += yi;
          sxx += static_cast<double>(xi) * xi;
          syy += static_cast<double>(yi) * yi;
          sxy += static_cast<double>(xi) * yi;
        }
        if (cn < need) continue;
        const double cx = sxx - sx * sx / cn, cy = syy - sy * sy / cn;
        if (cx <= 1e-12 || cy <= 1e-12) continue;
        rv = (sxy - sx * sy / cn) / std::sqrt(cx * cy);
      }
    }
  }
  double zsum = 0, zss = 0, lsum = 0, lss = 0;
  const int stride = o.profile_stride;
  if (stride > 0)
    for (int t = -(L / stride) * stride; t <= L; t += stride) res.profile_lags_s.push_back(static_cast<float>(t / rate_hz));
  for (size_t k = 0; k < nw; ++k) {
    const size_t a = k * S;
    const double* r = R.data() + k * nl;
    WlccWindow w;
    w.t_s = static_cast<double>(a) / rate_hz;
    w.peak_r = w.peak_lag_s = kNaNf;
    const bool na = px.N(a, a + W) < need || py.N(a, a + W) < need;
    if (stride > 0)
      for (int t = -(L / stride) * stride; t <= L; t += stride)
        res.profile.push_back(na ? kNaNf : static_cast<float>(r[t + L]));
    int best = -1;
    for (int i = 0; i < 2 * L + 1 && !na; ++i)
      if (std::isfinite(r[i]) && (best < 0 || r[i] > r[best])) best = i;
    if (best >= 0) {
      double off = 0;
      if (best > 0 && best < 2 * L && std::isfinite(r[best - 1]) && std::isfinite(r[best + 1]))
        off = internal::Parabolic(r[best - 1], r[best], r[best + 1]);
      w.peak_r = static_cast<float>(r[best]);
      w.peak_lag_s = static_cast<float>((best - L + off) / rate_hz);
      const double z = stats::FisherZ(w.peak_r);
      zsum += z;
      zss += z * z;
      lsum += w.peak_lag_s;
      lss += static_cast<double>(w.peak_lag_s) * w.peak_lag_s;
      ++res.valid;
    }
    res.windows.push_back(w);
  }
  if (res.valid > 0) {
    const double k = static_cast<double>(res.valid);
    res.peak_z_mean = zsum / k;
    res.peak_r_mean = std::tanh(res.peak_z_mean);
    res.lag_mean_s = lsum / k;
    res.lag_sd_s = k > 1 ? std::sqrt(std::max(0.0, (lss - lsum * lsum / k) / (k - 1))) : 0;
    double rs = 0, rss = 0;
    for (const auto& w : res.windows)
      if (std::isfinite(w.peak_r)) rs += w.peak_r, rss += static_cast<double>(w.peak_r) * w.peak_r;
    res.peak_r_sd = k > 1 ? std::sqrt(std::max(0.0, (rss - rs * rs / k) / (k - 1))) : 0;
  }
  (void)zss;
  return res;
}

}  // namespace mimicry::sync
