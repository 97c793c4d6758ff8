// Landmark models: 68 facial points from a grey image and a face box.
//
// The model is immutable and thread-safe after loading: one instance serves every stream.
// Per-stream state (the previous shape, the track) lives in FaceTracker, not here.
//
// The interface keeps the model swappable: the default, dlib's 68-point
// ensemble of regression trees, was trained on iBUG 300-W, whose licence excludes
// commercial use. A commercial user plugs in another model of the same markup.
#pragma once

#include <memory>
#include <span>
#include <string>

#include <opencv2/core.hpp>

#include "mimicry/core/status.h"
#include "mimicry/face/types.h"

namespace mimicry::face {

class LandmarkModel {
 public:
  virtual ~LandmarkModel() = default;
  // Name and version for the metadata sidecar.
  virtual std::string Describe() const = 0;
  // The model's mean shape in LandmarkBox-normalised units (u, v).
  virtual std::span<const cv::Point2f> MeanShape() const = 0;
  // Fits 68 points in `gray` (CV_8UC1) starting from the mean shape placed in `box`.
  // Sub-pixel output, in frame pixels. Const and thread-safe.
  virtual void Fit(const cv::Mat& gray, const LandmarkBox& box, Landmarks& out) const = 0;
};

struct ErtModelOptions {
  // Path of a .ert file (made from dlib's .dat by tools/ert_convert at set-up).
  std::string path;
};

// Loads a flat .ert regression-tree model by memory-mapping it (milliseconds; pages are
// shared between processes). Errors: ModelMissing (no file; the message says how to
// install it), InvalidInput (not an .ert file, wrong point count, size mismatch).
Result<std::shared_ptr<const LandmarkModel>> LoadErtModel(const ErtModelOptions& options);

// The box that places `model`'s mean shape where a similarity transform fits it best to
// `lm` (used to seed the next frame from this frame's landmarks).
LandmarkBox BoxFromLandmarks(const LandmarkModel& model, const Landmarks& lm);

// The box for a detection: from its key points when it has them (the mean shape's eye
// centres, nose tip and mouth centre fitted to BlazeFace's), else its box as it is (dlib's
// HOG boxes are what the 68-point model was trained on).
LandmarkBox BoxFromDetection(const LandmarkModel& model, const Detection& d);

}  // namespace mimicry::face
