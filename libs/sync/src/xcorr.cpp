#include "mimicry/sync/xcorr.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include <opencv2/core.hpp>

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

// Vertex of the parabola through (-1, a), (0, b), (1, c), as an offset in -0.5..0.5.
double Parabolic(double a, double b, double c) {
  const double d = a - 2 * b + c;
  if (!(std::abs(d) > 1e-12)) return 0;
  return std::clamp(0.5 * (a - c) / d, -0.5, 0.5);
}

// Local standardisation: z = (v - local mean) / local SD over a centred window of w
// samples (valid samples only); 0 where missing or where the window is flat. mask = 1
// where valid.
void LocalZ(std::span<const float> v, int w, std::vector<double>& z, std::vector<double>& mask) {
  const size_t n = v.size();
  const Prefix p(v);
  z.assign(n, 0.0);
  mask.assign(n, 0.0);
  const int half = std::max(1, w / 2);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) continue;
    const size_t a = i >= static_cast<size_t>(half) ? i - static_cast<size_t>(half) : 0;
    const size_t b = std::min(n, i + static_cast<size_t>(half) + 1);
    const double cnt = p.N(a, b);
    if (cnt < 3) continue;
    const double m = p.S(a, b) / cnt;
    const double var = p.SS(a, b) / cnt - m * m;
    mask[i] = 1.0;
    if (var > 1e-12) z[i] = (v[i] - m) / std::sqrt(var);
  }
}

// Circular cross-correlation c(d) = sum_t a(t) b((t + d) mod n), d = 0..n-1, by FFT of a
// zero-padded linear correlation folded back.
class CircularXcorr {
 public:
  explicit CircularXcorr(size_t n) : n_(n), m_(static_cast<size_t>(cv::getOptimalDFTSize(static_cast<int>(2 * n)))) {}
  cv::Mat Spectrum(const std::vector<double>& a) const {
    cv::Mat buf = cv::Mat::zeros(1, static_cast<int>(m_), CV_64F);
    std::copy(a.begin(), a.end(), buf.ptr<double>());
    cv::Mat spec;
    cv::dft(buf, spec);
    return spec;
  }
  // c(d) for the spectra of a and b.
  std::vector<double> Correlate(const cv::Mat& sa, const cv::Mat& sb) const {
    cv::Mat prod, lin;
    cv::mulSpectrums(sb, sa, prod, 0, /*conjB=*/true);  // conj(A) * B -> sum_t a(t) b(t + d)
    cv::idft(prod, lin, cv::DFT_SCALE | cv::DFT_REAL_OUTPUT);
    const double* l = lin.ptr<double>();
    std::vector<double> c(n_);
    for (size_t d = 0; d < n_; ++d) c[d] = l[d] + (d > 0 ? l[m_ - (n_ - d)] : 0.0);  // lag d and d - n
    return c;
  }
  size_t m() const { return m_; }

 private:
  size_t n_, m_;
};

CouplingStat StatAt(const std::vector<double>& pooled, size_t n, int64_t shift, int lag, double rate_hz,
                    std::vector<double>* curve_out) {
  std::vector<double> curve(static_cast<size_t>(2 * lag + 1));
  const int64_t N = static_cast<int64_t>(n);
  for (int t = -lag; t <= lag; ++t) {
    const int64_t d = ((shift + t) % N + N) % N;
    curve[static_cast<size_t>(t + lag)] = pooled[static_cast<size_t>(d)];
  }
  CouplingStat s;
  size_t best = 0;
  double pos = -1e300, neg = -1e300;
  for (size_t i = 0; i < curve.size(); ++i) {
    const double v = std::isfinite(curve[i]) ? curve[i] : -1e300;
    if (v > curve[best] || !std::isfinite(curve[best])) best = i;
    const int t = static_cast<int>(i) - lag;
    if (t > 0) pos = std::max(pos, v);
    if (t < 0) neg = std::max(neg, v);
  }
  s.peak = curve[best];
  double off = 0;
  if (best > 0 && best + 1 < curve.size()) off = Parabolic(curve[best - 1], curve[best], curve[best + 1]);
  s.lag_s = (static_cast<double>(static_cast<int>(best) - lag) + off) / rate_hz;
  s.asym = pos - neg;
  if (curve_out != nullptr) *curve_out = std::move(curve);
  return s;
}

}  // namespace

double FisherZ(double r) {
  r = std::clamp(r, -0.9999, 0.9999);
  return std::atanh(r);
}

