#include "mimicry/audience/isc.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "mimicry/stats/correlation.h"
#include "mimicry/stats/descriptive.h"
#include "mimicry/stats/random.h"
#include "mimicry/stats/tests.h"

namespace mimicry::audience {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The leave-one-out lagged ISC of x (lags -L..L samples); per_viewer gets each best r.
double Isc(const std::vector<std::vector<double>>& x, int L, std::vector<double>* per_viewer) {
  const size_t nv = x.size(), m = x.empty() ? 0 : x[0].size();
  std::vector<double> sum(m, 0.0), cnt(m, 0.0);
  for (size_t k = 0; k < nv; ++k)
    for (size_t i = 0; i < m; ++i)
      if (std::isfinite(x[k][i])) sum[i] += x[k][i], cnt[i] += 1;
  double zs = 0;
  int zc = 0;
  std::vector<double> others(m), a, b;
  for (size_t k = 0; k < nv; ++k) {
    for (size_t i = 0; i < m; ++i) {
      const bool own = std::isfinite(x[k][i]);
      const double c = cnt[i] - (own ? 1 : 0);
      others[i] = c >= 1 ? (sum[i] - (own ? x[k][i] : 0)) / c : kNaN;
    }
    double best = kNaN;
    for (int lag = -L; lag <= L; ++lag) {
      a.clear();
      b.clear();
      for (size_t i = 0; i < m; ++i) {
        const long j = static_cast<long>(i) + lag;
        if (j < 0 || j >= static_cast<long>(m)) continue;
        a.push_back(x[k][static_cast<size_t>(j)]);
        b.push_back(others[i]);
      }
      const double r = stats::Pearson(a, b);
      if (std::isfinite(r) && (!std::isfinite(best) || r > best)) best = r;
    }
    if (per_viewer) per_viewer->push_back(best);
    if (std::isfinite(best)) zs += stats::FisherZ(best), ++zc;
  }
  return zc > 0 ? std::tanh(zs / zc) : kNaN;
}

}  // namespace

IscResult LaggedIsc(const std::vector<std::vector<double>>& x, const IscOptions& o) {
  assert(o.rate_hz > 0);
  IscResult r;
  const size_t nv = x.size(), m = x.empty() ? 0 : x[0].size();
  assert(std::all_of(x.begin(), x.end(), [m](const auto& v) { return v.size() == m; }));
  const int L = static_cast<int>(std::lround(o.max_lag_s * o.rate_hz));
  if (nv >= 3) r.mean_r = Isc(x, L, &r.per_viewer);
  if (r.per_viewer.empty()) r.per_viewer.assign(nv, kNaN);
  const size_t min_shift = static_cast<size_t>(o.min_shift_s * o.rate_hz);
  if (!std::isfinite(r.mean_r) || m <= 2 * min_shift + 10) return r;
  stats::Rng rng(o.seed);
  std::vector<std::vector<double>> sh(nv, std::vector<double>(m));
  for (int s = 0; s < o.surrogates; ++s) {
    for (size_t k = 0; k < nv; ++k) {
      const size_t d = min_shift + static_cast<size_t>(rng.Int(0, static_cast<int64_t>(m - 2 * min_shift)));
      for (size_t i = 0; i < m; ++i) sh[k][(i + d) % m] = x[k][i];
    }
    r.null.push_back(Isc(sh, L, nullptr));
  }
  r.null_mean = stats::Mean(r.null);
  r.p = stats::UpperP(r.mean_r, r.null);
  return r;
}

}  // namespace mimicry::audience
