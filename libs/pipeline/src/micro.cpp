#include "mimicry/pipeline/micro.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "mimicry/core/csv.h"
#include "inputs.h"
#include "mimicry/micro/features.h"

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
      r.seconds += s.time(s.size() - 1).seconds() - s.time(0).seconds();
      for (const auto& x : micro::SpotFeatureSeries(s, o.spot)) {
        if (x.kind == micro::Kind::kBlink && !o.include_blinks) continue;
        (x.kind == micro::Kind::kMicro ? r.micro : x.kind == micro::Kind::kMacro ? r.macro : r.blinks)++;
        std::string a;
        for (int au : x.aus) a += (a.empty() ? "" : "+") + schema::AuName(au);
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
