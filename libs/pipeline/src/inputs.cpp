#include "inputs.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mimicry/face/detector.h"
#include "mimicry/face/expression.h"
#include "mimicry/face/facs.h"
#include "mimicry/stats/descriptive.h"
#include "mimicry/sync/events.h"

namespace mimicry::pipeline::internal {
namespace fs = std::filesystem;
namespace {
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
}  // namespace

// Channels every participant gets, in this order: the 17 AUs, then derived ones.
std::vector<std::string> ChannelNames() {
  std::vector<std::string> c;
  for (int au : face::kAuCodes) c.push_back(fmt::format("AU{:02d}", au));
  for (const char* d : {"smile", "valence", "head_nod", "head_shake"}) c.emplace_back(d);
  for (const char* a : schema::kAffectClasses) c.push_back(std::string("affect_") + a);
  return c;
}

bool Pooled(const std::string& channel) {
  return (channel.rfind("AU", 0) == 0 && channel != "AU45") || channel.rfind("affect_", 0) == 0;
}
SideChannels SideChannelsOf(const series::Uniform& in) {
  SideChannels c;
  for (size_t s = 0; s < face::kSidedAus.size(); ++s) {
    c.left[s] = in.ChannelIndex(fmt::format("AU{:02d}_r_L", face::kSidedAus[s]));
    c.right[s] = in.ChannelIndex(fmt::format("AU{:02d}_r_R", face::kSidedAus[s]));
  }
  return c;
}

void SidesOf(const series::Uniform& in, const SideChannels& c, size_t i, face::AuIntensities& a) {
  for (size_t s = 0; s < face::kSidedAus.size(); ++s) {
    const float both = a.r[static_cast<size_t>(face::AuIndex(face::kSidedAus[s]))];
    const float l = c.left[s] >= 0 ? in.data[static_cast<size_t>(c.left[s])][i] : kNaNf;
    const float r = c.right[s] >= 0 ? in.data[static_cast<size_t>(c.right[s])][i] : kNaNf;
    // Both sides known: as measured; otherwise (OpenFace, py-feat) the AU's one intensity for both.
    const bool sided = std::isfinite(l) && std::isfinite(r);
    a.left[s] = sided ? l : both;
    a.right[s] = sided ? r : both;
  }
}

// Raw channels on the common clock plus smile, valence, head nod and shake.
series::Uniform Derive(const TimeSeries& raw, double offset_s, double t0, size_t n, double rate_hz, double max_gap_s) {
  series::ResampleOptions ro;
  ro.rate_hz = rate_hz;
  ro.max_gap_s = max_gap_s;
  series::Uniform in = series::Resample(raw, offset_s, t0, n, ro);
  series::Uniform u;
  u.t0_s = t0;
  u.rate_hz = rate_hz;
  u.channels = ChannelNames();
  u.data.assign(u.channels.size(), std::vector<float>(n, kNaNf));
  for (int k = 0; k < face::kNumAus; ++k) u.data[static_cast<size_t>(k)] = in.data[static_cast<size_t>(k)];
  const size_t i6 = static_cast<size_t>(face::AuIndex(6)), i12 = static_cast<size_t>(face::AuIndex(12));
  const size_t c_smile = face::kNumAus, c_val = c_smile + 1, c_nod = c_smile + 2, c_shake = c_smile + 3;
  const int rx = in.ChannelIndex("pose_Rx"), ry = in.ChannelIndex("pose_Ry"), rz = in.ChannelIndex("pose_Rz");
  // Affect channels: per class, the largest intensity of the AUs of its actions (sync/events.h).
  std::vector<std::vector<size_t>> affect_aus(schema::kAffectClasses.size());
  for (size_t k = 0; k < schema::kAffectClasses.size(); ++k)
    for (const auto& act : sync::Actions())
      if (std::string(act.affect) == schema::kAffectClasses[k])
        for (int au : act.aus)
          if (au != 0) affect_aus[k].push_back(static_cast<size_t>(face::AuIndex(au)));
  const size_t c_aff = c_shake + 1;
  face::HeadGesture gesture;
  const SideChannels sides = SideChannelsOf(in);
  for (size_t i = 0; i < n; ++i) {
    const float a6 = u.data[i6][i], a12 = u.data[i12][i];
    if (std::isfinite(a6) && std::isfinite(a12)) u.data[c_smile][i] = 0.5f * (a6 + a12);
    for (size_t k = 0; k < schema::kAffectClasses.size(); ++k) {
      float m = kNaNf;
      for (size_t au : affect_aus[k]) {
        const float v = u.data[au][i];
        if (!std::isfinite(v)) {
          m = kNaNf;
          break;
        }
        m = std::isfinite(m) ? std::max(m, v) : v;
      }
      u.data[c_aff + k][i] = m;
    }
    face::AuIntensities a;
    bool ok = true;
    for (int k = 0; k < face::kNumAus; ++k) {
      const float v = u.data[static_cast<size_t>(k)][i];
      if (!std::isfinite(v)) {
        ok = false;
        break;
      }
      a.r[static_cast<size_t>(k)] = v;
    }
    if (ok) {
      SidesOf(in, sides, i, a);
      u.data[c_val][i] = face::EmotionsFromAus(a).valence;
    }
    const float px = rx >= 0 ? in.data[static_cast<size_t>(rx)][i] : kNaNf;
    const float py = ry >= 0 ? in.data[static_cast<size_t>(ry)][i] : kNaNf;
    if (std::isfinite(px) && std::isfinite(py)) {
      face::HeadPose hp;
      hp.r_rad = {px, py, rz >= 0 && std::isfinite(in.data[static_cast<size_t>(rz)][i]) ? in.data[static_cast<size_t>(rz)][i] : 0.0};
      const auto g = gesture.Update(Timestamp::FromSeconds(t0 + static_cast<double>(i) / rate_hz), hp);
      u.data[c_nod][i] = g.nod;
      u.data[c_shake][i] = g.shake;
    } else {
      gesture.Reset();
    }
  }
  return u;
}

// What an extraction depends on: the input's identity (full path, size, modification time),
// every option that changes its rows, and the models (folder, and each file's size and time).
std::string CacheKey(const std::string& path, const ExtractOptions& e) {
  std::error_code ec;
  auto file = [&](const fs::path& p) {
    const auto canon = fs::weakly_canonical(p, ec);
    const auto size = fs::file_size(p, ec);
    const auto mtime = fs::last_write_time(p, ec).time_since_epoch().count();
    return nlohmann::json{{"path", canon.string()}, {"size", ec ? 0 : size}, {"mtime", static_cast<int64_t>(mtime)}};
  };
  const std::string models = e.models_dir.empty() ? DefaultModelsDir() : e.models_dir;
  nlohmann::json m = nlohmann::json::array();
  for (const auto& entry : fs::directory_iterator(models, ec))
    if (entry.is_regular_file(ec)) m.push_back(file(entry.path()));
  std::sort(m.begin(), m.end(), [](const nlohmann::json& a, const nlohmann::json& b) { return a["path"] < b["path"]; });
  const auto& t = e.tracker;
  nlohmann::json k = {{"input", file(path)},
                      {"start_s", e.input.start_s},
                      {"end_s", e.input.end_s},
                      {"sequence_fps", e.input.sequence_fps},
                      {"apply_rotation", e.input.apply_rotation},
                      {"detector", face::DetectorKindName(e.detector)},
                      {"min_detection_score", e.min_detection_score},
                      {"tracker", {t.max_faces, t.detect_every, t.max_detector_misses, t.reid_seconds, t.new_face_score, t.confirm_score,
                                   t.min_face_px, t.min_confidence}},
                      {"intrinsics", {e.fx, e.fy, e.cx, e.cy}},
                      {"action_units", e.action_units},
                      {"mimicry", MIMICRY_VERSION},
                      {"motion_energy",
                       e.motion_energy ? nlohmann::json{e.motion_energy_options.max_width_px, e.motion_energy_options.threshold,
                                                        e.motion_energy_options.head_scale, e.motion_energy_options.body_width,
                                                        e.motion_energy_options.body_height, e.motion_energy_options.max_step_factor}
                                       : nlohmann::json(false)},
                      {"baseline_mode", e.baseline_mode == ExtractOptions::Baseline::kOffline ? "offline" : "online"},
                      {"baseline_in", e.baseline_in.empty() ? nlohmann::json(nullptr) : file(e.baseline_in)},
                      {"models", m}};
  return k.dump();
}

// Reads one input: a feature CSV as is, a video through extract (its table kept in memory
// as written), cached under OUT/extract/<name>.csv and read from there on a later run only
// when its metadata holds the same CacheKey.
Result<schema::FeatureTable> LoadInput(const std::string& path, const std::string& out_dir, const ExtractOptions& extract,
                                   const std::string& cache_name, const StageProgress& progress) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".csv") return schema::ReadFeatureCsv(path);
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + ": no such file");
  const fs::path cache = fs::path(out_dir) / "extract" / ((cache_name.empty() ? fs::path(path).stem().string() : cache_name) + ".csv");
  fs::create_directories(cache.parent_path(), ec);
  const std::string key = CacheKey(path, extract);
  const fs::path meta = fs::path(cache).replace_extension(".meta.json");
  bool fresh = false;
  if (fs::exists(cache, ec) && fs::exists(meta, ec)) {
    std::ifstream in(meta);
    const auto j = nlohmann::json::parse(in, nullptr, false);
    fresh = !j.is_discarded() && j.is_object() && j.contains("cache_key") && j["cache_key"] == nlohmann::json::parse(key);
  }
  if (!fresh) {
    // Remove what a different input or other options left, so that a failed extraction can
    // never leave it to be read.
    fs::remove(cache, ec);
    fs::remove(meta, ec);
    ExtractOptions e = extract;
    e.input.path = path;
    e.output_csv = cache.string();
    e.metadata_json.clear();
    e.cache_key = key;
    const std::string stage = "extracting " + fs::path(path).filename().string();
    schema::FeatureTable table;  // the rows as written: the CSV is not read back
    auto r = RunExtract(
        e,
        [&](const ExtractProgress& p) {
          if (progress && p.duration_s > 0) progress(stage, std::min(1.0, p.pts_s / p.duration_s));
        },
        &table);
    if (!r.ok()) return r.status();
    if (r->frames_with_face == 0) return NoFace(path + ": no face found");
    return table;
  }
  return schema::ReadFeatureCsv(cache.string());
}

