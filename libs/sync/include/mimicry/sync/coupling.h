// Coupling between two participants' channels, tested against independence.
//
// Lag convention (as sync/xcorr.h): lag > 0 means y acts lag seconds after x (x leads).
//
// The statistic: each channel is standardised in a moving window (local mean and SD over
// window_s, so that slow drifts and stretches of more or less activity do not count as
// coupling), and the local cross-correlation curve
//     C_c(l) = sum_t zx_c(t) zy_c(t + l) / #{t: both valid},   |l| <= max_lag
// is computed per channel and averaged over the channels (the pooled curve). From a curve:
// peak = its largest value, lag_s = where (parabolic refinement), asym = its mean over
// positive lags minus its mean over negative lags (> 0: x leads).
//
// The tests (sync/surrogate.h for the surrogates): synchrony p = the share of surrogate
// peaks >= the observed peak; leader p = the share of surrogate |asym| >= the observed
// |asym|; both as (k + 1) / (N + 1), never below CouplingResult::p_floor. Each channel's
// own curve is tested with the same surrogate draws (CouplingResult::channels).
//
// Block-bootstrap correction: a stationary-bootstrap surrogate keeps y's autocorrelation at
// lag k only with probability (1 - 1/b)^k (b = mean block length in samples), so its curves
// vary less than the real null's and the test would reject slightly too often (6-7% at a
// nominal 5% on stationary AR(1) pairs). Each surrogate curve is therefore scaled by
// sqrt(f), f = sum_k Rx(k) Ry(k) w(k) / sum_k Rx(k) Ry(k) w(k) (1 - 1/b)^|k| over |k| <= b
// (Rx, Ry: the standardised series' autocovariances; w: a Bartlett taper; f clamped to
// [1, 3]), per channel and for the pooled curve (docs/analyze.md#calibration).
//
// THREAD SAFETY: a pure function; it may use two threads of its own for the surrogates.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "mimicry/sync/surrogate.h"

namespace mimicry::sync {

struct CouplingOptions {
  // Local standardisation window (s), > 0; also the scale of what counts as one
  // expression. Default 4 s.
  double window_s = 4;
  // The curve is read over -max_lag_s .. +max_lag_s (s), > 0. Default 2 s.
  double max_lag_s = 2;
  // Surrogate draws per test, >= 0; 0 = the observed statistics only (tested = false).
  int surrogates = 1000;
  uint64_t seed = 1;  // same seed, same p-values
  SurrogateKind kind = SurrogateKind::kAuto;
  // Block bootstrap: mean block length (s); 0 = DefaultBlockS(max_lag_s) = max(5, 2 max_lag + 1).
  double block_s = 0;
  // Circular shifts: at least this far from 0, both ways (s), >= 0.
  double min_shift_s = 10;
  // kAuto: the block bootstrap for spans up to this (s), circular shifts beyond (where
  // there are enough independent shifts, and they cost one FFT in all).
  double bootstrap_max_s = 900;
};

double DefaultBlockS(double max_lag_s);

struct CouplingStat {
  double peak = std::numeric_limits<double>::quiet_NaN();   // largest value of the curve
  double lag_s = std::numeric_limits<double>::quiet_NaN();  // its lag (s), parabolic refinement
  // Mean of the curve over lags > 0 minus its mean over lags < 0 (> 0: x leads), the
  // lead-lag asymmetry of rMEA's s1_lead - s2_lead: steadier than a difference of maxima.
  double asym = std::numeric_limits<double>::quiet_NaN();
  double lead_lag_s = std::numeric_limits<double>::quiet_NaN();  // the peak lag on the side asym points to
};

// One curve (the pooled one, or one channel's) and its tests.
struct CurveTest {
  bool ok = false;             // the curve exists (enough jointly valid samples)
  CouplingStat observed;
  std::vector<double> curve;   // lags -L..L, L = round(max_lag_s * rate): 2L + 1 values, NaN where undefined
  double peak_p = std::numeric_limits<double>::quiet_NaN();  // synchrony p; NaN when not tested
  double lead_p = std::numeric_limits<double>::quiet_NaN();  // leader p (|asym|); NaN when not tested
  double peak_z = std::numeric_limits<double>::quiet_NaN();  // (peak - mean surrogate peak) / SD
  Chance peak_chance;          // the surrogate peaks: what chance alone gives
  Chance asym_chance;          // the surrogate asym values
  std::vector<double> null_peak;  // the pooled curve only: every surrogate's peak (a group's chance level)
};

struct CouplingResult {
  bool ok = false;        // observed statistics were computed (some channel had enough data)
  bool tested = false;    // the surrogate tests ran; when false, not_tested says why
  std::string not_tested; // e.g. "the shared span (12.0 s) is shorter than the 15.0 s this test needs"
  double min_span_s = 0;  // the shortest span this test accepts with these options (s)
  SurrogateKind kind = SurrogateKind::kAuto;  // the kind used (never kAuto once resolved)
  int surrogates = 0;     // surrogates drawn
  double p_floor = 0;     // the smallest p these surrogates can honestly give
  double block_s = 0;     // bootstrap: the mean block length used (s)
  double effective_shifts = 0;  // circular shifts: effectively different shifts in the span
  CurveTest pooled;
  std::vector<CurveTest> channels;  // one per input channel pair, same order
  int channels_used = 0;            // channels that entered the pooled curve
};

// Which surrogate kind kAuto resolves to for a span of span_s seconds.
SurrogateKind ResolveKind(const CouplingOptions& o, double span_s);
// The shortest span (s) a test of this kind accepts: the block bootstrap needs three mean
// blocks and room for the lags; circular shifts need 19 effectively different shifts (so
// that p can reach 0.05).
double CouplingMinSpanS(const CouplingOptions& o, SurrogateKind resolved);

// Pairs channel c of xs with channel c of ys (all spans of equal length n; NaN = missing;
// rate_hz > 0). A channel enters the pooled curve when at least a quarter of its samples
// are jointly valid and neither side is flat.
CouplingResult Coupling(const std::vector<std::span<const float>>& xs, const std::vector<std::span<const float>>& ys,
                        double rate_hz, const CouplingOptions& o);

}  // namespace mimicry::sync
