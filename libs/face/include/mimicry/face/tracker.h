// FaceTracker: the per-stream state of the face stage. Detects faces every N frames (and
// sooner when a face is lost or none is tracked), tracks each one by its landmarks in
// between, and keeps identities stable through crossings and short losses.
//
// Contract:
//  - Process() is called once per frame, in presentation order, with the frame's pts.
//  - It returns one observation per tracked face, in face_id order. IDs start at 0, are
//    never reused, and a face that leaves and comes back near where it left within
//    `reid_seconds` gets its old ID back.
//  - The models are shared and immutable; the tracker owns only per-stream state (its
//    detector instance, tracks, buffers). One tracker per stream; not thread-safe.
#pragma once

#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "mimicry/core/status.h"
#include "mimicry/core/timestamp.h"
#include "mimicry/face/detector.h"
#include "mimicry/face/landmarks.h"
#include "mimicry/face/types.h"

namespace mimicry::face {

struct TrackerOptions {
  // At most this many faces are tracked at once (the strongest detections win).
  int max_faces = 4;
  // Run the detector on every Nth frame while all faces are tracked (new faces can appear
  // only on those frames). While no face is tracked it runs every max(1, N/4) frames, and
  // a track that changes scale or shape (it may be sliding off its face) calls it sooner
  // (at most every max(1, N/6) frames).
  int detect_every = 30;
  // A track with no overlapping detection on this many detector runs in a row is dropped.
  int max_detector_misses = 2;
  // A dropped face that reappears within this time, near where it was last seen (centre
  // within 1 face width, size within a factor 1.5), keeps its ID.
  double reid_seconds = 3.0;
  // A new face needs a detection scoring at least this (0..1).
  float new_face_score = 0.6f;
  // An existing face is confirmed by any overlapping detection scoring at least this
  // (turned heads score lower than frontal ones). The detector must be run with a
  // threshold at or below min(new_face_score, confirm_score).
  float confirm_score = 0.3f;
  // Faces smaller than this (landmark box side, pixels) are not tracked.
  float min_face_px = 32.f;
  // Observations with confidence below this get success = 0.
  float min_confidence = 0.5f;
};

struct FaceObservation {
  int face_id = -1;
  bool success = false;     // landmarks are trustworthy (confidence >= min_confidence)
  float confidence = 0.f;   // 0..1, see docs/extract_csv.md
  bool detected = false;    // a detector run this frame confirmed this face
  Landmarks landmarks{};    // frame pixels
  LandmarkBox box;          // the box the landmark model was run in
};

class FaceTracker {
 public:
  // Errors: InvalidArgument for out-of-range options.
  static Result<std::unique_ptr<FaceTracker>> Create(const TrackerOptions& options,
                                                     std::unique_ptr<FaceDetector> detector,
                                                     std::shared_ptr<const LandmarkModel> landmarks);
  ~FaceTracker();

  // `gray` is the frame's 8-bit luma (the landmark model's input); `bgr` the 8-bit BGR
  // frame (the detector's input). `bgr` may be empty when NeedsColor() was false before
  // this call; `gray` may be empty when `bgr` is given (it is then computed here).
  // Errors: those of the detector (inference failures).
  Result<std::vector<FaceObservation>> Process(const cv::Mat& bgr, const cv::Mat& gray, Timestamp pts);

  // Whether the next Process() call runs the detector and so needs the colour frame
  // (decided at the end of the previous call). Callers that decode to YUV convert to BGR
  // only then.
  bool NeedsColor() const;

  // How many detector runs so far (for the metadata and benchmarks).
  int64_t detector_runs() const;

 private:
  struct Impl;
  explicit FaceTracker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Plausibility of a 68-point shape: RMS distance to the model's mean shape after the
// best similarity fit, divided by the fitted scale (so ~0.03 for a clean frontal fit,
// larger for distorted shapes). Exposed for tests.
float ShapeResidual(const LandmarkModel& model, const Landmarks& lm);

}  // namespace mimicry::face
