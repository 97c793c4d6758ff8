// Motion energy per person, after Ramseyer's Motion Energy Analysis (MEA): how much of a
// region of the picture changes from one frame to the next (docs/movement.md#motion-energy).
//
// Per frame: the gray frame is reduced by area averaging to at most max_width_px wide (the
// small denoise: sensor noise averages out, a moving edge does not), differenced with the
// previous reduced frame, and a pixel counts as changed when |difference| > threshold gray
// levels. Per face (its 68 landmarks' box), two regions:
//  - head: the box enlarged head_scale times around its centre;
//  - body: body_width face widths wide, centred under the face, from the head region's
//    bottom down body_height face heights (shoulders, arms, torso of a seated person);
//    clipped to the frame, and between horizontal neighbours at the midpoint of their
//    face centres, so that one person's movement is not counted for the other.
// Values: percent of the region's pixels that changed (0..100); total = head and body
// together. Where MEA sums changed pixels of a fixed region drawn by hand, this follows
// the face (a region per track id) and is a share, so it does not grow with the picture
// size or the person's distance to the camera.
//
// The first frame, and the first after a gap (a step longer than max_step_factor times the
// usual one), have no previous frame to compare with: NaN. The model is this options
// struct; MotionEnergy is one stream's state (the previous frame).
#pragma once

#include <limits>
#include <map>

#include <opencv2/core.hpp>

#include "mimicry/core/timestamp.h"

namespace mimicry::face {

struct MotionEnergyOptions {
  int max_width_px = 320;        // frames are reduced to at most this width first (>= 16)
  int threshold = 8;             // gray levels (0..255) a reduced pixel must change by (>= 0)
  double head_scale = 1.6;       // head region: the landmark box enlarged this much (> 0)
  double body_width = 3.0;       // body region: face widths (> 0)
  double body_height = 3.5;      // body region: face heights below the head region (> 0)
  double max_step_factor = 1.5;  // a step longer than this x the usual one is a gap (> 1)
};

struct MotionEnergySample {
  float head = std::numeric_limits<float>::quiet_NaN();   // percent of the head region's pixels that changed
  float body = std::numeric_limits<float>::quiet_NaN();   // ... of the body region's (NaN when it is empty: face at the bottom edge)
  float total = std::numeric_limits<float>::quiet_NaN();  // ... of both together
};

struct MotionEnergyRegions {
  cv::Rect head, body;  // frame pixels, clipped to the frame; body may be empty
};

// The regions of every face of one frame (faces: id -> landmark box, frame pixels).
std::map<int, MotionEnergyRegions> MotionEnergyRegionsFor(const std::map<int, cv::Rect2f>& faces, cv::Size frame,
                                                          const MotionEnergyOptions& o);

class MotionEnergy {
 public:
  explicit MotionEnergy(const MotionEnergyOptions& o = {}) : o_(o) {}
  // One frame (8-bit gray, the same size every call) at time t, with the faces seen in it
  // (id -> landmark box). Returns each face's sample.
  std::map<int, MotionEnergySample> Update(const cv::Mat& gray, Timestamp t, const std::map<int, cv::Rect2f>& faces);

 private:
  MotionEnergyOptions o_;
  cv::Mat prev_;
  bool have_prev_ = false;
  Timestamp last_t_{};
  int64_t usual_step_us_ = 0;  // the smallest step seen so far (the frame period of a constant-rate video)
};

}  // namespace mimicry::face
