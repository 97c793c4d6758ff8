#include "mimicry/pipeline/extract.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <opencv2/core/utility.hpp>
#include <nlohmann/json.hpp>

#include "mimicry/face/expression.h"
#include "mimicry/face/landmarks.h"
#include "mimicry/face/motion.h"
#include "mimicry/face/pose.h"
#include "mimicry/face/stream.h"
#include "feature_row.h"
#include "mimicry/schema/vocabulary.h"

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

namespace {
constexpr const char* kBaselineFormat = "mimicry-au-baseline";
nlohmann::json Num(float v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
}  // namespace

Status SaveAuBaseline(const std::string& path, const face::AuBaseline& b, const std::string& source, int face_id) {
  nlohmann::json j;
  j["format"] = kBaselineFormat;
  j["version"] = 1;
  j["tool_version"] = MIMICRY_VERSION;
  j["source"] = source;
  j["face_id"] = face_id;
  j["frames"] = b.frames;
  j["ref_pitch_rad"] = b.ref_pitch;
  j["ref_yaw_rad"] = b.ref_yaw;
  nlohmann::json f = nlohmann::json::object();
  const auto names = face::AuFeatureNames();
  for (int k = 0; k < face::kNumAuFeatures; ++k)
    f[names[static_cast<size_t>(k)]] = {{"neutral", Num(b.neutral[k])}, {"pitch_slope", Num(b.pitch_slope[k])},
                                        {"yaw_slope", Num(b.yaw_slope[k])}};
  j["features"] = f;
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  out.close();
  if (!out) return OutputError(path + ": cannot write the baseline");
  return Status::Ok();
}

Result<face::AuBaseline> LoadAuBaseline(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + ": baseline file not found");
  std::ifstream in(path);
  if (!in) return InvalidInput(path + ": cannot read the baseline file: " + std::strerror(errno));
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidInput(path + ": not a baseline file: invalid JSON");
  if (j.value("format", "") != kBaselineFormat)
    return InvalidInput(path + ": not a baseline file: \"format\" is not \"" + kBaselineFormat + "\"");
  if (j.value("version", 0) != 1) return InvalidInput(path + ": unsupported baseline version");
  face::AuBaseline b;
  auto num = [](const nlohmann::json& v, float& out) {
    if (v.is_null()) {
      out = std::numeric_limits<float>::quiet_NaN();
      return true;
    }
    if (!v.is_number()) return false;
    out = v.get<float>();
    return std::isfinite(out);
  };
  if (!j.contains("ref_pitch_rad") || !num(j["ref_pitch_rad"], b.ref_pitch) || !std::isfinite(b.ref_pitch) ||
      !j.contains("ref_yaw_rad") || !num(j["ref_yaw_rad"], b.ref_yaw) || !std::isfinite(b.ref_yaw))
    return InvalidInput(path + ": baseline file lacks a valid ref_pitch_rad / ref_yaw_rad");
  b.frames = j.value("frames", int64_t{0});
  if (b.frames <= 0) return InvalidInput(path + ": baseline file has no frames");
  if (!j.contains("features") || !j["features"].is_object())
    return InvalidInput(path + ": baseline file lacks \"features\"");
  const auto names = face::AuFeatureNames();
  for (int k = 0; k < face::kNumAuFeatures; ++k) {
    const char* name = names[static_cast<size_t>(k)];
    const auto& f = j["features"];
    if (!f.contains(name) || !f[name].is_object())
      return InvalidInput(path + ": baseline file lacks feature \"" + name + "\"");
    const auto& e = f[name];
    if (!e.contains("neutral") || !e.contains("pitch_slope") || !e.contains("yaw_slope") ||
        !num(e["neutral"], b.neutral[k]) || !num(e["pitch_slope"], b.pitch_slope[k]) ||
        !num(e["yaw_slope"], b.yaw_slope[k]) || !std::isfinite(b.pitch_slope[k]) || !std::isfinite(b.yaw_slope[k]) ||
        (k < face::kFirstAppearanceFeature && !std::isfinite(b.neutral[k])))
      return InvalidInput(path + ": baseline file has an invalid value for feature \"" + name + "\"");
  }
  return b;
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

// One face (or the absence of any) in one frame, as kept between the two passes.
struct Record {
  int64_t frame = 0;
  double ts = 0;
  int32_t face_id = -1;  // -1: no face tracked in this frame
  float confidence = 0;
  uint8_t success = 0;
  face::HeadPose pose;
  face::Landmarks lm{};
  face::AuFeatures features{};
  face::MotionSample motion{};  // region-wise appearance change (face/motion.h)
  face::MotionEnergySample energy;  // --motion-energy (face/motion_energy.h)
};

void WriteHeader(std::string& buf, bool aus, bool feats, bool energy) {
  buf += "frame,face_id,timestamp,confidence,success,pose_Tx,pose_Ty,pose_Tz,pose_Rx,pose_Ry,pose_Rz";
  for (int i = 0; i < face::kNumLandmarks; ++i) fmt::format_to(std::back_inserter(buf), ",x_{}", i);
  for (int i = 0; i < face::kNumLandmarks; ++i) fmt::format_to(std::back_inserter(buf), ",y_{}", i);
  if (aus) {
    for (int au : face::kAuCodes) fmt::format_to(std::back_inserter(buf), ",AU{:02d}_r", au);
    for (int au : face::kAuCodes) fmt::format_to(std::back_inserter(buf), ",AU{:02d}_c", au);
    for (int au : face::kSidedAus) fmt::format_to(std::back_inserter(buf), ",AU{:02d}_r_L,AU{:02d}_r_R", au, au);
    for (const char* e : face::kEmotionNames) fmt::format_to(std::back_inserter(buf), ",emo_{}", e);
    buf += ",emo_neutral,valence,expressiveness";
    for (const char* g : schema::kGestureNames) fmt::format_to(std::back_inserter(buf), ",{}", g);
    for (const char* n : face::MotionRegionNames()) fmt::format_to(std::back_inserter(buf), ",mot_{}", n);
    if (feats)
      for (const char* n : face::AuFeatureNames()) fmt::format_to(std::back_inserter(buf), ",feat_{}", n);
  }
  if (energy)
    for (const char* n : schema::kMotionEnergyNames) fmt::format_to(std::back_inserter(buf), ",{}", n);
  buf += '\n';
}

// The motion energy columns of one row (empty where unknown).
void FormatEnergy(std::string& buf, const Record& r) {
  for (float v : {r.energy.head, r.energy.body, r.energy.total}) {
    if (r.face_id >= 0 && std::isfinite(v)) fmt::format_to(std::back_inserter(buf), ",{:.3f}", v);
    else buf += ',';
  }
}

constexpr int kAuColumns = 2 * face::kNumAus + 2 * static_cast<int>(face::kSidedAus.size()) + 7 + 5 + face::kNumMotionRegions;

void FormatRow(std::string& buf, const Record& r) {
  auto out = std::back_inserter(buf);
  if (r.face_id < 0) {
    // No face tracked in this frame: one row that says so (face_id -1, success 0,
    // everything else empty) so that the frame and its timestamp are on record.
    fmt::format_to(out, "{},-1,{:.6f},0,0", r.frame, r.ts);
    buf.append(6 + 2 * face::kNumLandmarks, ',');
    return;
  }
  const auto& hp = r.pose;
  fmt::format_to(out, "{},{},{:.6f},{:.3f},{:d},{:.3f},{:.3f},{:.3f},{:.4f},{:.4f},{:.4f}", r.frame, r.face_id, r.ts,
                 r.confidence, r.success, hp.t_mm[0], hp.t_mm[1], hp.t_mm[2], hp.r_rad[0], hp.r_rad[1], hp.r_rad[2]);
  for (const auto& p : r.lm) fmt::format_to(out, ",{:.2f}", p.x);
  for (const auto& p : r.lm) fmt::format_to(out, ",{:.2f}", p.y);
}

// Appends the AU columns of one row: empty when the face is not scored (success 0, no
// neutral) or absent, so that gaps stay gaps.
void FormatAus(std::string& buf, const Record& r, const face::ScoredFace* sc, bool feats) {
  if (r.face_id < 0 || !r.success || sc == nullptr) {
    buf.append(kAuColumns + (feats ? face::kNumAuFeatures : 0), ',');
    return;
  }
  const face::AuIntensities& a = sc->aus;
  const face::Emotions& e = sc->emotions;
  auto out = std::back_inserter(buf);
  for (float v : a.r) fmt::format_to(out, ",{:.2f}", v);
  for (auto v : sc->presence) fmt::format_to(out, ",{:d}", v);
  for (size_t k = 0; k < face::kSidedAus.size(); ++k) fmt::format_to(out, ",{:.2f},{:.2f}", a.left[k], a.right[k]);
  for (float v : e.score) fmt::format_to(out, ",{:.3f}", v);
  fmt::format_to(out, ",{:.3f},{:.3f},{:.3f},{:.2f},{:.2f}", e.neutral, e.valence, e.expressiveness, sc->gesture.nod, sc->gesture.shake);
  for (float v : r.motion) {
    if (std::isfinite(v)) fmt::format_to(out, ",{:.2f}", v);
    else buf += ',';
  }
  if (feats)
    for (float v : r.features) {
      if (std::isfinite(v)) fmt::format_to(out, ",{:.3f}", v);
      else buf += ',';
    }
}

}  // namespace

