// Benchmarks of the face stage on real frames: detection, landmarks, pose, tracking.
// Run: build/bin/face_bench (needs build/models and ../shared).
#include <benchmark/benchmark.h>

#include <filesystem>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "mimicry/face/au.h"
#include "mimicry/face/detector.h"
#include "mimicry/face/expression.h"
#include "mimicry/face/landmarks.h"
#include "mimicry/face/motion.h"
#include "mimicry/face/motion_energy.h"
#include "mimicry/face/pose.h"
#include "mimicry/face/tracker.h"

namespace {
using namespace mimicry::face;

struct Data {
  std::vector<cv::Mat> bgr, gray;
  std::shared_ptr<const LandmarkModel> lm;
  std::shared_ptr<const DetectorModel> det;
  std::vector<LandmarkBox> boxes;
  bool ok = false;
};

Data& Get() {
  static Data d = [] {
    Data d;
    const std::string video = std::string(MIMICRY_SHARED_DIR) + "/media/real/2015-10-15-15-14.avi";
    cv::VideoCapture cap(video);
    cv::Mat f;
    while (cap.read(f) && d.bgr.size() < 300) {
      d.bgr.push_back(f.clone());
      cv::Mat g;
      cv::cvtColor(f, g, cv::COLOR_BGR2GRAY);
      d.gray.push_back(g);
    }
    auto lm = LoadErtModel({std::string(MIMICRY_MODELS_DIR) + "/shape_predictor_68_face_landmarks.ert"});
    DetectorOptions o;
    o.model_path = std::string(MIMICRY_MODELS_DIR) + "/face_detection_front_128x128.onnx";
    auto det = LoadDetectorModel(o);
    if (d.bgr.empty() || !lm.ok() || !det.ok()) return d;
    d.lm = *lm;
    d.det = *det;
    // Seed boxes by tracking once.
    auto tr = FaceTracker::Create({}, *(*det)->CreateDetector(), d.lm);
    for (size_t i = 0; i < d.bgr.size(); ++i) {
      auto obs = (*tr)->Process(d.bgr[i], d.gray[i], mimicry::Timestamp::FromMicros(static_cast<int64_t>(i) * 33333));
      d.boxes.push_back(obs.ok() && !obs->empty() ? (*obs)[0].box : LandmarkBox{200, 100, 200, 200});
    }
    d.ok = true;
    return d;
  }();
  return d;
}

void BM_LoadLandmarkModel(benchmark::State& state) {
  for (auto _ : state) {
    auto m = LoadErtModel({std::string(MIMICRY_MODELS_DIR) + "/shape_predictor_68_face_landmarks.ert"});
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_LoadLandmarkModel)->Unit(benchmark::kMillisecond);

void BM_LandmarkFit(benchmark::State& state) {
  Data& d = Get();
  if (!d.ok) return state.SkipWithError("needs ../shared and build/models");
  Landmarks out;
  size_t i = 0;
  for (auto _ : state) {
    d.lm->Fit(d.gray[i], d.boxes[i], out);
    benchmark::DoNotOptimize(out);
    i = (i + 1) % d.gray.size();
  }
}
BENCHMARK(BM_LandmarkFit)->Unit(benchmark::kMicrosecond);

void BM_BlazeFaceDetect(benchmark::State& state) {
  Data& d = Get();
  if (!d.ok) return state.SkipWithError("needs ../shared and build/models");
  auto det = d.det->CreateDetector();
  size_t i = 0;
  for (auto _ : state) {
    auto r = (*det)->Detect(d.bgr[i]);
    benchmark::DoNotOptimize(r);
    i = (i + 1) % d.bgr.size();
  }
}
BENCHMARK(BM_BlazeFaceDetect)->Unit(benchmark::kMillisecond);

void BM_HeadPose(benchmark::State& state) {
  Data& d = Get();
  if (!d.ok) return state.SkipWithError("needs ../shared and build/models");
  const PoseEstimator pe(BuildGenericFace3D(d.lm->MeanShape()), Intrinsics::FromFrameSize(640, 480));
  Landmarks lm;
  d.lm->Fit(d.gray[0], d.boxes[0], lm);
  HeadPose prev = pe.Estimate(lm, nullptr);
  for (auto _ : state) benchmark::DoNotOptimize(pe.Estimate(lm, &prev));
}
BENCHMARK(BM_HeadPose)->Unit(benchmark::kMicrosecond);

void BM_TrackerPerFrame(benchmark::State& state) {
  Data& d = Get();
  if (!d.ok) return state.SkipWithError("needs ../shared and build/models");
  auto tr = FaceTracker::Create({}, *d.det->CreateDetector(), d.lm);
  int64_t i = 0;
  for (auto _ : state) {
    const size_t k = static_cast<size_t>(i) % d.bgr.size();
    benchmark::DoNotOptimize((*tr)->Process(d.bgr[k], d.gray[k], mimicry::Timestamp::FromMicros(i * 33333)));
    ++i;
  }
}
BENCHMARK(BM_TrackerPerFrame)->Unit(benchmark::kMicrosecond);

// The action-unit stage per face and frame: canonicalise + features (with the appearance
// patch) + score + emotions, against a fitted baseline.
void BM_ActionUnitsPerFace(benchmark::State& state) {
  Data& d = Get();
  if (!d.ok) return state.SkipWithError("needs ../shared and build/models");
  const PoseEstimator pe(BuildGenericFace3D(d.lm->MeanShape()), Intrinsics::FromFrameSize(640, 480));
  const AuModel model = *AuModel::Create(pe.face());
  std::vector<Landmarks> lms(d.gray.size());
  std::vector<HeadPose> poses;
  std::vector<AuFeatures> feats;
  for (size_t i = 0; i < d.gray.size(); ++i) {
    d.lm->Fit(d.gray[i], d.boxes[i], lms[i]);
    poses.push_back(pe.Estimate(lms[i], nullptr));
    feats.push_back(model.Features(d.gray[i], lms[i], pe.Canonicalize(lms[i], poses.back())));
  }
  const AuBaseline b = FitAuBaseline(feats, poses);
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ % d.gray.size();
    const AuFeatures f = model.Features(d.gray[k], lms[k], pe.Canonicalize(lms[k], poses[k]));
    benchmark::DoNotOptimize(EmotionsFromAus(model.Score(f, poses[k], b)));
  }
}
BENCHMARK(BM_ActionUnitsPerFace)->Unit(benchmark::kMicrosecond);

// Region-wise appearance change per face and frame (warp, compare with the reference;
// the reference median is rebuilt every 0.5 s of input, i.e. every 15th frame at 30 fps).
void BM_MotionPerFace(benchmark::State& state) {
  Data& d = Get();
  if (!d.ok) return state.SkipWithError("needs ../shared and build/models");
  const MotionModel model = *MotionModel::Create(BuildGenericFace3D(d.lm->MeanShape()));
  std::vector<Landmarks> lms(d.gray.size());
  for (size_t i = 0; i < d.gray.size(); ++i) d.lm->Fit(d.gray[i], d.boxes[i], lms[i]);
  MotionTracker tr;
  int64_t i = 0;
  for (auto _ : state) {
    const size_t k = static_cast<size_t>(i) % d.gray.size();
    benchmark::DoNotOptimize(tr.Update(model, d.gray[k], lms[k], mimicry::Timestamp{i++ * 33'333}));
  }
}
BENCHMARK(BM_MotionPerFace)->Unit(benchmark::kMicrosecond);

// The offline baseline fit over N frames of one face (31 features).
void BM_FitAuBaseline(benchmark::State& state) {
  Data& d = Get();
  if (!d.ok) return state.SkipWithError("needs ../shared and build/models");
  const PoseEstimator pe(BuildGenericFace3D(d.lm->MeanShape()), Intrinsics::FromFrameSize(640, 480));
  const AuModel model = *AuModel::Create(pe.face());
  std::vector<HeadPose> poses;
  std::vector<AuFeatures> feats;
  for (size_t i = 0; i < static_cast<size_t>(state.range(0)); ++i) {
    const size_t k = i % d.gray.size();
    Landmarks lm;
    d.lm->Fit(d.gray[k], d.boxes[k], lm);
    poses.push_back(pe.Estimate(lm, nullptr));
    feats.push_back(model.Features(d.gray[k], lm, pe.Canonicalize(lm, poses.back())));
  }
  for (auto _ : state) benchmark::DoNotOptimize(FitAuBaseline(feats, poses));
}
BENCHMARK(BM_FitAuBaseline)->Arg(1800)->Arg(108000)->Unit(benchmark::kMillisecond);

// extract --motion-energy's added work per frame (640 x 480, three faces): compare with the
// whole extract's ~0.7-1.2 ms per frame (bench/extract_fps.sh).
void BM_MotionEnergyPerFrame(benchmark::State& state) {
  Data& d = Get();
  if (!d.ok) return state.SkipWithError("../shared or models absent");
  MotionEnergy me;
  const std::map<int, cv::Rect2f> faces = {{0, {100, 100, 90, 100}}, {1, {300, 80, 80, 90}}, {2, {480, 120, 70, 80}}};
  size_t i = 0;
  int64_t t = 0;
  for (auto _ : state) {
    auto s = me.Update(d.gray[i % d.gray.size()], mimicry::Timestamp::FromMicros(t), faces);
    benchmark::DoNotOptimize(s);
    ++i;
    t += 33333;
  }
}
BENCHMARK(BM_MotionEnergyPerFrame)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
