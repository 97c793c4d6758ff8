#include "mimicry/sync/coupling.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "mimicry/stats/tests.h"
#include "curve.h"

namespace mimicry::sync {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Local standardisation: z = (v - local mean) / local SD over a centred window of w
// samples (valid samples only); 0 where missing or where the window is flat. mask = 1
// where valid (and the window holds at least 3 valid samples).
void LocalZ(std::span<const float> v, int w, std::vector<float>& z, std::vector<float>& mask) {
  const size_t n = v.size();
  std::vector<double> cn(n + 1, 0), cs(n + 1, 0), css(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    const bool ok = std::isfinite(v[i]);
    const double x = ok ? v[i] : 0.0;
    cn[i + 1] = cn[i] + (ok ? 1 : 0);
    cs[i + 1] = cs[i] + x;
    css[i + 1] = css[i] + x * x;
  }
  z.assign(n, 0.f);
  mask.assign(n, 0.f);
  const size_t half = static_cast<size_t>(std::max(1, w / 2));
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) continue;
    const size_t a = i >= half ? i - half : 0;
    const size_t b = std::min(n, i + half + 1);
    const double cnt = cn[b] - cn[a];
    if (cnt < 3) continue;
    const double m = (cs[b] - cs[a]) / cnt;
    const double var = (css[b] - css[a]) / cnt - m * m;
    mask[i] = 1.f;
    if (var > 1e-12) z[i] = static_cast<float>((v[i] - m) / std::sqrt(var));
  }
}

// One channel pair, standardised.
struct Chan {
  std::vector<float> zx, mx, zy, my;
  bool xfull = false, yfull = false;  // valid everywhere (then the joint count at lag l is n - |l|)
  size_t index = 0;   // position among the input channels
};

// C(l) for l = -L..L of x against (zy, my), into out[0..2L]; NaN where fewer than a quarter
// of the samples are jointly valid.
void CurveOf(const Chan& c, const float* zy, const float* my, bool full, int L, size_t n, double* out) {
  for (int l = -L; l <= L; ++l) {
    const size_t a = l < 0 ? static_cast<size_t>(-l) : 0;
    const size_t len = n - static_cast<size_t>(std::abs(l));
    const float* xp = c.zx.data() + a;
    const float* yp = zy + a + l;
    const double num = internal::Dot(xp, yp, len);
    const double den = full ? static_cast<double>(len) : internal::Dot(c.mx.data() + a, my + a + l, len);
    out[l + L] = den >= 0.25 * static_cast<double>(n) ? num / den : kNaN;
  }
}

CouplingStat StatOf(const double* curve, int L, double rate_hz) {
  CouplingStat s;
  int best = -1, best_pos = -1, best_neg = -1;
  double sp = 0, sn = 0;
  int kp = 0, kn = 0;
  for (int i = 0; i <= 2 * L; ++i) {
    const double v = curve[i];
    if (!std::isfinite(v)) continue;
    if (best < 0 || v > curve[best]) best = i;
    if (i > L) {
      sp += v, ++kp;
      if (best_pos < 0 || v > curve[best_pos]) best_pos = i;
    }
    if (i < L) {
      sn += v, ++kn;
      if (best_neg < 0 || v > curve[best_neg]) best_neg = i;
    }
  }
  if (best < 0) return s;
  auto refined = [&](int i) {
    double off = 0;
    if (i > 0 && i < 2 * L && std::isfinite(curve[i - 1]) && std::isfinite(curve[i + 1]))
      off = internal::Parabolic(curve[i - 1], curve[i], curve[i + 1]);
    return (i - L + off) / rate_hz;
  };
  s.peak = curve[best];
  s.lag_s = refined(best);
  if (kp > 0 && kn > 0) {
    s.asym = sp / kp - sn / kn;
    const int side = s.asym >= 0 ? best_pos : best_neg;
    s.lead_lag_s = refined(side);
  }
  return s;
}

// Circular cross-correlation c(d) = sum_t a(t) b((t + d) mod n), d = 0..n-1, by FFT
// (cv::dft) of a zero-padded linear correlation folded back.
class CircularXcorr {
 public:
  explicit CircularXcorr(size_t n) : n_(n), m_(static_cast<size_t>(cv::getOptimalDFTSize(static_cast<int>(2 * n)))) {}
  std::vector<double> operator()(const std::vector<float>& a, const std::vector<float>& b) const {
    cv::Mat ba = cv::Mat::zeros(1, static_cast<int>(m_), CV_64F), bb = cv::Mat::zeros(1, static_cast<int>(m_), CV_64F);
    for (size_t i = 0; i < n_; ++i) ba.at<double>(0, static_cast<int>(i)) = a[i], bb.at<double>(0, static_cast<int>(i)) = b[i];
    cv::Mat sa, sb, prod, lin;
    cv::dft(ba, sa);
    cv::dft(bb, sb);
    cv::mulSpectrums(sb, sa, prod, 0, /*conjB=*/true);  // conj(A) * B -> sum_t a(t) b(t + d)
    cv::idft(prod, lin, cv::DFT_SCALE | cv::DFT_REAL_OUTPUT);
    const double* l = lin.ptr<double>();
    std::vector<double> c(n_);
    for (size_t d = 0; d < n_; ++d) c[d] = l[d] + (d > 0 ? l[m_ - (n_ - d)] : 0.0);  // lag d and d - n
    return c;
  }