namespace {

// The sidecar's JSON (docs/extract_csv.md#metadata).
nlohmann::json Metadata(const ExtractOptions& o, const std::string& models_dir, const FaceModels& models, const io::SourceInfo& info,
                        const face::FaceStream& stream, const ExtractSummary& sum, const std::map<int, int64_t>& frames_per_face,
                        const std::map<int, face::AuBaseline>& baselines, int bface, bool offline, const Status& status) {
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
                 {"detector_runs", stream.detector_runs()},
                 {"wall_s", sum.wall_s},
                 {"measured_fps", sum.fps}};
  j["models"] = {{"detector", models.detector->Describe()}, {"landmarks", models.landmarks->Describe()},
                 {"head_pose", "solvePnP (iterative) on a generic 3D face: landmark mean shape + anthropometric depth"}};
  j["options"] = {{"input", o.input.path},
                  {"start_s", o.input.start_s},
                  {"end_s", o.input.end_s},
                  {"sequence_fps", o.input.sequence_fps},
                  {"apply_rotation", o.input.apply_rotation},
                  {"output_csv", o.output_csv},
                  {"models_dir", models_dir},
                  {"detector", face::DetectorKindName(o.detector)},
                  {"min_detection_score", o.min_detection_score},
                  {"max_faces", o.tracker.max_faces},
                  {"detect_every", o.tracker.detect_every},
                  {"max_detector_misses", o.tracker.max_detector_misses},
                  {"reid_seconds", o.tracker.reid_seconds},
                  {"min_face_px", o.tracker.min_face_px},
                  {"min_confidence", o.tracker.min_confidence},
                  {"intrinsics", {{"fx", stream.intrinsics().fx}, {"fy", stream.intrinsics().fy}, {"cx", stream.intrinsics().cx}, {"cy", stream.intrinsics().cy}}}};
  if (o.motion_energy) {
    const auto& me = o.motion_energy_options;
    j["motion_energy"] = {{"method", "share of pixels changed since the previous frame in the head and body regions (face/motion_energy.h)"},
                          {"max_width_px", me.max_width_px},
                          {"threshold", me.threshold},
                          {"head_scale", me.head_scale},
                          {"body_width", me.body_width},
                          {"body_height", me.body_height},
                          {"max_step_factor", me.max_step_factor}};
  }
  if (o.action_units) {
    nlohmann::json bj = nlohmann::json::array();
    for (const auto& [id, b] : baselines)
      bj.push_back({{"face_id", id},
                    {"frames", b.frames},
                    {"from_file", !o.baseline_in.empty() && id == bface && offline},
                    {"ref_pitch_rad", b.ref_pitch},
                    {"ref_yaw_rad", b.ref_yaw}});
    j["action_units"] = {{"method", "canonical-frame geometry + aligned-region texture; joint non-negative read-out of the FACS fields as the landmark model sees them"},
                         {"baseline_mode", offline ? "offline" : "online"},
                         {"baseline_face", bface},
                         {"baseline_in", o.baseline_in},
                         {"baseline_out", o.baseline_out},
                         {"baselines", bj}};
  }
  if (!o.cache_key.empty()) j["cache_key"] = nlohmann::json::parse(o.cache_key, nullptr, false);
  if (!o.cache_key.empty()) j["cache_key"] = nlohmann::json::parse(o.cache_key, nullptr, false);
  return j;
}

