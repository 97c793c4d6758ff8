// mimicry: the command line. It only turns argv into Options and a stage's result into
// output and an exit code; all work happens in the libraries.
#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <opencv2/core/utils/logger.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mimicry/pipeline/analyze.h"
#include "mimicry/pipeline/audience.h"
#include "mimicry/pipeline/micro.h"
#include "mimicry/micro/eval.h"
#include "mimicry/report/report.h"
#include "mimicry/pipeline/extract.h"
#include "mimicry/pipeline/synth.h"
#include "progress.h"

namespace {

// Numeric checks with a plain message ("--rate: must be > 0, got -1"); CLI11's own
// PositiveNumber / NonNegativeNumber print the range up to DBL_MAX written out in full.
CLI::Validator NumberCheck(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](std::string& in) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(in.c_str(), &end);
        if (end == in.c_str() || *end != '\0' || !std::isfinite(v)) return "must be a number, got " + in;
        if (allow_zero ? v < 0 : v <= 0) return std::string(allow_zero ? "must be >= 0" : "must be > 0") + ", got " + in;
        return {};
      },
      allow_zero ? "NONNEGATIVE" : "POSITIVE");
}
const CLI::Validator kPositive = NumberCheck(false);
const CLI::Validator kNonNegative = NumberCheck(true);

// Exit codes (docs/cli.md).
enum Exit {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,
  kExitInput = 3,
  kExitModel = 4,
  kExitOutput = 5,
  kExitNoFace = 6,
};

