#include "mimicry/face/pose.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/calib3d.hpp>

#include "similarity.h"

namespace mimicry::face {
namespace {

// Depth behind the nose tip, millimetres. Sources: Farkas (1994) facial norms and
// typical profile depths of adult faces (nasion ~20 mm, exocanthion ~38 mm, cheilion
// ~30 mm, pogonion ~28 mm, gonion ~90 mm behind pronasale). Interpolated along contours.
constexpr std::array<float, kNumLandmarks> kDepthMm = {
    // jaw 0..16 (right ear side -> chin 8 -> left)
    96, 85, 74, 63, 52, 42, 34, 29, 27, 29, 34, 42, 52, 63, 74, 85, 96,
    // right brow 17..21 (outer -> inner), left brow 22..26 (inner -> outer)
    40, 32, 26, 23, 22, 22, 23, 26, 32, 40,
    // nose bridge 27..30 (nasion -> tip)
    20, 14, 7, 0,
    // nostrils 31..35
    18, 14, 15, 14, 18,
    // right eye 36..41 (outer, upper x2, inner, lower x2)
    38, 31, 28, 29, 30, 33,
    // left eye 42..47 (inner, upper x2, outer, lower x2)
    29, 28, 31, 38, 33, 30,
    // outer lips 48..59 (right corner, upper, left corner, lower)
    30, 22, 16, 14, 16, 22, 30, 25, 19, 17, 19, 25,
    // inner lips 60..67
    28, 19, 17, 19, 28, 20, 18, 20};

// Points that move least with expression: jaw contour above the mouth (0-3, 13-16),
// nose (27-35), eye corners (36, 39, 42, 45).
constexpr int kRigid[] = {0, 1, 2, 3, 13, 14, 15, 16, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45};

}  // namespace

std::span<const float, kNumLandmarks> GenericDepthProfileMm() { return kDepthMm; }

Face3D BuildGenericFace3D(std::span<const cv::Point2f> mean) {
  CV_Assert(mean.size() == kNumLandmarks);
  const float eye_dist = static_cast<float>(cv::norm(mean[45] - mean[36]));
  const float mm = 90.f / eye_dist;
  Face3D f{};
  cv::Point3f c(0, 0, 0);
  for (int i = 0; i < kNumLandmarks; ++i) {
    f[i] = {mean[i].x * mm, mean[i].y * mm, kDepthMm[i]};
    c += f[i];
  }
  c *= 1.f / kNumLandmarks;
  for (auto& p : f) p -= c;
  return f;
}

cv::Vec3d RotationToEulerXYZ(const cv::Matx33d& R) {
  const double b = std::asin(std::clamp(R(0, 2), -1.0, 1.0));
  const double a = std::atan2(-R(1, 2), R(2, 2));
  const double c = std::atan2(-R(0, 1), R(0, 0));
  return {a, b, c};
}

cv::Matx33d EulerXYZToRotation(const cv::Vec3d& r) {
  const double ca = std::cos(r[0]), sa = std::sin(r[0]);
  const double cb = std::cos(r[1]), sb = std::sin(r[1]);
  const double cc = std::cos(r[2]), sc = std::sin(r[2]);
  const cv::Matx33d Rx(1, 0, 0, 0, ca, -sa, 0, sa, ca);
  const cv::Matx33d Ry(cb, 0, sb, 0, 1, 0, -sb, 0, cb);
  const cv::Matx33d Rz(cc, -sc, 0, sc, cc, 0, 0, 0, 1);
  return Rx * Ry * Rz;
}

HeadPose PoseEstimator::Estimate(const Landmarks& lm, const HeadPose* guess) const {
  std::vector<cv::Point3f> obj;
  std::vector<cv::Point2f> img;
  for (int i : kRigid) {
    obj.push_back(face_[i]);
    img.push_back(lm[i]);
  }
  const cv::Matx33d K(k_.fx, 0, k_.cx, 0, k_.fy, k_.cy, 0, 0, 1);
  cv::Mat rvec, tvec;
  bool use_guess = false;
  if (guess != nullptr) {
    cv::Mat R(EulerXYZToRotation(guess->r_rad));
    cv::Rodrigues(R, rvec);
    tvec = (cv::Mat_<double>(3, 1) << guess->t_mm[0], guess->t_mm[1], guess->t_mm[2]);
    use_guess = true;
  } else {
    // Start facing the camera at the distance the face's size implies.
    const float eye_px = static_cast<float>(cv::norm(lm[45] - lm[36]));
    const double z = eye_px > 1 ? k_.fx * 90.0 / eye_px : 600.0;
    cv::Point2f ctr(0, 0);
    for (const auto& p : lm) ctr += p;
    ctr *= 1.f / kNumLandmarks;
    rvec = cv::Mat::zeros(3, 1, CV_64F);
    tvec = (cv::Mat_<double>(3, 1) << (ctr.x - k_.cx) * z / k_.fx, (ctr.y - k_.cy) * z / k_.fy, z);
    use_guess = true;
  }
  cv::solvePnP(obj, img, K, cv::noArray(), rvec, tvec, use_guess, cv::SOLVEPNP_ITERATIVE);
  cv::Mat Rm;
  cv::Rodrigues(rvec, Rm);
  HeadPose p;
  p.r_rad = RotationToEulerXYZ(cv::Matx33d(Rm));
  p.t_mm = {tvec.at<double>(0), tvec.at<double>(1), tvec.at<double>(2)};
  std::vector<cv::Point2f> proj;
  cv::projectPoints(obj, rvec, tvec, K, cv::noArray(), proj);
  double se = 0;
  for (size_t i = 0; i < proj.size(); ++i) {
    const cv::Point2f d = proj[i] - img[i];
    se += d.dot(d);
  }
  p.reprojection_px = std::sqrt(se / static_cast<double>(proj.size()));
  return p;
}

Landmarks PoseEstimator::Project(const HeadPose& pose) const {
  const cv::Matx33d R = EulerXYZToRotation(pose.r_rad);
  Landmarks out{};
  for (int i = 0; i < kNumLandmarks; ++i) {
    const cv::Vec3d P = R * cv::Vec3d(face_[i].x, face_[i].y, face_[i].z) + pose.t_mm;
    out[i] = {static_cast<float>(k_.fx * P[0] / P[2] + k_.cx), static_cast<float>(k_.fy * P[1] / P[2] + k_.cy)};
  }
  return out;
}

std::array<cv::Point2f, kNumLandmarks> PoseEstimator::Canonicalize(const Landmarks& lm, const HeadPose& pose) const {
  const cv::Matx33d Rt = EulerXYZToRotation(pose.r_rad).t();
  const cv::Vec3d tf = Rt * pose.t_mm;  // camera centre is at -tf in the face frame
  std::array<cv::Point2f, kNumLandmarks> out{};
  for (int i = 0; i < kNumLandmarks; ++i) {
    const cv::Vec3d d = Rt * cv::Vec3d((lm[i].x - k_.cx) / k_.fx, (lm[i].y - k_.cy) / k_.fy, 1.0);
    // Face-frame point on the ray: lambda * d - tf; its z must be the model's z.
    const double lambda = std::abs(d[2]) > 1e-9 ? (face_[i].z + tf[2]) / d[2] : 0.0;
    out[i] = {static_cast<float>(lambda * d[0] - tf[0]), static_cast<float>(lambda * d[1] - tf[1])};
  }
  return out;
}

}  // namespace mimicry::face
