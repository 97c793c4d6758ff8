#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "mimicry/synth/face_rig.h"

namespace mimicry::synth {
namespace {

const std::string kModels = MIMICRY_MODELS_DIR;
const std::string kPhoto = std::string(MIMICRY_ASSETS_DIR) + "/astronaut.png";

struct Models {
  std::shared_ptr<const face::LandmarkModel> lm;
  std::shared_ptr<const face::DetectorModel> det;
};

const Models& Get() {
  static Models m = [] {
    Models m;
    m.lm = *face::LoadErtModel({kModels + "/shape_predictor_68_face_landmarks.ert"});
    face::DetectorOptions o;
    o.model_path = kModels + "/face_detection_front_128x128.onnx";
    m.det = *face::LoadDetectorModel(o);
    return m;
  }();
  return m;
}

// The astronaut photo as a webcam close-up: scaled 2x and cropped to 640x480 around her
// face (about 190 px wide, as in the shared webcam clip).
cv::Mat Photo() {
  const cv::Mat img = cv::imread(kPhoto);
  if (img.empty()) return img;
  cv::Mat big;
  cv::resize(img, big, cv::Size(), 2.0, 2.0, cv::INTER_CUBIC);
  return big(cv::Rect(110, 0, 640, 480)).clone();
}

// What our own extractor sees in a rendered frame.
face::Landmarks Fit(const cv::Mat& bgr, const face::Landmarks& near) {
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  face::Landmarks lm = near;
  for (int k = 0; k < 2; ++k) Get().lm->Fit(gray, face::BoxFromLandmarks(*Get().lm, lm), lm);
  return lm;
}

double MeanError(const face::Landmarks& a, const face::Landmarks& b) {
  double e = 0;
  for (int i = 0; i < face::kNumLandmarks; ++i) e += cv::norm(a[i] - b[i]);
  return e / face::kNumLandmarks;
}

TEST(FaceRig, NeutralRenderIsThePhoto) {
  const cv::Mat photo = Photo();
  if (photo.empty()) GTEST_SKIP() << "build/assets/astronaut.png absent";
  auto rig = FaceRig::Create(photo, "astronaut", *Get().det, Get().lm);
  ASSERT_TRUE(rig.ok()) << rig.status().message();
  const Rendered r = (*rig)->Render({});
  EXPECT_LT(MeanError(r.landmarks, (*rig)->neutral_landmarks()), 0.01);
  EXPECT_LT(cv::norm(r.bgr, photo, cv::NORM_L1) / static_cast<double>(photo.total() * 3), 0.5);
}

TEST(FaceRig, DrivenActionUnitsAreSeenByTheLandmarkModel) {
  const cv::Mat photo = Photo();
  if (photo.empty()) GTEST_SKIP() << "build/assets/astronaut.png absent";
  auto rig = *FaceRig::Create(photo, "astronaut", *Get().det, Get().lm);
  const face::Landmarks base = Fit(rig->Render({}).bgr, rig->neutral_landmarks());
  struct Case {
    int au;
    const char* what;
    std::function<double(const face::Landmarks&)> measure;
    double min_change_px;
  };
  const Case cases[] = {
      {12, "mouth width", [](const face::Landmarks& l) { return cv::norm(l[54] - l[48]); }, 4},
      {26, "chin drop", [](const face::Landmarks& l) { return l[8].y - l[27].y; }, 5},
      {25, "lip gap", [](const face::Landmarks& l) { return l[66].y - l[62].y; }, 2},
      {2, "outer brow raise", [](const face::Landmarks& l) { return (l[36].y + l[45].y) / 2 - (l[17].y + l[26].y) / 2; }, 2},
      // AU4 also draws the brows together (5.6 px driven), but the regression trees see
      // only ~10% of that sideways slide; the lowering is what they follow. Appearance
      // (glabella wrinkles) must carry AU4 in the AU issue.
      {4, "inner brows lowered", [](const face::Landmarks& l) { return (l[21].y + l[22].y) / 2 - (l[39].y + l[42].y) / 2; }, 4},
      {45, "eyes closed", [](const face::Landmarks& l) { return -((l[41].y - l[37].y) + (l[46].y - l[44].y)); }, 2},
  };
  for (const auto& c : cases) {
    Expression e;
    e.au[static_cast<size_t>(AuIndex(c.au))] = 5;
    const Rendered r = rig->Render(e);
    const face::Landmarks seen = Fit(r.bgr, r.landmarks);
    const double driven = c.measure(r.landmarks) - c.measure(rig->neutral_landmarks());
    const double observed = c.measure(seen) - c.measure(base);
    std::printf("[ figures ] AU%02d %s: driven %+.1f px, seen %+.1f px\n", c.au, c.what, driven, observed);
    EXPECT_GT(driven, c.min_change_px) << c.what;
    EXPECT_GT(observed, 0.5 * driven) << c.what;
    EXPECT_LT(observed, 1.6 * driven) << c.what;
  }
}

TEST(FaceRig, HeadRotationIsRecoveredByThePoseEstimator) {
  const cv::Mat photo = Photo();
  if (photo.empty()) GTEST_SKIP() << "build/assets/astronaut.png absent";
  auto rig = *FaceRig::Create(photo, "astronaut", *Get().det, Get().lm);
  const face::PoseEstimator pe(face::BuildGenericFace3D(Get().lm->MeanShape()), face::Intrinsics::FromFrameSize(640, 480));
  const face::HeadPose p0 = pe.Estimate(Fit(rig->Render({}).bgr, rig->neutral_landmarks()), nullptr);
  for (const cv::Vec3d& motion : {cv::Vec3d(0.3, 0, 0), cv::Vec3d(0, 0.3, 0), cv::Vec3d(0, 0, 0.25), cv::Vec3d(-0.2, -0.25, 0)}) {
    Expression e;
    e.head_rad = motion;
    const Rendered r = rig->Render(e);
    const face::HeadPose p = pe.Estimate(Fit(r.bgr, r.landmarks), &p0);
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(p.r_rad[k] - p0.r_rad[k], motion[k], 0.08) << "axis " << k;
  }
}

TEST(FaceRig, PhotoWithoutAFaceIsAClearError) {
  const cv::Mat blank(480, 640, CV_8UC3, cv::Scalar(128, 128, 128));
  auto rig = FaceRig::Create(blank, "blank.png", *Get().det, Get().lm);
  ASSERT_FALSE(rig.ok());
  EXPECT_EQ(rig.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(rig.status().message(), "blank.png: no face found in the photo");
  EXPECT_FALSE(FaceRig::Create(cv::Mat(), "empty.png", *Get().det, Get().lm).ok());
}

}  // namespace
}  // namespace mimicry::synth
