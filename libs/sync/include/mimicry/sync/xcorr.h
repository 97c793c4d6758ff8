// Synchrony between two participants' channels on one uniform clock.
//
// Lag convention (fixed everywhere): r(lag) = corr(x(t), y(t + lag)); lag > 0 means y acts
// lag seconds after x, i.e. x leads and y follows.
//
// Wlcc: windowed lagged cross-correlation with peak picking (Boker et al. 2002): per
// window, the lag of the largest r within +-max_lag and that r. Pairwise-complete within a
// window; a window with more than max_missing of either side missing is NA. The tested
// coupling statistic is in sync/coupling.h. Fisher z, effect sizes, quantiles and the random
// number generator are the stats library's (mimicry/stats/).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "mimicry/stats/correlation.h"
#include "mimicry/stats/random.h"

namespace mimicry::sync {

struct WlccOptions {
  double window_s = 4;      // window length
  double step_s = 0.5;      // step between window starts
  double max_lag_s = 2;     // lags searched: -max_lag_s .. +max_lag_s
  double max_missing = 0.5; // a window with more missing than this is NA
  int profile_stride = 0;   // > 0: keep r at every profile_stride-th lag of each window (WlccResult::profile)
};

struct WlccWindow {
  double t_s = 0;        // window start, seconds from the series start
  float peak_r = 0;      // NaN when NA
  float peak_lag_s = 0;  // NaN when NA
};

struct WlccResult {
  std::vector<WlccWindow> windows;
  size_t valid = 0;          // windows that are not NA
  double peak_r_mean = 0;    // mean of the peak r (averaged as Fisher z, back-transformed)
  double peak_r_sd = 0;      // SD of the peak r
  double peak_z_mean = 0;    // mean Fisher z of the peak r
  double lag_mean_s = 0;     // mean and SD of the peak lag
  double lag_sd_s = 0;
  // With WlccOptions::profile_stride > 0: r for every window (row) and kept lag (column),
  // row-major, NaN where undefined; the lags are profile_lags_s.
  std::vector<float> profile;
  std::vector<float> profile_lags_s;
};

// Pre: x.size() == y.size(), rate_hz > 0.
WlccResult Wlcc(std::span<const float> x, std::span<const float> y, double rate_hz, const WlccOptions& o);

}  // namespace mimicry::sync
