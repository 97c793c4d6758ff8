#include "mimicry/synth/face_rig.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace mimicry::synth {
namespace {

using face::kNumLandmarks;

cv::Point2f ProjectPoint(const cv::Matx33d& R, const cv::Vec3d& t, const face::Intrinsics& k, const cv::Point3f& p) {
  const cv::Vec3d P = R * cv::Vec3d(p.x, p.y, p.z) + t;
  return {static_cast<float>(k.fx * P[0] / P[2] + k.cx), static_cast<float>(k.fy * P[1] / P[2] + k.cy)};
}

}  // namespace

Result<std::shared_ptr<const FaceRig>> FaceRig::Create(const cv::Mat& photo, const std::string& source,
                                                       const face::DetectorModel& detector_model,
                                                       std::shared_ptr<const face::LandmarkModel> lm) {
  if (photo.empty() || photo.type() != CV_8UC3) return InvalidInput(source + ": not a colour image");
  auto detector = detector_model.CreateDetector();
  if (!detector.ok()) return detector.status();
  auto dets = (*detector)->Detect(photo);
  if (!dets.ok()) return dets.status();
  if (dets->empty()) return InvalidInput(source + ": no face found in the photo");
  const auto& best = *std::max_element(dets->begin(), dets->end(),
                                       [](const auto& a, const auto& b) { return a.box.area() < b.box.area(); });
  cv::Mat gray;
  cv::cvtColor(photo, gray, cv::COLOR_BGR2GRAY);
  auto rig = std::shared_ptr<FaceRig>(new FaceRig());
  rig->photo_ = photo.clone();
  lm->Fit(gray, face::BoxFromDetection(*lm, best), rig->neutral_);
  lm->Fit(gray, face::BoxFromLandmarks(*lm, rig->neutral_), rig->neutral_);  // refine once
  rig->pose_ = std::make_unique<face::PoseEstimator>(face::BuildGenericFace3D(lm->MeanShape()),
                                                     face::Intrinsics::FromFrameSize(photo.cols, photo.rows));
  rig->photo_pose_ = rig->pose_->Estimate(rig->neutral_, nullptr);
  const auto c2 = rig->pose_->Canonicalize(rig->neutral_, rig->photo_pose_);
  for (int i = 0; i < kNumLandmarks; ++i) rig->canon_[i] = {c2[i].x, c2[i].y, rig->pose_->face()[i].z};

  // A ring of control points around the head (hair, ears, neck move with it, tapering
  // to the fixed image border), each following its nearest landmark at half strength.
  cv::Point2f ctr(0, 0);
  for (const auto& p : rig->neutral_) ctr += p;
  ctr *= 1.f / kNumLandmarks;
  const cv::Rect2f bb = cv::boundingRect(std::vector<cv::Point2f>(rig->neutral_.begin(), rig->neutral_.end()));
  const float rx = bb.width * 0.85f, ry = bb.height * 1.0f;
  const cv::Rect2f inside(1, 1, static_cast<float>(photo.cols - 3), static_cast<float>(photo.rows - 3));
  for (int k = 0; k < 20; ++k) {
    const double a = 2 * CV_PI * k / 20;
    cv::Point2f p(ctr.x + rx * static_cast<float>(std::cos(a)), ctr.y - 0.1f * bb.height + ry * static_cast<float>(std::sin(a)));
    if (!inside.contains(p)) continue;
    int nearest = 0;
    float nd = 1e30f;
    for (int i = 0; i < kNumLandmarks; ++i) {
      const float d = static_cast<float>(cv::norm(rig->neutral_[i] - p));
      if (d < nd) {
        nd = d;
        nearest = i;
      }
    }
    rig->ring_.push_back(p);
    rig->ring_anchor_.push_back(nearest);
  }
  // Delaunay over landmarks + ring + border.
  std::vector<cv::Point2f> pts(rig->neutral_.begin(), rig->neutral_.end());
  pts.insert(pts.end(), rig->ring_.begin(), rig->ring_.end());
  const float W = static_cast<float>(photo.cols - 1), H = static_cast<float>(photo.rows - 1);
  for (const cv::Point2f b : {cv::Point2f(0, 0), cv::Point2f(W / 2, 0), cv::Point2f(W, 0), cv::Point2f(W, H / 2),
                              cv::Point2f(W, H), cv::Point2f(W / 2, H), cv::Point2f(0, H), cv::Point2f(0, H / 2)})
    pts.push_back(b);
  cv::Subdiv2D sub(cv::Rect(0, 0, photo.cols, photo.rows));
  for (const auto& p : pts) {
    if (!cv::Rect2f(0, 0, static_cast<float>(photo.cols), static_cast<float>(photo.rows)).contains(p))
      return InvalidInput(source + ": the face reaches the photo's edge; crop with more margin");
    sub.insert(p);
  }
  std::vector<cv::Vec6f> tris;
  sub.getTriangleList(tris);
  auto index_of = [&](float x, float y) {
    for (size_t i = 0; i < pts.size(); ++i)
      if (std::abs(pts[i].x - x) < 1e-3f && std::abs(pts[i].y - y) < 1e-3f) return static_cast<int>(i);
    return -1;
  };
  for (const auto& t : tris) {
    const int a = index_of(t[0], t[1]), b = index_of(t[2], t[3]), c = index_of(t[4], t[5]);
    if (a >= 0 && b >= 0 && c >= 0) rig->triangles_.emplace_back(a, b, c);
  }
  return std::shared_ptr<const FaceRig>(std::move(rig));
}