 private:
  size_t n_, m_;
};

// Surrogate statistics: peak and asym per surrogate for the pooled curve and each channel.
struct Null {
  std::vector<double> peak, asym;                        // [surrogate]
  std::vector<std::vector<double>> ch_peak, ch_asym;     // [channel][surrogate]
};

void Pool(const std::vector<std::vector<double>>& curves, std::vector<double>& pooled) {
  const size_t m = pooled.size();
  for (size_t i = 0; i < m; ++i) {
    double s = 0;
    int k = 0;
    for (const auto& c : curves)
      if (std::isfinite(c[i])) s += c[i], ++k;
    pooled[i] = k > 0 ? s / k : kNaN;
  }
}

void Finish(CurveTest& t, const std::vector<double>& peak, const std::vector<double>& asym, double p_floor) {
  t.peak_chance = ChanceOf(peak);
  t.asym_chance = ChanceOf(asym);
  if (!t.ok) return;
  std::vector<double> abs_asym(asym.size());
  for (size_t i = 0; i < asym.size(); ++i) abs_asym[i] = std::abs(asym[i]);
  const double pp = stats::UpperP(t.observed.peak, peak), lp = stats::UpperP(std::abs(t.observed.asym), abs_asym);
  t.peak_p = std::isfinite(pp) ? std::max(pp, p_floor) : kNaN;
  t.lead_p = std::isfinite(lp) ? std::max(lp, p_floor) : kNaN;
  double s = 0, ss = 0;
  int k = 0;
  for (double x : peak)
    if (std::isfinite(x)) s += x, ss += x * x, ++k;
  if (k > 1) {
    const double m = s / k, sd = std::sqrt(std::max(0.0, (ss - s * s / k) / (k - 1)));
    t.peak_z = sd > 0 ? (t.observed.peak - m) / sd : kNaN;
  }
}

}  // namespace

double DefaultBlockS(double max_lag_s) { return std::max(5.0, 2 * max_lag_s + 1); }

SurrogateKind ResolveKind(const CouplingOptions& o, double span_s) {
  if (o.kind != SurrogateKind::kAuto) return o.kind;
  return span_s <= o.bootstrap_max_s ? SurrogateKind::kBlockBootstrap : SurrogateKind::kCircularShift;
}

double CouplingMinSpanS(const CouplingOptions& o, SurrogateKind k) {
  if (k == SurrogateKind::kCircularShift) return 2 * o.min_shift_s + 19 * (2 * o.max_lag_s + o.window_s);
  const double block = o.block_s > 0 ? o.block_s : DefaultBlockS(o.max_lag_s);
  return std::max({3 * block, 4 * o.max_lag_s + o.window_s});
}

