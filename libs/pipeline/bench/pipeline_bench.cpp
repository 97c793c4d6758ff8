// End-to-end extract inside one process (models loaded per iteration, as a CLI run does),
// on the first 10 s of the shared real clip, without and with action units (offline and
// online baseline). The whole-process figure, with start-up,
// comes from bench/extract_fps.sh.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "mimicry/pipeline/analyze.h"
#include "mimicry/pipeline/extract.h"
#include "mimicry/pipeline/synth.h"
#include "mimicry/synth/scenario.h"

namespace {

void BM_ExtractFirst10s(benchmark::State& state) {
  const std::string path = std::string(MIMICRY_SHARED_DIR) + "/media/real/2015-10-15-15-14.avi";
  if (!std::filesystem::exists(path)) return state.SkipWithError("../shared absent");
  mimicry::pipeline::ExtractOptions o;
  o.input.path = path;
  o.input.end_s = 10;
  o.output_csv = (std::filesystem::temp_directory_path() / "mimicry_bench.csv").string();
  // 0: landmarks and pose only (--no-aus); 1: + AUs, offline baseline (default); 2: online.
  o.action_units = state.range(0) > 0;
  if (state.range(0) == 2) o.baseline_mode = mimicry::pipeline::ExtractOptions::Baseline::kOnline;
  int64_t frames = 0;
  for (auto _ : state) {
    auto r = mimicry::pipeline::RunExtract(o);
    if (!r.ok()) return state.SkipWithError(r.status().message().c_str());
    frames += r->frames;
  }
  state.counters["fps"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ExtractFirst10s)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The analysis issue's speed target: a 1-hour dyad, 17 AUs at 30 Hz, default parameters
// (1000 surrogates), planted lag 0.6 s. Inputs are feature CSVs (synth --features-only),
// so this times the analysis alone, reading included.
void BM_Analyze1HourDyad(benchmark::State& state) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "mimicry_bench_hour";
  fs::create_directories(dir);
  mimicry::synth::PresetOptions p;
  p.lag_s = 0.6;
  p.duration_s = 3600;
  p.faces = {"a", "b"};
  auto s = mimicry::synth::MakePreset(p);
  if (!s.ok()) return state.SkipWithError(s.status().message().c_str());
  if (!mimicry::pipeline::WriteScenarioFeatureCsv(*s, 0, (dir / "A.csv").string(), 0.3, 1).ok() ||
      !mimicry::pipeline::WriteScenarioFeatureCsv(*s, 1, (dir / "B.csv").string(), 0.3, 2).ok())
    return state.SkipWithError("cannot write the inputs");
  mimicry::pipeline::AnalyzeOptions o;
  o.inputs = {(dir / "A.csv").string(), (dir / "B.csv").string()};
  o.out_dir = (dir / "out").string();
  double lag = 0, leader_a = 0;
  for (auto _ : state) {
    auto r = mimicry::pipeline::RunAnalyze(o);
    if (!r.ok()) return state.SkipWithError(r.status().message().c_str());
    std::ifstream in(dir / "out" / "summary.json");
    const auto j = nlohmann::json::parse(in);
    lag = j["pairs"][0]["leader"]["lag_s"].get<double>();
    leader_a = j["pairs"][0]["leader"]["id"] == "A" ? 1 : 0;
  }
  state.counters["lag_found_s"] = lag;
  state.counters["leader_is_A"] = leader_a;
}
BENCHMARK(BM_Analyze1HourDyad)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
