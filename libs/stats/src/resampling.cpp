#include "mimicry/stats/resampling.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace mimicry::stats {

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

}  // namespace mimicry::stats