// The table being written: rows are formatted into `buf` and flushed to <csv>.part, renamed
// to the CSV when complete so that an interrupted or failed run leaves no half-written table.
struct TableOut {
  std::string path, part;
  std::FILE* file = nullptr;
  std::string buf;
  void Flush(size_t above) {
    if (buf.size() <= above) return;
    std::fwrite(buf.data(), 1, buf.size(), file);
    buf.clear();
  }
};

Status OpenTable(const std::string& path, TableOut& t) {
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) return OutputError(path + ": cannot create its folder: " + ec.message());
  t.path = path;
  t.part = path + ".part";
  t.file = std::fopen(t.part.c_str(), "wb");
  if (t.file == nullptr) return OutputError(path + ": cannot write: " + std::strerror(errno));
  t.buf.reserve(1 << 20);
  return Status::Ok();
}

// Closes the table and renames it into place; `ok` false (a failed spill) discards it.
Status CloseTable(TableOut& t, bool ok) {
  t.Flush(0);
  ok = ok && std::ferror(t.file) == 0;
  std::fclose(t.file);
  if (!ok || std::rename(t.part.c_str(), t.path.c_str()) != 0) {
    std::remove(t.part.c_str());
    return OutputError(t.path + ": write failed");
  }
  return Status::Ok();
}

