// Resampling of a time line: the stationary (moving-block) bootstrap of Politis & Romano
// (1994). sync's surrogates (sync/surrogate.h) rebuild one participant's series and events
// from these blocks.
#pragma once

#include <cstdint>
#include <vector>

#include "mimicry/stats/random.h"

namespace mimicry::stats {

// One block of a resampled time line: samples [dst, dst + len) of the surrogate are
// samples [src, src + len) of the original, wrapping modulo the length.
struct Block {
  int64_t dst = 0, src = 0, len = 0;
};

// The stationary bootstrap of a time line of n samples: blocks of geometric length with
// mean `mean_len` samples (>= 1), covering [0, n) exactly, each copied from a place whose
// offset from the block's own place, (src - dst) mod n, is uniform in [exclude,
// n - 1 - exclude]. The exclusion keeps surrogates from re-creating a recorded alignment:
// a block offset by d re-creates a coupling at lag l as one at lag l - d, inside the
// lags read whenever |d| <= 2 max_lag. Pre: n > 0, mean_len >= 1, exclude >= 0 (capped at
// (n - 1) / 2).
std::vector<Block> StationaryBootstrap(int64_t n, double mean_len, Rng& rng, int64_t exclude = 0);

}  // namespace mimicry::stats
