// mimicry report: render report.html again from an analysis folder; mimicry demo: the
// first run of a new user.
#include <cstdio>
#include <memory>

#include "cli.h"
#include "mimicry/pipeline/analyze.h"
#include "mimicry/pipeline/synth.h"
#include "mimicry/report/report.h"

namespace mimicry::app {

Command AddReport(CLI::App& app) {
  auto ro = std::make_shared<report::ReportOptions>();
  auto* sub = app.add_subcommand("report", "Render report.html again from an analysis folder (summary.json and its tables)");
  sub->add_option("folder", ro->analysis_dir, "The folder mimicry analyze wrote")->required();
  sub->add_option("-o,--output", ro->out_path, "The page to write (default FOLDER/report.html)");
  return {sub, [ro] {
            ro->chart_library_path = pipeline::DefaultChartLibrary();
            auto r = report::WriteReport(*ro);
            if (!r.ok()) return Fail(r.status());
            std::printf("%s (%.1f MB, %d charts)\n", r->path.c_str(), r->bytes / 1e6, r->charts);
            return static_cast<int>(kExitOk);
          }};
}

namespace {
struct DemoArgs {
  pipeline::DemoOptions o;
  bool quiet = false;
};

int RunDemoCommand(const DemoArgs& a) {
  Progress bar(a.quiet);
  auto r = pipeline::RunDemo(a.o, [&](int64_t k, int64_t total, double el) {
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
}  // namespace

Command AddDemo(CLI::App& app) {
  auto a = std::make_shared<DemoArgs>();
  auto* sub = app.add_subcommand("demo", "Make a 60-s synthetic two-person call with known mimicry and analyse it");
  sub->add_option("-o,--output", a->o.out_dir, "Output folder")->capture_default_str();
  sub->add_option("--seed", a->o.seed, "Random seed")->capture_default_str();
  sub->add_option("--models-dir", a->o.models_dir, "Folder with the model files");
  AddQuiet(sub, a->quiet, "No progress");
  return {sub, [a] { return RunDemoCommand(*a); }};
}

}  // namespace mimicry::app
