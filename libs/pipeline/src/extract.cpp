#include "mimicry/pipeline/extract.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <opencv2/core/utility.hpp>
#include <nlohmann/json.hpp>

#include "mimicry/face/landmarks.h"
#include "mimicry/face/pose.h"

#ifndef MIMICRY_DEFAULT_MODELS_DIR
#define MIMICRY_DEFAULT_MODELS_DIR ""
#endif

namespace mimicry::pipeline {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string FindDataDir(const char* env_var, const char* name, const char* probe_file, const char* fallback) {
  if (const char* env = std::getenv(env_var); env != nullptr && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    for (const fs::path& dir : {exe.parent_path().parent_path() / name, exe.parent_path() / name})
      if (fs::exists(dir / probe_file, ec)) return dir.string();
  return fallback;
}

Result<FaceModels> LoadFaceModels(const std::string& models_dir, face::DetectorOptions d) {
  const fs::path dir = models_dir.empty() ? DefaultModelsDir() : models_dir;
  d.model_path = (dir / (d.kind == face::DetectorKind::kBlazeFaceBack ? kBlazeFaceBackFile : kBlazeFaceFrontFile)).string();
  auto det = face::LoadDetectorModel(d);
  if (!det.ok()) return det.status();
  auto lm = face::LoadErtModel({(dir / kLandmarkFile).string()});
  if (!lm.ok()) return lm.status();
  return FaceModels{*det, *lm};
}

std::string DefaultModelsDir() {
  return FindDataDir("MIMICRY_MODELS_DIR", "models", kLandmarkFile, MIMICRY_DEFAULT_MODELS_DIR);
}

namespace {

// Bounded hand-off from the decoding thread to the processing thread: decoding the next
// frames overlaps with face work on this one, and at most kDepth frames are held.
class FrameQueue {
 public:
  static constexpr size_t kDepth = 4;
  struct Item {
    io::Frame frame;
    Status status;   // non-OK: the source failed
    bool end = false;
  };
  void Push(Item item) {
    std::unique_lock lk(m_);
    not_full_.wait(lk, [&] { return q_.size() < kDepth || stop_; });
    if (stop_) return;
    q_.push_back(std::move(item));
    not_empty_.notify_one();
  }
  Item Pop() {
    std::unique_lock lk(m_);
    not_empty_.wait(lk, [&] { return !q_.empty(); });
    Item it = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return it;
  }
  void Stop() {
    std::lock_guard lk(m_);
    stop_ = true;
    not_full_.notify_all();
  }
  bool stopped() {
    std::lock_guard lk(m_);
    return stop_;
  }