face::Landmarks FaceRig::Place(const Expression& e) const {
  std::array<cv::Point3f, kNumLandmarks> p = canon_;
  for (const face::AuMove& m : face::kAuFields) {
    const int i = AuIndex(m.au);
    const float w = std::clamp(e.au[static_cast<size_t>(i)], 0.f, 5.f) / 5.f;
    p[m.point].x += w * m.dx;
    p[m.point].y += w * m.dy;
  }
  // AU45 (blink): upper lids travel to the lower lids.
  const float blink = std::clamp(e.au[static_cast<size_t>(AuIndex(45))], 0.f, 5.f) / 5.f;
  for (const auto& [up, low] : {std::pair{37, 41}, std::pair{38, 40}, std::pair{43, 47}, std::pair{44, 46}})
    p[up].y += blink * face::kBlinkClosure * (p[low].y - p[up].y);
  const cv::Matx33d R = face::EulerXYZToRotation(photo_pose_.r_rad) * face::EulerXYZToRotation(e.head_rad);
  face::Landmarks out{};
  for (int i = 0; i < kNumLandmarks; ++i) out[i] = ProjectPoint(R, photo_pose_.t_mm, pose_->intrinsics(), p[i]);
  return out;
}

Rendered FaceRig::Render(const Expression& e) const {
  Rendered r;
  r.landmarks = Place(e);
  std::vector<cv::Point2f> src(neutral_.begin(), neutral_.end()), dst(r.landmarks.begin(), r.landmarks.end());
  for (size_t k = 0; k < ring_.size(); ++k) {
    src.push_back(ring_[k]);
    const int a = ring_anchor_[k];
    dst.push_back(ring_[k] + 0.5f * (r.landmarks[a] - neutral_[a]));
  }
  const float W = static_cast<float>(photo_.cols - 1), H = static_cast<float>(photo_.rows - 1);
  for (const cv::Point2f b : {cv::Point2f(0, 0), cv::Point2f(W / 2, 0), cv::Point2f(W, 0), cv::Point2f(W, H / 2),
                              cv::Point2f(W, H), cv::Point2f(W / 2, H), cv::Point2f(0, H), cv::Point2f(0, H / 2)}) {
    src.push_back(b);
    dst.push_back(b);
  }
  // Inverse map: for every output pixel inside a destination triangle, where to sample.
  cv::Mat mx(photo_.size(), CV_32F), my(photo_.size(), CV_32F);
  for (int y = 0; y < photo_.rows; ++y)
    for (int x = 0; x < photo_.cols; ++x) {
      mx.at<float>(y, x) = static_cast<float>(x);
      my.at<float>(y, x) = static_cast<float>(y);
    }
  for (const auto& t : triangles_) {
    const cv::Point2f d[3] = {dst[t[0]], dst[t[1]], dst[t[2]]};
    const cv::Point2f s[3] = {src[t[0]], src[t[1]], src[t[2]]};
    const double den = (d[1].y - d[2].y) * (d[0].x - d[2].x) + (d[2].x - d[1].x) * (d[0].y - d[2].y);
    if (std::abs(den) < 1e-9) continue;
    const int x0 = std::max(0, static_cast<int>(std::floor(std::min({d[0].x, d[1].x, d[2].x}))));
    const int x1 = std::min(photo_.cols - 1, static_cast<int>(std::ceil(std::max({d[0].x, d[1].x, d[2].x}))));
    const int y0 = std::max(0, static_cast<int>(std::floor(std::min({d[0].y, d[1].y, d[2].y}))));
    const int y1 = std::min(photo_.rows - 1, static_cast<int>(std::ceil(std::max({d[0].y, d[1].y, d[2].y}))));
    for (int y = y0; y <= y1; ++y) {
      float* rx = mx.ptr<float>(y);
      float* ry = my.ptr<float>(y);
      for (int x = x0; x <= x1; ++x) {
        const double l0 = ((d[1].y - d[2].y) * (x - d[2].x) + (d[2].x - d[1].x) * (y - d[2].y)) / den;
        const double l1 = ((d[2].y - d[0].y) * (x - d[2].x) + (d[0].x - d[2].x) * (y - d[2].y)) / den;
        const double l2 = 1 - l0 - l1;
        if (l0 < -1e-6 || l1 < -1e-6 || l2 < -1e-6) continue;
        rx[x] = static_cast<float>(l0 * s[0].x + l1 * s[1].x + l2 * s[2].x);
        ry[x] = static_cast<float>(l0 * s[0].y + l1 * s[1].y + l2 * s[2].y);
      }
    }
  }
  cv::remap(photo_, r.bgr, mx, my, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  // AU6 (cheek raiser) also creases the skin: crow's feet fan out from the outer eye
  // corners. A warp alone cannot make texture, so they are drawn: three fine darker lines
  // per eye, their contrast rising with the intensity.
  const float au6 = e.au[static_cast<size_t>(AuIndex(6))];
  if (au6 > 0.05f) {
    const cv::Point2f c_r = r.landmarks[36], c_l = r.landmarks[45];
    const float eye = static_cast<float>(cv::norm(c_l - c_r));
    const cv::Point2f axis = (c_l - c_r) * (1.f / std::max(1.f, eye));
    cv::Mat mask(r.bgr.size(), CV_8U, cv::Scalar(0));
    for (int side = 0; side < 2; ++side) {
      const cv::Point2f corner = side == 0 ? c_r : c_l;
      const cv::Point2f out = side == 0 ? -axis : axis;
      for (const float deg : {-28.f, 0.f, 28.f}) {
        const float a = deg * static_cast<float>(CV_PI) / 180.f;
        // Rotate `out` by a (towards the temple above and the cheek below).
        const cv::Point2f dir(out.x * std::cos(a) - out.y * std::sin(a), out.x * std::sin(a) + out.y * std::cos(a));
        cv::line(mask, corner + dir * (0.06f * eye), corner + dir * (0.2f * eye), cv::Scalar(255), 1, cv::LINE_AA);
      }
    }
    const float alpha = 0.45f * std::min(1.f, au6 / 4.f);
    for (int y = 0; y < r.bgr.rows; ++y) {
      const uint8_t* m = mask.ptr<uint8_t>(y);
      cv::Vec3b* px = r.bgr.ptr<cv::Vec3b>(y);
      for (int x = 0; x < r.bgr.cols; ++x)
        if (m[x]) px[x] *= 1.f - alpha * static_cast<float>(m[x]) / 255.f;
    }
  }
  return r;
}

}  // namespace mimicry::synth
