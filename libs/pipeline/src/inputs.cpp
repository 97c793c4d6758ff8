#include "inputs.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include "mimicry/face/expression.h"
#include "mimicry/face/facs.h"

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
  return c;
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
  face::HeadGesture gesture;
  for (size_t i = 0; i < n; ++i) {
    const float a6 = u.data[i6][i], a12 = u.data[i12][i];
    if (std::isfinite(a6) && std::isfinite(a12)) u.data[c_smile][i] = 0.5f * (a6 + a12);
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
      for (size_t s = 0; s < face::kSidedAus.size(); ++s)
        a.left[s] = a.right[s] = a.r[static_cast<size_t>(face::AuIndex(face::kSidedAus[s]))];
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

// Reads one input: a feature CSV as is, a video through extract (cached).
Result<io::FeatureTable> LoadInput(const std::string& path, const std::string& out_dir, const ExtractOptions& extract,
                                   const std::string& cache_name, const StageProgress& progress) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".csv") return io::ReadFeatureCsv(path);
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + ": no such file");
  const fs::path cache = fs::path(out_dir) / "extract" / ((cache_name.empty() ? fs::path(path).stem().string() : cache_name) + ".csv");
  fs::create_directories(cache.parent_path(), ec);
  const bool fresh = fs::exists(cache, ec) && fs::last_write_time(cache, ec) >= fs::last_write_time(path, ec) &&
                     fs::exists(fs::path(cache).replace_extension(".meta.json"), ec);
  if (!fresh) {
    ExtractOptions e = extract;
    e.input.path = path;
    e.output_csv = cache.string();
    e.metadata_json.clear();
    const std::string stage = "extracting " + fs::path(path).filename().string();
    auto r = RunExtract(e, [&](const ExtractProgress& p) {
      if (progress && p.duration_s > 0) progress(stage, std::min(1.0, p.pts_s / p.duration_s));
    });
    if (!r.ok()) return r.status();
    if (r->frames_with_face == 0) return NoFace(path + ": no face found");
  }
  return io::ReadFeatureCsv(cache.string());
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  f.close();
  if (!f) return OutputError(path + ": cannot write");
  return Status::Ok();
}

}  // namespace mimicry::pipeline::internal
