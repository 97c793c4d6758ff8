// Movement synchrony speed against rMEA's published times on the same machine
// (../shared/media/rmea/README.md): rMEA took 6.4 s for configuration D (raw input, plain
// r, 5-s lags, 30-s windows every 10 s) of its 20 example dyads, and about 39 min for 1000
// surrogates of one 1-hour channel. Here: the same matrices for 20 ten-minute dyads (the
// two shared real dyads, ten times each), and the coupling test with 1000 surrogates and
// the lag found on a 1-hour 25-Hz dyad (the two shared dyads concatenated three times).
// Without ../shared, a bursty synthetic dyad of the same length stands in.
#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "mimicry/sync/coupling.h"
#include "mimicry/sync/rmea.h"

namespace {

using Dyad = std::vector<std::vector<double>>;  // [participant][sample]

Dyad ReadMea(const std::string& path) {
  Dyad d(2);
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // "pat" "th"
  for (double a, b; in >> a >> b;) d[0].push_back(a), d[1].push_back(b);
  return d;
}

Dyad SharedOrSynthetic(int which) {
  const std::string dir = std::string(MIMICRY_SHARED_DIR) + "/media/rmea/";
  const std::string f = dir + (which == 0 ? "200_01.txt" : "100_01.txt");
  if (std::filesystem::exists(f)) return ReadMea(f);
  std::mt19937 rng(which + 1);
  std::normal_distribution<double> g;
  Dyad d(2, std::vector<double>(15000));
  double s = 0, t = 0;
  for (size_t i = 0; i < 15000; ++i) s = 0.95 * s + g(rng), t = 0.95 * t + g(rng), d[0][i] = s * s, d[1][i] = t * t + 0.3 * s * s;
  return d;
}

void BM_RmeaCcf20Dyads(benchmark::State& state) {
  const Dyad a = SharedOrSynthetic(0), b = SharedOrSynthetic(1);
  const mimicry::sync::RmeaCcfOptions o{.lag_s = 5, .win_s = 30, .inc_s = 10, .fisher_z = false, .abs = false};
  double sink = 0;
  for (auto _ : state)
    for (int k = 0; k < 20; ++k) {
      const Dyad& d = k % 2 ? b : a;
      auto r = mimicry::sync::RmeaCcf(d[0], d[1], 25, o);
      sink += r.ok() ? r->grand_average : 0;
    }
  benchmark::DoNotOptimize(sink);
  state.counters["dyads"] = 20;
}
BENCHMARK(BM_RmeaCcf20Dyads)->Unit(benchmark::kMillisecond);

void BM_Coupling1HourDyad1000Surrogates(benchmark::State& state) {
  const Dyad a = SharedOrSynthetic(0), b = SharedOrSynthetic(1);
  std::vector<float> x, y;
  for (int rep = 0; rep < 3; ++rep)
    for (const Dyad* d : {&a, &b})
      for (size_t i = 0; i < (*d)[0].size(); ++i) x.push_back(static_cast<float>((*d)[0][i])), y.push_back(static_cast<float>((*d)[1][i]));
  mimicry::sync::CouplingOptions o;
  o.window_s = 30;
  o.max_lag_s = 5;
  o.surrogates = 1000;
  o.kind = static_cast<mimicry::sync::SurrogateKind>(state.range(0));
  double lag = 0;
  for (auto _ : state) {
    auto r = mimicry::sync::Coupling({std::span<const float>(x)}, {std::span<const float>(y)}, 25, o);
    lag += r.pooled.observed.lag_s;
  }
  benchmark::DoNotOptimize(lag);
  state.counters["samples"] = static_cast<double>(x.size());
}
BENCHMARK(BM_Coupling1HourDyad1000Surrogates)
    ->Arg(static_cast<int>(mimicry::sync::SurrogateKind::kCircularShift))
    ->Arg(static_cast<int>(mimicry::sync::SurrogateKind::kBlockBootstrap))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
