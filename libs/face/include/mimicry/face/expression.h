// Emotions from action units (EMFACS-based prototypes) and head gestures (nod, shake)
// from head-pose velocity. Formulas: docs/action_units.md#emotions and #head-gestures.
#pragma once

#include <array>

#include "mimicry/core/timestamp.h"
#include "mimicry/face/au.h"
#include "mimicry/face/types.h"

namespace mimicry::face {

using schema::kEmotionNames;  // schema/vocabulary.h

struct Emotions {
  std::array<float, 7> score{};  // 0..1, kEmotionNames order
  float neutral = 1;             // 1 - the largest emotion score
  float valence = 0;             // -1..1: happiness minus the strongest negative emotion
  float expressiveness = 0;      // 0..1: mean of the three strongest AUs (AU45 excluded) / 3
};

// Pure function of one frame's intensities.
Emotions EmotionsFromAus(const AuIntensities& a);

struct HeadGestureOptions {
  double angle_smoothing_s = 0.1;  // low-pass of pitch/yaw before differencing (landmark jitter)
  double drift_s = 1.0;            // slow turning (below ~0.16 Hz) is removed from the velocity
  double window_s = 0.5;           // RMS time constant
  double max_gap_s = 0.25;         // a longer gap between frames restarts the filter
};

// Per-stream filter: nod = RMS angular speed of pitch, shake = of yaw, in degrees/second,
// with slow drift removed, over the last ~window_s. Causal (works frame by frame).
class HeadGesture {
 public:
  explicit HeadGesture(HeadGestureOptions o = {}) : o_(o) {}
  struct Out {
    float nod = 0, shake = 0;
  };
  Out Update(Timestamp t, const HeadPose& pose);
  void Reset() { started_ = false; }

 private:
  HeadGestureOptions o_;
  bool started_ = false;
  Timestamp last_{0};
  double p_ = 0, y_ = 0;             // smoothed angles
  double vp_mean_ = 0, vy_mean_ = 0; // drift
  double ep_ = 0, ey_ = 0;           // mean square
};

}  // namespace mimicry::face
