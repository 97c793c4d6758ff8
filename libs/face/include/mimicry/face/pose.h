// Head pose from 68 landmarks: solvePnP against a generic 3D face.
//
// The generic face is built, not copied: its x/y are the landmark model's own mean
// frontal shape, scaled so that the outer eye corners are 90 mm apart (adult biocular
// width, Farkas' norms); its depth (z) is a hand-set anthropometric profile per landmark
// (nose tip in front, eye corners ~30-40 mm behind it, jaw angles ~95 mm behind). Origin
// at the centroid of the 68 points, axes as the camera's when the face looks straight at
// it: x right (image), y down, z away from the camera. See docs/face3d.md.
#pragma once

#include <array>
#include <span>

#include <opencv2/core.hpp>

#include "mimicry/face/types.h"

namespace mimicry::face {

using Face3D = std::array<cv::Point3f, kNumLandmarks>;

// The anthropometric depth (mm, behind the nose tip) of each of the 68 points.
std::span<const float, kNumLandmarks> GenericDepthProfileMm();

// Lifts a mean frontal 2D shape (any units, y down) to the generic 3D face described above.
Face3D BuildGenericFace3D(std::span<const cv::Point2f> mean_shape_2d);

// Converts a rotation matrix to OpenFace's Euler angles (R = Rx * Ry * Rz), radians.
cv::Vec3d RotationToEulerXYZ(const cv::Matx33d& R);
cv::Matx33d EulerXYZToRotation(const cv::Vec3d& r);

// Immutable and thread-safe: one estimator serves every stream of one camera.
class PoseEstimator {
 public:
  PoseEstimator(Face3D face, Intrinsics k) : face_(face), k_(k) {}
  const Face3D& face() const { return face_; }
  const Intrinsics& intrinsics() const { return k_; }

  // Fits the rigid pose. `guess` (the same face's pose in the previous frame, or nullptr)
  // seeds the iterative solver. Rigid points only (the jaw, brows and mouth move with
  // expression): the nose, eye corners and the upper jaw contour.
  HeadPose Estimate(const Landmarks& lm, const HeadPose* guess) const;

  // Projects the 3D face under `pose` into the image (for tests and synthesis).
  Landmarks Project(const HeadPose& pose) const;

  // Undoes the head pose: each landmark's camera ray is intersected with the plane of
  // constant depth (in the face's own frame) where the generic face has that point, and
  // the intersection is returned in the face frame (mm; x right, y down). Nods and turns
  // then no longer shorten vertical or horizontal distances, to first order; what remains
  // is the person's shape and expression, for the action-unit features.
  std::array<cv::Point2f, kNumLandmarks> Canonicalize(const Landmarks& lm, const HeadPose& pose) const;

 private:
  Face3D face_;
  Intrinsics k_;
};

}  // namespace mimicry::face
