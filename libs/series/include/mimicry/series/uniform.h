// series: participants' features on one uniform clock, ready for the analysis.
//
// Contract:
//  - Resampling reads true timestamps (plus a per-participant offset) and interpolates
//    linearly only between two samples that are at most max_gap_s apart: a longer gap stays
//    missing (NaN), never joined.
//  - Preparation (outliers, baseline, scaling, smoothing) never fills a missing sample.
//  - Plain arrays (std::vector<float> per channel), so that bindings can hand them over.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/core/time_series.h"

namespace mimicry::series {

// Channels on a uniform grid: sample i is at t0_s + i / rate_hz; NaN = missing.
struct Uniform {
  double t0_s = 0;
  double rate_hz = 30;
  std::vector<std::string> channels;
  std::vector<std::vector<float>> data;  // [channel][sample]
  size_t size() const { return data.empty() ? 0 : data[0].size(); }
  int ChannelIndex(const std::string& name) const;
  // Fraction of samples that are not NaN in channel c.
  double ValidFraction(size_t c) const;
};

struct ResampleOptions {
  double rate_hz = 30;     // output rate (Hz)
  double max_gap_s = 0.25; // interpolate only across steps no longer than this
};

// Samples `in` (time + offset_s) at t0_s + i / rate_hz for i < n. Channels keep their names.
// Pre: rate_hz > 0.
Uniform Resample(const TimeSeries& in, double offset_s, double t0_s, size_t n, const ResampleOptions& o);

struct PrepareOptions {
  double outlier_sd = 10;       // samples beyond this many SDs from the mean -> NaN (0 = off)
  bool subtract_baseline = true;  // subtract each channel's median (its resting level)
  bool standardize = true;      // divide by each channel's SD around that median
  double smooth_s = 0;          // centred moving average of this width (0 = off); missing stay missing
};

// Per participant and channel, in this order: outliers, baseline, scaling, smoothing.
void Prepare(Uniform& u, const PrepareOptions& o);

}  // namespace mimicry::series
