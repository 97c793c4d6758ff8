// micro: spotting facial movements (onset, apex, offset) in one face's action-unit time
// series and telling micro-expressions (default 1/25-1/2 s) from macro-expressions
// (0.5-4 s); blinks are reported apart. docs/micro.md.
//
// Signal: per AU and per face region (appearance change, face/motion.h), the rise above a
// local baseline (running 25th percentile over +-baseline_s, which follows slow drifts and
// the person's neutral), after a 3-sample median (one-frame landmark glitches), in units
// of that series' frame-to-frame noise, cleared of what the head's deviation from its
// recent pose explains, and fused by facial area (see Spot); AU45 (blink) is kept apart,
// and eye-region rises during blinks are the blink's. The AUs come from the face stage's
// canonical frontal frame, so head turns and nods are compensated there; where the head
// rotates fast or is turned far from its usual pose, only strong movements count. The threshold
// adapts to each series: mean + p x (max - mean) of the fused signal (as the MEGC
// baselines; max = the 99.5th percentile), with an absolute floor.
#pragma once

#include <span>
#include <string>
#include <iterator>
#include <vector>

#include "mimicry/schema/vocabulary.h"

namespace mimicry::micro {

enum class Kind { kMicro, kMacro, kBlink };
const char* KindName(Kind k);

struct Interval {
  double onset_s = 0, apex_s = 0, offset_s = 0;
  Kind kind = Kind::kMacro;
  std::vector<int> aus;   // FACS codes rising at the apex (>= 50% of the largest rise)
  std::vector<std::string> regions;  // face regions changing at the apex (>= 50% of the largest), kRegionNames
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
  double min_rise = 6;            // absolute floor of the threshold (rise in units of the AU's noise)
  double cap_sd = 3.5;            // the threshold is at most the fused signal's median + this many robust SDs (0 = no cap)
  double edge_fraction = 0.1;     // onset/offset: where the signal falls below this share of the apex
  double edge_threshold_fraction = 0.5;  // ... and below this share of the threshold
  int edge_smooth = 5;            // ... the signal smoothed over this many samples (odd) for that search
  double merge_gap_s = 0.2;       // intervals closer than this are one movement
  double blink_min = 1.5;         // AU45 rise that makes a blink
  double head_veto_deg_s = 60;    // head rotating faster than this ...
  double head_turn_deg = 15;      // ... or turned further than this from its median pose (+-baseline_s):
                                  // a movement there counts only at twice the threshold
  double noise_floor = 0.05;      // AU noise (frame-to-frame SD) is taken as at least this
  bool median3 = true;            // 3-sample median on every input series first (one-frame landmark glitches)
  // Appearance (region-wise change of the aligned face, face/motion.h), when given:
  double region_weight = 0.25;    // weight of the region evidence against the AU evidence (1) within a facial area (0 = AUs only)
  double region_noise_floor = 0.2;  // region noise is taken as at least this (percent of face SD)
  bool pose_correction = true;  // remove what out-of-plane head rotation explains (see Spot)
};

// Region names of the appearance input, in order (extract's mot_<name> columns).
using schema::kNumRegions;  // schema/vocabulary.h
using schema::kRegionNames;

// One face's series: sample times (seconds, increasing; gaps allowed), AU intensities
// aus[k][i] for the 17 AUs in face/facs.h order (1 2 4 5 6 7 9 10 12 14 15 17 20 23 25 26
// 45; NaN = missing), region-wise appearance change regions[r][i] in kRegionNames order
// (empty when there is none, e.g. OpenFace input; NaN = missing), and head pitch/yaw in
// radians (may be empty). Intervals never span a gap longer than 0.25 s.
// Pre: every aus[k], regions[r] and pose series has t.size() samples; regions is empty or
// has kNumRegions series.
//
// Regions: each region's rise over its running baseline, in units of its frame-to-frame
// noise, as the AUs. A rigid face turned out of plane looks different after any 2D
// alignment, so with pose_correction (and pose given) each region's rise is first
// cleared of its linear dependence on the head's deviation from its recent median pose
// (robust fit per region and video; the AUs get the same). Fusion by facial area (brows:
// AU1/2/4 + brow_r/brow_l/glabella; eyes: AU5/6/7 + eye_r/eye_l; nose: AU9/10 + nose;
// mouth: AU12-26 + mouth/chin): the area's largest AU rise and largest region rise,
// averaged with weights 1 and region_weight; the fused signal is the strongest area plus
// half the second. Without regions: the largest AU rise plus half the second.
std::vector<Interval> Spot(std::span<const double> t, const std::vector<std::vector<float>>& aus,
                           const std::vector<std::vector<float>>& regions, std::span<const float> pitch,
                           std::span<const float> yaw, const SpotOptions& o);
// AUs only.
inline std::vector<Interval> Spot(std::span<const double> t, const std::vector<std::vector<float>>& aus,
                                  std::span<const float> pitch, std::span<const float> yaw, const SpotOptions& o) {
  return Spot(t, aus, {}, pitch, yaw, o);
}

}  // namespace mimicry::micro
