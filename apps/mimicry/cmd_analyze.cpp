// mimicry analyze: synchrony, leader/follower, strict and broad mimicry, contagion, with
// surrogates, for one session (files or one recording with 2+ faces) or many (--sessions).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include "cli.h"
#include "mimicry/pipeline/analyze.h"

namespace mimicry::app {
namespace {
struct AnalyzeArgs {
  pipeline::AnalyzeOptions an;
  std::vector<std::string> names, offsets;
  std::string corr = "auto", events = "auto", detector = "blazeface", sessions, channels = "faces", series_columns;
  bool quiet = false, no_scale = false, no_report = false, series = false, rmea_r = false;
};

// ID=VALUE pairs of --name / --offset.
Status ParseNamesAndOffsets(const AnalyzeArgs& a, pipeline::AnalyzeOptions& an) {
  for (const auto& kv : a.names) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return InvalidArgument("--name " + kv + ": expected ID=FILE");
    an.names[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& kv : a.offsets) {
    const auto eq = kv.find('=');
    char* end = nullptr;
    const double v = eq == std::string::npos ? 0 : std::strtod(kv.c_str() + eq + 1, &end);
    if (eq == std::string::npos || eq == 0 || end == nullptr || *end != '\0' || end == kv.c_str() + eq + 1)
      return InvalidArgument("--offset " + kv + ": expected ID=SECONDS");
    an.offsets_s[kv.substr(0, eq)] = v;
  }
  return Status::Ok();
}

// --channels, --surrogate, --event-surrogate into their enums.
Status ParseKinds(const AnalyzeArgs& a, pipeline::AnalyzeOptions& an) {
  if (a.channels != "faces" && a.channels != "motion" && a.channels != "both")
    return InvalidArgument("--channels: must be faces, motion or both, got " + a.channels);
  an.channels = a.channels == "motion" ? pipeline::AnalyzeOptions::Channels::kMotion
                : a.channels == "both" ? pipeline::AnalyzeOptions::Channels::kBoth
                                       : pipeline::AnalyzeOptions::Channels::kFaces;
  if (a.corr == "phase")
    return InvalidArgument(
        "--surrogate phase: removed: phase-randomised surrogates reject too often on bursty expression series "
        "(docs/analyze.md#calibration); use auto, bootstrap or circular");
  if (a.corr != "auto" && a.corr != "bootstrap" && a.corr != "circular")
    return InvalidArgument("--surrogate: must be auto, bootstrap or circular, got " + a.corr);
  if (a.events != "auto" && a.events != "bootstrap" && a.events != "circular" && a.events != "segment")
    return InvalidArgument("--event-surrogate: must be auto, bootstrap, circular or segment, got " + a.events);
  an.correlation_surrogate = a.corr == "bootstrap"  ? sync::SurrogateKind::kBlockBootstrap
                             : a.corr == "circular" ? sync::SurrogateKind::kCircularShift
                                                    : sync::SurrogateKind::kAuto;
  an.event_surrogate = a.events == "segment"     ? sync::EventSurrogate::kSegmentShuffle
                       : a.events == "circular"  ? sync::EventSurrogate::kCircularShift
                       : a.events == "bootstrap" ? sync::EventSurrogate::kBlockBootstrap
                                                 : sync::EventSurrogate::kAuto;
  return Status::Ok();
}

// Everything argv says, into a.an. `sub` tells which options were given.
Status ToOptions(AnalyzeArgs& a, const CLI::App& sub, const std::string& command_line) {
  auto& an = a.an;
  if (auto st = ApplyDetector(a.detector, an.extract); !st.ok()) return st;
  an.command_line = command_line;
  an.quiet = a.quiet;
  an.write_report = !a.no_report;
  if (an.inputs.empty() == a.sessions.empty())
    return InvalidArgument("analyze: give either input files or --sessions FILE (see --help)");
  if (!a.sessions.empty()) {
    auto ss = pipeline::ReadSessionsCsv(a.sessions);
    if (!ss.ok()) return ss.status();
    an.sessions = *ss;
  }
  if (a.no_scale) an.prepare.subtract_baseline = an.prepare.standardize = false;
  an.rmea.ccf.fisher_z = !a.rmea_r;
  if (!a.series_columns.empty()) {
    std::string c;
    for (std::istringstream cs(a.series_columns); std::getline(cs, c, ',');)
      if (!c.empty()) an.series.columns.push_back(c);
  }
  if (auto st = ParseKinds(a, an); !st.ok()) return st;
  bool any_txt = false;
  for (const auto& in : an.inputs) any_txt |= std::filesystem::path(in).extension() == ".txt";
  an.series.enabled = a.series || sub.count("--series-rate") > 0 || !an.series.columns.empty() || any_txt;
  if (an.series.enabled && sub.count("--rate") == 0) an.rate_hz = 0;  // the series' own rate
  if (!an.series.enabled && an.rmea.enabled)
    return InvalidArgument("--rmea: needs series inputs (--series-rate HZ or --series)");
  return ParseNamesAndOffsets(a, an);
}

int RunAnalyzeCommand(AnalyzeArgs& a, const CLI::App& sub, const std::string& command_line) {
  if (auto st = ToOptions(a, sub, command_line); !st.ok()) return Fail(st);
  Progress bar(a.quiet);
  auto r = pipeline::RunAnalyze(a.an, StageProgress(bar));
  bar.Finish();
  if (!r.ok()) return Fail(r.status());
  if (!a.quiet) {
    std::printf("mimicry analyze (%.1f s)\n%s  output    %s (docs/analyze.md)\n", r->wall_s, r->text.c_str(), r->summary_json.c_str());
    if (!r->report_html.empty())
      std::printf("  report    %s (%.1f MB; opens offline in a browser)\n", r->report_html.c_str(), r->report_bytes / 1e6);
  }
  return kExitOk;
}

void AddSeriesOptions(CLI::App* sub, AnalyzeArgs& a) {
  auto& an = a.an;
  sub->add_flag("--series", a.series, "Inputs are time series (MEA text files or CSVs, one column per participant), not faces");
  sub->add_option("--series-rate", an.series.rate_hz, "Series without a timestamp column: rows per second (implies --series)");
  sub->add_option("--series-columns", a.series_columns, "Series: the participant columns, comma separated (names or 1-based numbers)");
  sub->add_option("--series-event-threshold", an.series.event_threshold,
                  "Series: a movement event must exceed this, in the series' own units (default: median + 3 robust SD only)");
  sub->add_flag("--rmea", an.rmea.enabled, "Series: rMEA-compatible windowed cross-correlation (OUT/ccf_matrix.csv, docs/movement.md#rmea)");
  sub->add_option("--rmea-lag", an.rmea.ccf.lag_s, "rMEA lagSec: largest lag (s)")->capture_default_str();
  sub->add_option("--rmea-window", an.rmea.ccf.win_s, "rMEA winSec: window (s)")->capture_default_str();
  sub->add_option("--rmea-increment", an.rmea.ccf.inc_s, "rMEA incSec: step between windows (s)")->capture_default_str();
  sub->add_flag("--rmea-r", a.rmea_r, "rMEA r2Z = FALSE: plain r instead of Fisher z");
  sub->add_flag("--rmea-abs", an.rmea.ccf.abs, "rMEA ABS = TRUE: absolute values");
  sub->add_option("--rmea-smooth", an.rmea.smooth_s, "rMEA MEAsmooth window (s) before the ccf; 0 = off (rMEA users: 0.5)")->capture_default_str();
  sub->add_flag("--rmea-scale", an.rmea.scale, "rMEA MEAscale before the ccf: each series divided by its SD");
}
}  // namespace

Command AddAnalyze(CLI::App& app, const std::string& command_line) {
  auto a = std::make_shared<AnalyzeArgs>();
  auto& an = a->an;
  auto* sub = app.add_subcommand("analyze", "Synchrony, leader/follower, strict and broad mimicry, contagion, with surrogates");
  sub->add_option("inputs", an.inputs, "Recordings: videos or feature CSVs (mimicry, OpenFace 2.0, py-feat), one per "
                                       "participant; or one recording with 2+ faces");
  sub->add_option("--sessions", a->sessions,
                  "CSV (session,participant,file[,offset_s]): analyse several sessions, plus pseudo-pairs across them");
  sub->add_option("-o,--output", an.out_dir, "Output folder")->required();
  sub->add_option("--surrogates", an.surrogates, "Surrogates per test")->capture_default_str()->check(NonNegative());
  sub->add_option("--seed", an.seed, "Random seed (same seed, same p-values)")->capture_default_str();
  sub->add_option("--name", a->names, "Participant id for an input: ID=FILE (repeatable)");
  sub->add_option("--offset", a->offsets, "Seconds added to a participant's clock: ID=SECONDS (repeatable)");
  sub->add_option("--rate", an.rate_hz, "Common clock (Hz)")->capture_default_str()->check(Positive());
  sub->add_option("--smooth", an.prepare.smooth_s, "Moving-average width (s) before correlation; 0 = off")->capture_default_str();
  sub->add_option("--outlier-sd", an.prepare.outlier_sd, "Samples beyond this many robust SDs become missing; 0 = off")->capture_default_str();
  sub->add_flag("--no-scale", a->no_scale, "Do not subtract each channel's median and divide by its robust SD");
  sub->add_option("--window", an.mimicry_wlcc.window_s, "Mimicry-scale window (s)")->capture_default_str();
  sub->add_option("--step", an.mimicry_wlcc.step_s, "Mimicry-scale step (s)")->capture_default_str();
  sub->add_option("--max-lag", an.mimicry_wlcc.max_lag_s, "Mimicry-scale maximum lag (s)")->capture_default_str();
  sub->add_option("--session-window", an.session_wlcc.window_s, "Session-scale window (s)")->capture_default_str();
  sub->add_option("--session-step", an.session_wlcc.step_s, "Session-scale step (s)")->capture_default_str();
  sub->add_option("--session-max-lag", an.session_wlcc.max_lag_s, "Session-scale maximum lag (s)")->capture_default_str();
  sub->add_option("--min-shift", an.min_shift_s, "Circular-shift surrogates move at least this far (s)")->capture_default_str();
  sub->add_option("--surrogate", a->corr,
                  "Correlation surrogates: auto (block bootstrap up to 900 s, circular shifts beyond), bootstrap or circular")
      ->capture_default_str();
  sub->add_option("--event-surrogate", a->events, "Event surrogates: auto, bootstrap, circular or segment")->capture_default_str();
  sub->add_option("--block", an.block_s, "Block bootstrap: mean block length (s); 0 = max(5, 2 x max-lag + 1)")
      ->capture_default_str();
  sub->add_option("--max-gap", an.max_gap_s, "Resampling never bridges a gap longer than this (s)")->capture_default_str();
  sub->add_option("--event-threshold", an.events.threshold, "AU intensity an event must exceed")->capture_default_str();
  sub->add_option("--answer-min", an.match.min_latency_s, "Earliest answer after an onset (s)")->capture_default_str();
  sub->add_option("--answer-max", an.match.max_latency_s, "Latest answer after an onset (s)")->capture_default_str();
  AddVideoInputOptions(sub, a->detector, an.extract);
  AddQuiet(sub, a->quiet);
  sub->add_flag("--thumbnails", an.thumbnails, "Put one small face crop per participant (video inputs) into report.html");
  sub->add_flag("--no-report", a->no_report, "Do not write report.html");
  sub->add_option("--channels", a->channels, "What is coupled: faces (AUs and affect), motion (motion energy) or both")->capture_default_str();
  AddSeriesOptions(sub, *a);
  return {sub, [a, sub, command_line] { return RunAnalyzeCommand(*a, *sub, command_line); }};
}

}  // namespace mimicry::app
