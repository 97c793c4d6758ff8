// Effect sizes and tests of group differences, and p-value adjustment.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace mimicry::stats {

// Cohen's d of x against y with the pooled SD ((nx-1) var x + (ny-1) var y) / (nx + ny - 2),
// signed: (mean x - mean y) / pooled SD. Non-finite values are left out; NaN when a side
// has no value or the pooled SD is 0 or undefined.
double CohensD(std::span<const double> x, std::span<const double> y);

// Hedges' g: Cohen's d times the small-sample correction 1 - 3 / (4 (nx + ny) - 9).
// NaN when a side has fewer than two finite values or the pooled SD is 0.
double HedgesG(std::span<const double> x, std::span<const double> y);

// Two groups compared by the difference of their means (a - b), with Hedges' g and a
// two-sided permutation p: (#{|diff of relabelled groups| >= |diff|} + 1) / (permutations + 1).
struct GroupComparison {
  double mean_a = std::numeric_limits<double>::quiet_NaN();
  double mean_b = std::numeric_limits<double>::quiet_NaN();
  double diff = std::numeric_limits<double>::quiet_NaN();  // mean_a - mean_b
  double g = std::numeric_limits<double>::quiet_NaN();     // Hedges' g
  double p = std::numeric_limits<double>::quiet_NaN();     // NaN when a group has < 2 values
  int n_a = 0, n_b = 0;                                    // finite values per group
};
// group[i]: 0 = a, 1 = b, < 0 = left out; values that are not finite are left out.
// permutations >= 1; the relabellings are drawn from Rng(seed).
// Pre: x.size() == group.size().
GroupComparison CompareMeans(std::span<const double> x, std::span<const int> group, int permutations, uint64_t seed);

// Spearman's rho of paired values with a two-sided permutation p: the ranks of y shuffled
// `permutations` times (Rng(seed)), p = (#{|rho of shuffled| >= |rho|} + 1) / (permutations + 1).
// Pairs with a non-finite value are left out first; rho and p are NaN with fewer than 3
// pairs or a constant side. Pre: x.size() == y.size(), permutations >= 1.
struct CorrelationTest {
  double rho = std::numeric_limits<double>::quiet_NaN();
  double p = std::numeric_limits<double>::quiet_NaN();
  int n = 0;  // complete pairs
};
CorrelationTest SpearmanPermutationTest(std::span<const double> x, std::span<const double> y, int permutations, uint64_t seed);

// Monte Carlo p of an upper-tailed test: (#{null >= observed} + 1) / (#null + 1), over the
// finite null values; NaN when the observed value is not finite or the null is empty.
double UpperP(double observed, std::span<const double> null);

// Benjamini-Hochberg adjusted p-values (R's p.adjust(p, "BH")), in the order of p.
std::vector<double> BenjaminiHochberg(std::span<const double> p);

}  // namespace mimicry::stats