// `v` as the CSV holds it: printed with `digits` decimals and read back (NaN stays NaN).
double Written(double v, int digits) {
  if (!std::isfinite(v)) return std::numeric_limits<double>::quiet_NaN();
  char buf[64];
  const auto end = fmt::format_to_n(buf, sizeof buf - 1, "{:.{}f}", v, digits).out;
  *end = '\0';
  return std::strtod(buf, nullptr);
}

// The in-memory copy of the rows, as schema::ReadFeatureCsv would read them from the CSV.
struct MemoryTable {
  schema::FeatureTable* table = nullptr;
  int64_t line = 1;  // the CSV's line of the row (the header is line 1)
  Status status;     // the first row the reader would have refused
  std::vector<double> v = std::vector<double>(schema::kFeatureChannels);
};

void AddToMemory(MemoryTable& m, const Record& r, const face::ScoredFace* sc, bool energy) {
  ++m.line;
  if (m.table == nullptr) return;
  ++m.table->rows;
  if (r.face_id < 0 || !r.success || !m.status.ok()) return;  // the reader keeps success = 1 rows
  internal::FeatureRow({r.pose, r.lm, r.motion, r.energy, sc, energy}, Written, m.v);
  m.status = schema::AppendFeatureRow(*m.table, r.face_id, Timestamp::FromSeconds(Written(r.ts, 6)), m.v,
                                  m.table->path + ": line " + std::to_string(m.line));
}

// One CSV row: identity, pose, landmarks, then the AU block and motion energy as asked.
void AppendRow(TableOut& t, MemoryTable& mem, const Record& rec, const face::ScoredFace* sc, const ExtractOptions& o) {
  FormatRow(t.buf, rec);
  if (o.action_units) FormatAus(t.buf, rec, sc, o.write_au_features);
  if (o.motion_energy) FormatEnergy(t.buf, rec);
  t.buf += '\n';
  AddToMemory(mem, rec, sc, o.motion_energy);
}

