// face/motion.h: region-wise appearance change against the recent resting face.
#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "mimicry/face/landmarks.h"
#include "mimicry/face/motion.h"
#include "mimicry/face/pose.h"
#include "generic_face.h"

namespace mimicry::face {
namespace {

using testing::Generic;

// A frontal face 450 mm from the camera: its landmarks, and a textured frame (smooth
// blobs, so that a shift of a few pixels changes the cells' means).
struct Scene {
  Landmarks lm;
  cv::Mat img;
};
Scene Make() {
  const PoseEstimator pe(Generic(), Intrinsics::FromFrameSize(640, 480));
  HeadPose pose;
  pose.t_mm = {0, 0, 450};
  Scene s{pe.Project(pose), cv::Mat(480, 640, CV_8UC1)};
  cv::RNG rng(1);
  cv::Mat noise(480, 640, CV_32F);
  rng.fill(noise, cv::RNG::NORMAL, 0, 60);
  cv::GaussianBlur(noise, noise, cv::Size(0, 0), 3);
  noise.convertTo(s.img, CV_8U, 2.0, 128);
  return s;
}

Scene Moved(const Scene& s, double dx, double dy, double deg) {
  const cv::Mat M = cv::getRotationMatrix2D(cv::Point2f(320, 240), deg, 1.0);
  cv::Mat m = M.clone();
  m.at<double>(0, 2) += dx;
  m.at<double>(1, 2) += dy;
  Scene o;
  cv::warpAffine(s.img, o.img, m, s.img.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  for (int i = 0; i < kNumLandmarks; ++i) {
    const cv::Point2f p = s.lm[i];
    o.lm[i] = {static_cast<float>(m.at<double>(0, 0) * p.x + m.at<double>(0, 1) * p.y + m.at<double>(0, 2)),
               static_cast<float>(m.at<double>(1, 0) * p.x + m.at<double>(1, 1) * p.y + m.at<double>(1, 2))};
  }
  return o;
}

TEST(Motion, RegionsChangeWhereTheFaceChangesAndNotWithInPlaneHeadMotion) {
  auto model = MotionModel::Create(Generic());
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(MotionRegionNames()[kMotMouth], std::string("mouth"));
  const Scene s = Make();
  MotionTracker tr;
  // No output before min_snapshots snapshots (3, one every 0.5 s).
  int64_t us = 0;
  MotionSample m = tr.Update(*model, s.img, s.lm, Timestamp{us});
  EXPECT_TRUE(std::isnan(m[kMotMouth]));
  for (; us <= 1'500'000; us += 33'333) m = tr.Update(*model, s.img, s.lm, Timestamp{us});
  for (float v : m) EXPECT_NEAR(v, 0.f, 1e-3f);  // unchanged face: no change
  // The head shifts by 12 px and rolls 4 degrees: the alignment undoes it.
  const Scene moved = Moved(s, 12, -7, 4);
  m = tr.Update(*model, moved.img, moved.lm, Timestamp{us += 33'333});
  for (int k = 0; k < kNumMotionRegions; ++k) EXPECT_LT(m[k], 6.f) << MotionRegionNames()[k];
  // The mouth changes (its lower half darkens, as when the lips part): the mouth region
  // responds, the brows do not.
  cv::Mat open = s.img.clone();
  const cv::Rect mouth(cv::Point(static_cast<int>(s.lm[48].x), static_cast<int>(s.lm[62].y)),
                       cv::Point(static_cast<int>(s.lm[54].x), static_cast<int>(s.lm[57].y)));
  open(mouth) *= 0.3;
  m = tr.Update(*model, open, s.lm, Timestamp{us += 33'333});
  EXPECT_GT(m[kMotMouth], 20.f);
  EXPECT_LT(m[kMotBrowR], 3.f);
  EXPECT_LT(m[kMotBrowL], 3.f);
  EXPECT_LT(m[kMotEyeR], 3.f);
  // A brow raise: the brows' band moves 4 px up.
  cv::Mat raised = s.img.clone();
  const int top = static_cast<int>(std::min(s.lm[19].y, s.lm[24].y)) - 25, bottom = static_cast<int>(s.lm[37].y) - 4;
  const cv::Rect band(static_cast<int>(s.lm[17].x), top, static_cast<int>(s.lm[26].x - s.lm[17].x), bottom - top);
  s.img(band + cv::Point(0, 4)).copyTo(raised(band));
  m = tr.Update(*model, raised, s.lm, Timestamp{us += 33'333});
  EXPECT_GT(m[kMotBrowR], 10.f);
  EXPECT_GT(m[kMotBrowL], 10.f);
  EXPECT_LT(m[kMotMouth], 3.f);
  EXPECT_LT(m[kMotChin], 3.f);
  // No image: no measure.
  EXPECT_TRUE(std::isnan(tr.Update(*model, cv::Mat(), s.lm, Timestamp{us += 33'333})[kMotMouth]));
}

TEST(Motion, AnExpressionHeldForSecondsDoesNotBecomeItsOwnReference) {
  auto model = MotionModel::Create(Generic());
  ASSERT_TRUE(model.ok());
  const Scene s = Make();
  cv::Mat changed = s.img.clone();
  const cv::Rect mouth(cv::Point(static_cast<int>(s.lm[48].x), static_cast<int>(s.lm[62].y)),
                       cv::Point(static_cast<int>(s.lm[54].x), static_cast<int>(s.lm[57].y)));
  changed(mouth) *= 0.3;
  MotionTracker tr;
  int64_t us = 0;
  for (; us < 8'000'000; us += 33'333) tr.Update(*model, s.img, s.lm, Timestamp{us});
  // 4 s of the changed face (the longest macro-expression): still a change at its end.
  MotionSample m{};
  const float first = tr.Update(*model, changed, s.lm, Timestamp{us})[kMotMouth];
  for (const int64_t end = us + 4'000'000; us < end; us += 33'333) m = tr.Update(*model, changed, s.lm, Timestamp{us});
  EXPECT_NEAR(m[kMotMouth], first, 1e-3f);
  // Held for 15 s it is the new resting face.
  for (const int64_t end = us + 11'000'000; us < end; us += 33'333) m = tr.Update(*model, changed, s.lm, Timestamp{us});
  EXPECT_LT(m[kMotMouth], 1.f);
}

TEST(Motion, BadOptionsAreErrors) {
  MotionOptions o;
  o.cell_px = 0;
  EXPECT_FALSE(MotionModel::Create(Generic(), o).ok());
  o = {};
  o.reference_window_s = 0.1;
  EXPECT_FALSE(MotionModel::Create(Generic(), o).ok());
}

}  // namespace
}  // namespace mimicry::face
