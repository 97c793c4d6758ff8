// micro: spotting facial movements (onset, apex, offset) in one face's action-unit time
// series and telling micro-expressions (default 1/25-1/2 s) from macro-expressions
// (0.5-4 s); blinks are reported apart. docs/micro.md.
//
// Signal: per AU, the rise above a local baseline (running 25th percentile over
// +-baseline_s, which follows slow drifts and the person's neutral), in units of that AU's
// frame-to-frame noise, fused over AUs (the largest rise, plus half the second largest);
// AU45 (blink) is kept apart, and eye-region rises during blinks are the blink's. The AUs come from the face
// stage's canonical frontal frame, so head turns and nods are compensated there; frames
// where the head rotates fast while no AU rises are additionally vetoed. The threshold
// adapts to each series: mean + p x (max - mean) of the fused signal (as the MEGC
// baselines; max = the 99.5th percentile), with an absolute floor.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace mimicry::micro {

enum class Kind { kMicro, kMacro, kBlink };
const char* KindName(Kind k);

struct Interval {
  double onset_s = 0, apex_s = 0, offset_s = 0;
  Kind kind = Kind::kMacro;
  std::vector<int> aus;   // FACS codes rising at the apex (>= 50% of the largest rise)
  double intensity = 0;   // the fused rise at the apex (AU intensity units, 0-5)
  double confidence = 0;  // 0..1: how far the apex clears the threshold
};

struct SpotOptions {
  double micro_min_s = 1.0 / 25;  // shortest movement reported
  double micro_max_s = 0.5;       // up to this long: micro; longer: macro
  double macro_max_s = 4.0;       // longer movements are cut here (reported as macro)
  double baseline_s = 5.0;        // baseline: running quantile over +-baseline_s ...
  double baseline_quantile = 0.25;  // ... of this quantile (below the expressions, above the noise floor)
  double p = 0.25;                // threshold = mean + p (max - mean) of the fused signal
  double min_rise = 3;            // absolute floor of the threshold (rise in units of the AU's noise)
  double edge_fraction = 0.1;     // onset/offset: where the signal falls below this share of the apex
  double edge_threshold_fraction = 0.5;  // ... and below this share of the threshold
  double merge_gap_s = 0.1;       // intervals closer than this are one movement
  double blink_min = 1.5;         // AU45 rise that makes a blink
  double head_veto_deg_s = 60;    // head rotating faster than this with no clear AU rise: not an expression
  double noise_floor = 0.05;      // AU noise (frame-to-frame SD) is taken as at least this
};

// One face's series: sample times (seconds, increasing; gaps allowed), AU intensities
// aus[k][i] for the 17 AUs in face/facs.h order (1 2 4 5 6 7 9 10 12 14 15 17 20 23 25 26
// 45; NaN = missing), and head pitch/yaw in radians (may be empty). Intervals never span
// a gap longer than 0.25 s. Pre: every aus[k] and pose series has t.size() samples.
std::vector<Interval> Spot(std::span<const double> t, const std::vector<std::vector<float>>& aus,
                           std::span<const float> pitch, std::span<const float> yaw, const SpotOptions& o);

}  // namespace mimicry::micro