Record RecordOf(const io::Frame& frame, const face::StreamFace& f) {
  Record r;
  r.frame = frame.index + 1;
  r.ts = frame.pts.seconds();
  r.face_id = f.face_id;
  r.confidence = f.confidence;
  r.success = f.success ? 1 : 0;
  r.pose = f.pose;
  r.lm = f.landmarks;
  r.energy = f.energy;
  if (f.measured) r.features = f.features, r.motion = f.motion;
  return r;
}

// The offline neutral's second pass: each face's neutral fitted over all its frames, then
// the spilled rows scored and written in order.
Status ScoreSpilled(std::FILE* spill, bool spill_ok, const face::AuModel& model, const ExtractOptions& o,
                    std::map<int, std::vector<face::AuFeatures>>& features, std::map<int, std::vector<face::HeadPose>>& poses,
                    const std::optional<face::AuBaseline>& baseline_in, int bface, std::map<int, face::AuBaseline>& baselines,
                    TableOut& out, MemoryTable& mem) {
  for (const auto& [id, fv] : features) baselines[id] = face::FitAuBaseline(fv, poses[id], o.baseline);
  features.clear();
  poses.clear();
  if (baseline_in && bface >= 0) baselines[bface] = *baseline_in;
  spill_ok = spill_ok && std::fflush(spill) == 0 && std::fseek(spill, 0, SEEK_SET) == 0;
  std::map<int, face::AuScorer> scorers;
  Record rec;
  while (spill_ok && std::fread(&rec, sizeof rec, 1, spill) == 1) {
    const auto bl = rec.face_id >= 0 ? baselines.find(rec.face_id) : baselines.end();
    std::optional<face::ScoredFace> sc;
    if (rec.face_id >= 0 && rec.success && bl != baselines.end())
      sc = scorers[rec.face_id].Score(model, Timestamp{static_cast<int64_t>(std::llround(rec.ts * 1e6))}, rec.features, rec.pose,
                                      bl->second);
    AppendRow(out, mem, rec, sc ? &*sc : nullptr, o);
    out.Flush(1 << 19);
  }
  spill_ok = spill_ok && std::ferror(spill) == 0;
  std::fclose(spill);
  return spill_ok ? Status::Ok() : OutputError(o.output_csv + ": write failed (temporary file)");
}

