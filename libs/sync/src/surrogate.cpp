#include "mimicry/sync/surrogate.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace mimicry::sync {

const char* SurrogateKindName(SurrogateKind k) {
  switch (k) {
    case SurrogateKind::kAuto: return "auto";
    case SurrogateKind::kBlockBootstrap: return "bootstrap";
    case SurrogateKind::kCircularShift: return "circular";
  }
  return "auto";
}

std::vector<Block> StationaryBootstrap(int64_t n, double mean_len, Rng& rng, int64_t exclude) {
  assert(n > 0 && mean_len >= 1 && exclude >= 0);
  exclude = std::min(exclude, (n - 1) / 2);
  std::vector<Block> out;
  const double q = 1.0 / mean_len;  // P(a new block starts at the next sample)
  for (int64_t dst = 0; dst < n;) {
    // Geometric length >= 1 with mean mean_len, by inversion.
    const double u = std::max(1e-300, 1.0 - rng.Uniform());
    int64_t len = q >= 1 ? 1 : 1 + static_cast<int64_t>(std::floor(std::log(u) / std::log1p(-q)));
    len = std::min(len, n - dst);
    // The block's offset from its own place, d = src - dst (mod n), stays at least
    // `exclude` away from 0 both ways.
    const int64_t d = rng.Int(exclude, n - 1 - exclude);
    out.push_back({dst, (dst + d) % n, len});
    dst += len;
  }
  return out;
}

Rng SurrogateRng(uint64_t seed, int k) {
  Rng mix(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(k) * 0xD1B54A32D192ED03ull + 0x632BE59BD9B4E019ull);
  return Rng(mix.Next());
}

Chance ChanceOf(std::span<const double> null) {
  std::vector<double> v;
  v.reserve(null.size());
  for (double x : null)
    if (std::isfinite(x)) v.push_back(x);
  Chance c;
  c.n = static_cast<int>(v.size());
  if (v.empty()) return c;
  std::sort(v.begin(), v.end());
  double s = 0;
  for (double x : v) s += x;
  c.mean = s / static_cast<double>(v.size());
  // Quantiles by linear interpolation between order statistics (R's type 7).
  auto q = [&](double p) {
    const double h = (static_cast<double>(v.size()) - 1) * p;
    const size_t lo = static_cast<size_t>(std::floor(h));
    const size_t hi = std::min(v.size() - 1, lo + 1);
    return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
  };
  c.lo95 = q(0.025);
  c.hi95 = q(0.975);
  return c;
}

double UpperP(double observed, std::span<const double> null) {
  if (!std::isfinite(observed)) return std::numeric_limits<double>::quiet_NaN();
  int k = 0, m = 0;
  for (double x : null) {
    if (!std::isfinite(x)) continue;
    ++m;
    k += x >= observed ? 1 : 0;
  }
  if (m == 0) return std::numeric_limits<double>::quiet_NaN();
  return (k + 1.0) / (m + 1.0);
}

}  // namespace mimicry::sync