int ExitFor(const mimicry::Status& s) {
  using mimicry::StatusCode;
  switch (s.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument: return kExitUsage;
    case StatusCode::kNotFound:
    case StatusCode::kInvalidInput:
    case StatusCode::kTruncated: return kExitInput;
    case StatusCode::kModelMissing: return kExitModel;
    case StatusCode::kOutputError: return kExitOutput;
    case StatusCode::kNoFace: return kExitNoFace;
    case StatusCode::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

int Fail(const mimicry::Status& s) {
  std::fprintf(stderr, "mimicry: error: %s\n", s.message().c_str());
  return ExitFor(s);
}

// Progress of a run made of named stages: each stage's own elapsed time feeds its ETA.
std::function<void(const std::string&, double)> StageProgress(mimicry::app::Progress& bar) {
  auto stage = std::make_shared<std::string>();
  auto t0 = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  return [&bar, stage, t0](const std::string& s, double f) {
    if (s != *stage) {
      *stage = s;
      *t0 = std::chrono::steady_clock::now();
    }
    bar.Stage(s, f, std::chrono::duration<double>(std::chrono::steady_clock::now() - *t0).count());
  };
}

std::string JoinArgv(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i) s += ' ';
    s += argv[i];
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  // OpenCV's own log lines would break the one-line-error rule; our messages say what
  // failed. (libs/io silences FFmpeg's log the same way.)
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);

  CLI::App app{"mimicry: facial mimicry, emotional contagion and nonverbal synchrony from video"};
  app.set_version_flag("--version", std::string("mimicry ") + MIMICRY_VERSION);
  app.require_subcommand(1);

  mimicry::pipeline::ExtractOptions ex;
  std::string detector = "blazeface";
  bool quiet = false;
  auto* extract = app.add_subcommand("extract", "Per-frame faces, 68 landmarks and head pose -> CSV + metadata JSON");
  extract->add_option("input", ex.input.path, "Video file, folder of images, or one image")->required();
  extract->add_option("-o,--output", ex.output_csv, "Output CSV (a .meta.json sidecar is written beside it)")
      ->required();
  extract->add_option("--start", ex.input.start_s, "Start at this time (s, on the input's clock)")->check(kNonNegative);
  extract->add_option("--end", ex.input.end_s, "Stop before this time (s); 0 = to the end")->check(kNonNegative);
  extract->add_option("--detector", detector, "blazeface (default), blazeface-back (small faces) or hog")
      ->check(CLI::IsMember({"blazeface", "blazeface-back", "hog"}));
  extract->add_option("--min-score", ex.min_detection_score, "Detector score threshold (0-1)")->capture_default_str();
  extract->add_option("--max-faces", ex.tracker.max_faces, "Track at most N faces")->capture_default_str()->check(kPositive);
  extract->add_option("--detect-every", ex.tracker.detect_every, "Run the detector every N frames while tracking")
      ->capture_default_str()->check(kPositive);
  extract->add_option("--reid-seconds", ex.tracker.reid_seconds, "Keep a lost face's ID for this long")
      ->capture_default_str()->check(kNonNegative);
  extract->add_option("--min-confidence", ex.tracker.min_confidence, "success=1 needs at least this confidence")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  extract->add_option("--fx", ex.fx, "Focal length x (px); default 500*width/640");
  extract->add_option("--fy", ex.fy, "Focal length y (px); default = fx");
  extract->add_option("--cx", ex.cx, "Principal point x (px); default width/2");
  extract->add_option("--cy", ex.cy, "Principal point y (px); default height/2");
  extract->add_option("--sequence-fps", ex.input.sequence_fps, "Image folders only: frames per second")
      ->capture_default_str()->check(kPositive);
  extract->add_flag("--no-rotate", [&](int64_t) { ex.input.apply_rotation = false; },
                    "Ignore the container's rotation metadata");
  extract->add_option("--metadata", ex.metadata_json, "Metadata JSON path (default: OUT.meta.json)");
  extract->add_option("--models-dir", ex.models_dir, "Folder with the model files (default: build/models)");
  extract->add_flag("-q,--quiet", quiet, "No progress and no summary on stderr");
  std::string baseline_mode = "offline";
  extract->add_flag("--no-aus", [&](int64_t) { ex.action_units = false; },
                    "Landmarks and pose only: no action units, emotions or head gestures");
  extract->add_option("--baseline", baseline_mode,
                      "Neutral per person: offline (two passes over the file) or online (running, for live use)")
      ->capture_default_str()->check(CLI::IsMember({"offline", "online"}));
  extract->add_flag("--au-features", ex.write_au_features, "Also write the raw AU features (feat_* columns)");
  extract->add_flag("--motion-energy", ex.motion_energy, "Also write motion energy per face: me_head, me_body, me_total (docs/movement.md)");
  extract->add_option("--me-threshold", ex.motion_energy_options.threshold, "Motion energy: gray levels a pixel must change by")->capture_default_str()->check(CLI::Range(0, 255));
  extract->add_option("--baseline-in", ex.baseline_in, "Reuse a neutral saved with --baseline-out (for --baseline-face)");
  extract->add_option("--baseline-out", ex.baseline_out, "Save the neutral of --baseline-face as JSON");
  extract->add_option("--baseline-face", ex.baseline_face,
                      "Face ID that --baseline-in/--baseline-out refer to; default: the face with the most frames");

  mimicry::synth::PresetOptions preset;
  std::string scenario_file, synth_out, synth_fps = "30", synth_models;
  std::vector<std::string> synth_faces;
  bool synth_quiet = false;
  auto* synth = app.add_subcommand("synth", "Synthetic ground truth: real face photos animated by scripted action units");
  synth->add_option("--preset", preset.preset, "dyad, null, micro (spotting set: 3 faces) or demo")->capture_default_str();
  synth->add_option("--scenario", scenario_file, "A scenario JSON file instead of a preset (docs/synth.md)");
  synth->add_option("--lag", preset.lag_s, "dyad: B answers A this many seconds later")->capture_default_str();
  synth->add_option("--mode", preset.mode, "dyad, audience: strict, broad or mixed answers")->capture_default_str();
  synth->add_option("--viewers", preset.viewers, "audience: number of viewers")->capture_default_str();
  synth->add_flag("--irregular", preset.irregular,
                  "dyad, null, demo: spontaneous expressions at irregular (gamma-distributed) times instead of regular ones");
  synth->add_option("--mirror-probability", preset.mirror_probability,
                    "audience: chance that a viewer of group A answers each stimulus event")->capture_default_str();
  synth->add_option("--mirror-probability-b", preset.mirror_probability_b,
                    "audience: the same for group B (the second half of the viewers)")->capture_default_str();
  synth->add_option("--seed", preset.seed, "Random seed (same seed, same output)")->capture_default_str();
  synth->add_option("--duration", preset.duration_s, "Seconds")->capture_default_str();
  synth->add_option("--fps", synth_fps, "Frame rate: 30, 29.97, 25, 15, or N/D")->capture_default_str();
  synth->add_flag("--vfr", preset.variable_frame_rate, "Variable frame rate (intervals jitter +-30%)");
  synth->add_option("--noise", preset.noise, "none, low or webcam")->capture_default_str();
  synth->add_option("--face", synth_faces, "Face photo per participant, in order (default: the set-up's photos)");
  synth->add_option("-o,--output", synth_out, "Output folder")->required();
  synth->add_option("--models-dir", synth_models, "Folder with the model files");
  synth->add_flag("-q,--quiet", synth_quiet, "No progress and no summary");
  double features_noise = -1;
  synth->add_option("--features-only", features_noise,
                    "Write each participant's AU curves (+ Gaussian noise of this SD) as a feature CSV and truth.json, "
                    "without rendering video (fast; for analysis checks)");

  mimicry::pipeline::AnalyzeOptions an;
  std::vector<std::string> an_names, an_offsets;
  std::string an_corr = "auto", an_events = "auto", an_detector = "blazeface";
  bool an_quiet = false, an_no_scale = false;
  auto* analyze = app.add_subcommand("analyze", "Synchrony, leader/follower, strict and broad mimicry, contagion, with surrogates");
  analyze->add_option("inputs", an.inputs, "Recordings: videos or feature CSVs (mimicry, OpenFace 2.0, py-feat), one per "
                                           "participant; or one recording with 2+ faces");
  std::string an_sessions;
  analyze->add_option("--sessions", an_sessions,
                      "CSV (session,participant,file[,offset_s]): analyse several sessions, plus pseudo-pairs across them");
  analyze->add_option("-o,--output", an.out_dir, "Output folder")->required();
  analyze->add_option("--surrogates", an.surrogates, "Surrogates per test")->capture_default_str()->check(kNonNegative);
  analyze->add_option("--seed", an.seed, "Random seed (same seed, same p-values)")->capture_default_str();
  analyze->add_option("--name", an_names, "Participant id for an input: ID=FILE (repeatable)");
  analyze->add_option("--offset", an_offsets, "Seconds added to a participant's clock: ID=SECONDS (repeatable)");
  analyze->add_option("--rate", an.rate_hz, "Common clock (Hz)")->capture_default_str()->check(kPositive);
  analyze->add_option("--smooth", an.prepare.smooth_s, "Moving-average width (s) before correlation; 0 = off")->capture_default_str();
  analyze->add_option("--outlier-sd", an.prepare.outlier_sd, "Samples beyond this many robust SDs become missing; 0 = off")->capture_default_str();
  analyze->add_flag("--no-scale", an_no_scale, "Do not subtract each channel's median and divide by its robust SD");
  analyze->add_option("--window", an.mimicry_wlcc.window_s, "Mimicry-scale window (s)")->capture_default_str();
  analyze->add_option("--step", an.mimicry_wlcc.step_s, "Mimicry-scale step (s)")->capture_default_str();
  analyze->add_option("--max-lag", an.mimicry_wlcc.max_lag_s, "Mimicry-scale maximum lag (s)")->capture_default_str();
  analyze->add_option("--session-window", an.session_wlcc.window_s, "Session-scale window (s)")->capture_default_str();
  analyze->add_option("--session-step", an.session_wlcc.step_s, "Session-scale step (s)")->capture_default_str();
  analyze->add_option("--session-max-lag", an.session_wlcc.max_lag_s, "Session-scale maximum lag (s)")->capture_default_str();
  analyze->add_option("--min-shift", an.min_shift_s, "Circular-shift surrogates move at least this far (s)")->capture_default_str();
  analyze->add_option("--surrogate", an_corr,
                      "Correlation surrogates: auto (block bootstrap up to 900 s, circular shifts beyond), bootstrap or circular")
      ->capture_default_str();
  analyze->add_option("--event-surrogate", an_events, "Event surrogates: auto, bootstrap, circular or segment")->capture_default_str();
  analyze->add_option("--block", an.block_s, "Block bootstrap: mean block length (s); 0 = max(5, 2 x max-lag + 1)")
      ->capture_default_str();
  analyze->add_option("--max-gap", an.max_gap_s, "Resampling never bridges a gap longer than this (s)")->capture_default_str();
  analyze->add_option("--event-threshold", an.events.threshold, "AU intensity an event must exceed")->capture_default_str();
  analyze->add_option("--answer-min", an.match.min_latency_s, "Earliest answer after an onset (s)")->capture_default_str();
  analyze->add_option("--answer-max", an.match.max_latency_s, "Latest answer after an onset (s)")->capture_default_str();
  analyze->add_option("--detector", an_detector, "Video inputs: blazeface, blazeface-back or hog")->capture_default_str();
  analyze->add_option("--models-dir", an.extract.models_dir, "Video inputs: folder with the model files");
  analyze->add_flag("-q,--quiet", an_quiet, "No progress and no summary");
  analyze->add_flag("--thumbnails", an.thumbnails, "Put one small face crop per participant (video inputs) into report.html");
  bool an_no_report = false;
  analyze->add_flag("--no-report", an_no_report, "Do not write report.html");
  std::string an_channels = "faces";
  analyze->add_option("--channels", an_channels, "What is coupled: faces (AUs and affect), motion (motion energy) or both")->capture_default_str();
  bool an_series = false;
  std::string an_series_columns;
  analyze->add_flag("--series", an_series, "Inputs are time series (MEA text files or CSVs, one column per participant), not faces");
  analyze->add_option("--series-rate", an.series.rate_hz, "Series without a timestamp column: rows per second (implies --series)");
  analyze->add_option("--series-columns", an_series_columns, "Series: the participant columns, comma separated (names or 1-based numbers)");
  analyze->add_option("--series-event-threshold", an.series.event_threshold,
                      "Series: a movement event must exceed this, in the series' own units (default: median + 3 robust SD only)");
  analyze->add_flag("--rmea", an.rmea.enabled, "Series: rMEA-compatible windowed cross-correlation (OUT/ccf_matrix.csv, docs/movement.md#rmea)");
  analyze->add_option("--rmea-lag", an.rmea.ccf.lag_s, "rMEA lagSec: largest lag (s)")->capture_default_str();
  analyze->add_option("--rmea-window", an.rmea.ccf.win_s, "rMEA winSec: window (s)")->capture_default_str();
  analyze->add_option("--rmea-increment", an.rmea.ccf.inc_s, "rMEA incSec: step between windows (s)")->capture_default_str();
  bool an_rmea_r = false;
  analyze->add_flag("--rmea-r", an_rmea_r, "rMEA r2Z = FALSE: plain r instead of Fisher z");
  analyze->add_flag("--rmea-abs", an.rmea.ccf.abs, "rMEA ABS = TRUE: absolute values");
  analyze->add_option("--rmea-smooth", an.rmea.smooth_s, "rMEA MEAsmooth window (s) before the ccf; 0 = off (rMEA users: 0.5)")->capture_default_str();
  analyze->add_flag("--rmea-scale", an.rmea.scale, "rMEA MEAscale before the ccf: each series divided by its SD");

  mimicry::pipeline::AudienceOptions au;
  bool au_quiet = false, au_no_report = false;
  std::string au_detector = "blazeface";
  auto* audience = app.add_subcommand("audience", "Viewers' reactions to a stimulus video, aligned to it, with mirroring of the faces on screen");
  audience->add_option("--stimulus", au.stimulus, "The stimulus: a video (its faces are extracted) or a feature CSV")->required();
  audience->add_option("--manifest", au.manifest, "CSV: viewer_id, file, offset_s[, group][, outcome columns]")->required();
  audience->add_option("-o,--output", au.out_dir, "Output folder")->required();
  audience->add_option("--jobs", au.jobs, "Viewers processed in parallel (0 = all cores)")->capture_default_str()->check(kNonNegative);
  audience->add_option("--surrogates", au.surrogates, "Surrogates for the mirroring chance level and the ISC null")->capture_default_str()->check(kNonNegative);
  audience->add_option("--permutations", au.permutations, "Permutations per A/B test")->capture_default_str()->check(kNonNegative);
  audience->add_option("--seed", au.seed, "Random seed")->capture_default_str();
  audience->add_option("--smile-threshold", au.smile_threshold, "AU12 intensity (0-5) that counts as smiling in a second")->capture_default_str();
  audience->add_option("--emotion-threshold", au.emotion_threshold, "Emotion score (0-1) that counts as showing it")->capture_default_str();
  audience->add_option("--answer-min", au.match.min_latency_s, "Earliest answer after a stimulus event's onset (s)")->capture_default_str();
  audience->add_option("--answer-max", au.match.max_latency_s, "Latest answer after a stimulus event's onset (s)")->capture_default_str();
  audience->add_option("--detector", au_detector, "Video inputs: blazeface, blazeface-back or hog")->capture_default_str();
  audience->add_option("--models-dir", au.extract.models_dir, "Video inputs: folder with the model files");
  audience->add_flag("--no-report", au_no_report, "Do not write report.html");
  audience->add_flag("-q,--quiet", au_quiet, "No progress and no summary");

  mimicry::pipeline::MicroOptions mo;
  bool mo_quiet = false;
  std::string mo_detector = "blazeface";
  auto* micro = app.add_subcommand("micro", "Spot micro- and macro-expressions (onset, apex, offset) in recordings");
  micro->add_option("inputs", mo.inputs, "Videos or feature CSVs")->required();
  micro->add_option("-o,--output", mo.output_csv, "Output CSV (docs/micro.md)")->required();
  micro->add_option("--micro-max", mo.spot.micro_max_s, "Longest micro-expression (s)")->capture_default_str();
  micro->add_option("--micro-min", mo.spot.micro_min_s, "Shortest movement reported (s)")->capture_default_str();
  micro->add_option("--macro-max", mo.spot.macro_max_s, "Longest macro-expression (s)")->capture_default_str();
  micro->add_option("-p,--threshold-p", mo.spot.p, "Adaptive threshold: mean + p (max - mean)")->capture_default_str();
  micro->add_option("--min-rise", mo.spot.min_rise, "Absolute floor of the threshold (rise in units of the AU's frame-to-frame noise)")->capture_default_str();
  micro->add_option("--edge", mo.spot.edge_fraction, "Onset/offset where the signal falls below this share of the apex")->capture_default_str();
  micro->add_option("--edge-threshold", mo.spot.edge_threshold_fraction, "... and below this share of the threshold")->capture_default_str();
  micro->add_option("--region-weight", mo.spot.region_weight, "Weight of the region-wise appearance change next to the AUs (0 = AUs only)")->capture_default_str()->check(kNonNegative);
  bool mo_no_pose = false, mo_no_median = false;
  micro->add_flag("--no-glitch-filter", mo_no_median, "No 3-sample median on the input series (keeps one-frame movements, and one-frame landmark glitches)");
  micro->add_flag("--no-pose-correction", mo_no_pose, "Keep what the head's deviation from its recent pose explains in the AU and region rises");
  micro->add_option("--head-turn", mo.spot.head_turn_deg, "Head turned further than this (degrees) from its median pose: only strong movements count")->capture_default_str()->check(kPositive);
  micro->add_option("--merge-gap", mo.spot.merge_gap_s, "Movements closer than this (s) are one")->capture_default_str()->check(kNonNegative);
  micro->add_option("--cap-sd", mo.spot.cap_sd, "Threshold at most the fused signal's median + this many robust SDs (0 = no cap)")->capture_default_str()->check(kNonNegative);
  micro->add_option("--edge-smooth", mo.spot.edge_smooth, "Samples the signal is smoothed over for the onset/offset search (odd)")->capture_default_str()->check(CLI::Range(1, 31));
  micro->add_option("--detector", mo_detector, "Video inputs: blazeface, blazeface-back or hog")->capture_default_str();
  micro->add_option("--models-dir", mo.extract.models_dir, "Video inputs: folder with the model files");
  micro->add_flag("-q,--quiet", mo_quiet, "No progress and no summary");

  std::string ev_pred, ev_truth;
  double ev_fps = 30;
  bool ev_json = false;
  auto* evalsp = app.add_subcommand("eval-spotting", "Score spotted intervals against ground truth (MEGC protocol: IoU >= 0.5 on frames)");
  evalsp->add_option("--pred", ev_pred, "Predicted intervals: mimicry micro's CSV (source, kind, onset_s, offset_s)")->required();
  evalsp->add_option("--truth", ev_truth, "Ground truth: synth's truth.json or a CSV (source, kind, onset_s, offset_s)")->required();
  evalsp->add_option("--fps", ev_fps, "Frame rate for IoU on frames")->capture_default_str()->check(kPositive);
  evalsp->add_flag("--json", ev_json, "Print {micro: {precision, recall, f1}, macro: {...}, overall: {...}}");

  std::string report_dir, report_out;
  auto* report = app.add_subcommand("report", "Render report.html again from an analysis folder (summary.json and its tables)");
  report->add_option("folder", report_dir, "The folder mimicry analyze wrote")->required();
  report->add_option("-o,--output", report_out, "The page to write (default FOLDER/report.html)");

  mimicry::pipeline::DemoOptions demo_opt;
  bool demo_quiet = false;
  auto* demo = app.add_subcommand("demo", "Make a 60-s synthetic two-person call with known mimicry and analyse it");
  demo->add_option("-o,--output", demo_opt.out_dir, "Output folder")->capture_default_str();
  demo->add_option("--seed", demo_opt.seed, "Random seed")->capture_default_str();
  demo->add_option("--models-dir", demo_opt.models_dir, "Folder with the model files");
  demo->add_flag("-q,--quiet", demo_quiet, "No progress");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "mimicry: error: %s (see --help)\n", e.what());
    return kExitUsage;
  }

  if (*extract) {
    auto kind = mimicry::face::ParseDetectorKind(detector);
    if (!kind.ok()) return Fail(kind.status());
    ex.detector = *kind;
    ex.command_line = JoinArgv(argc, argv);
    ex.baseline_mode = baseline_mode == "online" ? mimicry::pipeline::ExtractOptions::Baseline::kOnline
                                                 : mimicry::pipeline::ExtractOptions::Baseline::kOffline;
    mimicry::app::Progress bar(quiet);
    auto r = mimicry::pipeline::RunExtract(ex, [&](const mimicry::pipeline::ExtractProgress& p) {
      bar.Update(p.frames, p.pts_s, p.duration_s, p.elapsed_s);
    });
    bar.Finish();
    if (!r.ok()) return Fail(r.status());
    if (r->frames_with_face == 0) {
      std::fprintf(stderr, "mimicry: warning: %s: no face found in %lld frames; %s has success=0 rows only\n",
                   ex.input.path.c_str(), static_cast<long long>(r->frames), r->csv_path.c_str());
      return kExitNoFace;
    }
    if (!quiet)
      std::fprintf(stderr, "%s: %lld frames, %lld with a face (%.1f%%), %d face id(s), %.2f s, %.0f fps -> %s\n",
                   ex.input.path.c_str(), static_cast<long long>(r->frames), static_cast<long long>(r->frames_with_face),
                   r->frames ? 100.0 * static_cast<double>(r->frames_with_face) / static_cast<double>(r->frames) : 0.0,
                   r->faces, r->wall_s, r->fps, r->csv_path.c_str());
    return kExitOk;
  }
  if (*analyze) {
    auto kind = mimicry::face::ParseDetectorKind(an_detector);
    if (!kind.ok()) return Fail(kind.status());
    an.extract.detector = *kind;
    an.command_line = JoinArgv(argc, argv);
    an.quiet = an_quiet;
    an.write_report = !an_no_report;
    if (an.inputs.empty() == an_sessions.empty()) {
      std::fprintf(stderr, "mimicry: error: analyze: give either input files or --sessions FILE (see --help)\n");
      return kExitUsage;
    }
    if (!an_sessions.empty()) {
      auto ss = mimicry::pipeline::ReadSessionsCsv(an_sessions);
      if (!ss.ok()) return Fail(ss.status());
      an.sessions = *ss;
    }
    if (an_no_scale) an.prepare.subtract_baseline = an.prepare.standardize = false;
    an.rmea.ccf.fisher_z = !an_rmea_r;
    if (an_channels != "faces" && an_channels != "motion" && an_channels != "both")
      return Fail(mimicry::InvalidArgument("--channels: must be faces, motion or both, got " + an_channels));
    an.channels = an_channels == "motion" ? mimicry::pipeline::AnalyzeOptions::Channels::kMotion
                  : an_channels == "both" ? mimicry::pipeline::AnalyzeOptions::Channels::kBoth
                                          : mimicry::pipeline::AnalyzeOptions::Channels::kFaces;
    if (!an_series_columns.empty()) {
      std::string c;
      for (std::istringstream cs(an_series_columns); std::getline(cs, c, ',');)
        if (!c.empty()) an.series.columns.push_back(c);
    }
    bool any_txt = false;
    for (const auto& in : an.inputs) any_txt |= std::filesystem::path(in).extension() == ".txt";
    an.series.enabled = an_series || analyze->count("--series-rate") > 0 || !an.series.columns.empty() || any_txt;
    if (an.series.enabled && analyze->count("--rate") == 0) an.rate_hz = 0;  // the series' own rate
    if (!an.series.enabled && an.rmea.enabled)
      return Fail(mimicry::InvalidArgument("--rmea: needs series inputs (--series-rate HZ or --series)"));
    if (an_corr == "phase")
      return Fail(mimicry::InvalidArgument(
          "--surrogate phase: removed: phase-randomised surrogates reject too often on bursty expression series "
          "(docs/analyze.md#calibration); use auto, bootstrap or circular"));
    if (an_corr != "auto" && an_corr != "bootstrap" && an_corr != "circular")
      return Fail(mimicry::InvalidArgument("--surrogate: must be auto, bootstrap or circular, got " + an_corr));
    if (an_events != "auto" && an_events != "bootstrap" && an_events != "circular" && an_events != "segment")
      return Fail(mimicry::InvalidArgument("--event-surrogate: must be auto, bootstrap, circular or segment, got " + an_events));
    an.correlation_surrogate = an_corr == "bootstrap" ? mimicry::sync::SurrogateKind::kBlockBootstrap
                               : an_corr == "circular" ? mimicry::sync::SurrogateKind::kCircularShift
                                                       : mimicry::sync::SurrogateKind::kAuto;
    an.event_surrogate = an_events == "segment"     ? mimicry::sync::EventSurrogate::kSegmentShuffle
                         : an_events == "circular"  ? mimicry::sync::EventSurrogate::kCircularShift
                         : an_events == "bootstrap" ? mimicry::sync::EventSurrogate::kBlockBootstrap
                                                    : mimicry::sync::EventSurrogate::kAuto;
    for (const auto& kv : an_names) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) return Fail(mimicry::InvalidArgument("--name " + kv + ": expected ID=FILE"));
      an.names[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& kv : an_offsets) {
      const auto eq = kv.find('=');
      char* end = nullptr;
      const double v = eq == std::string::npos ? 0 : std::strtod(kv.c_str() + eq + 1, &end);
      if (eq == std::string::npos || eq == 0 || end == nullptr || *end != '\0' || end == kv.c_str() + eq + 1)
        return Fail(mimicry::InvalidArgument("--offset " + kv + ": expected ID=SECONDS"));
      an.offsets_s[kv.substr(0, eq)] = v;
    }
    mimicry::app::Progress bar(an_quiet);
    auto r = mimicry::pipeline::RunAnalyze(an, StageProgress(bar));
    bar.Finish();
    if (!r.ok()) return Fail(r.status());
    if (!an_quiet) {
      std::printf("mimicry analyze (%.1f s)\n%s  output    %s (docs/analyze.md)\n", r->wall_s, r->text.c_str(), r->summary_json.c_str());
      if (!r->report_html.empty()) std::printf("  report    %s (%.1f MB; opens offline in a browser)\n", r->report_html.c_str(), r->report_bytes / 1e6);
    }
    return kExitOk;
  }
  if (*audience) {
    auto kind = mimicry::face::ParseDetectorKind(au_detector);
    if (!kind.ok()) return Fail(kind.status());
    au.extract.detector = *kind;
    au.command_line = JoinArgv(argc, argv);
    au.write_report = !au_no_report;
    mimicry::app::Progress bar(au_quiet);
    auto r = mimicry::pipeline::RunAudience(au, StageProgress(bar));
    bar.Finish();
    if (!r.ok()) return Fail(r.status());
    if (!au_quiet) {
      std::printf("mimicry audience (%.1f s; %.1fx real time over %.0f viewer-seconds)\n%s  output    %s (docs/audience.md)\n",
                  r->wall_s, r->viewer_seconds / std::max(1e-9, r->wall_s), r->viewer_seconds, r->text.c_str(), r->audience_json.c_str());
      if (!r->report_html.empty()) std::printf("  report    %s\n", r->report_html.c_str());
    }
    return kExitOk;
  }
  if (*micro) {
    auto kind = mimicry::face::ParseDetectorKind(mo_detector);
    if (!kind.ok()) return Fail(kind.status());
    mo.extract.detector = *kind;
    mo.spot.pose_correction = !mo_no_pose;
    mo.spot.median3 = !mo_no_median;
    mimicry::app::Progress bar(mo_quiet);
    auto r = mimicry::pipeline::RunMicro(mo, StageProgress(bar));
    bar.Finish();
    if (!r.ok()) return Fail(r.status());
    if (!mo_quiet)
      std::fprintf(stderr, "micro: %d micro, %d macro, %d blinks in %.0f s of face time (%.1f per minute) -> %s (%.1f s)\n", r->micro, r->macro,
                   r->blinks, r->seconds, r->seconds > 0 ? 60.0 * (r->micro + r->macro) / r->seconds : 0.0, mo.output_csv.c_str(), r->wall_s);
    return kExitOk;
  }
  if (*evalsp) {
    auto pred = mimicry::micro::ReadIntervals(ev_pred);
    if (!pred.ok()) return Fail(pred.status());
    auto truth = mimicry::micro::ReadIntervals(ev_truth);
    if (!truth.ok()) return Fail(truth.status());
    if (auto st = mimicry::micro::CheckCommonSources(*pred, *truth, ev_pred, ev_truth); !st.ok()) return Fail(st);
    const auto sc = mimicry::micro::Evaluate(*pred, *truth, ev_fps);
    auto row = [](const char* name, const mimicry::micro::ClassScore& c) {
      return fmt::format("{:<8} {:>6} {:>6} {:>6} {:>9.3f} {:>7.3f} {:>6.3f}\n", name, c.truth, c.predicted, c.matched, c.precision, c.recall, c.f1);
    };
    if (ev_json) {
      auto obj = [](const mimicry::micro::ClassScore& c) {
        return fmt::format("{{\"precision\": {:.4f}, \"recall\": {:.4f}, \"f1\": {:.4f}, \"truth\": {}, \"predicted\": {}, \"matched\": {}}}",
                           c.precision, c.recall, c.f1, c.truth, c.predicted, c.matched);
      };
      std::printf("{\"micro\": %s, \"macro\": %s, \"overall\": %s}\n", obj(sc.micro).c_str(), obj(sc.macro).c_str(), obj(sc.overall).c_str());
    } else {
      std::printf("%s", (fmt::format("{:<8} {:>6} {:>6} {:>6} {:>9} {:>7} {:>6}\n", "class", "truth", "pred", "TP", "precision", "recall", "F1") +
                         row("micro", sc.micro) + row("macro", sc.macro) + row("overall", sc.overall))
                            .c_str());
    }
    return kExitOk;
  }
  if (*report) {
    mimicry::report::ReportOptions ro;
    ro.analysis_dir = report_dir;
    ro.out_path = report_out;
    ro.chart_library_path = mimicry::pipeline::DefaultChartLibrary();
    auto r = mimicry::report::WriteReport(ro);
    if (!r.ok()) return Fail(r.status());
    std::printf("%s (%.1f MB, %d charts)\n", r->path.c_str(), r->bytes / 1e6, r->charts);
    return kExitOk;
  }
  if (*demo) {
    mimicry::app::Progress bar(demo_quiet);
    auto r = mimicry::pipeline::RunDemo(demo_opt, [&](int64_t k, int64_t total, double el) {
      bar.Update(k, static_cast<double>(k), static_cast<double>(total), el);
    });
    bar.Finish();
    if (!r.ok()) return Fail(r.status());
    std::printf(
        "mimicry demo\n"
        "  made    %s: a 60-s two-person call, A left, B right (%.0f s)\n"
        "  truth   %s: %d expression events; B answered A %d times, A answered B %d times, %.1f s later\n"
        "  found   %d faces, with success in %lld of %lld frames (%.1f s) -> %s\n"
        "  analysis (%.1f s; P1 = A, P2 = B)\n%s%s"
        "  output  %s (docs/analyze.md)\n"
        "  report  %s (open it in a browser)\n",
        r->call_video.c_str(), r->synth_s, r->truth_json.c_str(), r->events, r->answers_a_to_b, r->answers_b_to_a, r->planted_lag_s,
        r->faces, static_cast<long long>(r->frames_with_face), static_cast<long long>(r->frames), r->extract_s,
        r->features_csv.c_str(), r->analyze_s, r->analysis_text.c_str(), r->comparison.c_str(), r->analysis_json.c_str(),
        r->report_html.c_str());
    return kExitOk;
  }
  if (*synth) {
    mimicry::Result<mimicry::synth::Scenario> sc = mimicry::InvalidArgument("no scenario");
    if (!scenario_file.empty()) {
      std::ifstream in(scenario_file);
      if (!in) return Fail(mimicry::NotFound(scenario_file + ": no such file"));
      std::stringstream text;
      text << in.rdbuf();
      sc = mimicry::synth::ParseScenario(text.str(), scenario_file);
    } else {
      if (synth_fps == "29.97") synth_fps = "30000/1001";
      const auto slash = synth_fps.find('/');
      try {
        preset.fps_num = std::stoi(synth_fps.substr(0, slash));
        preset.fps_den = slash == std::string::npos ? 1 : std::stoi(synth_fps.substr(slash + 1));
      } catch (const std::exception&) {
        return Fail(mimicry::InvalidArgument("--fps: not a frame rate: " + synth_fps));
      }
      preset.faces = synth_faces;
      const std::string assets = mimicry::pipeline::DefaultAssetsDir();
      if (preset.faces.empty()) preset.faces = mimicry::pipeline::DefaultFaces(preset.preset);
      sc = mimicry::synth::MakePreset(preset);
    }
    if (!sc.ok()) return Fail(sc.status());
    if (features_noise >= 0) {
      std::error_code ec;
      std::filesystem::create_directories(synth_out, ec);
      const bool audience = sc->preset == "audience";
      if (audience) std::filesystem::create_directories(synth_out + "/viewers", ec);
      std::string manifest = "viewer_id,file,offset_s,group\n";
      for (size_t p = 0; p < sc->participants.size(); ++p) {
        const auto& part = sc->participants[p];
        const std::string rel = !audience ? part.id + ".csv" : part.role == "stimulus" ? "stimulus.csv" : "viewers/" + part.id + ".csv";
        if (part.role == "viewer") manifest += part.id + "," + rel + "," + fmt::format("{:.3f}", part.offset_s) + "," + part.group + "\n";
        const std::string path = synth_out + "/" + rel;
        auto st = mimicry::pipeline::WriteScenarioFeatureCsv(*sc, static_cast<int>(p), path, features_noise,
                                                             sc->seed * 1000003 + p);  // distinct per seed and participant
        if (!st.ok()) return Fail(st);
      }
      std::ofstream(synth_out + "/truth.json") << mimicry::synth::TruthJson(*sc);
      if (audience) std::ofstream(synth_out + "/manifest.csv") << manifest;
      if (!synth_quiet) std::fprintf(stderr, "%s: feature CSVs and truth.json -> %s\n", sc->preset.c_str(), synth_out.c_str());
      return kExitOk;
    }
    mimicry::app::Progress bar(synth_quiet);
    auto r = mimicry::pipeline::RunSynth({*sc, synth_out, synth_models}, [&](int64_t k, int64_t total, double el) {
      bar.Update(k, total > 0 ? static_cast<double>(k) : 0, static_cast<double>(total), el);
    });
    bar.Finish();
    if (!r.ok()) return Fail(r.status());
    if (!synth_quiet)
      std::fprintf(stderr, "%s: %lld frames per participant, %d expression events, %d answers, %.1f s -> %s/{truth.json,curves.csv,%s}\n",
                   sc->preset.c_str(), static_cast<long long>(r->frames), r->events, r->answers, r->wall_s, synth_out.c_str(),
                   sc->preset == "audience" ? "manifest.csv,stimulus.mp4,viewers/*.mp4" : "*.mp4");
    return kExitOk;
  }
  return kExitUsage;
}
