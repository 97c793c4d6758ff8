#include "mimicry/stats/tests.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>

#include "mimicry/stats/correlation.h"
#include "mimicry/stats/random.h"

namespace mimicry::stats {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Moments {
  size_t n = 0;
  double mean = kNaN, ss = 0;  // ss: sum of squared deviations
};
Moments MomentsOf(std::span<const double> v) {
  Moments m;
  double s = 0;
  for (double a : v)
    if (std::isfinite(a)) s += a, ++m.n;
  if (m.n == 0) return m;
  m.mean = s / static_cast<double>(m.n);
  for (double a : v)
    if (std::isfinite(a)) m.ss += (a - m.mean) * (a - m.mean);
  return m;
}
}  // namespace

double CohensD(std::span<const double> x, std::span<const double> y) {
  const Moments a = MomentsOf(x), b = MomentsOf(y);
  if (a.n == 0 || b.n == 0 || a.n + b.n < 3) return kNaN;
  const double sd = std::sqrt((a.ss + b.ss) / static_cast<double>(a.n + b.n - 2));
  return sd > 0 ? (a.mean - b.mean) / sd : kNaN;
}

double HedgesG(std::span<const double> x, std::span<const double> y) {
  const Moments a = MomentsOf(x), b = MomentsOf(y);
  if (a.n < 2 || b.n < 2) return kNaN;
  const double sd = std::sqrt((a.ss + b.ss) / static_cast<double>(a.n + b.n - 2));
  const double j = 1 - 3.0 / (4.0 * static_cast<double>(a.n + b.n) - 9);
  return sd > 1e-12 ? j * (a.mean - b.mean) / sd : kNaN;
}

GroupComparison CompareMeans(std::span<const double> x, std::span<const int> group, int permutations, uint64_t seed) {
  assert(x.size() == group.size() && permutations >= 1);
  std::vector<double> v;
  std::vector<int> g;
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i]) && group[i] >= 0) v.push_back(x[i]), g.push_back(group[i] == 0 ? 0 : 1);
  auto diff = [&](const std::vector<int>& lab) {
    double sa = 0, sb = 0;
    int ca = 0, cb = 0;
    for (size_t i = 0; i < v.size(); ++i) (lab[i] == 0 ? (sa += v[i], ++ca) : (sb += v[i], ++cb));
    return ca && cb ? sa / ca - sb / cb : kNaN;
  };
  GroupComparison r;
  std::vector<double> a, b;
  for (size_t i = 0; i < v.size(); ++i) (g[i] == 0 ? a : b).push_back(v[i]);
  r.n_a = static_cast<int>(a.size());
  r.n_b = static_cast<int>(b.size());
  r.mean_a = MomentsOf(a).mean;
  r.mean_b = MomentsOf(b).mean;
  r.diff = diff(g);
  if (r.n_a < 2 || r.n_b < 2) return r;
  r.g = HedgesG(a, b);
  Rng rng(seed);
  std::vector<int> lab = g;
  int ge = 0;
  for (int k = 0; k < permutations; ++k) {
    Shuffle(std::span<int>(lab), rng);
    ge += std::abs(diff(lab)) >= std::abs(r.diff) - 1e-12;
  }
  r.p = (ge + 1.0) / (permutations + 1.0);
  return r;
}

CorrelationTest SpearmanPermutationTest(std::span<const double> x, std::span<const double> y, int permutations, uint64_t seed) {
  assert(x.size() == y.size() && permutations >= 1);
  std::vector<double> a, b;
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) a.push_back(x[i]), b.push_back(y[i]);
  CorrelationTest r;
  r.n = static_cast<int>(a.size());
  const std::vector<double> rx = Ranks(a);
  std::vector<double> ry = Ranks(b);
  r.rho = Pearson(rx, ry);
  if (!std::isfinite(r.rho)) return r;
  Rng rng(seed);
  int ge = 0;
  for (int k = 0; k < permutations; ++k) {
    Shuffle(std::span<double>(ry), rng);
    const double v = Pearson(rx, ry);
    ge += std::isfinite(v) && std::abs(v) >= std::abs(r.rho) - 1e-12;
  }
  r.p = (ge + 1.0) / (permutations + 1.0);
  return r;
}

double UpperP(double observed, std::span<const double> null) {
  if (!std::isfinite(observed)) return kNaN;
  int k = 0, m = 0;
  for (double x : null) {
    if (!std::isfinite(x)) continue;
    ++m;
    k += x >= observed ? 1 : 0;
  }
  if (m == 0) return kNaN;
  return (k + 1.0) / (m + 1.0);
}

std::vector<double> BenjaminiHochberg(std::span<const double> p) {
  const size_t m = p.size();
  std::vector<size_t> idx(m);
  std::iota(idx.begin(), idx.end(), 0);
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

}  // namespace mimicry::stats
