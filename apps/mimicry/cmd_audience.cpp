// mimicry audience: viewers' reactions to a stimulus video, aligned to it, with mirroring of
// the faces on screen.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "cli.h"
#include "mimicry/pipeline/audience.h"

namespace mimicry::app {
namespace {
struct AudienceArgs {
  pipeline::AudienceOptions au;
  bool quiet = false, no_report = false;
  std::string detector = "blazeface";
};

int RunAudienceCommand(AudienceArgs& a, const std::string& command_line) {
  auto& au = a.au;
  if (auto st = ApplyDetector(a.detector, au.extract); !st.ok()) return Fail(st);
  au.command_line = command_line;
  au.write_report = !a.no_report;
  Progress bar(a.quiet);
  auto r = pipeline::RunAudience(au, StageProgress(bar));
  bar.Finish();
  if (!r.ok()) return Fail(r.status());
  if (!a.quiet) {
    std::printf("mimicry audience (%.1f s; %.1fx real time over %.0f viewer-seconds)\n%s  output    %s (docs/audience.md)\n",
                r->wall_s, r->viewer_seconds / std::max(1e-9, r->wall_s), r->viewer_seconds, r->text.c_str(), r->audience_json.c_str());
    if (!r->report_html.empty()) std::printf("  report    %s\n", r->report_html.c_str());
  }
  return kExitOk;
}
}  // namespace

Command AddAudience(CLI::App& app, const std::string& command_line) {
  auto a = std::make_shared<AudienceArgs>();
  auto& au = a->au;
  auto* sub = app.add_subcommand("audience", "Viewers' reactions to a stimulus video, aligned to it, with mirroring of the faces on screen");
  sub->add_option("--stimulus", au.stimulus, "The stimulus: a video (its faces are extracted) or a feature CSV")->required();
  sub->add_option("--manifest", au.manifest, "CSV: viewer_id, file, offset_s[, group][, outcome columns]")->required();
  sub->add_option("-o,--output", au.out_dir, "Output folder")->required();
  sub->add_option("--jobs", au.jobs, "Viewers processed in parallel (0 = all cores)")->capture_default_str()->check(NonNegative());
  sub->add_option("--surrogates", au.surrogates, "Surrogates for the mirroring chance level and the ISC null")
      ->capture_default_str()->check(NonNegative());
  sub->add_option("--permutations", au.permutations, "Permutations per A/B test")->capture_default_str()->check(NonNegative());
  sub->add_option("--seed", au.seed, "Random seed")->capture_default_str();
  sub->add_option("--smile-threshold", au.smile_threshold, "AU12 intensity (0-5) that counts as smiling in a second")->capture_default_str();
  sub->add_option("--emotion-threshold", au.emotion_threshold, "Emotion score (0-1) that counts as showing it")->capture_default_str();
  sub->add_option("--answer-min", au.match.min_latency_s, "Earliest answer after a stimulus event's onset (s)")->capture_default_str();
  sub->add_option("--answer-max", au.match.max_latency_s, "Latest answer after a stimulus event's onset (s)")->capture_default_str();
  AddVideoInputOptions(sub, a->detector, au.extract);
  sub->add_flag("--no-report", a->no_report, "Do not write report.html");
  AddQuiet(sub, a->quiet);
  return {sub, [a, command_line] { return RunAudienceCommand(*a, command_line); }};
}

}  // namespace mimicry::app
