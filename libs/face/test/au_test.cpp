#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include <opencv2/imgproc.hpp>

#include "mimicry/face/au.h"
#include "mimicry/face/expression.h"
#include "mimicry/face/landmarks.h"
#include "mimicry/face/pose.h"
#include "generic_face.h"

namespace mimicry::face {
namespace {

using testing::Generic;

const AuModel& Model() {
  static const AuModel m = *AuModel::Create(Generic());
  return m;
}

// The generic face with AU `code` at `intensity` (FACS field of facs.h).
Face3D WithAu(int code, float intensity) {
  Face3D f = Generic();
  const float w = intensity / 5.f;
  if (code == 45) {
    for (const auto& [up, low] : {std::pair{37, 41}, std::pair{38, 40}, std::pair{43, 47}, std::pair{44, 46}})
      f[up].y += w * kBlinkClosure * (f[low].y - f[up].y);
  }
  for (const AuMove& m : kAuFields)
    if (m.au == code) {
      f[m.point].x += w * m.dx;
      f[m.point].y += w * m.dy;
    }
  return f;
}

std::array<cv::Point2f, kNumLandmarks> Flat(const Face3D& f) {
  std::array<cv::Point2f, kNumLandmarks> p{};
  for (int i = 0; i < kNumLandmarks; ++i) p[i] = {f[i].x, f[i].y};
  return p;
}

AuBaseline NeutralBaseline() {
  AuBaseline b;
  AuModel::GeometricFeatures(Flat(Generic()), b.neutral);
  for (int j = kFirstAppearanceFeature; j < kNumAuFeatures; ++j) b.neutral[j] = std::nanf("");
  b.frames = 1;
  return b;
}

AuFeatures GeometryOnly(const std::array<cv::Point2f, kNumLandmarks>& c) {
  AuFeatures f;
  f.fill(std::nanf(""));
  AuModel::GeometricFeatures(c, f);
  return f;
}

// The change of AU `code`'s field at `intensity` as the landmark model sees it: each
// geometric feature's drawn change times the seen fraction.
AuFeatures SeenAu(int code, float intensity) {
  const AuFeatures f0 = GeometryOnly(Flat(Generic())), f1 = GeometryOnly(Flat(WithAu(code, intensity)));
  AuFeatures f = f0;
  for (int j = 0; j < kFirstAppearanceFeature; ++j) f[j] = f0[j] + AuSeenFraction()[static_cast<size_t>(j)] * (f1[j] - f0[j]);
  return f;
}

// The joint read-out's contract: each AU's field, as the landmark model sees it, is read
// as that AU, in proportion to its intensity, and leaves the others alone; AU7 (outside
// the joint fit, read from the lower lids) is the documented exception: it rises with AU6,
// and the joint fit explains AU7's field with other AUs (AU6, AU2). The scale: a field drawn on the generic face
// (not attenuated) reads about its intensity, as before the joint read-out.
TEST(ActionUnits, EachFacsFieldScoresItsOwnIntensityAndNoOther) {
  const AuBaseline b = NeutralBaseline();
  const AuIntensities zero = Model().Score(GeometryOnly(Flat(Generic())), HeadPose{}, b);
  for (float v : zero.r) EXPECT_NEAR(v, 0.f, 1e-4f);
  for (int k = 0; k < kNumAus; ++k) {
    const int code = kAuCodes[static_cast<size_t>(k)];
    const AuIntensities a5 = Model().Score(SeenAu(code, 5.f), HeadPose{}, b);
    const AuIntensities a2 = Model().Score(SeenAu(code, 2.5f), HeadPose{}, b);
    const float own = a5.r[static_cast<size_t>(k)];
    std::printf("[ figures ] AU%02d field as seen at 5 reads %.2f (at 2.5: %.2f); drawn at 4: %.2f\n", code, own,
                a2.r[static_cast<size_t>(k)],
                Model().Score(GeometryOnly(Flat(WithAu(code, 4.f))), HeadPose{}, b).r[static_cast<size_t>(k)]);
    EXPECT_GT(own, 1.0f) << "AU" << code;
    if (code != 7) EXPECT_NEAR(a2.r[static_cast<size_t>(k)], 0.5f * own, 0.05f * own) << "AU" << code;
    for (int j = 0; j < kNumAus; ++j) {
      const int other = kAuCodes[static_cast<size_t>(j)];
      if (j == k || other == 7 || code == 7) continue;
      EXPECT_LT(a5.r[static_cast<size_t>(j)], 0.2f * own) << "AU" << code << " reads AU" << other;
    }
  }
  for (int code : {1, 2, 4, 12, 15, 25, 26}) {
    const AuIntensities a = Model().Score(GeometryOnly(Flat(WithAu(code, 4.f))), HeadPose{}, b);
    EXPECT_NEAR(a.r[static_cast<size_t>(AuIndex(code))], 4.f, 1.0f) << "AU" << code << " drawn";
  }
}

TEST(ActionUnits, SmileSeenThroughANodAndATurnKeepsItsIntensity) {
  // Render the generic face with AU12 = 3 under head rotation, fit the pose with the
  // generic face, canonicalise, score: the rotation must not leak into the AUs.
  const Intrinsics K = Intrinsics::FromFrameSize(640, 480);
  const PoseEstimator generic(Generic(), K);
  const AuBaseline b = NeutralBaseline();
  for (const cv::Vec3d r : {cv::Vec3d(0.3, 0, 0), cv::Vec3d(-0.25, 0.3, 0.1), cv::Vec3d(0, -0.35, 0)}) {
    HeadPose truth;
    truth.r_rad = r;
    truth.t_mm = {20, -10, 600};
    const Landmarks lm = PoseEstimator(WithAu(12, 3.f), K).Project(truth);
    const HeadPose est = generic.Estimate(lm, nullptr);
    const AuIntensities a = Model().Score(GeometryOnly(generic.Canonicalize(lm, est)), est, b);
    EXPECT_NEAR(a.r[static_cast<size_t>(AuIndex(12))], 3.f, 0.35f) << r;
    for (int code : {1, 2, 4, 15, 25, 26, 45})
      EXPECT_LT(a.r[static_cast<size_t>(AuIndex(code))], 0.5f) << "AU" << code << " under " << r;
  }
}

TEST(ActionUnits, LeftAndRightAreTheSubjectsOwn) {
  // The subject's left mouth corner is landmark 54, on the image's right.
  Face3D f = Generic();
  f[54].x += 5;
  f[54].y -= 4;
  const AuIntensities a = Model().Score(GeometryOnly(Flat(f)), HeadPose{}, NeutralBaseline());
  size_t k12 = 0;
  while (kSidedAus[k12] != 12) ++k12;
  EXPECT_GT(a.left[k12], 1.5f);
  EXPECT_NEAR(a.right[k12], 0.f, 0.05f);
  const Emotions e = EmotionsFromAus(a);
  EXPECT_GT(e.score[6], 0.5f) << "a one-sided smile is contempt";
}

TEST(ActionUnits, ForeheadWrinklesRaiseTheForeheadTextureOnly) {
  const Intrinsics K = Intrinsics::FromFrameSize(640, 480);
  HeadPose pose;
  pose.t_mm = {0, 0, 450};
  const PoseEstimator pe(Generic(), K);
  const Landmarks lm = pe.Project(pose);
  cv::Mat img(480, 640, CV_8UC1);
  cv::randn(img, 120, 4);
  const auto canon = pe.Canonicalize(lm, pose);
  const AuFeatures plain = Model().Features(img, lm, canon);
  // Horizontal wrinkles, 3 px apart, across the forehead above both brows.
  cv::Mat wr = img.clone();
  const float brow = std::min(lm[19].y, lm[24].y);
  for (int y = static_cast<int>(brow - 45); y < static_cast<int>(brow - 4); ++y)
    for (int x = static_cast<int>(lm[17].x); x <= static_cast<int>(lm[26].x); ++x)
      if (y % 4 == 0) wr.at<uint8_t>(y, x) = 70;
  const AuFeatures wrinkled = Model().Features(wr, lm, canon);
  EXPECT_GT(wrinkled[kAppForeheadR] - plain[kAppForeheadR], std::log(2.f));
  EXPECT_GT(wrinkled[kAppForeheadL] - plain[kAppForeheadL], std::log(2.f));
  EXPECT_NEAR(wrinkled[kAppChin], plain[kAppChin], 1e-5f);
  EXPECT_NEAR(wrinkled[kBrowInnerR], plain[kBrowInnerR], 1e-5f);
  // Scored against the plain face as neutral, AU01/AU02 rise from appearance alone.
  AuBaseline b = NeutralBaseline();
  b.neutral = plain;
  const AuIntensities a = Model().Score(wrinkled, pose, b);
  EXPECT_GT(a.r[static_cast<size_t>(AuIndex(1))], 0.5f);
  EXPECT_GT(a.r[static_cast<size_t>(AuIndex(2))], 0.5f);
  EXPECT_LT(a.r[static_cast<size_t>(AuIndex(17))], 0.01f);
  EXPECT_TRUE(std::isnan(Model().Features(cv::Mat(), lm, canon)[kAppForeheadR]));
}

// Feature 0 = 10 + 8 sin(pitch) + noise, with 40% of frames "expressive" (+4): the
// neutral is the mode (10), the slope the depth error (8).
void Synthetic(size_t n, std::vector<AuFeatures>& f, std::vector<HeadPose>& p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> pitch(-0.3, 0.3), u(0, 1);
  std::normal_distribution<float> noise(0, 0.3f);
  for (size_t i = 0; i < n; ++i) {
    HeadPose hp;
    hp.r_rad = {pitch(rng), 0.5 * pitch(rng), 0};
    AuFeatures x{};
    for (int j = 0; j < kNumAuFeatures; ++j) x[j] = 3.f + noise(rng);
    x[kBrowInnerR] = 10.f + 8.f * static_cast<float>(std::sin(hp.r_rad[0])) + noise(rng) + (u(rng) < 0.4 ? 4.f : 0.f);
    f.push_back(x);
    p.push_back(hp);
  }
}

TEST(AuBaselineFit, FindsTheRestingValueAndThePersonsDepthSlope) {
  std::vector<AuFeatures> f;
  std::vector<HeadPose> p;
  Synthetic(3000, f, p, 7);
  const AuBaseline b = FitAuBaseline(f, p);
  std::printf("[ figures ] neutral %.2f (truth 10), pitch slope %.2f (truth 8), yaw slope %.2f (truth 0)\n",
              b.neutral[kBrowInnerR], b.pitch_slope[kBrowInnerR], b.yaw_slope[kBrowInnerR]);
  EXPECT_NEAR(b.neutral[kBrowInnerR] - 8.f * std::sin(b.ref_pitch), 10.f, 0.35f);
  EXPECT_NEAR(b.pitch_slope[kBrowInnerR], 8.f, 1.2f);
  EXPECT_NEAR(b.yaw_slope[kBrowInnerR], 0.f, 1.2f);
  EXPECT_NEAR(b.neutral[kEyeOpenR], 3.f, 0.1f);
  // The median is pulled into the expression (40% at +4); the mode is not.
  AuBaselineOptions med;
  med.neutral_percentile = 50;
  EXPECT_GT(FitAuBaseline(f, p, med).neutral[kBrowInnerR] - b.neutral[kBrowInnerR], 0.15f);
  // NaN features are skipped; an empty input gives an unfitted baseline.
  for (auto& x : f) x[kAppChin] = std::nanf("");
  EXPECT_TRUE(std::isnan(FitAuBaseline(f, p).neutral[kAppChin]));
  EXPECT_EQ(FitAuBaseline({}, {}).frames, 0);
}

TEST(AuBaselineFit, OnlineEstimateSettlesWithinTwoSeconds) {
  std::vector<AuFeatures> f;
  std::vector<HeadPose> p;
  Synthetic(900, f, p, 11);
  const AuBaseline offline = FitAuBaseline(f, p);
  OnlineAuBaseline online;
  for (size_t i = 0; i < f.size(); ++i) {
    const AuBaseline& b = online.Update(Timestamp{static_cast<int64_t>(i) * 33'333}, f[i], p[i]);
    if (i == 60) {  // 2 s at 30 fps
      const float at_ref = b.neutral[kBrowInnerR] - 8.f * static_cast<float>(std::sin(b.ref_pitch));
      EXPECT_NEAR(at_ref, 10.f, 0.8f) << "after 2 s";
    }
  }
  EXPECT_NEAR(online.current().neutral[kBrowInnerR], offline.neutral[kBrowInnerR], 0.3f);
}

TEST(AuPresence, HysteresisAvoidsFlicker) {
  AuPresence pres;
  AuIntensities a;
  const size_t k = static_cast<size_t>(AuIndex(12));
  const float seq[] = {0.2f, 1.1f, 0.8f, 0.9f, 0.5f, 0.95f};
  const uint8_t want[] = {0, 1, 1, 1, 0, 0};
  for (size_t i = 0; i < std::size(seq); ++i) {
    a.r[k] = seq[i];
    EXPECT_EQ(pres.Update(a)[k], want[i]) << i;
  }
}

TEST(Emotions, FollowTheDocumentedPrototypes) {
  AuIntensities a;
  auto set = [&](int code, float v) { a.r[static_cast<size_t>(AuIndex(code))] = v; };
  EXPECT_FLOAT_EQ(EmotionsFromAus(a).neutral, 1.f);
  set(6, 3);
  set(12, 3);
  Emotions e = EmotionsFromAus(a);
  EXPECT_FLOAT_EQ(e.score[0], 1.f);
  EXPECT_FLOAT_EQ(e.valence, 1.f);
  EXPECT_FLOAT_EQ(e.neutral, 0.f);
  EXPECT_NEAR(e.expressiveness, (3 + 3 + 0) / 9.f, 1e-6f);
  set(6, 0);  // a smile without the cheek raise: half the happiness score
  EXPECT_FLOAT_EQ(EmotionsFromAus(a).score[0], 0.5f);
  a = {};
  set(1, 3);
  set(4, 3);
  set(15, 3);
  e = EmotionsFromAus(a);
  EXPECT_FLOAT_EQ(e.score[1], 1.f);
  EXPECT_FLOAT_EQ(e.valence, -1.f);
  a = {};
  set(1, 3);
  set(2, 3);
  set(26, 3);
  e = EmotionsFromAus(a);
  EXPECT_FLOAT_EQ(e.score[2], 1.f);
  EXPECT_FLOAT_EQ(e.valence, 0.f) << "surprise has no valence";
  set(45, 5);  // a blink is not expressiveness
  EXPECT_NEAR(EmotionsFromAus(a).expressiveness, 1.f, 1e-6f);
}

TEST(HeadGesture, NodIsPitchOscillationAndSlowTurnsAreNotShakes) {
  HeadGesture g;
  HeadGesture::Out out;
  for (int i = 0; i < 90; ++i) {  // 3 s of a 2 Hz, +-0.1 rad nod at 30 fps
    HeadPose p;
    p.r_rad = {0.1 * std::sin(2 * CV_PI * 2 * i / 30.0), 0, 0};
    out = g.Update(Timestamp{i * 33'333}, p);
  }
  std::printf("[ figures ] 2 Hz nod of 0.1 rad: nod %.1f deg/s, shake %.1f deg/s\n", out.nod, out.shake);
  EXPECT_GT(out.nod, 20.f);
  EXPECT_LT(out.nod, 60.f);  // RMS angular speed of the nod itself: 51 deg/s
  EXPECT_LT(out.shake, 0.5f);
  HeadGesture turn;
  for (int i = 0; i < 300; ++i) {  // a steady turn at 10 deg/s
    HeadPose p;
    p.r_rad = {0, 10.0 * CV_PI / 180 * i / 30.0, 0};
    out = turn.Update(Timestamp{i * 33'333}, p);
  }
  EXPECT_LT(out.shake, 1.5f);
  // A gap restarts the filter instead of differencing across it.
  HeadPose far;
  far.r_rad = {1.0, 1.0, 0};
  out = turn.Update(Timestamp{400 * 33'333}, far);
  EXPECT_EQ(out.nod, 0.f);
  EXPECT_EQ(out.shake, 0.f);
}

}  // namespace
}  // namespace mimicry::face
