#include "mimicry/sync/rmea.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "mimicry/stats/descriptive.h"

namespace mimicry::sync {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A whole number of samples from seconds x rate (rMEA multiplies and uses the product as a
// count), or -1.
long WholeSamples(double seconds, double rate_hz) {
  const double v = seconds * rate_hz;
  const double r = std::round(v);
  if (!std::isfinite(v) || std::abs(v - r) > 1e-9 * std::max(1.0, std::abs(v))) return -1;
  return static_cast<long>(r);
}

// rMEA's per-lag value: NA unless at least two complete pairs differ (x != y), then R's
// cor(x, y, use = "complete.obs"): means over the complete pairs, centred sums; NA when a
// side is constant.
double RmeaPearson(const double* x, const double* y, long n) {
  long differ = 0, complete = 0;
  double sx = 0, sy = 0;
  for (long i = 0; i < n; ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) continue;
    differ += x[i] != y[i];
    ++complete;
    sx += x[i];
    sy += y[i];
  }
  if (differ < 2 || complete < 2) return kNaN;
  const double mx = sx / static_cast<double>(complete), my = sy / static_cast<double>(complete);
  double xx = 0, yy = 0, xy = 0;
  for (long i = 0; i < n; ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) continue;
    const double dx = x[i] - mx, dy = y[i] - my;
    xx += dx * dx;
    yy += dy * dy;
    xy += dx * dy;
  }
  if (!(xx > 0) || !(yy > 0)) return kNaN;
  return std::clamp(xy / (std::sqrt(xx) * std::sqrt(yy)), -1.0, 1.0);
}

// rMEA's mean(na.rm = TRUE) of n values from v.
double MeanOf(const double* v, size_t n) { return stats::Mean(std::span<const double>(v, n)); }

}  // namespace

Result<RmeaCcfResult> RmeaCcf(std::span<const double> s1, std::span<const double> s2, double rate_hz, const RmeaCcfOptions& o) {
  if (!(rate_hz > 0) || !std::isfinite(rate_hz)) return InvalidArgument("rMEA ccf: the sample rate must be a positive number");
  if (s1.size() != s2.size()) return InvalidArgument("rMEA ccf: the two series differ in length");
  if (!(o.lag_s >= 0) || !(o.win_s > 0) || !(o.inc_s > 0))
    return InvalidArgument("rMEA ccf: needs lag >= 0, window > 0 and increment > 0 seconds");
  const long lag = WholeSamples(o.lag_s, rate_hz), win = WholeSamples(o.win_s, rate_hz), inc = WholeSamples(o.inc_s, rate_hz);
  if (lag < 0 || win <= 0 || inc <= 0)
    return InvalidArgument("rMEA ccf: lag, window and increment must each be a whole number of samples at " +
                           std::to_string(rate_hz) + " Hz");
  const long n = static_cast<long>(s1.size());
  const long span = n - win - lag + 1;
  const long n_win = span > 0 ? (span + inc - 1) / inc : 0;
  if (n_win <= 0)
    return InvalidArgument("rMEA ccf: the lag, window and increment are too long to find a single full window in " +
                           std::to_string(n) + " samples");
  RmeaCcfResult r;
  const long nl = 2 * lag + 1;
  for (long L = -lag; L <= lag; ++L) r.lags_s.push_back(static_cast<double>(L) / rate_hz);
  r.matrix.assign(static_cast<size_t>(n_win * nl), kNaN);
  r.windows.resize(static_cast<size_t>(n_win));
  for (long w = 0; w < n_win; ++w) {
    const long st = w * inc, len = win + lag;
    long na1 = 0, na2 = 0;
    for (long i = st; i < st + len; ++i) na1 += std::isnan(s1[static_cast<size_t>(i)]), na2 += std::isnan(s2[static_cast<size_t>(i)]);
    double* row = r.matrix.data() + w * nl;
    if (static_cast<double>(std::max(na1, na2)) <= static_cast<double>(len) / 2) {
      for (long L = -lag; L <= lag; ++L) {
        const long a = std::abs(L);
        const double* x = s1.data() + st + (L >= 0 ? 0 : a);
        const double* y = s2.data() + st + (L >= 0 ? a : 0);
        double v = RmeaPearson(x, y, win);
        if (o.fisher_z && !std::isnan(v)) v = std::clamp(std::atanh(v), -10.0, 10.0);
        if (o.abs) v = std::abs(v);
        row[L + lag] = v;
      }
    }
    RmeaWindow& rw = r.windows[static_cast<size_t>(w)];
    rw.start_s = static_cast<double>(w) * o.inc_s;
    rw.end_s = rw.start_s + o.win_s;
    rw.all_lags = MeanOf(row, static_cast<size_t>(nl));
    rw.lag_zero = row[lag];
    rw.s1_lead = lag > 0 ? MeanOf(row + lag + 1, static_cast<size_t>(lag)) : kNaN;
    rw.s2_lead = lag > 0 ? MeanOf(row, static_cast<size_t>(lag)) : kNaN;
    rw.s1_lead_0 = lag > 0 ? MeanOf(row + lag, static_cast<size_t>(lag + 1)) : kNaN;
    rw.s2_lead_0 = lag > 0 ? MeanOf(row, static_cast<size_t>(lag + 1)) : kNaN;
    rw.best_lag_s = kNaN;
    double best = -std::numeric_limits<double>::infinity();
    for (long k = 0; k < nl; ++k)
      if (!std::isnan(row[k]) && row[k] > best) best = row[k], rw.best_lag_s = r.lags_s[static_cast<size_t>(k)];
  }
  r.grand_average = MeanOf(r.matrix.data(), r.matrix.size());
  std::vector<double> lz, l1, l2, bl;
  for (const auto& w : r.windows) lz.push_back(w.lag_zero), l1.push_back(w.s1_lead), l2.push_back(w.s2_lead), bl.push_back(w.best_lag_s);
  r.lag_zero = MeanOf(lz.data(), lz.size());
  r.s1_lead = MeanOf(l1.data(), l1.size());
  r.s2_lead = MeanOf(l2.data(), l2.size());
  r.best_lag_median_s = stats::Median(bl);
  return r;
}

