// The audience statistics as functions: the lagged ISC and the shifted-answer null of
// mirroring, each checked for its size under independence and its power under a planted
// effect; retention, extremes and peak-end on hand-made curves.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "mimicry/audience/curves.h"
#include "mimicry/audience/isc.h"
#include "mimicry/audience/mirroring.h"
#include "mimicry/stats/tests.h"

namespace mimicry::audience {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A smooth random series (AR(1), 10 Hz, time constant ~1 s), as a smile curve is.
std::vector<double> Smooth(size_t n, std::mt19937_64& g, double phi = 0.9) {
  std::normal_distribution<double> z(0, 1);
  std::vector<double> x(n);
  double v = 0;
  for (auto& a : x) a = v = phi * v + z(g);
  return x;
}

TEST(Isc, IdenticalAndLaggedViewersAreFound) {
  std::mt19937_64 g(3);
  const auto base = Smooth(400, g);
  IscOptions o;
  o.surrogates = 0;
  std::vector<std::vector<double>> same(4, base);
  const auto r0 = LaggedIsc(same, o);
  for (double v : r0.per_viewer) EXPECT_NEAR(v, 1.0, 1e-12);
  EXPECT_NEAR(r0.mean_r, 0.9999, 1e-9) << "Fisher z clamps |r| at 0.9999";
  EXPECT_TRUE(r0.null.empty());
  EXPECT_TRUE(std::isnan(r0.p));
  // Viewer 3 reacts 0.3 s later than the three others: within +-1 s its best lag finds it
  // (r 1 with the others' mean), within +-0.2 s it does not.
  auto x = same;
  for (size_t i = 0; i < 400; ++i) x[3][i] = i >= 3 ? base[i - 3] : kNaN;
  const auto r = LaggedIsc(x, o);
  EXPECT_NEAR(r.per_viewer[3], 1.0, 1e-12);
  for (int k = 0; k < 3; ++k) EXPECT_GT(r.per_viewer[static_cast<size_t>(k)], 0.9);
  o.max_lag_s = 0.2;
  EXPECT_LT(LaggedIsc(x, o).per_viewer[3], 0.99);
  // Fewer than three viewers: no leave-one-out ISC.
  x.resize(2);
  EXPECT_TRUE(std::isnan(LaggedIsc(x, o).mean_r));
}

// Independent viewers: p < 0.05 in 2-8% of audiences. A shared reaction (each viewer's own
// curve plus a common one, each with its own delay up to 0.3 s): found in >= 80%.
TEST(Isc, HoldsItsSizeAndFindsASharedReaction) {
  std::mt19937_64 g(11);
  IscOptions o;
  o.max_lag_s = 0.5;
  o.min_shift_s = 5;
  o.surrogates = 99;
  const int kTrials = 300;
  const size_t n = 400, nv = 6;  // 40 s at 10 Hz
  int null_hits = 0, power_hits = 0;
  double null_r = 0, planted_r = 0;
  for (int t = 0; t < kTrials; ++t) {
    std::vector<std::vector<double>> indep, shared;
    const auto common = Smooth(n + 10, g);
    for (size_t k = 0; k < nv; ++k) {
      indep.push_back(Smooth(n, g));
      auto own = Smooth(n, g);
      const size_t delay = k % 4;
      for (size_t i = 0; i < n; ++i) own[i] = own[i] + 0.8 * common[i + 10 - delay];
      shared.push_back(own);
    }
    o.seed = 100 + static_cast<uint64_t>(t);
    const auto a = LaggedIsc(indep, o);
    null_hits += a.p < 0.05;
    null_r += a.mean_r / kTrials;
    if (t < 100) {  // power needs fewer trials
      const auto b = LaggedIsc(shared, o);
      power_hits += b.p < 0.05;
      planted_r += b.mean_r / 100;
    }
  }
  const double size = static_cast<double>(null_hits) / kTrials, power = power_hits / 100.0;
  std::printf("lagged ISC, %d audiences of %zu viewers x 40 s: size %.3f (mean r %.3f), power %.2f (mean r %.3f)\n", kTrials, nv,
              size, null_r, power, planted_r);
  EXPECT_GE(size, 0.02);
  EXPECT_LE(size, 0.08);
  EXPECT_GE(power, 0.8);
}

sync::ExprEvent Smile(double onset) {
  sync::ExprEvent e;
  e.onset_s = onset;
  e.apex_s = onset + 0.5;
  e.offset_s = onset + 1.5;
  e.intensity = 2;
  e.action = 0;
  e.actions = {0};
  return e;
}

TEST(Mirroring, AnswersEligibilityAndFractions) {
  const std::vector<sync::ExprEvent> stim = {Smile(2), Smile(10), Smile(20)};
  const std::vector<sync::ExprEvent> viewer = {Smile(2.6), Smile(21.0)};
  sync::MatchOptions m;
  const auto by = AnsweredBy(stim, viewer, m);
  EXPECT_EQ(by, (std::vector<int>{0, -1, 1}));
  // 30 s at 10 Hz; no face from 10 to 14 s: the second event cannot be counted.
  std::vector<uint8_t> valid(300, 1);
  for (size_t i = 100; i < 140; ++i) valid[i] = 0;
  const auto el = Eligible(stim, valid, 10, m);
  EXPECT_EQ(el, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_DOUBLE_EQ(FractionAnswered({by}, {el}), 1.0);
  EXPECT_DOUBLE_EQ(FractionAnswered({by, {-1, -1, -1}}, {el, {1, 1, 1}}), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(FractionAnswered({by, {-1, -1, -1}}, {el, {1, 1, 1}}, {0, 1}), 0.0);
  EXPECT_TRUE(std::isnan(FractionAnswered({by}, {{0, 0, 0}})));
  // The same matches, already made.
  EXPECT_EQ(AnswerIndex(sync::MatchEvents(stim, viewer, m), stim.size()), by);
}

TEST(Mirroring, ChanceCorrectedShareMirrored) {
  // P = f + (1 - f) c: with c = 0.2, answering 60% of the pairs means half were mirrored.
  EXPECT_DOUBLE_EQ(ChanceCorrected(0.6, 0.2), 0.5);
  EXPECT_DOUBLE_EQ(ChanceCorrected(0.2, 0.2), 0);
  EXPECT_DOUBLE_EQ(ChanceCorrected(0.1, 0.2), 0);  // below chance: none mirrored
  EXPECT_DOUBLE_EQ(ChanceCorrected(1, 0), 1);
  EXPECT_TRUE(std::isnan(ChanceCorrected(0.5, 1)));
  EXPECT_TRUE(std::isnan(ChanceCorrected(NAN, 0.2)));
  EXPECT_TRUE(std::isnan(ChanceCorrected(0.5, NAN)));
}

// Viewers whose smiles are independent of the stimulus: the shifted-answer null gives
// p < 0.05 in 2-8%; viewers who answer 60% of the stimulus smiles 0.6 s later: p < 0.05.
TEST(Mirroring, ShiftedNullHoldsItsSizeAndFindsAnswers) {
  std::mt19937_64 g(5);
  std::exponential_distribution<double> gap(1.0 / 6.0);  // a smile every ~6 s
  std::uniform_real_distribution<double> u(0, 1);
  const double dur = 120;
  auto events = [&](double from) {
    std::vector<sync::ExprEvent> ev;
    for (double t = from + gap(g); t < dur - 2; t += 2 + gap(g)) ev.push_back(Smile(t));
    return ev;
  };
  sync::MatchOptions m;
  const int kTrials = 200, nv = 8;
  int null_hits = 0, power_hits = 0;
  for (int t = 0; t < kTrials; ++t) {
    const auto stim = events(0);
    std::vector<std::vector<sync::ExprEvent>> indep(nv), mirror(nv);
    for (int k = 0; k < nv; ++k) {
      indep[static_cast<size_t>(k)] = events(0);
      for (const auto& s : stim)
        if (u(g) < 0.6) mirror[static_cast<size_t>(k)].push_back(Smile(s.onset_s + 0.6));
    }
    auto p_of = [&](const std::vector<std::vector<sync::ExprEvent>>& v, uint64_t seed) {
      std::vector<std::vector<int>> by;
      std::vector<std::vector<uint8_t>> el;
      for (const auto& e : v) by.push_back(AnsweredBy(stim, e, m)), el.emplace_back(stim.size(), 1);
      const double obs = FractionAnswered(by, el);
      std::vector<double> null;
      ShiftedAnswers(stim, v, m, {dur, 5, 199, seed}, [&](const auto& sab) { null.push_back(FractionAnswered(sab, el)); });
      EXPECT_EQ(null.size(), 199u);
      return stats::UpperP(obs - 1e-12, null);
    };
    null_hits += p_of(indep, 10 + static_cast<uint64_t>(t)) < 0.05;
    if (t < 40) power_hits += p_of(mirror, 900 + static_cast<uint64_t>(t)) < 0.05;
  }
  const double size = static_cast<double>(null_hits) / kTrials;
  std::printf("mirroring shift null, %d audiences of %d viewers x 120 s: size %.3f, power at 60%% answered %.2f\n", kTrials, nv, size,
              power_hits / 40.0);
  EXPECT_GE(size, 0.02);
  EXPECT_LE(size, 0.08);
  EXPECT_GE(power_hits, 38);
}

TEST(Curves, RetentionExtremesAndPeakEnd) {
  EXPECT_EQ(LostAt({1, 1, 0, 1, 0, 0, 0, 1}), 4u) << "the first 3-s run without attention starts at 4 s";
  EXPECT_EQ(LostAt({1, 0, 0, 1, 1}), 5u) << "never lost";
  EXPECT_EQ(LostAt({0, 0, 0}), 0u);
  const std::vector<double> c = {0.1, 0.5, 0.4, kNaN, 0.2, 0.9, 0.3, 0.35, 0.1, 0.6};
  EXPECT_EQ(Extremes(c, true), (std::vector<size_t>{5, 9, 1})) << "0.9 at 5, then 0.6 at 9; 0.5 at 1 is >= 3 s from both";
  const std::vector<double> d = {0.3, 0.1, 0.4, 0.2, 0.8, 0.05};
  EXPECT_EQ(Extremes(d, false, 2), (std::vector<size_t>{5, 1})) << "troughs: 0.05 at 5, then 0.1 at 1 (0.2 at 3 is too close)";
  const PeakEnd pe = PeakEndOf(c, 3);
  EXPECT_DOUBLE_EQ(pe.peak, 0.9);
  EXPECT_NEAR(pe.end, (0.35 + 0.1 + 0.6) / 3, 1e-15);
  EXPECT_NEAR(pe.score, (0.9 + 0.35) / 2, 1e-15);
  EXPECT_TRUE(std::isnan(PeakEndOf({}).score));
}

}  // namespace
}  // namespace mimicry::audience
