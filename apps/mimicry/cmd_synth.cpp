// mimicry synth: synthetic ground truth, real face photos animated by scripted action units.
#include <cstdio>
#include <memory>

#include "cli.h"
#include "mimicry/pipeline/synth.h"

namespace mimicry::app {
namespace {
struct SynthArgs {
  synth::PresetOptions preset;
  std::string scenario_file, out, fps = "30", models;
  std::vector<std::string> faces;
  bool quiet = false;
  double features_noise = -1;  // >= 0: --features-only
};

// --fps: 30, 29.97 or N/D into preset.fps_num / fps_den.
Status ParseFps(std::string fps, synth::PresetOptions& preset) {
  if (fps == "29.97") fps = "30000/1001";
  const auto slash = fps.find('/');
  try {
    preset.fps_num = std::stoi(fps.substr(0, slash));
    preset.fps_den = slash == std::string::npos ? 1 : std::stoi(fps.substr(slash + 1));
  } catch (const std::exception&) {
    return InvalidArgument("--fps: not a frame rate: " + fps);
  }
  return Status::Ok();
}

int RunSynthCommand(SynthArgs& a) {
  Result<synth::Scenario> sc = InvalidArgument("no scenario");
  if (!a.scenario_file.empty()) {
    sc = pipeline::ReadScenarioFile(a.scenario_file);
  } else {
    if (auto st = ParseFps(a.fps, a.preset); !st.ok()) return Fail(st);
    a.preset.faces = a.faces.empty() ? pipeline::DefaultFaces(a.preset.preset) : a.faces;
    sc = synth::MakePreset(a.preset);
  }
  if (!sc.ok()) return Fail(sc.status());
  if (a.features_noise >= 0) {
    if (auto st = pipeline::WriteScenarioFeatures(*sc, a.out, a.features_noise); !st.ok()) return Fail(st);
    if (!a.quiet) std::fprintf(stderr, "%s: feature CSVs and truth.json -> %s\n", sc->preset.c_str(), a.out.c_str());
    return kExitOk;
  }
  Progress bar(a.quiet);
  auto r = pipeline::RunSynth({*sc, a.out, a.models}, [&](int64_t k, int64_t total, double el) {
    bar.Update(k, total > 0 ? static_cast<double>(k) : 0, static_cast<double>(total), el);
  });
  bar.Finish();
  if (!r.ok()) return Fail(r.status());
  if (!a.quiet)
    std::fprintf(stderr, "%s: %lld frames per participant, %d expression events, %d answers, %.1f s -> %s/{truth.json,curves.csv,%s}\n",
                 sc->preset.c_str(), static_cast<long long>(r->frames), r->events, r->answers, r->wall_s, a.out.c_str(),
                 sc->preset == "audience" ? "manifest.csv,stimulus.mp4,viewers/*.mp4" : "*.mp4");
  return kExitOk;
}
}  // namespace

Command AddSynth(CLI::App& app) {
  auto a = std::make_shared<SynthArgs>();
  auto& preset = a->preset;
  auto* sub = app.add_subcommand("synth", "Synthetic ground truth: real face photos animated by scripted action units");
  sub->add_option("--preset", preset.preset, "dyad, null, micro (spotting set: 3 faces) or demo")->capture_default_str();
  sub->add_option("--scenario", a->scenario_file, "A scenario JSON file instead of a preset (docs/synth.md)");
  sub->add_option("--lag", preset.lag_s, "dyad: B answers A this many seconds later")->capture_default_str();
  sub->add_option("--mode", preset.mode, "dyad, audience: strict, broad or mixed answers")->capture_default_str();
  sub->add_option("--viewers", preset.viewers, "audience: number of viewers")->capture_default_str();
  sub->add_flag("--irregular", preset.irregular,
                "dyad, null, demo: spontaneous expressions at irregular (gamma-distributed) times instead of regular ones");
  sub->add_option("--mirror-probability", preset.mirror_probability,
                  "audience: chance that a viewer of group A answers each stimulus event")->capture_default_str();
  sub->add_option("--mirror-probability-b", preset.mirror_probability_b,
                  "audience: the same for group B (the second half of the viewers)")->capture_default_str();
  sub->add_option("--seed", preset.seed, "Random seed (same seed, same output)")->capture_default_str();
  sub->add_option("--duration", preset.duration_s, "Seconds")->capture_default_str();
  sub->add_option("--fps", a->fps, "Frame rate: 30, 29.97, 25, 15, or N/D")->capture_default_str();
  sub->add_flag("--vfr", preset.variable_frame_rate, "Variable frame rate (intervals jitter +-30%)");
  sub->add_option("--noise", preset.noise, "none, low or webcam")->capture_default_str();
  sub->add_option("--face", a->faces, "Face photo per participant, in order (default: the set-up's photos)");
  sub->add_option("-o,--output", a->out, "Output folder")->required();
  sub->add_option("--models-dir", a->models, "Folder with the model files");
  AddQuiet(sub, a->quiet);
  sub->add_option("--features-only", a->features_noise,
                  "Write each participant's AU curves (+ Gaussian noise of this SD) as a feature CSV and truth.json, "
                  "without rendering video (fast; for analysis checks)");
  return {sub, [a] { return RunSynthCommand(*a); }};
}

}  // namespace mimicry::app
