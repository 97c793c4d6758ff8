// Plain value types shared by the face stage.
#pragma once

#include <array>
#include <vector>

#include <opencv2/core.hpp>

namespace mimicry::face {

inline constexpr int kNumLandmarks = 68;  // iBUG 300-W markup (dlib, OpenFace)
using Landmarks = std::array<cv::Point2f, kNumLandmarks>;

// One face found by a detector, in frame pixels.
struct Detection {
  cv::Rect2f box;                      // face box as the detector reports it
  float score = 0.f;                   // 0..1
  // BlazeFace key points (subject's right eye, left eye, nose tip, mouth centre, right
  // ear tragion, left ear tragion); all zero when the detector has none (HOG).
  std::array<cv::Point2f, 6> keypoints{};
  bool has_keypoints = false;
};

// The square that a 68-point regression-tree model expects, as an affine map from the
// unit square: pixel = (x0 + u * sx, y0 + v * sy). For a dlib rectangle (l,t,r,b)
// x0 = l, y0 = t, sx = r - l, sy = b - t.
struct LandmarkBox {
  float x0 = 0, y0 = 0, sx = 0, sy = 0;
  cv::Rect2f rect() const { return {x0, y0, sx, sy}; }
};

// Rigid head pose in OpenFace 2.0's convention: camera coordinates (x right, y down,
// z away from the camera), translation of the face model's origin in millimetres,
// rotation as Euler angles in radians with R = Rx * Ry * Rz (pitch, yaw, roll).
struct HeadPose {
  cv::Vec3d t_mm{0, 0, 0};
  cv::Vec3d r_rad{0, 0, 0};
  double reprojection_px = 0;  // RMS landmark reprojection error
};

// Camera intrinsics in pixels.
struct Intrinsics {
  double fx = 0, fy = 0, cx = 0, cy = 0;
  // OpenFace's default when none are given: fx = fy = 500 * width / 640, centre of frame.
  static Intrinsics FromFrameSize(int width, int height) {
    const double f = 500.0 * width / 640.0;
    return {f, f, width / 2.0, height / 2.0};
  }
};

}  // namespace mimicry::face
