// rMEA-compatible windowed cross-correlation and preprocessing (Kleinbub & Ramseyer's R
// package rMEA 1.3.0: MEAccf, MEAsmooth, MEAscale), reproduced from its definitions so
// that results published with rMEA can be checked and extended (docs/movement.md#rmea).
// Pure functions on one dyad's two series at one sample rate; doubles throughout.
//
// Conventions (rMEA's, kept exactly):
//  - win = win_s x rate, lag = lag_s x rate, inc = inc_s x rate samples (each must be a
//    whole number of samples). Windows: ceil((N - win - lag + 1) / inc), window w covers
//    samples [w inc, w inc + win + lag). For a lag L >= 0, s1's samples [0, win) of the
//    window are correlated with s2's [L, win + L); for L < 0 the two ranges swap roles.
//    So a high value at a positive lag means s2 follows s1 (the same sign as sync/xcorr.h:
//    lag > 0 = the second series acts later).
//  - Per lag: Pearson r over the complete pairs; NA when fewer than two pairs differ
//    (rMEA's test `sum(x != y) < 2`) or when r is undefined (a constant side, < 2 complete
//    pairs); a window where either side has more than half its win + lag samples missing
//    is NA at every lag.
//  - fisher_z: r -> atanh(r), clipped to +-10 (r = +-1 gives +-10); then abs: |value|.
//  - Summaries per window (NA-skipping means): all_lags (every lag), lag_zero, s1_lead
//    (positive lags), s2_lead (negative lags), s1_lead_0 / s2_lead_0 (the same including
//    lag 0), best_lag_s (the lag of the row's first maximum). grand_average = the mean of
//    every defined cell of the matrix.
// Where rMEA differs: a window with too many missing samples makes rMEA drop that row
// (a bug that misaligns the rows after it); here the row stays, NA.
#pragma once

#include <limits>
#include <span>
#include <vector>

#include "mimicry/core/status.h"

namespace mimicry::sync {

struct RmeaCcfOptions {
  double lag_s = 5;       // largest lag (s), >= 0; lag_s x rate must be a whole number
  double win_s = 30;      // window length (s), > 0; whole number of samples
  double inc_s = 10;      // step between window starts (s), > 0; whole number of samples
  bool fisher_z = true;   // rMEA's r2Z (its default): atanh(r), clipped to +-10
  bool abs = false;       // rMEA's ABS (its default is TRUE; ours keeps the sign)
};

struct RmeaWindow {
  double start_s = 0, end_s = 0;  // start_s = w x inc_s; end_s = start_s + win_s (rMEA's winTimes)
  double all_lags = 0, lag_zero = 0, s1_lead = 0, s2_lead = 0, s1_lead_0 = 0, s2_lead_0 = 0;  // NaN when undefined
  double best_lag_s = 0;  // NaN when the row has no value
};

struct RmeaCcfResult {
  std::vector<double> lags_s;    // -lag_s .. +lag_s, one sample apart (2 lag + 1 values)
  std::vector<RmeaWindow> windows;
  std::vector<double> matrix;    // windows x lags, row-major; NaN = NA
  double grand_average = std::numeric_limits<double>::quiet_NaN();
  // Session summaries, as rMEA users report them: the mean over windows of each window
  // summary (NA-skipping) and the median of best_lag_s.
  double lag_zero = std::numeric_limits<double>::quiet_NaN();
  double s1_lead = std::numeric_limits<double>::quiet_NaN();
  double s2_lead = std::numeric_limits<double>::quiet_NaN();
  double best_lag_median_s = std::numeric_limits<double>::quiet_NaN();
  double at(size_t window, size_t lag) const { return matrix[window * lags_s.size() + lag]; }
};

// Errors: InvalidArgument (rate <= 0, an option out of range or not a whole number of
// samples, s1 and s2 of different lengths, a series too short for one full window: rMEA's
// "too long to find a single full window").
Result<RmeaCcfResult> RmeaCcf(std::span<const double> s1, std::span<const double> s2, double rate_hz, const RmeaCcfOptions& o);

// rMEA's MEAsmooth for one series: a centred moving average of n = window_s x rate
// samples (n may be fractional: rMEA's index arithmetic is reproduced), the sum divided
// by n also where the window is cut by the series' start; a window reaching past the end
// or over a missing sample gives 0 (so the last samples become 0), and missing samples
// stay missing. Pre: rate_hz > 0, window_s > 0.
std::vector<double> RmeaSmooth(std::span<const double> x, double rate_hz, double window_s = 0.5);

// rMEA's MEAscale (its defaults): x / SD(x) (sample SD over the non-missing values, no
// centring). A series with SD 0 or fewer than two values becomes all NaN (R: x / 0 or NA).
std::vector<double> RmeaScale(std::span<const double> x);

}  // namespace mimicry::sync
