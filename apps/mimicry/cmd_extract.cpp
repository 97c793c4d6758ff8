// mimicry extract: per-frame faces, landmarks, pose and action units -> CSV + metadata JSON.
#include <cstdio>
#include <memory>

#include "cli.h"
#include "mimicry/pipeline/extract.h"

namespace mimicry::app {
namespace {
struct ExtractArgs {
  pipeline::ExtractOptions ex;
  std::string detector = "blazeface";
  std::string baseline_mode = "offline";
  bool quiet = false;
};

int RunExtractCommand(ExtractArgs& a, const std::string& command_line) {
  auto& ex = a.ex;
  if (auto st = ApplyDetector(a.detector, ex); !st.ok()) return Fail(st);
  ex.command_line = command_line;
  ex.baseline_mode = a.baseline_mode == "online" ? pipeline::ExtractOptions::Baseline::kOnline
                                                 : pipeline::ExtractOptions::Baseline::kOffline;
  Progress bar(a.quiet);
  auto r = pipeline::RunExtract(ex, [&](const pipeline::ExtractProgress& p) {
    bar.Update(p.frames, p.pts_s, p.duration_s, p.elapsed_s);
  });
  bar.Finish();
  if (!r.ok()) return Fail(r.status());
  if (r->frames_with_face == 0) {
    std::fprintf(stderr, "mimicry: warning: %s: no face found in %lld frames; %s has success=0 rows only\n",
                 ex.input.path.c_str(), static_cast<long long>(r->frames), r->csv_path.c_str());
    return kExitNoFace;
  }
  if (!a.quiet)
    std::fprintf(stderr, "%s: %lld frames, %lld with a face (%.1f%%), %d face id(s), %.2f s, %.0f fps -> %s\n",
                 ex.input.path.c_str(), static_cast<long long>(r->frames), static_cast<long long>(r->frames_with_face),
                 r->frames ? 100.0 * static_cast<double>(r->frames_with_face) / static_cast<double>(r->frames) : 0.0,
                 r->faces, r->wall_s, r->fps, r->csv_path.c_str());
  return kExitOk;
}
}  // namespace

Command AddExtract(CLI::App& app, const std::string& command_line) {
  auto a = std::make_shared<ExtractArgs>();
  auto& ex = a->ex;
  auto* sub = app.add_subcommand("extract", "Per-frame faces, 68 landmarks and head pose -> CSV + metadata JSON");
  sub->add_option("input", ex.input.path, "Video file, folder of images, or one image")->required();
  sub->add_option("-o,--output", ex.output_csv, "Output CSV (a .meta.json sidecar is written beside it)")->required();
  sub->add_option("--start", ex.input.start_s, "Start at this time (s, on the input's clock)")->check(NonNegative());
  sub->add_option("--end", ex.input.end_s, "Stop before this time (s); 0 = to the end")->check(NonNegative());
  sub->add_option("--detector", a->detector, "blazeface (default), blazeface-back (small faces) or hog")
      ->check(CLI::IsMember({"blazeface", "blazeface-back", "hog"}));
  sub->add_option("--min-score", ex.min_detection_score, "Detector score threshold (0-1)")->capture_default_str();
  sub->add_option("--max-faces", ex.tracker.max_faces, "Track at most N faces")->capture_default_str()->check(Positive());
  sub->add_option("--detect-every", ex.tracker.detect_every, "Run the detector every N frames while tracking")
      ->capture_default_str()->check(Positive());
  sub->add_option("--reid-seconds", ex.tracker.reid_seconds, "Keep a lost face's ID for this long")
      ->capture_default_str()->check(NonNegative());
  sub->add_option("--min-confidence", ex.tracker.min_confidence, "success=1 needs at least this confidence")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  sub->add_option("--fx", ex.fx, "Focal length x (px); default 500*width/640");
  sub->add_option("--fy", ex.fy, "Focal length y (px); default = fx");
  sub->add_option("--cx", ex.cx, "Principal point x (px); default width/2");
  sub->add_option("--cy", ex.cy, "Principal point y (px); default height/2");
  sub->add_option("--sequence-fps", ex.input.sequence_fps, "Image folders only: frames per second")
      ->capture_default_str()->check(Positive());
  sub->add_flag("--no-rotate", [a](int64_t) { a->ex.input.apply_rotation = false; },
                "Ignore the container's rotation metadata");
  sub->add_option("--metadata", ex.metadata_json, "Metadata JSON path (default: OUT.meta.json)");
  sub->add_option("--models-dir", ex.models_dir, "Folder with the model files (default: build/models)");
  AddQuiet(sub, a->quiet, "No progress and no summary on stderr");
  sub->add_flag("--no-aus", [a](int64_t) { a->ex.action_units = false; },
                "Landmarks and pose only: no action units, emotions or head gestures");
  sub->add_option("--baseline", a->baseline_mode,
                  "Neutral per person: offline (two passes over the file) or online (running, for live use)")
      ->capture_default_str()->check(CLI::IsMember({"offline", "online"}));
  sub->add_flag("--au-features", ex.write_au_features, "Also write the raw AU features (feat_* columns)");
  sub->add_flag("--motion-energy", ex.motion_energy,
                "Also write motion energy per face: me_head, me_body, me_total (docs/movement.md)");
  sub->add_option("--me-threshold", ex.motion_energy_options.threshold, "Motion energy: gray levels a pixel must change by")
      ->capture_default_str()->check(CLI::Range(0, 255));
  sub->add_option("--baseline-in", ex.baseline_in, "Reuse a neutral saved with --baseline-out (for --baseline-face)");
  sub->add_option("--baseline-out", ex.baseline_out, "Save the neutral of --baseline-face as JSON");
  sub->add_option("--baseline-face", ex.baseline_face,
                  "Face ID that --baseline-in/--baseline-out refer to; default: the face with the most frames");
  return {sub, [a, command_line] { return RunExtractCommand(*a, command_line); }};
}

}  // namespace mimicry::app
