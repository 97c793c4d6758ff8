#include "mimicry/face/stream.h"

#include <algorithm>

namespace mimicry::face {

ScoredFace AuScorer::Score(const AuModel& model, Timestamp t, const AuFeatures& features, const HeadPose& pose,
                           const AuBaseline& baseline) {
  ScoredFace s;
  s.aus = model.Score(features, pose, baseline);
  s.presence = presence_.Update(s.aus);
  s.emotions = EmotionsFromAus(s.aus);
  s.gesture = gesture_.Update(t, pose);
  return s;
}

struct FaceStream::Impl {
  FaceStreamOptions o;
  std::unique_ptr<FaceTracker> tracker;
  PoseEstimator pose;
  std::optional<AuModel> au;
  std::optional<MotionModel> motion_model;
  MotionEnergy energy;
  // Per face: last frame's pose (the solver's seed), appearance-change reference, scoring.
  std::map<int, HeadPose> last_pose;
  std::map<int, MotionTracker> motion;
  std::map<int, AuScorer> scorers;
  std::map<int, OnlineAuBaseline> online;

  Impl(const FaceStreamOptions& opt, std::unique_ptr<FaceTracker> t, PoseEstimator p)
      : o(opt), tracker(std::move(t)), pose(std::move(p)), energy(opt.motion_energy_options) {}

  void Measure(const FaceObservation& ob, const cv::Mat& gray, Timestamp pts, StreamFace& f) {
    if (!o.action_units || !ob.success) return;
    f.measured = true;
    f.features = au->Features(gray, ob.landmarks, pose.Canonicalize(ob.landmarks, f.pose));
    f.motion = motion[ob.face_id].Update(*motion_model, gray, ob.landmarks, pts);
    if (!o.score) return;
    const AuBaseline* bl = nullptr;
    if (o.baseline_in && ob.face_id == o.baseline_face) {
      bl = &*o.baseline_in;
    } else {
      auto it = online.try_emplace(ob.face_id, o.baseline).first;
      bl = &it->second.Update(pts, f.features, f.pose);
    }
    f.scored = scorers[ob.face_id].Score(*au, pts, f.features, f.pose, *bl);
  }
};

FaceStream::FaceStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceStream::~FaceStream() = default;

Result<std::unique_ptr<FaceStream>> FaceStream::Create(const FaceModels& models, const FaceStreamOptions& o) {
  if (o.width <= 0 || o.height <= 0) return InvalidArgument("face stream: the frame size must be positive");
  if (!models.detector || !models.landmarks) return InvalidArgument("face stream: models not loaded");
  if (o.baseline_in && o.baseline_face < 0) return InvalidArgument("face stream: a saved neutral needs baseline_face >= 0");
  auto detector = models.detector->CreateDetector();
  if (!detector.ok()) return detector.status();
  auto tracker = FaceTracker::Create(o.tracker, std::move(detector).value(), models.landmarks);
  if (!tracker.ok()) return tracker.status();
  Intrinsics K = Intrinsics::FromFrameSize(o.width, o.height);
  if (o.fx > 0) K.fx = o.fx;
  if (o.fy > 0) K.fy = o.fy;
  if (o.fx > 0 && o.fy <= 0) K.fy = o.fx;
  if (o.cx > 0) K.cx = o.cx;
  if (o.cy > 0) K.cy = o.cy;
  PoseEstimator pose(BuildGenericFace3D(models.landmarks->MeanShape()), K);
  auto impl = std::make_unique<Impl>(o, std::move(tracker).value(), pose);
  if (o.action_units) {
    auto au = AuModel::Create(impl->pose.face());
    if (!au.ok()) return au.status();
    impl->au = std::move(au).value();
    auto mm = MotionModel::Create(impl->pose.face());
    if (!mm.ok()) return mm.status();
    impl->motion_model = std::move(mm).value();
  }
  return std::unique_ptr<FaceStream>(new FaceStream(std::move(impl)));
}

Result<FrameFaces> FaceStream::Process(const cv::Mat& bgr, const cv::Mat& gray, Timestamp pts) {
  Impl& s = *impl_;
  auto obs = s.tracker->Process(bgr, gray, pts);
  if (!obs.ok()) return obs.status();
  FrameFaces out;
  out.pts = pts;
  // Motion energy: every frame against the previous one; faces by their landmark box.
  std::map<int, MotionEnergySample> energies;
  if (s.o.motion_energy) {
    std::map<int, cv::Rect2f> boxes;
    for (const auto& ob : *obs) {
      if (!ob.success) continue;
      float x0 = 1e30f, y0 = 1e30f, x1 = -1e30f, y1 = -1e30f;
      for (const auto& p : ob.landmarks) x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
      boxes[ob.face_id] = cv::Rect2f(x0, y0, x1 - x0, y1 - y0);
    }
    energies = s.energy.Update(gray, pts, boxes);
  }
  std::map<int, HeadPose> poses;
  for (const auto& ob : *obs) {
    StreamFace f;
    f.face_id = ob.face_id;
    f.confidence = ob.confidence;
    f.success = ob.success;
    f.landmarks = ob.landmarks;
    const auto prev = s.last_pose.find(ob.face_id);
    f.pose = s.pose.Estimate(ob.landmarks, prev == s.last_pose.end() ? nullptr : &prev->second);
    poses[ob.face_id] = f.pose;
    const auto en = energies.find(ob.face_id);
    if (en != energies.end()) f.energy = en->second;
    s.Measure(ob, gray, pts, f);
    out.faces.push_back(std::move(f));
  }
  s.last_pose = std::move(poses);
  return out;
}

bool FaceStream::NeedsColor() const { return impl_->tracker->NeedsColor(); }
int64_t FaceStream::detector_runs() const { return impl_->tracker->detector_runs(); }
const Intrinsics& FaceStream::intrinsics() const { return impl_->pose.intrinsics(); }
const PoseEstimator& FaceStream::pose_estimator() const { return impl_->pose; }
const AuModel* FaceStream::au_model() const { return impl_->au ? &*impl_->au : nullptr; }

std::map<int, AuBaseline> FaceStream::Baselines() const {
  std::map<int, AuBaseline> b;
  for (const auto& [id, ob] : impl_->online) b[id] = ob.current();
  return b;
}

}  // namespace mimicry::face
