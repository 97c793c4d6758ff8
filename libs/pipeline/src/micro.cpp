#include "mimicry/pipeline/micro.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "mimicry/core/csv.h"
#include "inputs.h"

namespace mimicry::pipeline {
namespace fs = std::filesystem;

Result<MicroResult> RunMicro(const MicroOptions& o, const std::function<void(const std::string&, double)>& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.inputs.empty()) return InvalidArgument("micro: no input given");
  if (o.output_csv.empty()) return InvalidArgument("micro: no output given (-o)");
  const fs::path out(o.output_csv);
  const std::string cache_dir = (out.parent_path() / (out.stem().string() + ".extract")).string();
  std::string csv = "source,face_id,kind,onset_s,apex_s,offset_s,duration_s,aus,intensity,confidence,regions\n";
  MicroResult r;
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    const std::string& in = o.inputs[i];
    if (progress) progress("reading " + fs::path(in).filename().string(), static_cast<double>(i) / static_cast<double>(o.inputs.size()));
    auto t = internal::LoadInput(in, cache_dir, o.extract, "", progress ? internal::StageProgress(progress) : internal::StageProgress());
    if (!t.ok()) return t.status();
    const std::string source = fs::path(in).stem().string();
    for (const auto& [face_id, s] : t->faces) {
      if (s.size() < 3) continue;
      std::vector<double> times(s.size());
      for (size_t k = 0; k < s.size(); ++k) times[k] = s.time(k).seconds();
      std::vector<std::vector<float>> aus;
      for (int c = 0; c < schema::kNumAus; ++c) {  // AU01_r .. AU45_r, the first channels (schema/feature_table.h)
        std::vector<float> v(s.size());
        for (size_t k = 0; k < s.size(); ++k) v[k] = static_cast<float>(s.value(k, static_cast<size_t>(c)));
        aus.push_back(std::move(v));
      }
      // Region-wise appearance change (mimicry extract's mot_* columns); none for OpenFace input.
      std::vector<std::vector<float>> regions;
      for (int r = 0; r < schema::kMotionChannels; ++r) {
        const int c = schema::kFirstMotionChannel + r;  // mot_<region>, kRegionNames order
        if (c < 0) break;
        std::vector<float> v(s.size());
        bool any = false;
        for (size_t k = 0; k < s.size(); ++k) {
          v[k] = static_cast<float>(s.value(k, static_cast<size_t>(c)));
          any = any || std::isfinite(v[k]);
        }
        if (!any) break;
        regions.push_back(std::move(v));
      }
      if (regions.size() != micro::kNumRegions) regions.clear();
      std::vector<float> pitch(s.size()), yaw(s.size());
      const int rx = s.ChannelIndex("pose_Rx"), ry = s.ChannelIndex("pose_Ry");
      for (size_t k = 0; k < s.size(); ++k) {
        pitch[k] = rx >= 0 ? static_cast<float>(s.value(k, static_cast<size_t>(rx))) : NAN;
        yaw[k] = ry >= 0 ? static_cast<float>(s.value(k, static_cast<size_t>(ry))) : NAN;
      }
      r.seconds += times.back() - times.front();
      for (const auto& x : micro::Spot(times, aus, regions, pitch, yaw, o.spot)) {
        if (x.kind == micro::Kind::kBlink && !o.include_blinks) continue;
        (x.kind == micro::Kind::kMicro ? r.micro : x.kind == micro::Kind::kMacro ? r.macro : r.blinks)++;
        std::string a;
        for (int au : x.aus) a += (a.empty() ? "" : "+") + fmt::format("AU{:02d}", au);
        std::string rg;
        for (const auto& g : x.regions) rg += (rg.empty() ? "" : "+") + g;
        csv += fmt::format("{},{},{},{:.3f},{:.3f},{:.3f},{:.3f},{},{:.2f},{:.2f},{}\n", CsvField(source), face_id, micro::KindName(x.kind),
                           x.onset_s, x.apex_s, x.offset_s, x.offset_s - x.onset_s, a, x.intensity, x.confidence, rg);
      }
    }
  }
  MIMICRY_RETURN_IF_ERROR(internal::WriteText(o.output_csv, csv));
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace mimicry::pipeline