 private:
  std::mutex m_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Item> q_;
  bool stop_ = false;
};

std::string MetaPathFor(const ExtractOptions& o) {
  if (!o.metadata_json.empty()) return o.metadata_json;
  fs::path p(o.output_csv);
  if (p.extension() == ".csv") p.replace_extension();
  return p.string() + ".meta.json";
}

void WriteHeader(std::string& buf) {
  buf += "frame,face_id,timestamp,confidence,success,pose_Tx,pose_Ty,pose_Tz,pose_Rx,pose_Ry,pose_Rz";
  for (int i = 0; i < face::kNumLandmarks; ++i) fmt::format_to(std::back_inserter(buf), ",x_{}", i);
  for (int i = 0; i < face::kNumLandmarks; ++i) fmt::format_to(std::back_inserter(buf), ",y_{}", i);
  buf += '\n';
}

}  // namespace

Result<ExtractSummary> RunExtract(const ExtractOptions& o, const ProgressFn& progress) {
  const auto t0 = Clock::now();
  // Two threads already share the cores (decoding, faces); OpenCV's own worker pool
  // would only contend with them.
  cv::setNumThreads(2);
  if (o.output_csv.empty()) return InvalidArgument("extract: no output CSV given (-o)");
  // Models first: a missing model is reported before any work.
  const std::string models = o.models_dir.empty() ? DefaultModelsDir() : o.models_dir;
  face::DetectorOptions dopt;
  dopt.kind = o.detector;
  face::TrackerOptions topt = o.tracker;
  topt.new_face_score = o.min_detection_score;
  dopt.min_score = std::min(topt.new_face_score, topt.confirm_score);
  auto loaded = LoadFaceModels(models, dopt);
  if (!loaded.ok()) return loaded.status();
  const auto& dmodel = loaded->detector;
  const auto& lmodel = loaded->landmarks;
  auto detector = dmodel->CreateDetector();
  if (!detector.ok()) return detector.status();
  auto tracker = face::FaceTracker::Create(topt, std::move(detector).value(), lmodel);
  if (!tracker.ok()) return tracker.status();

  auto source = io::FrameSource::Open(o.input);
  if (!source.ok()) return source.status();
  const io::SourceInfo info = (*source)->info();

  face::Intrinsics K = face::Intrinsics::FromFrameSize(info.width, info.height);
  if (o.fx > 0) K.fx = o.fx;
  if (o.fy > 0) K.fy = o.fy;
  if (o.fx > 0 && o.fy <= 0) K.fy = o.fx;
  if (o.cx > 0) K.cx = o.cx;
  if (o.cy > 0) K.cy = o.cy;
  const face::PoseEstimator pose(face::BuildGenericFace3D(lmodel->MeanShape()), K);

  const std::string meta_path = MetaPathFor(o);
  std::FILE* csv = std::fopen(o.output_csv.c_str(), "wb");
  if (csv == nullptr) return OutputError(o.output_csv + ": cannot write: " + std::strerror(errno));
  std::string buf;
  buf.reserve(1 << 20);
  WriteHeader(buf);

  FrameQueue queue;
  std::thread decoder([&] {
    while (!queue.stopped()) {
      FrameQueue::Item it;
      auto r = (*source)->Next(it.frame);
      if (!r.ok()) {
        it.status = r.status();
        it.end = true;
      } else if (!*r) {
        it.end = true;
      }
      const bool end = it.end;
      queue.Push(std::move(it));
      if (end) break;
    }
  });

  ExtractSummary sum;
  Status status;
  std::map<int, int64_t> frames_per_face;
  std::map<int, face::HeadPose> last_pose;
  auto last_progress = Clock::now();
  // Expected span of input time, for the progress ETA: from --start to --end or the
  // declared duration, whichever comes first.
  double stop = info.declared_duration_s;
  if (o.input.end_s > 0) stop = stop > 0 ? std::min(stop, o.input.end_s) : o.input.end_s;
  const double expected = stop - o.input.start_s;
  while (true) {
    FrameQueue::Item it = queue.Pop();
    if (it.end) {
      status = it.status;
      break;
    }
    if ((*tracker)->NeedsColor()) io::EnsureBgr(it.frame);
    auto obs = (*tracker)->Process(it.frame.bgr, it.frame.gray, it.frame.pts);
    if (!obs.ok()) {
      status = obs.status();
      break;
    }
    const auto frame_no = it.frame.index + 1;
    const double ts = it.frame.pts.seconds();
    bool any = false;
    std::map<int, face::HeadPose> poses;
    for (const auto& ob : *obs) {
      const auto prev = last_pose.find(ob.face_id);
      const face::HeadPose hp = pose.Estimate(ob.landmarks, prev == last_pose.end() ? nullptr : &prev->second);
      poses[ob.face_id] = hp;
      any = any || ob.success;
      if (ob.success) ++frames_per_face[ob.face_id];
      auto out = std::back_inserter(buf);
      fmt::format_to(out, "{},{},{:.6f},{:.3f},{:d},{:.3f},{:.3f},{:.3f},{:.4f},{:.4f},{:.4f}", frame_no, ob.face_id, ts,
                     ob.confidence, ob.success ? 1 : 0, hp.t_mm[0], hp.t_mm[1], hp.t_mm[2], hp.r_rad[0], hp.r_rad[1],
                     hp.r_rad[2]);
      for (const auto& p : ob.landmarks) fmt::format_to(out, ",{:.2f}", p.x);
      for (const auto& p : ob.landmarks) fmt::format_to(out, ",{:.2f}", p.y);
      buf += '\n';
    }
    last_pose = std::move(poses);
    if (obs->empty()) {
      // No face tracked in this frame: one row that says so (face_id -1, success 0,
      // everything else empty) so that the frame and its timestamp are on record.
      fmt::format_to(std::back_inserter(buf), "{},-1,{:.6f},0,0", frame_no, ts);
      buf.append(6 + 2 * face::kNumLandmarks, ',');
      buf += '\n';
    }
    if (any) ++sum.frames_with_face;
    ++sum.frames;
    if (buf.size() > (1 << 19)) {
      std::fwrite(buf.data(), 1, buf.size(), csv);
      buf.clear();
    }
    if (progress && Clock::now() - last_progress > std::chrono::milliseconds(250)) {
      last_progress = Clock::now();
      progress({sum.frames, ts, expected, std::chrono::duration<double>(last_progress - t0).count()});
    }
  }
  queue.Stop();
  // Unblock a decoder waiting on a full queue, then join it.
  decoder.join();
  std::fwrite(buf.data(), 1, buf.size(), csv);
  const bool write_ok = std::ferror(csv) == 0;
  std::fclose(csv);
  if (!write_ok) return OutputError(o.output_csv + ": write failed");

  sum.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  sum.fps = sum.wall_s > 0 ? static_cast<double>(sum.frames) / sum.wall_s : 0;
  sum.faces = static_cast<int>(frames_per_face.size());
  sum.csv_path = o.output_csv;
  sum.metadata_path = meta_path;

  nlohmann::json j;
  j["tool"] = "mimicry extract";
  j["version"] = MIMICRY_VERSION;
  j["command_line"] = o.command_line;
  j["status"] = status.ok() ? "ok" : StatusCodeName(status.code());
  if (!status.ok()) j["error"] = status.message();
  j["source"] = {{"path", info.path},
                 {"kind", io::SourceKindName(info.kind)},
                 {"width", info.width},
                 {"height", info.height},
                 {"codec", info.codec},
                 {"nominal_fps", info.nominal_fps},
                 {"declared_frames", info.declared_frames},
                 {"declared_duration_s", info.declared_duration_s},
                 {"rotation_deg", info.rotation_deg},
                 {"rotation_applied", info.rotation_applied},
                 {"timestamps", info.kind == io::SourceKind::kVideo ? "container PTS"
                                                                      : "image index / sequence_fps"}};
  nlohmann::json faces = nlohmann::json::array();
  for (const auto& [id, n] : frames_per_face) faces.push_back({{"face_id", id}, {"frames_success", n}});
  j["result"] = {{"frames", sum.frames},
                 {"frames_with_face", sum.frames_with_face},
                 {"faces", faces},
                 {"detector_runs", (*tracker)->detector_runs()},
                 {"wall_s", sum.wall_s},
                 {"measured_fps", sum.fps}};
  j["models"] = {{"detector", dmodel->Describe()}, {"landmarks", lmodel->Describe()},
                 {"head_pose", "solvePnP (iterative) on a generic 3D face: landmark mean shape + anthropometric depth"}};
  j["options"] = {{"input", o.input.path},
                  {"start_s", o.input.start_s},
                  {"end_s", o.input.end_s},
                  {"sequence_fps", o.input.sequence_fps},
                  {"apply_rotation", o.input.apply_rotation},
                  {"output_csv", o.output_csv},
                  {"models_dir", models},
                  {"detector", face::DetectorKindName(o.detector)},
                  {"min_detection_score", o.min_detection_score},
                  {"max_faces", o.tracker.max_faces},
                  {"detect_every", o.tracker.detect_every},
                  {"max_detector_misses", o.tracker.max_detector_misses},
                  {"reid_seconds", o.tracker.reid_seconds},
                  {"min_face_px", o.tracker.min_face_px},
                  {"min_confidence", o.tracker.min_confidence},
                  {"intrinsics", {{"fx", K.fx}, {"fy", K.fy}, {"cx", K.cx}, {"cy", K.cy}}}};
  std::ofstream mj(meta_path);
  mj << j.dump(2) << "\n";
  mj.close();
  if (!mj) return OutputError(meta_path + ": cannot write");
  if (!status.ok()) return status;
  return sum;
}

}  // namespace mimicry::pipeline
