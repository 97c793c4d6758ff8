// Descriptive statistics over samples with missing values. Every function here skips the
// non-finite values (NaN, +-inf: a missing sample) and returns NaN when too few finite
// values remain, so that a gap never becomes a number.
#pragma once

#include <span>
#include <vector>

namespace mimicry::stats {

// Arithmetic mean of the finite values; NaN when there are none.
double Mean(std::span<const double> x);

// Sample standard deviation (n - 1 in the denominator) of the finite values; NaN for fewer
// than two.
double Sd(std::span<const double> x);

// Median of the finite values, the mean of the two middle ones for an even count (R's
// median()); NaN when there are none.
double Median(std::span<const double> x);
double Median(std::span<const float> x);

// The p-quantile (0 <= p <= 1) of the finite values by linear interpolation between order
// statistics (R's quantile(type = 7), its default); NaN when there are none or p is
// outside [0, 1].
double Quantile(std::span<const double> x, double p);

// Median absolute deviation scaled to the SD of a normal distribution:
// 1.4826 * median(|x - median(x)|) (R's mad()); NaN when there are no finite values.
double Mad(std::span<const double> x);

// The mean of the finite values with its two-sided 95% interval from Student's t
// (mean +- t(0.975, n - 1) SD / sqrt(n)); the interval is NaN for fewer than two values.
struct MeanInterval {
  double mean, lo95, hi95;
  int n;  // finite values
};
MeanInterval MeanWithInterval(std::span<const double> x);

// The finite values of x, in order.
std::vector<double> Finite(std::span<const double> x);

}  // namespace mimicry::stats
