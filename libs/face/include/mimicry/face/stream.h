// The streaming face API: one video stream's faces, frame by frame.
//
// FaceModels are immutable and shared by every stream (load them once per process); a
// FaceStream is one stream's state (tracks and identities, each face's pose history,
// appearance-change references, running neutral, AU presence hysteresis, head-gesture
// filters). Feed frames in time order with their container timestamps; each call returns
// every face tracked in that frame. `mimicry extract` is a loop over a FaceStream; live
// analysis and the bindings use the same code path.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <opencv2/core.hpp>

#include "mimicry/core/status.h"
#include "mimicry/core/timestamp.h"
#include "mimicry/face/au.h"
#include "mimicry/face/detector.h"
#include "mimicry/face/expression.h"
#include "mimicry/face/landmarks.h"
#include "mimicry/face/motion.h"
#include "mimicry/face/motion_energy.h"
#include "mimicry/face/pose.h"
#include "mimicry/face/tracker.h"

namespace mimicry::face {

// The immutable models of the face stage, loaded once and shared by every stream.
struct FaceModels {
  std::shared_ptr<const DetectorModel> detector;
  std::shared_ptr<const LandmarkModel> landmarks;
};

struct FaceStreamOptions {
  // Frame size in pixels (> 0): fixes the default camera intrinsics.
  int width = 0, height = 0;
  // Tracking, identities, the detector's schedule and score thresholds.
  TrackerOptions tracker;
  // Camera intrinsics in pixels; 0 = OpenFace's default from the frame size
  // (fx = fy = 500 * width / 640, principal point at the centre); fy = fx when only fx is given.
  double fx = 0, fy = 0, cx = 0, cy = 0;
  // Action-unit features and appearance change per face (success = 1 only).
  bool action_units = true;
  // Score action units, emotions and head gestures in the stream against a running neutral
  // (OnlineAuBaseline over baseline.window_s). false: the faces carry the features and pose
  // for a caller that fits its own neutral (offline extraction) and scores with an AuScorer.
  bool score = true;
  AuBaselineOptions baseline;
  // A saved neutral that replaces the running one for face `baseline_face` (>= 0).
  std::optional<AuBaseline> baseline_in;
  int baseline_face = 0;
  // Motion energy of each face's head and body regions (face/motion_energy.h).
  bool motion_energy = false;
  MotionEnergyOptions motion_energy_options;
};

// Action units and what follows from them for one face in one frame.
struct ScoredFace {
  AuIntensities aus;
  std::array<uint8_t, kNumAus> presence{};  // AUxx_c with hysteresis
  Emotions emotions;
  HeadGesture::Out gesture;                 // nod, shake (deg/s)
};

// Per-face scoring state (presence hysteresis, head-gesture filter): scores one face's
// frames, in time order, against a given neutral.
class AuScorer {
 public:
  ScoredFace Score(const AuModel& model, Timestamp t, const AuFeatures& features, const HeadPose& pose,
                   const AuBaseline& baseline);

 private:
  AuPresence presence_;
  HeadGesture gesture_;
};

// One tracked face in one frame.
struct StreamFace {
  int face_id = -1;
  float confidence = 0;
  bool success = false;  // landmarks trustworthy (tracker's min_confidence)
  HeadPose pose;
  Landmarks landmarks{};
  // With action_units and success: the raw AU features and the region-wise appearance change.
  bool measured = false;
  AuFeatures features{};
  MotionSample motion{};
  // With motion_energy (NaN where unknown: the face's first frame, after a gap).
  MotionEnergySample energy;
  // With score and measured: AUs, presence, emotions, gestures.
  std::optional<ScoredFace> scored;
};

struct FrameFaces {
  Timestamp pts;
  std::vector<StreamFace> faces;  // empty: no face tracked in this frame
};

class FaceStream {
 public:
  // Errors: InvalidArgument for a frame size <= 0 or out-of-range tracker options;
  // the detector's errors.
  static Result<std::unique_ptr<FaceStream>> Create(const FaceModels& models, const FaceStreamOptions& options);
  ~FaceStream();

  // One frame: `gray` its 8-bit luma, `bgr` its 8-bit BGR picture (may be empty when
  // NeedsColor() was false; see FaceTracker::Process). Frames must come in increasing pts.
  // Errors: inference failures.
  Result<FrameFaces> Process(const cv::Mat& bgr, const cv::Mat& gray, Timestamp pts);

  bool NeedsColor() const;
  int64_t detector_runs() const;
  const Intrinsics& intrinsics() const;
  const PoseEstimator& pose_estimator() const;
  // The AU model (nullptr without action_units).
  const AuModel* au_model() const;
  // The running neutral of every face scored so far (score = true).
  std::map<int, AuBaseline> Baselines() const;

 private:
  struct Impl;
  explicit FaceStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mimicry::face
