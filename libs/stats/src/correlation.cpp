#include "mimicry/stats/correlation.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>

namespace mimicry::stats {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

double Pearson(std::span<const double> x, std::span<const double> y) {
  assert(x.size() == y.size());
  // Two passes (means first): stable when the values sit far from zero.
  double sx = 0, sy = 0;
  size_t n = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) sx += x[i], sy += y[i], ++n;
  if (n < 3) return kNaN;
  const double mx = sx / static_cast<double>(n), my = sy / static_cast<double>(n);
  double cxx = 0, cyy = 0, cxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    const double dx = x[i] - mx, dy = y[i] - my;
    cxx += dx * dx, cyy += dy * dy, cxy += dx * dy;
  }
  if (!(cxx > 0) || !(cyy > 0)) return kNaN;
  // A side that is constant up to rounding has no correlation to report.
  const double scale_x = std::max(std::abs(mx), 1.0), scale_y = std::max(std::abs(my), 1.0);
  if (cxx <= 1e-24 * scale_x * scale_x * static_cast<double>(n) || cyy <= 1e-24 * scale_y * scale_y * static_cast<double>(n))
    return kNaN;
  return std::clamp(cxy / std::sqrt(cxx * cyy), -1.0, 1.0);
}

std::vector<double> Ranks(std::span<const double> x) {
  std::vector<size_t> idx;
  idx.reserve(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i])) idx.push_back(i);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size(), kNaN);
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && x[idx[j + 1]] == x[idx[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = 0.5 * static_cast<double>(i + j) + 1;
    i = j + 1;
  }
  return r;
}

double Spearman(std::span<const double> x, std::span<const double> y) {
  assert(x.size() == y.size());
  std::vector<double> a, b;
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) a.push_back(x[i]), b.push_back(y[i]);
  const std::vector<double> ra = Ranks(a), rb = Ranks(b);
  return Pearson(ra, rb);
}

double FisherZ(double r) { return std::atanh(std::clamp(r, -0.9999, 0.9999)); }

}  // namespace mimicry::stats
