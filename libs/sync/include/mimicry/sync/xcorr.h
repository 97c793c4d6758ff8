// Synchrony between two participants' channels on one uniform clock.
//
// Lag convention (fixed everywhere): r(lag) = corr(x(t), y(t + lag)); lag > 0 means y acts
// lag seconds after x, i.e. x leads and y follows.
//
// Two measures:
//  - Wlcc: windowed lagged cross-correlation with peak picking (Boker et al. 2002): per
//    window, the lag of the largest r within +-max_lag and that r. Pairwise-complete within
//    a window; a window with more than max_missing of either side missing is NA.
//  - Coupling: the time-averaged local cross-correlation curve, pooled over channels: each
//    series is standardised in a moving window (local mean and SD over window_s), and
//    C(lag) = sum_t zx(t) zy(t + lag) / #{jointly valid t}. Circular-shift surrogates
//    (y shifted by s >= min_shift_s, wrapping) reuse one circular cross-correlation
//    computed by FFT (cv::dft): the surrogate curve for shift s is C(s + lag). This is what
//    makes 1000 surrogates of an hour cost milliseconds.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

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

enum class SurrogateKind { kCircularShift, kPhaseRandomised };

struct CouplingOptions {
  double window_s = 4;       // local standardisation window
  double max_lag_s = 2;      // the curve is read over -max_lag_s .. +max_lag_s
  double min_shift_s = 10;   // circular shifts are at least this far from 0 (both ways)
  int surrogates = 1000;
  uint64_t seed = 1;
  SurrogateKind kind = SurrogateKind::kCircularShift;
};

struct CouplingStat {
  double peak = 0;     // largest value of the pooled curve over the lag range
  double lag_s = 0;    // its lag (parabolic refinement between samples)
  double asym = 0;     // max over lags > 0 minus max over lags < 0 (> 0: x leads)
};

struct CouplingResult {
  CouplingStat observed;
  std::vector<double> curve;          // pooled observed curve, lags -L..L (2L+1 values)
  std::vector<CouplingStat> null;     // one per surrogate
  double peak_p = 1;    // (#{null peak >= observed peak} + 1) / (N + 1)
  double peak_z = 0;    // (observed peak - mean null peak) / SD null peak
  double lead_p = 1;    // (#{|null asym| >= |observed asym|} + 1) / (N + 1)
  int channels = 0;     // channels that contributed
  bool ok = false;      // false when no channel had enough data or the series is too short
};

// Pairs channel c of xs with channel c of ys (equal lengths). NaN = missing.
CouplingResult Coupling(const std::vector<std::span<const float>>& xs, const std::vector<std::span<const float>>& ys,
                        double rate_hz, const CouplingOptions& o);

// Fisher z with clamping to |r| <= 0.9999.
double FisherZ(double r);

// Benjamini-Hochberg adjusted p-values (same order as p).
std::vector<double> BenjaminiHochberg(const std::vector<double>& p);

// Small deterministic generator (splitmix64), identical on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next();
  double Uniform();                      // [0, 1)
  int64_t Int(int64_t lo, int64_t hi);   // [lo, hi]

 private:
  uint64_t s_;
};

}  // namespace mimicry::sync
