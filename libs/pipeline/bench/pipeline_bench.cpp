// End-to-end extract inside one process (models loaded per iteration, as a CLI run does),
// on the first 10 s of the shared real clip, without and with action units (offline and
// online baseline). The whole-process figure, with start-up,
// comes from bench/extract_fps.sh.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "mimicry/pipeline/extract.h"

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

}  // namespace

BENCHMARK_MAIN();