const TimeSeries* MainFace(const schema::FeatureTable& t, int* id) {
  size_t most = 0;
  for (const auto& [fid, s] : t.faces) most = std::max(most, s.size());
  const TimeSeries* best = nullptr;
  double best_size = -1;
  for (const auto& [fid, s] : t.faces) {
    if (s.empty() || s.size() * 10 < most * 9) continue;
    std::vector<double> sz;
    for (size_t k = 0; k < s.size(); k += 10) sz.push_back(s.value(k, schema::kFaceSizeChannel));
    const double med = stats::Median(sz);  // NaN-aware; NaN when no size is known
    const double size = std::isfinite(med) ? med : 0.0;
    if (best == nullptr || size > best_size) {
      best = &s, best_size = size;
      if (id != nullptr) *id = fid;
    }
  }
  return best;
}

Status WriteText(const std::string& path, const std::string& text) {
  // Written next to its place and renamed when complete: an interrupted run leaves no
  // half-written file under the real name.
  const std::string part = path + ".part";
  std::ofstream f(part);
  f << text;
  f.close();
  std::error_code ec;
  if (f) fs::rename(part, path, ec);
  if (!f || ec) {
    fs::remove(part, ec);
    return OutputError(path + ": cannot write");
  }
  return Status::Ok();
}

Status OutputFiles::Write(const std::string& name, std::string text) {
  MIMICRY_RETURN_IF_ERROR(WriteText((fs::path(dir_) / name).string(), text));
  files_[name] = std::move(text);
  return Status::Ok();
}

}  // namespace mimicry::pipeline::internal
