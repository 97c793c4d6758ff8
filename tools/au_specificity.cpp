// au_specificity OUT_DIR [--faces N] [--first K] [--head DEG] [--intensity I] [--seed S] [--reuse]
//
// Prints the action-unit specificity sweep of docs/action_units.md#specificity
// (pipeline::RunAuCheck): on N face photos (the audience preset's, from the K-th on), each AU alone and each EMFACS prototype at
// intensity I (default 4) under head motion of +-DEG degrees (default 0, a still head):
//  - the crosstalk matrix (every AU's mean reading at the apex; driven AUs in bold), the
//    largest reading of an AU not driven (worst face) and the driven AUs' smallest mean,
//    with extract's own fitted neutral and with each face's true neutral;
//  - the pose shift at the apex (degrees, worst face).
// --reuse keeps the videos and tables already in OUT_DIR.
#include <algorithm>
#include <cstdio>
#include <string>

#include "mimicry/core/csv.h"
#include "mimicry/pipeline/au_check.h"
#include "mimicry/pipeline/synth.h"

using namespace mimicry;  // NOLINT

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: au_specificity OUT_DIR [--faces N] [--first K] [--head DEG] [--intensity I] [--seed S] [--reuse]\n");
    return 2;
  }
  pipeline::AuCheckOptions o;
  o.work_dir = argv[1];
  int n_faces = 3, first = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reuse") {
      o.reuse = true;
      continue;
    }
    if (a != "--faces" && a != "--first" && a != "--head" && a != "--intensity" && a != "--seed") {
      std::fprintf(stderr, "au_specificity: unknown argument %s\n", a.c_str());
      return 2;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "au_specificity: %s needs a value\n", a.c_str());
      return 2;
    }
    const std::string v = argv[++i];
    double x = 0;
    if (!ParseNumber(v, x) || x < 0) {
      std::fprintf(stderr, "au_specificity: %s must be a number >= 0, got %s\n", a.c_str(), v.c_str());
      return 2;
    }
    if (a == "--faces") n_faces = static_cast<int>(x);
    else if (a == "--first") first = static_cast<int>(x);
    else if (a == "--head") o.head_motion_deg = x;
    else if (a == "--intensity") o.intensity = x;
    else o.seed = static_cast<uint64_t>(x);
  }
  // The audience preset's photos hold the most distinct faces (bald_guys is a group).
  int index = 0;
  for (const auto& f : pipeline::DefaultFaces("audience"))
    if (f.find("bald_guys") == std::string::npos && index++ >= first && static_cast<int>(o.faces.size()) < n_faces)
      o.faces.push_back(f);
  auto r = pipeline::RunAuCheck(o);
  if (!r.ok()) {
    std::fprintf(stderr, "au_specificity: %s\n", r.status().message().c_str());
    return r.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  const char* variant[2] = {"extract's own neutral", "true neutral (neutral frames)"};
  for (int v = 0; v < 2; ++v) {
    const auto& mean = v == 0 ? r->mean : r->mean_true_neutral;
    const auto& worst = v == 0 ? r->worst : r->worst_true_neutral;
    std::printf("\n## Crosstalk, %s: mean reading at the apex over %d face(s), head +-%.0f deg, intensity %.1f\n\n",
                variant[v], r->faces, o.head_motion_deg, o.intensity);
    std::printf("| condition |");
    for (int code : face::kAuCodes) std::printf(" %d |", code);
    std::printf(" max other (worst face) | min driven |\n|---|");
    for (size_t j = 0; j < face::kAuCodes.size(); ++j) std::printf("---|");
    std::printf("---|---|\n");
    double overall = 0;
    int over1 = 0, cells = 0;
    for (size_t k = 0; k < r->conditions.size(); ++k) {
      const auto& c = r->conditions[k];
      std::printf("| %s |", c.name.c_str());
      double mo = 0, md = 99;
      int mo_au = 0;
      for (size_t j = 0; j < face::kAuCodes.size(); ++j) {
        const int code = face::kAuCodes[j];
        const bool driven = std::find(c.aus.begin(), c.aus.end(), code) != c.aus.end();
        std::printf(driven ? " **%.1f** |" : " %.1f |", mean[k][j]);
        if (driven) {
          md = std::min(md, mean[k][j]);
          continue;
        }
        ++cells;
        if (mean[k][j] >= 1.0) ++over1;
        if (worst[k][j] > mo) {
          mo = worst[k][j];
          mo_au = code;
        }
      }
      overall = std::max(overall, mo);
      std::printf(" %.2f (AU%d) | %.2f |\n", mo, mo_au, md);
    }
    std::printf("\n[ figures ] %s: largest off-driven reading %.2f (worst face); %d of %d off-driven mean readings >= 1.0\n",
                variant[v], overall, over1, cells);
  }
  // What the landmark model sees of each field, per geometric feature: the least-squares
  // ratio seen/drawn over the single-AU conditions (intensity-scaled drawn response).
  std::printf("\n## Seen / drawn per geometric feature (single-AU conditions)\n\n");
  const auto names = face::AuFeatureNames();
  for (int j = 0; j < face::kFirstAppearanceFeature; ++j) {
    double sd = 0, dd = 0;
    for (size_t k = 0; k < r->conditions.size(); ++k) {
      if (r->conditions[k].aus.size() != 1) continue;
      const int ai = face::AuIndex(r->conditions[k].aus[0]);
      const double drawn = r->drawn[static_cast<size_t>(ai)][static_cast<size_t>(j)] * o.intensity / 5.0;
      sd += r->seen[k][static_cast<size_t>(j)] * drawn;
      dd += drawn * drawn;
    }
    std::printf("%-16s %6.2f  (drawn energy %.1f mm^2)\n", names[static_cast<size_t>(j)], dd > 0 ? sd / dd : 0.0, dd);
  }
  std::printf("\n## Pose at the apex minus the neutral pose (deg, worst face): pitch yaw roll\n\n");
  for (size_t k = 0; k < r->conditions.size(); ++k)
    std::printf("%-26s %5.2f %5.2f %5.2f\n", r->conditions[k].name.c_str(), r->pose_shift_deg[k][0],
                r->pose_shift_deg[k][1], r->pose_shift_deg[k][2]);
  return 0;
}
