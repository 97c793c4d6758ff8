// FaceRig: a real face photo that can be re-rendered with facial action units and head
// rotation, for synthetic ground truth (the synth issue). Immutable after Create; Render
// is const and thread-safe.
//
// How: the photo's 68 landmarks are found (BlazeFace + the landmark model), lifted to 3D
// with the head-pose estimator (canonical face frame, generic depth), displaced by
// per-AU fields given in millimetres of the generic face (FACS appearance changes; see
// kAuFields in face_rig.cpp), rotated by the requested head motion, projected, and the
// photo is warped piecewise-affinely (Delaunay triangles over the landmarks, a ring
// around the head and the image border) so that its landmarks land there.
#pragma once

#include <array>
#include <memory>

#include <opencv2/core.hpp>

#include "mimicry/core/status.h"
#include "mimicry/face/detector.h"
#include "mimicry/face/facs.h"
#include "mimicry/face/landmarks.h"
#include "mimicry/face/pose.h"

namespace mimicry::synth {

// The 17 action units (OpenFace's order) and their fields live in the face stage.
using face::AuIndex;
using face::kAuCodes;

struct Expression {
  std::array<float, 17> au{};  // intensity 0..5 per kAuCodes entry
  cv::Vec3d head_rad{0, 0, 0};  // added head rotation: pitch (down +), yaw, roll
};

struct Rendered {
  cv::Mat bgr;                 // the photo's size
  face::Landmarks landmarks;   // where the 68 landmarks were placed (ground truth)
};

class FaceRig {
 public:
  // Errors: InvalidInput naming `source` when the photo is empty or holds no face.
  static Result<std::shared_ptr<const FaceRig>> Create(const cv::Mat& photo_bgr, const std::string& source,
                                                       const face::DetectorModel& detector,
                                                       std::shared_ptr<const face::LandmarkModel> landmarks);

  const face::Landmarks& neutral_landmarks() const { return neutral_; }
  const face::HeadPose& photo_pose() const { return photo_pose_; }
  Rendered Render(const Expression& e) const;
  // Landmarks only (cheap), for truth curves.
  face::Landmarks Place(const Expression& e) const;

 private:
  FaceRig() = default;
  cv::Mat photo_;
  face::Landmarks neutral_{};
  std::array<cv::Point3f, face::kNumLandmarks> canon_{};  // face frame, mm
  face::HeadPose photo_pose_;
  std::unique_ptr<face::PoseEstimator> pose_;
  std::vector<cv::Point2f> ring_;       // control points around the head
  std::vector<int> ring_anchor_;        // the landmark each ring point follows
  std::vector<cv::Vec3i> triangles_;    // over neutral_ + ring_ + border
};

}  // namespace mimicry::synth
