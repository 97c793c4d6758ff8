// mimicry micro: spot micro- and macro-expressions; mimicry eval-spotting: score them.
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "cli.h"
#include "mimicry/micro/eval.h"
#include "mimicry/pipeline/micro.h"

namespace mimicry::app {
namespace {
struct MicroArgs {
  pipeline::MicroOptions mo;
  bool quiet = false, no_pose = false, no_median = false;
  std::string detector = "blazeface";
};

int RunMicroCommand(MicroArgs& a) {
  auto& mo = a.mo;
  if (auto st = ApplyDetector(a.detector, mo.extract); !st.ok()) return Fail(st);
  mo.spot.pose_correction = !a.no_pose;
  mo.spot.median3 = !a.no_median;
  Progress bar(a.quiet);
  auto r = pipeline::RunMicro(mo, StageProgress(bar));
  bar.Finish();
  if (!r.ok()) return Fail(r.status());
  if (!a.quiet)
    std::fprintf(stderr, "micro: %d micro, %d macro, %d blinks in %.0f s of face time (%.1f per minute) -> %s (%.1f s)\n", r->micro,
                 r->macro, r->blinks, r->seconds, r->seconds > 0 ? 60.0 * (r->micro + r->macro) / r->seconds : 0.0,
                 mo.output_csv.c_str(), r->wall_s);
  return kExitOk;
}

struct EvalArgs {
  std::string pred, truth;
  double fps = 30;
  bool json = false;
};

int RunEvalCommand(const EvalArgs& a) {
  auto pred = micro::ReadIntervals(a.pred);
  if (!pred.ok()) return Fail(pred.status());
  auto truth = micro::ReadIntervals(a.truth);
  if (!truth.ok()) return Fail(truth.status());
  if (auto st = micro::CheckCommonSources(*pred, *truth, a.pred, a.truth); !st.ok()) return Fail(st);
  const auto sc = micro::Evaluate(*pred, *truth, a.fps);
  if (a.json) {
    auto obj = [](const micro::ClassScore& c) {
      return fmt::format("{{\"precision\": {:.4f}, \"recall\": {:.4f}, \"f1\": {:.4f}, \"truth\": {}, \"predicted\": {}, \"matched\": {}}}",
                         c.precision, c.recall, c.f1, c.truth, c.predicted, c.matched);
    };
    std::printf("{\"micro\": %s, \"macro\": %s, \"overall\": %s}\n", obj(sc.micro).c_str(), obj(sc.macro).c_str(), obj(sc.overall).c_str());
    return kExitOk;
  }
  auto row = [](const char* name, const micro::ClassScore& c) {
    return fmt::format("{:<8} {:>6} {:>6} {:>6} {:>9.3f} {:>7.3f} {:>6.3f}\n", name, c.truth, c.predicted, c.matched, c.precision, c.recall, c.f1);
  };
  std::printf("%s", (fmt::format("{:<8} {:>6} {:>6} {:>6} {:>9} {:>7} {:>6}\n", "class", "truth", "pred", "TP", "precision", "recall", "F1") +
                     row("micro", sc.micro) + row("macro", sc.macro) + row("overall", sc.overall))
                        .c_str());
  return kExitOk;
}
}  // namespace

Command AddMicro(CLI::App& app) {
  auto a = std::make_shared<MicroArgs>();
  auto& mo = a->mo;
  auto* sub = app.add_subcommand("micro", "Spot micro- and macro-expressions (onset, apex, offset) in recordings");
  sub->add_option("inputs", mo.inputs, "Videos or feature CSVs")->required();
  sub->add_option("-o,--output", mo.output_csv, "Output CSV (docs/micro.md)")->required();
  sub->add_option("--micro-max", mo.spot.micro_max_s, "Longest micro-expression (s)")->capture_default_str();
  sub->add_option("--micro-min", mo.spot.micro_min_s, "Shortest movement reported (s)")->capture_default_str();
  sub->add_option("--macro-max", mo.spot.macro_max_s, "Longest macro-expression (s)")->capture_default_str();
  sub->add_option("-p,--threshold-p", mo.spot.p, "Adaptive threshold: mean + p (max - mean)")->capture_default_str();
  sub->add_option("--min-rise", mo.spot.min_rise, "Absolute floor of the threshold (rise in units of the AU's frame-to-frame noise)")
      ->capture_default_str();
  sub->add_option("--edge", mo.spot.edge_fraction, "Onset/offset where the signal falls below this share of the apex")->capture_default_str();
  sub->add_option("--edge-threshold", mo.spot.edge_threshold_fraction, "... and below this share of the threshold")->capture_default_str();
  sub->add_option("--region-weight", mo.spot.region_weight, "Weight of the region-wise appearance change next to the AUs (0 = AUs only)")
      ->capture_default_str()->check(NonNegative());
  sub->add_flag("--no-glitch-filter", a->no_median,
                "No 3-sample median on the input series (keeps one-frame movements, and one-frame landmark glitches)");
  sub->add_flag("--no-pose-correction", a->no_pose,
                "Keep what the head's deviation from its recent pose explains in the AU and region rises");
  sub->add_option("--head-turn", mo.spot.head_turn_deg,
                  "Head turned further than this (degrees) from its median pose: only strong movements count")
      ->capture_default_str()->check(Positive());
  sub->add_option("--merge-gap", mo.spot.merge_gap_s, "Movements closer than this (s) are one")->capture_default_str()->check(NonNegative());
  sub->add_option("--cap-sd", mo.spot.cap_sd, "Threshold at most the fused signal's median + this many robust SDs (0 = no cap)")
      ->capture_default_str()->check(NonNegative());
  sub->add_option("--edge-smooth", mo.spot.edge_smooth, "Samples the signal is smoothed over for the onset/offset search (odd)")
      ->capture_default_str()->check(CLI::Range(1, 31));
  AddVideoInputOptions(sub, a->detector, mo.extract);
  AddQuiet(sub, a->quiet);
  return {sub, [a] { return RunMicroCommand(*a); }};
}

Command AddEvalSpotting(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* sub = app.add_subcommand("eval-spotting", "Score spotted intervals against ground truth (MEGC protocol: IoU >= 0.5 on frames)");
  sub->add_option("--pred", a->pred, "Predicted intervals: mimicry micro's CSV (source, kind, onset_s, offset_s)")->required();
  sub->add_option("--truth", a->truth, "Ground truth: synth's truth.json or a CSV (source, kind, onset_s, offset_s)")->required();
  sub->add_option("--fps", a->fps, "Frame rate for IoU on frames")->capture_default_str()->check(Positive());
  sub->add_flag("--json", a->json, "Print {micro: {precision, recall, f1}, macro: {...}, overall: {...}}");
  return {sub, [a] { return RunEvalCommand(*a); }};
}

}  // namespace mimicry::app
