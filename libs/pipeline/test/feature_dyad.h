// A synthetic dyad at the feature level for the pipeline tests: the preset's planted curves
// plus measurement noise (no video), written as A.csv, B.csv and truth.json.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mimicry/pipeline/synth.h"
#include "mimicry/synth/scenario.h"
#include "test_util.h"

namespace mimicry::testing {

// Synthetic dyads at the feature level (the rendered curves plus measurement noise of SD
// 0.3; no video), long enough for event counts to mean something.
inline std::string FeatureDyad(const TempDir& d, const std::string& preset, double lag, uint64_t seed, double duration) {
  mimicry::synth::PresetOptions p;
  p.preset = preset;
  p.lag_s = lag;
  p.seed = seed;
  p.duration_s = duration;
  p.faces = {"a.png", "b.png"};  // not read: no rendering
  auto s = mimicry::synth::MakePreset(p);
  EXPECT_TRUE(s.ok());
  const std::string dir = d / fmt::format("{}_{}_{}", preset, lag, seed);
  std::filesystem::create_directories(dir);
  EXPECT_TRUE(pipeline::WriteScenarioFeatureCsv(*s, 0, dir + "/A.csv", 0.3, seed * 2).ok());
  EXPECT_TRUE(pipeline::WriteScenarioFeatureCsv(*s, 1, dir + "/B.csv", 0.3, seed * 2 + 1).ok());
  std::ofstream(dir + "/truth.json") << mimicry::synth::TruthJson(*s);
  return dir;
}

}  // namespace mimicry::testing