CouplingResult Coupling(const std::vector<std::span<const float>>& xs, const std::vector<std::span<const float>>& ys,
                        double rate_hz, const CouplingOptions& o) {
  assert(xs.size() == ys.size() && rate_hz > 0);
  CouplingResult res;
  res.channels.resize(xs.size());
  if (xs.empty()) return res;
  const size_t n = xs[0].size();
  const int L = static_cast<int>(std::lround(o.max_lag_s * rate_hz));
  const double span_s = static_cast<double>(n) / rate_hz;
  res.kind = ResolveKind(o, span_s);
  res.min_span_s = CouplingMinSpanS(o, res.kind);
  if (n < 8 || L < 1 || static_cast<size_t>(2 * L + 2) > n) {
    res.not_tested = fmt::format("the shared span ({:.1f} s) is too short for lags of +-{:.1f} s", span_s, o.max_lag_s);
    return res;
  }
  const int w = static_cast<int>(std::lround(o.window_s * rate_hz));

  // 1. Standardise each channel pair; keep those with enough joint data and some variation.
  std::vector<Chan> chans;
  for (size_t c = 0; c < xs.size(); ++c) {
    assert(xs[c].size() == n && ys[c].size() == n);
    Chan ch;
    ch.index = c;
    LocalZ(xs[c], w, ch.zx, ch.mx);
    LocalZ(ys[c], w, ch.zy, ch.my);
    double joint = 0, ex = 0, ey = 0;
    ch.xfull = ch.yfull = true;
    for (size_t i = 0; i < n; ++i) {
      joint += ch.mx[i] * ch.my[i];
      ex += std::abs(ch.zx[i]);
      ey += std::abs(ch.zy[i]);
      ch.xfull = ch.xfull && ch.mx[i] > 0;
      ch.yfull = ch.yfull && ch.my[i] > 0;
    }
    if (joint < 0.25 * static_cast<double>(n) || ex == 0 || ey == 0) continue;
    chans.push_back(std::move(ch));
  }
  res.channels_used = static_cast<int>(chans.size());
  if (chans.empty()) {
    res.not_tested = "no channel has enough jointly valid, varying samples";
    return res;
  }

  // 2. Observed curves.
  const size_t m = static_cast<size_t>(2 * L + 1);
  std::vector<std::vector<double>> obs(chans.size(), std::vector<double>(m));
  for (size_t k = 0; k < chans.size(); ++k) CurveOf(chans[k], chans[k].zy.data(), chans[k].my.data(), chans[k].xfull && chans[k].yfull, L, n, obs[k].data());
  res.pooled.curve.assign(m, kNaN);
  Pool(obs, res.pooled.curve);
  res.pooled.observed = StatOf(res.pooled.curve.data(), L, rate_hz);
  res.pooled.ok = std::isfinite(res.pooled.observed.peak);
  for (size_t k = 0; k < chans.size(); ++k) {
    CurveTest& t = res.channels[chans[k].index];
    t.curve = obs[k];
    t.observed = StatOf(t.curve.data(), L, rate_hz);
    t.ok = std::isfinite(t.observed.peak);
  }
  res.ok = res.pooled.ok;
  if (!res.ok) {
    res.not_tested = "no lag has enough jointly valid samples";
    return res;
  }

  // 3. Is a test possible?
  if (o.surrogates <= 0) {
    res.not_tested = "no surrogates were asked for (--surrogates 0)";
    return res;
  }
  const double block_s = o.block_s > 0 ? o.block_s : DefaultBlockS(o.max_lag_s);
  if (res.kind == SurrogateKind::kCircularShift) {
    const double decor = 2 * o.max_lag_s + o.window_s;
    res.effective_shifts = std::max(0.0, std::floor((span_s - 2 * o.min_shift_s) / decor));
  }
  if (span_s + 1e-9 < res.min_span_s) {
    res.not_tested = res.kind == SurrogateKind::kCircularShift
                         ? fmt::format("circular shifts of at least {:.0f} s in {:.1f} s give {:.0f} effectively different "
                                       "surrogates; this test needs {:.0f} s (the block bootstrap needs {:.0f} s)",
                                       o.min_shift_s, span_s, res.effective_shifts, res.min_span_s,
                                       CouplingMinSpanS(o, SurrogateKind::kBlockBootstrap))
                         : fmt::format("the shared span ({:.1f} s) is shorter than the {:.1f} s this test needs "
                                       "(three {:.0f}-s bootstrap blocks)",
                                       span_s, res.min_span_s, block_s);
    return res;
  }
  const int N = o.surrogates;
  res.surrogates = N;
  res.block_s = res.kind == SurrogateKind::kBlockBootstrap ? block_s : 0;
  res.p_floor = res.kind == SurrogateKind::kCircularShift ? 1.0 / (res.effective_shifts + 1) : 1.0 / (N + 1);

  // 4. Surrogates.
  Null null;
  null.peak.assign(static_cast<size_t>(N), kNaN);
  null.asym.assign(static_cast<size_t>(N), kNaN);
  null.ch_peak.assign(chans.size(), std::vector<double>(static_cast<size_t>(N), kNaN));
  null.ch_asym.assign(chans.size(), std::vector<double>(static_cast<size_t>(N), kNaN));
  if (res.kind == SurrogateKind::kCircularShift) {
    // One circular cross-correlation per channel; surrogate s reads it at s + l.
    const CircularXcorr xc(n);
    std::vector<std::vector<double>> num(chans.size()), den(chans.size());
    for (size_t k = 0; k < chans.size(); ++k) {
      num[k] = xc(chans[k].zx, chans[k].zy);
      den[k] = xc(chans[k].mx, chans[k].my);
    }
    const int64_t min_shift = std::lround(o.min_shift_s * rate_hz);
    const int64_t N64 = static_cast<int64_t>(n);
    std::vector<std::vector<double>> cur(chans.size(), std::vector<double>(m));
    std::vector<double> pooled(m);
    for (int s = 0; s < N; ++s) {
      stats::Rng rng = stats::Rng::Derived(o.seed, static_cast<uint64_t>(s));
      const int64_t shift = rng.Int(min_shift, N64 - min_shift);
      for (size_t k = 0; k < chans.size(); ++k) {
        for (int l = -L; l <= L; ++l) {
          const size_t d = static_cast<size_t>(((shift + l) % N64 + N64) % N64);
          cur[k][static_cast<size_t>(l + L)] = den[k][d] >= 0.25 * static_cast<double>(n) ? num[k][d] / den[k][d] : kNaN;
        }
        const CouplingStat st = StatOf(cur[k].data(), L, rate_hz);
        null.ch_peak[k][static_cast<size_t>(s)] = st.peak;
        null.ch_asym[k][static_cast<size_t>(s)] = st.asym;
      }
      Pool(cur, pooled);
      const CouplingStat st = StatOf(pooled.data(), L, rate_hz);
      null.peak[static_cast<size_t>(s)] = st.peak;
      null.asym[static_cast<size_t>(s)] = st.asym;
    }
  } else {
    const double mean_len = std::max(1.0, block_s * rate_hz);
    // The stationary bootstrap keeps y's autocorrelation at lag k only with probability
    // (1 - 1/mean_len)^k, so its curves vary less than the real null's: a variance ratio
    // per channel (and for the pooled curve), from the series' own autocovariances.
    std::vector<double> fch(chans.size(), 1.0);
    double fpool = 1;
    {
      const int K = static_cast<int>(std::min<double>(static_cast<double>(n) / 2, std::ceil(mean_len)));
      const double q = 1.0 / mean_len;
      double np = 0, dp = 0;
      for (size_t k = 0; k < chans.size(); ++k) {
        const Chan& c = chans[k];
        double num = 0, den = 0;
        for (int d = 0; d <= K; ++d) {
          const size_t len = n - static_cast<size_t>(d);
          const double rx = internal::Dot(c.zx.data(), c.zx.data() + d, len) / static_cast<double>(n);
          const double ry = internal::Dot(c.zy.data(), c.zy.data() + d, len) / static_cast<double>(n);
          const double taper = (d == 0 ? 1.0 : 2.0) * (1.0 - static_cast<double>(d) / (K + 1));
          num += taper * rx * ry;
          den += taper * rx * ry * std::pow(1 - q, d);
        }
        fch[k] = den > 0 ? std::clamp(num / den, 1.0, 3.0) : 1.0;
        np += num;
        dp += den;
      }
      fpool = dp > 0 ? std::clamp(np / dp, 1.0, 3.0) : 1.0;
    }
    const double spool = std::sqrt(fpool);
    auto run = [&](int first, int stride) {
      std::vector<float> zy(n), my(n);
      std::vector<double> scaled(m);
      std::vector<std::vector<double>> cur(chans.size(), std::vector<double>(m));
      std::vector<double> pooled(m);
      for (int s = first; s < N; s += stride) {
        stats::Rng rng = stats::Rng::Derived(o.seed, static_cast<uint64_t>(s));
        const std::vector<Block> blocks = StationaryBootstrap(static_cast<int64_t>(n), mean_len, rng);
        for (size_t k = 0; k < chans.size(); ++k) {
          const Chan& c = chans[k];
          for (const Block& b : blocks)
            for (int64_t i = 0; i < b.len; ++i) {
              const size_t src = static_cast<size_t>((b.src + i) % static_cast<int64_t>(n));
              zy[static_cast<size_t>(b.dst + i)] = c.zy[src];
              my[static_cast<size_t>(b.dst + i)] = c.my[src];
            }
          CurveOf(c, zy.data(), my.data(), c.xfull && c.yfull, L, n, cur[k].data());
          const double sc = std::sqrt(fch[k]);
          for (size_t i = 0; i < m; ++i) scaled[i] = cur[k][i] * sc;
          const CouplingStat st = StatOf(scaled.data(), L, rate_hz);
          null.ch_peak[k][static_cast<size_t>(s)] = st.peak;
          null.ch_asym[k][static_cast<size_t>(s)] = st.asym;
        }
        Pool(cur, pooled);
        for (auto& v : pooled) v *= spool;
        const CouplingStat st = StatOf(pooled.data(), L, rate_hz);
        null.peak[static_cast<size_t>(s)] = st.peak;
        null.asym[static_cast<size_t>(s)] = st.asym;
      }
    };
    const double work = static_cast<double>(n) * static_cast<double>(m) * static_cast<double>(chans.size()) * N;
    if (work > 2e7) {
      std::thread helper(run, 1, 2);
      run(0, 2);
      helper.join();
    } else {
      run(0, 1);
    }
  }

  // 5. Tests.
  Finish(res.pooled, null.peak, null.asym, res.p_floor);
  res.pooled.null_peak = null.peak;
  for (size_t k = 0; k < chans.size(); ++k) Finish(res.channels[chans[k].index], null.ch_peak[k], null.ch_asym[k], res.p_floor);
  res.tested = true;
  return res;
}

}  // namespace mimicry::sync