// Decodes on its own thread into a bounded queue (decoding the next frames overlaps with
// face work on this one).
std::thread StartDecoder(io::FrameSource& source, FrameQueue& queue) {
  return std::thread([&source, &queue] {
    while (!queue.stopped()) {
      FrameQueue::Item it;
      auto r = source.Next(it.frame);
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
}

// The per-stream face options of an extraction of a source with this frame size.
face::FaceStreamOptions StreamOptionsFor(const ExtractOptions& o, const io::SourceInfo& info, bool offline,
                                         const std::optional<face::AuBaseline>& baseline_in) {
  face::FaceStreamOptions so;
  so.tracker = o.tracker;
  so.tracker.new_face_score = o.min_detection_score;
  so.width = info.width, so.height = info.height;
  so.fx = o.fx, so.fy = o.fy, so.cx = o.cx, so.cy = o.cy;
  so.action_units = o.action_units;
  so.score = o.action_units && !offline;
  so.baseline = o.baseline;
  if (!offline) so.baseline_in = baseline_in;  // offline: it replaces the fitted neutral later
  so.baseline_face = o.baseline_face >= 0 ? o.baseline_face : 0;
  so.motion_energy = o.motion_energy;
  so.motion_energy_options = o.motion_energy_options;
  return so;
}

// What the pass over the frames found.
struct FramePass {
  ExtractSummary sum;
  Status status;  // the decoder's or the face stream's error, if one stopped the pass
  std::map<int, int64_t> frames_per_face;
  // Offline mode: each face's measured features and poses, for the neutral fit.
  std::map<int, std::vector<face::AuFeatures>> face_features;
  std::map<int, std::vector<face::HeadPose>> face_poses;
  bool spill_ok = true;
};

// Every frame through the face stream: rows into out/mem, or (offline) records into spill.
FramePass PassOverFrames(io::FrameSource& source, face::FaceStream& stream, const ExtractOptions& o, bool offline, TableOut& out,
                         MemoryTable& mem, std::FILE* spill, const ProgressFn& progress, Clock::time_point t0) {
  FramePass pass;
  const io::SourceInfo info = source.info();
  // Expected span of input time, for the progress ETA: from --start to --end or the
  // declared duration, whichever comes first.
  double stop = info.declared_duration_s;
  if (o.input.end_s > 0) stop = stop > 0 ? std::min(stop, o.input.end_s) : o.input.end_s;
  const double expected = stop - o.input.start_s;
  auto emit = [&](const Record& rec, const face::ScoredFace* sc) {
    if (offline) pass.spill_ok = pass.spill_ok && std::fwrite(&rec, sizeof rec, 1, spill) == 1;
    else AppendRow(out, mem, rec, sc, o);
  };
  FrameQueue queue;
  std::thread decoder = StartDecoder(source, queue);
  auto last_progress = Clock::now();
  while (true) {
    FrameQueue::Item it = queue.Pop();
    if (it.end) {
      pass.status = it.status;
      break;
    }
    if (stream.NeedsColor()) io::EnsureBgr(it.frame);
    auto faces = stream.Process(it.frame.bgr, it.frame.gray, it.frame.pts);
    if (!faces.ok()) {
      pass.status = faces.status();
      break;
    }
    bool any = false;
    for (const auto& f : faces->faces) {
      any = any || f.success;
      if (f.success) ++pass.frames_per_face[f.face_id];
      if (offline && f.measured) pass.face_features[f.face_id].push_back(f.features), pass.face_poses[f.face_id].push_back(f.pose);
      emit(RecordOf(it.frame, f), f.scored ? &*f.scored : nullptr);
    }
    if (faces->faces.empty()) {
      // No face tracked in this frame: one row that says so.
      Record none;
      none.frame = it.frame.index + 1;
      none.ts = it.frame.pts.seconds();
      emit(none, nullptr);
    }
    if (any) ++pass.sum.frames_with_face;
    ++pass.sum.frames;
    out.Flush(1 << 19);
    if (progress && Clock::now() - last_progress > std::chrono::milliseconds(250)) {
      last_progress = Clock::now();
      progress({pass.sum.frames, it.frame.pts.seconds(), expected, std::chrono::duration<double>(last_progress - t0).count()});
    }
  }
  queue.Stop();
  // Unblock a decoder waiting on a full queue, then join it.
  decoder.join();
  return pass;
}

// The face the baseline options refer to: --baseline-face, else the face with the most frames.
int BaselineFace(const ExtractOptions& o, const std::map<int, int64_t>& frames_per_face) {
  int bface = o.baseline_face;
  if (bface < 0) {
    int64_t best = -1;
    for (const auto& [id, n] : frames_per_face)
      if (n > best) best = n, bface = id;
  }
  return bface;
}

// The metadata JSON, written whole or not at all.
Status WriteMetadataFile(const std::string& path, const nlohmann::json& j) {
  const std::string part = path + ".part";
  std::ofstream mj(part);
  mj << j.dump(2) << "\n";
  mj.close();
  if (!mj || std::rename(part.c_str(), path.c_str()) != 0) {
    std::remove(part.c_str());
    return OutputError(path + ": cannot write");
  }
  return Status::Ok();
}

}  // namespace

Result<ExtractSummary> RunExtract(const ExtractOptions& o, const ProgressFn& progress, schema::FeatureTable* table) {
  const auto t0 = Clock::now();
  // Two threads already share the cores (decoding, faces); OpenCV's own worker pool
  // would only contend with them. Set once per process: changing OpenCV's pool while
  // another extraction (audience runs several at once) is inside a parallel region
  // crashes OpenCV.
  static std::once_flag pool_once;
  std::call_once(pool_once, [] { cv::setNumThreads(2); });
  if (o.output_csv.empty()) return InvalidArgument("extract: no output CSV given (-o)");
  const bool aus = o.action_units;
  if (!o.baseline_in.empty() && !aus) return InvalidArgument("--baseline-in needs action units (not --no-aus)");
  if (!o.baseline_out.empty() && !aus) return InvalidArgument("--baseline-out needs action units (not --no-aus)");
  if (table != nullptr && !aus) return InvalidArgument("extract: a feature table needs action units (not --no-aus)");
  // Models first: a missing model is reported before any work.
  const std::string models_dir = o.models_dir.empty() ? DefaultModelsDir() : o.models_dir;
  face::DetectorOptions dopt;
  dopt.kind = o.detector;
  dopt.min_score = std::min(o.min_detection_score, o.tracker.confirm_score);
  auto models = LoadFaceModels(models_dir, dopt);
  if (!models.ok()) return models.status();
  std::optional<face::AuBaseline> baseline_in;
  if (!o.baseline_in.empty()) {
    auto b = LoadAuBaseline(o.baseline_in);
    if (!b.ok()) return b.status();
    baseline_in = *b;
  }
  auto source = io::FrameSource::Open(o.input);
  if (!source.ok()) return source.status();
  const io::SourceInfo info = (*source)->info();
  // A --start at or past the end of the video would give an empty table.
  if (o.input.start_s > 0 && info.declared_duration_s > 0 && o.input.start_s >= info.declared_duration_s)
    return InvalidArgument(fmt::format("{}: --start {:g} s is past the end of the video ({:.1f} s)", info.path, o.input.start_s,
                                       info.declared_duration_s));
  const bool offline = aus && o.baseline_mode == ExtractOptions::Baseline::kOffline;
  auto stream = face::FaceStream::Create(*models, StreamOptionsFor(o, info, offline, baseline_in));
  if (!stream.ok()) return stream.status();

  TableOut out;
  MIMICRY_RETURN_IF_ERROR(OpenTable(o.output_csv, out));
  MemoryTable mem;
  if (table != nullptr) {
    *table = schema::FeatureTable{};
    table->path = o.output_csv;
    table->format = "mimicry";
    mem.table = table;
  }
  WriteHeader(out.buf, aus, o.write_au_features, o.motion_energy);
  // Offline mode: records wait in an anonymous temporary file (deleted on close) until
  // every face's neutral is known; ~190 bytes per face-frame stay in memory for the fit.
  std::FILE* spill = offline ? std::tmpfile() : nullptr;
  if (offline && spill == nullptr) {
    (void)CloseTable(out, false);
    return OutputError(std::string("extract: cannot create a temporary file: ") + std::strerror(errno));
  }
  FramePass pass = PassOverFrames(**source, **stream, o, offline, out, mem, spill, progress, t0);
  const int bface = BaselineFace(o, pass.frames_per_face);
  std::map<int, face::AuBaseline> baselines;
  Status spilled;
  if (offline)
    spilled = ScoreSpilled(spill, pass.spill_ok, *(*stream)->au_model(), o, pass.face_features, pass.face_poses, baseline_in, bface,
                           baselines, out, mem);
  else if (aus)
    baselines = (*stream)->Baselines();
  MIMICRY_RETURN_IF_ERROR(CloseTable(out, spilled.ok()));

  ExtractSummary& sum = pass.sum;
  sum.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  sum.fps = sum.wall_s > 0 ? static_cast<double>(sum.frames) / sum.wall_s : 0;
  sum.faces = static_cast<int>(pass.frames_per_face.size());
  sum.csv_path = o.output_csv;
  sum.metadata_path = MetaPathFor(o);
  MIMICRY_RETURN_IF_ERROR(WriteMetadataFile(
      sum.metadata_path,
      Metadata(o, models_dir, *models, info, **stream, sum, pass.frames_per_face, baselines, bface, offline, pass.status)));
  if (!pass.status.ok()) return pass.status;
  MIMICRY_RETURN_IF_ERROR(mem.status);
  if (!o.baseline_out.empty()) {
    const auto b = baselines.find(bface);
    if (b == baselines.end() || b->second.frames == 0)
      return NoFace(o.baseline_out + ": no baseline to save: face " + std::to_string(bface) + " has no usable frames in " +
                    info.path);
    MIMICRY_RETURN_IF_ERROR(SaveAuBaseline(o.baseline_out, b->second, info.path, bface));
  }
  return sum;
}

}  // namespace mimicry::pipeline
