#include "mimicry/stats/descriptive.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mimicry/stats/distributions.h"

namespace mimicry::stats {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Median of v (finite values only), reordering v.
double MedianInPlace(std::vector<double>& v) {
  if (v.empty()) return kNaN;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2 == 1) return *mid;
  return 0.5 * (*mid + *std::max_element(v.begin(), mid));
}
}  // namespace

std::vector<double> Finite(std::span<const double> x) {
  std::vector<double> v;
  v.reserve(x.size());
  for (double a : x)
    if (std::isfinite(a)) v.push_back(a);
  return v;
}

double Mean(std::span<const double> x) {
  double s = 0;
  size_t n = 0;
  for (double a : x)
    if (std::isfinite(a)) s += a, ++n;
  return n > 0 ? s / static_cast<double>(n) : kNaN;
}

double Sd(std::span<const double> x) {
  const double m = Mean(x);
  double s = 0;
  size_t n = 0;
  for (double a : x)
    if (std::isfinite(a)) s += (a - m) * (a - m), ++n;
  return n > 1 ? std::sqrt(s / static_cast<double>(n - 1)) : kNaN;
}

double Median(std::span<const double> x) {
  std::vector<double> v = Finite(x);
  return MedianInPlace(v);
}

double Median(std::span<const float> x) {
  std::vector<double> v;
  v.reserve(x.size());
  for (float a : x)
    if (std::isfinite(a)) v.push_back(a);
  return MedianInPlace(v);
}

MeanInterval MeanWithInterval(std::span<const double> x) {
  MeanInterval r{Mean(x), kNaN, kNaN, static_cast<int>(Finite(x).size())};
  if (r.n < 2) return r;
  const double half = TQuantile975(static_cast<double>(r.n) - 1) * Sd(x) / std::sqrt(static_cast<double>(r.n));
  r.lo95 = r.mean - half;
  r.hi95 = r.mean + half;
  return r;
}

double Quantile(std::span<const double> x, double p) {
  if (!(p >= 0 && p <= 1)) return kNaN;
  std::vector<double> v = Finite(x);
  if (v.empty()) return kNaN;
  const double h = (static_cast<double>(v.size()) - 1) * p;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(v.size() - 1, lo + 1);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double a = v[lo];
  const double b = hi == lo ? a : *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return a + (h - static_cast<double>(lo)) * (b - a);
}

double Mad(std::span<const double> x) {
  std::vector<double> v = Finite(x);
  const double med = MedianInPlace(v);
  if (!std::isfinite(med)) return kNaN;
  for (double& a : v) a = std::abs(a - med);
  return 1.4826 * MedianInPlace(v);
}

}  // namespace mimicry::stats
