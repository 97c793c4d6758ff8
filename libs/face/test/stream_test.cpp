// The streaming face API on real webcam footage (../shared): one call per frame, faces with
// identities, pose, AUs and a running neutral; two streams share one set of models.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "mimicry/face/facs.h"
#include "mimicry/face/stream.h"

namespace mimicry::face {
namespace {
namespace fs = std::filesystem;

const std::string kModels = MIMICRY_MODELS_DIR;
const std::string kClip = std::string(MIMICRY_SHARED_DIR) + "/media/real/2015-10-15-15-14.avi";

FaceModels Models() {
  DetectorOptions d;
  d.min_score = 0.3f;
  d.model_path = kModels + "/face_detection_front_128x128.onnx";
  auto det = LoadDetectorModel(d);
  auto lm = LoadErtModel({kModels + "/shape_predictor_68_face_landmarks.ert"});
  EXPECT_TRUE(det.ok() && lm.ok());
  return det.ok() && lm.ok() ? FaceModels{*det, *lm} : FaceModels{};
}

struct Frame {
  cv::Mat bgr, gray;
  Timestamp pts;
};
// The clip's first n frames with the container's timestamps.
std::vector<Frame> ReadFrames(size_t n) {
  std::vector<Frame> out;
  cv::VideoCapture cap(kClip);
  while (out.size() < n && cap.isOpened()) {
    Frame f;
    if (!cap.read(f.bgr)) break;
    f.pts = Timestamp{static_cast<int64_t>(std::llround(cap.get(cv::CAP_PROP_POS_MSEC) * 1000))};
    cv::cvtColor(f.bgr, f.gray, cv::COLOR_BGR2GRAY);
    out.push_back(std::move(f));
  }
  return out;
}

TEST(FaceStream, RealClipFrameByFrame) {
  if (!fs::exists(kClip)) GTEST_SKIP() << kClip << " absent (../shared not beside the repo)";
  const FaceModels m = Models();
  ASSERT_TRUE(m.detector && m.landmarks);
  const auto frames = ReadFrames(150);
  ASSERT_EQ(frames.size(), 150u);
  FaceStreamOptions o;
  o.width = frames[0].bgr.cols;
  o.height = frames[0].bgr.rows;
  o.motion_energy = true;
  auto a = FaceStream::Create(m, o);
  ASSERT_TRUE(a.ok()) << a.status().message();
  FaceStreamOptions raw = o;
  raw.score = false;
  auto b = FaceStream::Create(m, raw);  // a second stream on the same models
  ASSERT_TRUE(b.ok());
  int with_face = 0, scored = 0, energy = 0;
  double au12_sum = 0, pitch_sum = 0;
  for (const auto& f : frames) {
    auto ra = (*a)->Process(f.bgr, f.gray, f.pts);
    auto rb = (*b)->Process(f.bgr, f.gray, f.pts);
    ASSERT_TRUE(ra.ok() && rb.ok());
    EXPECT_EQ(ra->pts.us, f.pts.us);
    ASSERT_EQ(ra->faces.size(), rb->faces.size()) << "same frames, same tracks";
    for (size_t k = 0; k < ra->faces.size(); ++k) {
      const StreamFace& x = ra->faces[k];
      const StreamFace& y = rb->faces[k];
      EXPECT_EQ(x.face_id, y.face_id);
      EXPECT_EQ(x.landmarks[30].x, y.landmarks[30].x) << "streams do not share state";
      EXPECT_FALSE(y.scored.has_value()) << "score = false leaves scoring to the caller";
      EXPECT_EQ(x.measured, x.success);
      if (!x.success) {
        EXPECT_FALSE(x.scored.has_value()) << "an untrusted face gets no AUs";
        continue;
      }
      ++with_face;
      EXPECT_EQ(x.features[0], y.features[0]);
      ASSERT_TRUE(x.scored.has_value());
      ++scored;
      for (float v : x.scored->aus.r) EXPECT_TRUE(std::isfinite(v) && v >= 0 && v <= 5);
      au12_sum += x.scored->aus.r[static_cast<size_t>(AuIndex(12))];
      pitch_sum += x.pose.r_rad[0];
      energy += std::isfinite(x.energy.head);
    }
  }
  // One man, frontal, throughout the clip: tracked in (almost) every frame.
  EXPECT_GE(with_face, 140);
  EXPECT_EQ(scored, with_face);
  EXPECT_GE(energy, with_face - 2) << "motion energy from the second frame on";
  EXPECT_TRUE(std::isfinite(au12_sum) && std::isfinite(pitch_sum));
  const auto bl = (*a)->Baselines();
  ASSERT_EQ(bl.size(), 1u);
  EXPECT_GT(bl.begin()->second.frames, 0);
  EXPECT_TRUE((*b)->Baselines().empty());
  EXPECT_NE((*a)->au_model(), nullptr);
  EXPECT_GT((*a)->detector_runs(), 0);
}

TEST(FaceStream, ScorerMatchesTheStreamsOwnScoring) {
  if (!fs::exists(kClip)) GTEST_SKIP() << kClip << " absent (../shared not beside the repo)";
  const FaceModels m = Models();
  ASSERT_TRUE(m.detector && m.landmarks);
  const auto frames = ReadFrames(60);
  FaceStreamOptions o;
  o.width = frames[0].bgr.cols;
  o.height = frames[0].bgr.rows;
  // A fixed neutral for face 0: the stream's scoring must be exactly AuScorer's.
  AuBaseline fixed;
  fixed.frames = 1;
  o.baseline_in = fixed;
  o.baseline_face = 0;
  auto s = FaceStream::Create(m, o);
  ASSERT_TRUE(s.ok());
  AuScorer mine;
  int n = 0;
  for (const auto& f : frames) {
    auto r = (*s)->Process(f.bgr, f.gray, f.pts);
    ASSERT_TRUE(r.ok());
    for (const auto& x : r->faces) {
      if (x.face_id != 0 || !x.scored) continue;
      const ScoredFace y = mine.Score(*(*s)->au_model(), f.pts, x.features, x.pose, fixed);
      for (int k = 0; k < kNumAus; ++k) EXPECT_EQ(x.scored->aus.r[static_cast<size_t>(k)], y.aus.r[static_cast<size_t>(k)]);
      EXPECT_EQ(x.scored->presence, y.presence);
      EXPECT_EQ(x.scored->gesture.nod, y.gesture.nod);
      ++n;
    }
  }
  EXPECT_GE(n, 55);
}

TEST(FaceStream, BadOptionsAreErrors) {
  const FaceModels m = Models();
  ASSERT_TRUE(m.detector && m.landmarks);
  FaceStreamOptions o;
  auto r = FaceStream::Create(m, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("frame size"), std::string::npos);
  o.width = 640, o.height = 480;
  EXPECT_FALSE(FaceStream::Create(FaceModels{}, o).ok());
  o.baseline_in = AuBaseline{};
  o.baseline_face = -1;
  EXPECT_FALSE(FaceStream::Create(m, o).ok());
  o.baseline_in.reset();
  o.tracker.max_faces = 0;
  EXPECT_FALSE(FaceStream::Create(m, o).ok()) << "the tracker's own option check";
}

}  // namespace
}  // namespace mimicry::face
