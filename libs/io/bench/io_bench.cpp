// Decode-only speed of FrameSource (FFmpeg demux + decode + BGR and grey conversion) on
// the shared real clip: the floor under `mimicry extract`.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "mimicry/io/frame_source.h"

namespace {

void BM_DecodeWholeClip(benchmark::State& state) {
  const std::string path = std::string(MIMICRY_SHARED_DIR) + "/media/real/2015-10-15-15-14.avi";
  if (!std::filesystem::exists(path)) return state.SkipWithError("../shared absent");
  int64_t frames = 0;
  for (auto _ : state) {
    auto src = mimicry::io::FrameSource::Open({.path = path});
    mimicry::io::Frame f;
    while (*(*src)->Next(f)) ++frames;
  }
  state.counters["fps"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeWholeClip)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
