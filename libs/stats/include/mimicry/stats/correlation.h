// Correlation of paired samples.
#pragma once

#include <span>
#include <vector>

namespace mimicry::stats {

// Pearson's r over the pairs where both values are finite (R's cor(x, y, use =
// "pairwise.complete.obs")); NaN for fewer than 3 such pairs or a constant side.
// Pre: x.size() == y.size().
double Pearson(std::span<const double> x, std::span<const double> y);

// Ranks 1..n with ties given their average rank (R's rank(ties.method = "average")).
// Non-finite values get NaN and are not ranked.
std::vector<double> Ranks(std::span<const double> x);

// Spearman's rho: Pearson's r of the ranks, over the pairs where both values are finite
// (ranked among those pairs only; R's cor(method = "spearman") on the complete pairs).
// Pre: x.size() == y.size().
double Spearman(std::span<const double> x, std::span<const double> y);

// Fisher's z = atanh(r), with r clamped to |r| <= 0.9999 so that a perfect correlation in
// a short window stays finite.
double FisherZ(double r);

}  // namespace mimicry::stats
