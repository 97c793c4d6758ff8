#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/core.hpp>

#include "mimicry/face/motion_energy.h"

namespace mimicry::face {
namespace {

Timestamp At(int frame) { return Timestamp::FromMicros(int64_t{frame} * 40000); }  // 25 fps

// A 640 x 480 scene: a textured background, with sensor noise of SD 2 gray levels.
cv::Mat Scene(cv::RNG& rng) {
  cv::Mat img(480, 640, CV_8UC1);
  cv::RNG fixed(42);
  fixed.fill(img, cv::RNG::UNIFORM, 60, 200);
  cv::Mat noise(img.size(), CV_16SC1);
  rng.fill(noise, cv::RNG::NORMAL, 0, 2);
  cv::Mat out;
  img.convertTo(out, CV_16SC1);
  out += noise;
  out.convertTo(out, CV_8UC1);
  return out;
}

const std::map<int, cv::Rect2f> kTwoFaces = {{1, {140, 80, 80, 90}}, {2, {420, 80, 80, 90}}};

TEST(MotionEnergy, AStaticSceneWithSensorNoiseGivesZero) {
  MotionEnergy me;
  cv::RNG rng(1);
  for (int k = 0; k < 30; ++k) {
    const auto s = me.Update(Scene(rng), At(k), kTwoFaces);
    ASSERT_EQ(s.size(), 2u);
    if (k == 0) {
      EXPECT_TRUE(std::isnan(s.at(1).total)) << "no previous frame";
      continue;
    }
    for (const auto& [id, v] : s) {
      EXPECT_LT(v.head, 0.5f);
      EXPECT_LT(v.body, 0.5f);
      EXPECT_LT(v.total, 0.5f);
    }
  }
}

TEST(MotionEnergy, TwiceTheMovementGivesTwiceTheEnergyAndStaysWithItsPerson) {
  MotionEnergy me;
  cv::RNG rng(2);
  double left = 0, right = 0, left_head = 0, right_head = 0;
  for (int k = 0; k < 20; ++k) {
    cv::Mat img = Scene(rng);
    // Below face 1 a 60 x 60 patch flickers, below face 2 a 120 x 60 patch (twice the area).
    cv::Mat a = img(cv::Rect(150, 260, 60, 60)), b = img(cv::Rect(400, 260, 120, 60));
    a.setTo(k % 2 ? 30 : 230);
    b.setTo(k % 2 ? 30 : 230);
    const auto s = me.Update(img, At(k), kTwoFaces);
    if (k == 0) continue;
    left += s.at(1).body, right += s.at(2).body;
    left_head += s.at(1).head, right_head += s.at(2).head;
  }
  EXPECT_GT(left, 19 * 1.0) << "the left body region moves";
  EXPECT_NEAR(right / left, 2.0, 0.2);
  EXPECT_LT(left_head, 19 * 0.5) << "the heads keep still";
  EXPECT_LT(right_head, 19 * 0.5);
}

TEST(MotionEnergy, AGapHasNoValueAndTheNextFrameHasOne) {
  MotionEnergy me;
  cv::RNG rng(3);
  me.Update(Scene(rng), At(0), kTwoFaces);
  EXPECT_FALSE(std::isnan(me.Update(Scene(rng), At(1), kTwoFaces).at(1).total));
  EXPECT_TRUE(std::isnan(me.Update(Scene(rng), At(9), kTwoFaces).at(1).total)) << "8 frames missing";
  EXPECT_FALSE(std::isnan(me.Update(Scene(rng), At(10), kTwoFaces).at(1).total));
}

TEST(MotionEnergy, NeighboursShareTheSpaceBetweenThemAndRegionsStayInTheFrame) {
  const auto r = MotionEnergyRegionsFor({{1, {200, 100, 80, 90}}, {2, {320, 100, 80, 90}}, {3, {580, 420, 60, 60}}},
                                        cv::Size(640, 480), {});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.at(1).body.x + r.at(1).body.width, 300) << "midpoint of the centres 240 and 360";
  EXPECT_EQ(r.at(2).body.x, 300);
  EXPECT_EQ(r.at(1).head.width, 128);  // 80 x 1.6
  EXPECT_EQ(r.at(1).body.y, r.at(1).head.y + r.at(1).head.height);
  const cv::Rect frame(0, 0, 640, 480);
  for (const auto& [id, x] : r) {
    EXPECT_EQ(x.head & frame, x.head);
    EXPECT_EQ(x.body & frame, x.body);
  }
  EXPECT_TRUE(r.at(3).body.empty()) << "a face at the bottom edge has no body in view";
}

}  // namespace
}  // namespace mimicry::face
