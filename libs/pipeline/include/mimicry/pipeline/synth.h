// synth: renders a scenario (libs/synth) to videos and ground truth:
//   DIR/<id>.mp4 per participant (640x480), DIR/call.mp4 (gallery view: side by side for 2,
//   a 2x2 grid for 3-4), DIR/truth.json, DIR/curves.csv (docs/synth.md).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/core/time_series.h"
#include "mimicry/synth/scenario.h"

namespace mimicry::pipeline {

// Where fetched face photos live when none is given: $MIMICRY_ASSETS_DIR, else assets/
// beside the binary's folder (build/assets), else the build's assets folder.
std::string DefaultAssetsDir();

// The set-up's face photos for a preset, in participant order: the astronaut, then dlib's
// example faces (Tom Cruise first) and the face-api samples (one face is cropped from each
// group photo). "audience": the astronaut is the stimulus; the viewers cycle through the rest.
std::vector<std::string> DefaultFaces(const std::string& preset);

struct SynthOptions {
  synth::Scenario scenario;
  std::string out_dir;        // created if missing
  std::string models_dir;     // empty = DefaultModelsDir()
};

struct SynthSummary {
  int64_t frames = 0;         // per participant
  int events = 0, answers = 0;
  double wall_s = 0;
};

using SynthProgressFn = std::function<void(int64_t frame, int64_t total, double elapsed_s)>;

// Errors: InvalidInput naming a face photo that cannot be read or holds no face;
// ModelMissing; OutputError for the folder or files.
Result<SynthSummary> RunSynth(const SynthOptions& options, const SynthProgressFn& progress = {});

// Measurement realism for synthetic feature series (ScenarioFeatures).
struct FeatureNoise {
  double sd = 0.3;           // measurement noise SD (AU intensity units, 0-5 scale), >= 0
  double ar = 0;             // the noise's lag-1 autocorrelation per frame (0 = white), 0..0.99
  double drift_sd = 0;       // slow baseline drift per AU: SD (intensity units), periods 10-100 s
  double onset = 0;          // onset transient: each AU starts up to this much higher, decaying ...
  double onset_tau_s = 2;    // ... with this time constant (s) -- a baseline settling at the start
};

// What participant `participant` of the scenario shows (ExpressionAt on the scenario's
// clock: fps and variable frame rate) plus the noise above, clipped to 0..5, as an
// in-memory feature series (schema::FeatureHeader(): AUs and pose; face_x, face_size and the
// appearance channels NaN). Deterministic for a seed.
Result<TimeSeries> ScenarioFeatures(const synth::Scenario& s, int participant, const FeatureNoise& noise, uint64_t seed);

// The calibration suite's measurement realism (docs/analyze.md#calibration): noise SD 0.4
// with lag-1 autocorrelation 0.5, slow drifts SD 0.3, onset transients up to 0.8 (2 s).
FeatureNoise CalibrationNoise();

// One participant of a feature-level preset (no rendering): synth's `preset` ("null" or
// "dyad"; irregular times, B answering 0.6 s later in the dyad) for `duration_s`, with
// CalibrationNoise(); `seed` drives both the scenario and the noise. Errors: InvalidArgument.
Result<TimeSeries> CalibrationParticipant(const std::string& preset, uint64_t seed, int participant, double duration_s,
                                          const FeatureNoise& noise = CalibrationNoise());

// Writes what participant `participant` of the scenario shows (ExpressionAt, the scenario's
// clock: fps and variable frame rate), plus Gaussian measurement noise of `noise_sd` on
// every AU (clipped to 0..5), as a mimicry-format feature CSV (timestamp, face_id,
// success, AU01_r..AU45_r, pose_Rx..pose_Rz) -- the analysis' input without rendering or
// extraction, for fast statistical checks and benchmarks. Errors: OutputError.
Status WriteScenarioFeatureCsv(const synth::Scenario& s, int participant, const std::string& path, double noise_sd,
                               uint64_t seed);

// `mimicry synth --features-only`: every participant's WriteScenarioFeatureCsv (noise of
// `noise_sd`, >= 0, seeded per scenario seed and participant) and truth.json into out_dir
// (created if missing): OUT/<id>.csv per participant; for the audience preset
// OUT/stimulus.csv, OUT/viewers/<id>.csv and OUT/manifest.csv (viewer_id,file,offset_s,group).
// Errors: OutputError naming the folder or file.
Status WriteScenarioFeatures(const synth::Scenario& s, const std::string& out_dir, double noise_sd);

// A scenario JSON file (docs/synth.md) parsed. Errors: NotFound; InvalidInput naming the file.
Result<synth::Scenario> ReadScenarioFile(const std::string& path);

struct DemoOptions {
  std::string out_dir = "mimicry-demo";  // created if missing
  std::string models_dir;                // empty = DefaultModelsDir()
  std::string assets_dir;                // empty = DefaultAssetsDir()
  uint64_t seed = 1;
};

struct DemoSummary {
  std::string call_video, truth_json, features_csv;
  int events = 0, answers_a_to_b = 0, answers_b_to_a = 0;
  double planted_lag_s = 0;  // B's (and A's) answers follow this long after the expression
  int64_t frames = 0, frames_with_face = 0;
  int faces = 0;
  double synth_s = 0, extract_s = 0, analyze_s = 0;
  std::string analysis_json, analysis_text;  // analysis/summary.json and its text summary
  std::string report_html;                   // analysis/report.html
  // Planted vs found, side by side (P1 = A, P2 = B): the leader, the follower's lag and the
  // answers each way. One line per quantity, for the terminal.
  std::string comparison;
};

// The demo a new user runs first: a 60-s two-person call with mimicry both ways (A leads
// more; preset "demo"), then the analysis a user would run on the composite video. Until
// `analyze` exists that is `extract` on DIR/call.mp4 (DIR/call.csv).
Result<DemoSummary> RunDemo(const DemoOptions& options, const SynthProgressFn& progress = {});

}  // namespace mimicry::pipeline
