// Face detectors. A DetectorModel is the immutable, shareable part (the network's bytes);
// each stream creates its own FaceDetector from it (the inference state), so streams can
// run in parallel without locks.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "mimicry/core/status.h"
#include "mimicry/face/types.h"

namespace mimicry::face {

enum class DetectorKind {
  kBlazeFaceFront,  // BlazeFace 128x128 "front" model: webcam close-ups (default)
  kBlazeFaceBack,   // BlazeFace 256x256 "back" model: smaller, farther faces
  kHog,             // dlib's HOG + linear SVM frontal detector (slower; no key points)
};
const char* DetectorKindName(DetectorKind k);
// Parses "blazeface", "blazeface-back", "hog".
Result<DetectorKind> ParseDetectorKind(const std::string& s);

struct DetectorOptions {
  DetectorKind kind = DetectorKind::kBlazeFaceFront;
  // The ONNX file for the BlazeFace kinds (ignored for HOG).
  std::string model_path;
  // Detections scoring below this (0..1) are dropped. For HOG the SVM margin is mapped
  // to 0..1 with a logistic, so that 0.5 is the detector's own threshold.
  float min_score = 0.6f;
  // Weighted non-maximum suppression: boxes overlapping a stronger one by more than this
  // IoU are blended into it (BlazeFace).
  float nms_iou = 0.3f;
};

class FaceDetector {
 public:
  virtual ~FaceDetector() = default;
  // Faces in an 8-bit BGR frame, strongest first, in frame pixels.
  virtual Result<std::vector<Detection>> Detect(const cv::Mat& bgr) = 0;
};

class DetectorModel {
 public:
  virtual ~DetectorModel() = default;
  virtual std::string Describe() const = 0;
  // A detector with its own inference state, for one stream.
  virtual Result<std::unique_ptr<FaceDetector>> CreateDetector() const = 0;
};

// Errors: ModelMissing (the ONNX file is absent; the message says how to install it),
// InvalidInput (a file that is not a BlazeFace network).
Result<std::shared_ptr<const DetectorModel>> LoadDetectorModel(const DetectorOptions& options);

// BlazeFace post-processing, exposed for tests: decodes the two output heads of a
// BlazeFace network (scores of 16x16x2 and 8x8x6 anchors, 16 box values each) into
// detections in the network's unit square, then runs weighted NMS.
std::vector<Detection> DecodeBlazeFace(const float* scores16, const float* boxes16, const float* scores8,
                                       const float* boxes8, int input_size, float min_score, float nms_iou);
// Intersection over union of two boxes.
float IoU(const cv::Rect2f& a, const cv::Rect2f& b);

}  // namespace mimicry::face
