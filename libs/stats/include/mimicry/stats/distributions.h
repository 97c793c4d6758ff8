// Quantiles of the reference distributions (exact, Boost.Math).
#pragma once

namespace mimicry::stats {

// The p-quantile of Student's t with df > 0 degrees of freedom (R's qt(p, df)); NaN for
// p outside (0, 1), df <= 0 or a non-finite argument.
double TQuantile(double p, double df);

// The 97.5% quantile of Student's t: the half-width factor of a two-sided 95% interval.
double TQuantile975(double df);

// The p-quantile of the standard normal (R's qnorm(p)); NaN for p outside (0, 1).
double NormalQuantile(double p);

}  // namespace mimicry::stats