std::vector<double> RmeaSmooth(std::span<const double> x, double rate_hz, double window_s) {
  // rMEA (sasFiltB): for t = 1..N, i1 = max(1, t - (n-1)/2), i2 = t + (n-1)/2, the sum of
  // a[i1:i2] / n, where R's i1:i2 steps by one from i1 (floor(i2 - i1 + 1 + eps) values)
  // and a fractional index truncates; an index past N reads NA, and an NA sum becomes 0.
  const double n = window_s * rate_hz;
  const long N = static_cast<long>(x.size());
  std::vector<double> out(x.size(), kNaN);
  for (long t = 1; t <= N; ++t) {
    const double i1 = std::max(1.0, static_cast<double>(t) - (n - 1) / 2);
    const double i2 = static_cast<double>(t) + (n - 1) / 2;
    const long count = static_cast<long>(std::floor(std::abs(i2 - i1) + 1 + 1.1920928955078125e-07));
    const double step = i2 >= i1 ? 1.0 : -1.0;
    double sum = 0;
    bool na = false;
    for (long k = 0; k < count && !na; ++k) {
      const long idx = static_cast<long>(i1 + step * static_cast<double>(k));  // truncation, as R's indexing
      if (idx < 1) continue;  // index 0 selects nothing
      if (idx > N) {
        na = true;
        break;
      }
      const double v = x[static_cast<size_t>(idx - 1)];
      if (std::isnan(v)) na = true;
      else sum += v;
    }
    const double s = na ? 0.0 : sum / n;
    out[static_cast<size_t>(t - 1)] = std::isnan(x[static_cast<size_t>(t - 1)]) ? kNaN : s;
  }
  return out;
}

std::vector<double> RmeaScale(std::span<const double> x) {
  double s = 0;
  size_t k = 0;
  for (double v : x)
    if (!std::isnan(v)) s += v, ++k;
  std::vector<double> out(x.size(), kNaN);
  if (k < 2) return out;
  const double m = s / static_cast<double>(k);
  double ss = 0;
  for (double v : x)
    if (!std::isnan(v)) ss += (v - m) * (v - m);
  const double sd = std::sqrt(ss / static_cast<double>(k - 1));
  if (!(sd > 0)) return out;
  for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] / sd;
  return out;
}

}  // namespace mimicry::sync
