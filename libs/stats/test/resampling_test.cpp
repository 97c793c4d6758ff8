#include <gtest/gtest.h>

#include <cstdint>

#include "mimicry/stats/resampling.h"

namespace mimicry::stats {
namespace {

TEST(Resampling, StationaryBootstrapCoversTheTimeLineWithTheMeanBlock) {
  Rng rng(5);
  double blocks = 0, samples = 0;
  for (int k = 0; k < 200; ++k) {
    const auto b = StationaryBootstrap(3000, 150, rng);
    int64_t at = 0;
    for (const auto& x : b) {
      ASSERT_EQ(x.dst, at);
      ASSERT_GE(x.len, 1);
      ASSERT_GE(x.src, 0);
      ASSERT_LT(x.src, 3000);
      at += x.len;
    }
    ASSERT_EQ(at, 3000);
    blocks += static_cast<double>(b.size());
    samples += 3000;
  }
  // Geometric lengths with mean 150, cut at the end of the line: about 20 blocks of 3000.
  EXPECT_NEAR(samples / blocks, 150, 15);
}

TEST(Resampling, StationaryBootstrapKeepsBlocksAwayFromTheirOwnPlace) {
  Rng rng(11);
  int64_t smallest = 1000, largest = 0;
  for (int k = 0; k < 300; ++k)
    for (const auto& x : StationaryBootstrap(1000, 20, rng, 100)) {
      const int64_t d = ((x.src - x.dst) % 1000 + 1000) % 1000;
      smallest = std::min(smallest, d);
      largest = std::max(largest, d);
    }
  EXPECT_GE(smallest, 100);
  EXPECT_LE(largest, 899);
  EXPECT_LE(smallest, 102) << "offsets reach down to the exclusion";
  EXPECT_GE(largest, 897) << "... and up to n - 1 - exclusion";
  // An exclusion beyond (n - 1) / 2 is capped: every offset is then (n - 1) / 2.
  for (const auto& x : StationaryBootstrap(11, 2, rng, 50)) EXPECT_EQ(((x.src - x.dst) % 11 + 11) % 11, 5);
}

}  // namespace
}  // namespace mimicry::stats
