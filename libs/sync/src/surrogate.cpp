#include "mimicry/sync/surrogate.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "mimicry/stats/descriptive.h"

namespace mimicry::sync {

const char* SurrogateKindName(SurrogateKind k) {
  switch (k) {
    case SurrogateKind::kAuto: return "auto";
    case SurrogateKind::kBlockBootstrap: return "bootstrap";
    case SurrogateKind::kCircularShift: return "circular";
  }
  return "auto";
}

std::vector<Block> StationaryBootstrap(int64_t n, double mean_len, stats::Rng& rng, int64_t exclude) {
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

Chance ChanceOf(std::span<const double> null) {
  Chance c;
  c.n = static_cast<int>(stats::Finite(null).size());
  if (c.n == 0) return c;
  c.mean = stats::Mean(null);
  c.lo95 = stats::Quantile(null, 0.025);
  c.hi95 = stats::Quantile(null, 0.975);
  return c;
}

}  // namespace mimicry::sync