std::vector<double> BenjaminiHochberg(const std::vector<double>& p) {
  const size_t m = p.size();
  std::vector<size_t> idx(m);
  for (size_t i = 0; i < m; ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> q(m, 1.0);
  double running = 1.0;
  for (size_t k = m; k-- > 0;) {
    const size_t i = idx[k];
    running = std::min(running, p[i] * static_cast<double>(m) / static_cast<double>(k + 1));
    q[i] = std::min(1.0, running);
  }
  return q;
}

uint64_t Rng::Next() {
  uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
double Rng::Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
int64_t Rng::Int(int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(Uniform() * static_cast<double>(hi - lo + 1));
}

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
  double zsum = 0, zss = 0, lsum = 0, lss = 0;
  std::vector<double> r(static_cast<size_t>(2 * L + 1));
  const int stride = o.profile_stride;
  if (stride > 0)
    for (int t = -(L / stride) * stride; t <= L; t += stride) res.profile_lags_s.push_back(static_cast<float>(t / rate_hz));
  auto keep = [&](bool valid) {
    if (stride <= 0) return;
    for (int t = -(L / stride) * stride; t <= L; t += stride)
      res.profile.push_back(valid ? static_cast<float>(r[static_cast<size_t>(t + L)]) : kNaNf);
  };
  for (size_t a = 0; a + W <= n; a += S) {
    WlccWindow w;
    w.t_s = static_cast<double>(a) / rate_hz;
    w.peak_r = w.peak_lag_s = kNaNf;
    const bool xfull = px.N(a, a + W) == static_cast<double>(W);
    if (px.N(a, a + W) < need || py.N(a, a + W) < need) {
      res.windows.push_back(w);
      keep(false);
      continue;
    }
    const double mx = px.S(a, a + W) / px.N(a, a + W);
    const double vx = px.SS(a, a + W) / px.N(a, a + W) - mx * mx;
    for (int t = -L; t <= L; ++t) {
      double& rv = r[static_cast<size_t>(t + L)];
      rv = std::numeric_limits<double>::quiet_NaN();
      const int64_t b64 = static_cast<int64_t>(a) + t;
      if (b64 < 0 || static_cast<size_t>(b64) + W > n) continue;
      const size_t b = static_cast<size_t>(b64);
      if (xfull && py.N(b, b + W) == static_cast<double>(W)) {
        const double my = py.S(b, b + W) / static_cast<double>(W);
        const double vy = py.SS(b, b + W) / static_cast<double>(W) - my * my;
        if (vx <= 1e-12 || vy <= 1e-12) continue;
        double sxy = 0;
        const float* xp = x.data() + a;
        const float* yp = y.data() + b;
        for (size_t i = 0; i < W; ++i) sxy += static_cast<double>(xp[i]) * yp[i];
        rv = (sxy / static_cast<double>(W) - mx * my) / std::sqrt(vx * vy);
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
    int best = -1;
    for (int i = 0; i < 2 * L + 1; ++i)
      if (std::isfinite(r[static_cast<size_t>(i)]) && (best < 0 || r[static_cast<size_t>(i)] > r[static_cast<size_t>(best)]))
        best = i;
    if (best >= 0) {
      double off = 0;
      if (best > 0 && best < 2 * L && std::isfinite(r[static_cast<size_t>(best - 1)]) &&
          std::isfinite(r[static_cast<size_t>(best + 1)]))
        off = Parabolic(r[static_cast<size_t>(best - 1)], r[static_cast<size_t>(best)], r[static_cast<size_t>(best + 1)]);
      w.peak_r = static_cast<float>(r[static_cast<size_t>(best)]);
      w.peak_lag_s = static_cast<float>((best - L + off) / rate_hz);
      const double z = FisherZ(w.peak_r);
      zsum += z;
      zss += z * z;
      lsum += w.peak_lag_s;
      lss += static_cast<double>(w.peak_lag_s) * w.peak_lag_s;
      ++res.valid;
    }
    res.windows.push_back(w);
    keep(true);
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
  return res;
}

CouplingResult Coupling(const std::vector<std::span<const float>>& xs, const std::vector<std::span<const float>>& ys,
                        double rate_hz, const CouplingOptions& o) {
  assert(xs.size() == ys.size());
  CouplingResult res;
  if (xs.empty()) return res;
  const size_t n = xs[0].size();
  const int L = static_cast<int>(std::lround(o.max_lag_s * rate_hz));
  const int64_t min_shift = std::lround(o.min_shift_s * rate_hz);
  if (n < static_cast<size_t>(2 * min_shift + 2 * L + 2) || n < 8) return res;
  const int w = static_cast<int>(std::lround(o.window_s * rate_hz));
  const CircularXcorr xc(n);
  std::vector<double> num_sum(n, 0.0), cnt(n, 0.0);
  struct Chan {
    cv::Mat zx_spec, zy_spec;
    std::vector<double> den;
  };
  std::vector<Chan> chans;
  std::vector<cv::Mat> y_specs;
  for (size_t c = 0; c < xs.size(); ++c) {
    assert(xs[c].size() == n && ys[c].size() == n);
    std::vector<double> zx, mx, zy, my;
    LocalZ(xs[c], w, zx, mx);
    LocalZ(ys[c], w, zy, my);
    double joint = 0;
    for (size_t i = 0; i < n; ++i) joint += mx[i] * my[i];
    if (joint < 0.25 * static_cast<double>(n)) continue;  // too little overlap for this channel
    const cv::Mat sx = xc.Spectrum(zx), sy = xc.Spectrum(zy);
    const std::vector<double> num = xc.Correlate(sx, sy);
    std::vector<double> den = xc.Correlate(xc.Spectrum(mx), xc.Spectrum(my));
    for (size_t d = 0; d < n; ++d)
      if (den[d] >= 0.25 * static_cast<double>(n)) {
        num_sum[d] += num[d] / den[d];
        cnt[d] += 1;
      }
    ++res.channels;
    if (o.kind == SurrogateKind::kPhaseRandomised) chans.push_back({sx, sy, std::move(den)});
  }
  if (res.channels == 0) return res;
  std::vector<double> pooled(n);
  for (size_t d = 0; d < n; ++d) pooled[d] = cnt[d] > 0 ? num_sum[d] / cnt[d] : std::numeric_limits<double>::quiet_NaN();
  res.observed = StatAt(pooled, n, 0, L, rate_hz, &res.curve);
  Rng rng(o.seed);
  res.null.reserve(static_cast<size_t>(std::max(0, o.surrogates)));
  for (int k = 0; k < o.surrogates; ++k) {
    if (o.kind == SurrogateKind::kCircularShift) {
      const int64_t s = rng.Int(min_shift, static_cast<int64_t>(n) - min_shift);
      res.null.push_back(StatAt(pooled, n, s, L, rate_hz, nullptr));
    } else {
      // Phase-randomised y (the same random phases for every channel, so that the
      // channels' relations to each other survive): its spectrum's magnitudes are kept.
      const size_t m = xc.m();
      std::vector<double> phase(m / 2 + 1);
      for (auto& p : phase) p = 2 * CV_PI * rng.Uniform();
      std::vector<double> sur(n, 0.0), scnt(n, 0.0);
      for (const Chan& ch : chans) {
        cv::Mat spec = ch.zy_spec.clone();  // CCS packed: re0, re1, im1, ..., [re_{m/2}]
        double* s = spec.ptr<double>();
        for (size_t k2 = 1; 2 * k2 < m; ++k2) {
          const double re = s[2 * k2 - 1], im = s[2 * k2];
          const double mag = std::hypot(re, im), ang = std::atan2(im, re) + phase[k2];
          s[2 * k2 - 1] = mag * std::cos(ang);
          s[2 * k2] = mag * std::sin(ang);
        }
        const std::vector<double> num = xc.Correlate(ch.zx_spec, spec);
        for (size_t d = 0; d < n; ++d)
          if (ch.den[d] >= 0.25 * static_cast<double>(n)) {
            sur[d] += num[d] / ch.den[d];
            scnt[d] += 1;
          }
      }
      for (size_t d = 0; d < n; ++d) sur[d] = scnt[d] > 0 ? sur[d] / scnt[d] : std::numeric_limits<double>::quiet_NaN();
      res.null.push_back(StatAt(sur, n, 0, L, rate_hz, nullptr));
    }
  }
  if (!res.null.empty()) {
    int kp = 0, kl = 0;
    double m = 0, ss = 0;
    for (const auto& s : res.null) {
      kp += s.peak >= res.observed.peak ? 1 : 0;
      kl += std::abs(s.asym) >= std::abs(res.observed.asym) ? 1 : 0;
      m += s.peak;
      ss += s.peak * s.peak;
    }
    const double N = static_cast<double>(res.null.size());
    res.peak_p = (kp + 1) / (N + 1);
    res.lead_p = (kl + 1) / (N + 1);
    m /= N;
    const double sd = std::sqrt(std::max(0.0, ss / N - m * m));
    res.peak_z = sd > 0 ? (res.observed.peak - m) / sd : 0;
  }
  res.ok = true;
  return res;
}

}  // namespace mimicry::sync
