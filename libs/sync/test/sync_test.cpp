#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "mimicry/sync/events.h"
#include "mimicry/sync/coupling.h"
#include "mimicry/sync/pair.h"
#include "mimicry/sync/xcorr.h"

namespace mimicry::sync {
namespace {

constexpr double kRate = 30;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Smoothed noise (an AR(1) process with a ~0.5 s time constant), unit-ish variance.
std::vector<float> Ar1(size_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> e(0, 1);
  std::vector<float> v(n);
  double x = 0;
  for (auto& s : v) {
    x = 0.93 * x + 0.37 * e(g);
    s = static_cast<float>(x);
  }
  return v;
}

// y(t) = x(t - lag) + noise.
std::vector<float> Follow(const std::vector<float>& x, double lag_s, double noise, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> e(0, noise);
  const int d = static_cast<int>(std::lround(lag_s * kRate));
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t j = static_cast<int64_t>(i) - d;
    y[i] = static_cast<float>((j >= 0 && j < static_cast<int64_t>(x.size()) ? x[static_cast<size_t>(j)] : 0.0) + e(g));
  }
  return y;
}

TEST(Wlcc, PeakPickingFindsAPlantedLagAndItsSign) {
  const auto x = Ar1(3000, 1);
  const auto y = Follow(x, 0.6, 0.3, 2);
  const WlccResult r = Wlcc(x, y, kRate, {});
  std::printf("[ figures ] planted 0.6 s: lag mean %.3f s (SD %.3f), peak r %.2f over %zu windows\n", r.lag_mean_s,
              r.lag_sd_s, r.peak_r_mean, r.valid);
  EXPECT_NEAR(r.lag_mean_s, 0.6, 0.05);
  EXPECT_GT(r.peak_r_mean, 0.8);
  EXPECT_EQ(r.valid, r.windows.size());
  const WlccResult back = Wlcc(y, x, kRate, {});
  EXPECT_NEAR(back.lag_mean_s, -0.6, 0.05) << "y leads x by -0.6 s";
}

TEST(Wlcc, WindowsWithTooMuchMissingAreNa) {
  auto x = Ar1(900, 3);
  auto y = Follow(x, 0.3, 0.2, 4);
  for (size_t i = 300; i < 450; ++i) x[i] = kNaN;  // 5 s hole
  const WlccResult r = Wlcc(x, y, kRate, {});
  int na = 0;
  for (const auto& w : r.windows) {
    const bool mostly_in_hole = w.t_s >= 9.0 && w.t_s + 4 <= 15.0 + 0.01;
    if (mostly_in_hole) {
      EXPECT_TRUE(std::isnan(w.peak_r)) << w.t_s;
    }
    na += std::isnan(w.peak_r) ? 1 : 0;
  }
  EXPECT_GT(na, 0);
  EXPECT_NEAR(r.lag_mean_s, 0.3, 0.05);
}

std::vector<std::span<const float>> Spans(const std::vector<std::vector<float>>& v) { return {v.begin(), v.end()}; }

TEST(Coupling, PlantedLeaderIsFoundWithSmallP) {
  const auto x = Ar1(9000, 5);  // 5 minutes
  const auto y = Follow(x, 1.2, 1.0, 6);
  CouplingOptions o;
  o.surrogates = 500;
  const CouplingResult r = Coupling({x}, {y}, kRate, o);
  ASSERT_TRUE(r.ok && r.tested) << r.not_tested;
  std::printf("[ figures ] planted 1.2 s: lag %.3f s, peak %.3f (z %.1f, p %.4f; chance %.3f [%.3f, %.3f]), asym %.3f (p %.4f)\n",
              r.pooled.observed.lag_s, r.pooled.observed.peak, r.pooled.peak_z, r.pooled.peak_p, r.pooled.peak_chance.mean,
              r.pooled.peak_chance.lo95, r.pooled.peak_chance.hi95, r.pooled.observed.asym, r.pooled.lead_p);
  EXPECT_EQ(r.kind, SurrogateKind::kBlockBootstrap);
  EXPECT_NEAR(r.pooled.observed.lag_s, 1.2, 0.05);
  EXPECT_NEAR(r.pooled.observed.lead_lag_s, 1.2, 0.05);
  EXPECT_GT(r.pooled.observed.asym, 0);
  EXPECT_LT(r.pooled.peak_p, 0.01);
  EXPECT_LT(r.pooled.lead_p, 0.01);
  EXPECT_NEAR(r.pooled.peak_p, 1.0 / 501, 1e-12) << "no surrogate reaches a planted r of 0.7";
  EXPECT_GT(r.pooled.observed.peak, r.pooled.peak_chance.hi95);
  EXPECT_LT(r.pooled.peak_chance.mean, 0.2);
  const CouplingResult back = Coupling({y}, {x}, kRate, o);
  EXPECT_NEAR(back.pooled.observed.lag_s, -1.2, 0.05);
  EXPECT_LT(back.pooled.observed.asym, 0);
}

// Size under the null, both ways, at a short and a longer length: independent AR(1) pairs
// (five channels each, so that the pooled curve is exercised). p < 0.05 in 2-8% and
// p < 0.01 in at most 2% -- an always-p=1 test fails the lower bound, a test that treats
// resampled shifts as independent draws fails the upper one. (The full sweep over lengths
// and real data is bench/calibration.sh.)
TEST(Coupling, NullPairsHoldTheirSizeAtEveryLength) {
  for (double len : {20.0, 60.0}) {
    const int pairs = 600;
    int s05 = 0, s01 = 0, l05 = 0, l01 = 0;
    CouplingOptions o;
    o.surrogates = 199;
    for (int k = 0; k < pairs; ++k) {
      std::vector<std::vector<float>> x, y;
      for (int c = 0; c < 5; ++c) {
        x.push_back(Ar1(static_cast<size_t>(len * kRate), 1000 + 20 * static_cast<uint64_t>(k) + static_cast<uint64_t>(c)));
        y.push_back(Ar1(static_cast<size_t>(len * kRate), 900000 + 20 * static_cast<uint64_t>(k) + static_cast<uint64_t>(c)));
      }
      o.seed = static_cast<uint64_t>(k) + 1;
      const CouplingResult r = Coupling(Spans(x), Spans(y), kRate, o);
      ASSERT_TRUE(r.tested) << r.not_tested;
      s05 += r.pooled.peak_p < 0.05, s01 += r.pooled.peak_p < 0.01;
      l05 += r.pooled.lead_p < 0.05, l01 += r.pooled.lead_p < 0.01;
    }
    std::printf("[ figures ] %.0f s, %d null pairs: synchrony p < 0.05 in %.1f%% (< 0.01: %.1f%%), leader %.1f%% (%.1f%%)\n", len,
                pairs, 100.0 * s05 / pairs, 100.0 * s01 / pairs, 100.0 * l05 / pairs, 100.0 * l01 / pairs);
    for (int v : {s05, l05}) {
      EXPECT_GE(v, pairs * 2 / 100) << len;
      EXPECT_LE(v, pairs * 8 / 100) << len;
    }
    EXPECT_LE(s01, pairs * 2 / 100) << len;
    EXPECT_LE(l01, pairs * 2 / 100) << len;
  }
}

// Short recordings are tested (the bootstrap needs three 5-s blocks), shorter ones are
// "not tested" with the reason, and circular shifts say how few shifts they have.
TEST(Coupling, ShortRecordingsAreTestedOrSayWhyNot) {
  const auto x = Ar1(static_cast<size_t>(18 * kRate), 21);
  const auto y = Follow(x, 0.6, 0.3, 22);
  CouplingOptions o;
  o.surrogates = 999;
  const CouplingResult r = Coupling({x}, {y}, kRate, o);
  ASSERT_TRUE(r.tested) << r.not_tested;
  EXPECT_NEAR(r.pooled.observed.lag_s, 0.6, 0.05);
  EXPECT_LT(r.pooled.peak_p, 0.01);
  // At 18 s the bootstrap's blocks sometimes land near their own place and re-create part of
  // the alignment, so a strong lead reaches p ~ 0.02, not < 0.01 (the price of holding the
  // size at 20 s; docs/analyze.md, "Calibration").
  EXPECT_LT(r.pooled.lead_p, 0.05);
  EXPECT_DOUBLE_EQ(r.p_floor, 1.0 / 1000);
  EXPECT_DOUBLE_EQ(r.min_span_s, 15.0);

  const std::vector<float> x12(x.begin(), x.begin() + static_cast<long>(12 * kRate)),
      y12(y.begin(), y.begin() + static_cast<long>(12 * kRate));
  const CouplingResult s = Coupling({x12}, {y12}, kRate, o);
  EXPECT_TRUE(s.ok) << "the observed curve is still computed";
  EXPECT_FALSE(s.tested);
  EXPECT_TRUE(std::isnan(s.pooled.peak_p));
  EXPECT_EQ(s.not_tested, "the shared span (12.0 s) is shorter than the 15.0 s this test needs (three 5-s bootstrap blocks)");

  o.kind = SurrogateKind::kCircularShift;
  const CouplingResult c = Coupling({x}, {y}, kRate, o);
  EXPECT_FALSE(c.tested);
  EXPECT_NE(c.not_tested.find("effectively different surrogates; this test needs 172 s"), std::string::npos) << c.not_tested;
  // On a long recording circular shifts run, and their p never goes below what the number of
  // effectively different shifts allows.
  const auto lx = Ar1(static_cast<size_t>(600 * kRate), 23);
  const auto ly = Follow(lx, 0.6, 1.0, 24);
  const CouplingResult l = Coupling({lx}, {ly}, kRate, o);
  ASSERT_TRUE(l.tested) << l.not_tested;
  EXPECT_DOUBLE_EQ(l.effective_shifts, std::floor((600.0 - 20) / 8));
  EXPECT_DOUBLE_EQ(l.p_floor, 1.0 / (l.effective_shifts + 1));
  EXPECT_DOUBLE_EQ(l.pooled.peak_p, l.p_floor);
  // kAuto: the bootstrap up to 900 s, circular shifts beyond.
  EXPECT_EQ(ResolveKind({}, 900), SurrogateKind::kBlockBootstrap);
  EXPECT_EQ(ResolveKind({}, 901), SurrogateKind::kCircularShift);
}

TEST(Coupling, EmptyOrFlatIsNotOk) {
  std::vector<float> nan(2000, kNaN), flat(2000, 1.f);
  EXPECT_FALSE(Coupling({nan}, {nan}, kRate, {}).ok);
  const auto r = Coupling({flat}, {flat}, kRate, {});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.not_tested, "no channel has enough jointly valid, varying samples");
}

TEST(Surrogates, ChanceMatchesItsDefinition) {
  // R: quantile(1:10, c(0.025, 0.975), type = 7) -> 1.225, 9.775
  std::vector<double> v;
  for (int i = 10; i >= 1; --i) v.push_back(i);
  v.push_back(std::nan(""));
  const Chance c = ChanceOf(v);
  EXPECT_EQ(c.n, 10);
  EXPECT_DOUBLE_EQ(c.mean, 5.5);
  EXPECT_NEAR(c.lo95, 1.225, 1e-12);
  EXPECT_NEAR(c.hi95, 9.775, 1e-12);
  EXPECT_TRUE(std::isnan(ChanceOf({}).mean));
}

// 17 AU series (facs.h order) of zeros with bumps.
struct Aus {
  std::vector<std::vector<float>> v;
  explicit Aus(size_t n) : v(17, std::vector<float>(n, 0.f)) {}
  void Bump(int code, double onset_s, double peak = 3) {
    static const int order[] = {1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45};
    int slot = 0;
    while (order[slot] != code) ++slot;
    for (size_t i = 0; i < v[0].size(); ++i) {
      const double t = static_cast<double>(i) / kRate - onset_s;
      if (t > 0 && t < 1.5) v[static_cast<size_t>(slot)][i] = static_cast<float>(peak * std::sin(3.14159265358979 * t / 1.5));
    }
  }
  std::vector<std::span<const float>> Spans() const { return {v.begin(), v.end()}; }
};

TEST(Events, DetectsMergesAndTimesExpressions) {
  Aus a(900);
  a.Bump(12, 2.0);
  a.Bump(6, 2.05);  // with the smile: one expression, primary smile
  a.Bump(4, 10.0);
  a.Bump(25, 20.0);
  const auto ev = DetectEvents(a.Spans(), 0, kRate, {});
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(Actions()[static_cast<size_t>(ev[0].action)].name, std::string("smile"));
  EXPECT_EQ(ev[0].actions.size(), 2u);
  EXPECT_EQ(Actions()[static_cast<size_t>(ev[1].action)].name, std::string("brow_lower"));
  EXPECT_EQ(Actions()[static_cast<size_t>(ev[2].action)].name, std::string("mouth_open"));
  // Onset where the (smoothed) curve crosses 25% of its peak: sin(pi t/1.5) = 0.25 at t = 0.12 s.
  EXPECT_NEAR(ev[1].onset_s, 10.12, 0.1);
  EXPECT_NEAR(ev[1].apex_s, 10.75, 0.05);
}

TEST(Events, StrictAndBroadAnswersAndTheirChanceLevel) {
  const size_t n = 30 * 300;  // 5 minutes
  Aus a(n), b(n);
  int strict = 0, broad = 0;
  for (int k = 0; k < 30; ++k) {
    const double t = 5 + 9.5 * k;
    a.Bump(k % 3 == 0 ? 4 : 12, t);
    if (k % 2 == 0) {
      b.Bump(k % 3 == 0 ? 4 : 12, t + 0.6);  // strict
      ++strict;
    } else if (k % 5 != 0) {
      b.Bump(k % 3 == 0 ? 23 : 6, t + 0.8);  // broad: frown -> lip press, smile -> cheek raise
      ++broad;
    }
  }
  const auto ea = DetectEvents(a.Spans(), 0, kRate, {}), eb = DetectEvents(b.Spans(), 0, kRate, {});
  MimicryOptions o;
  o.surrogates = 300;
  const MimicryResult r = Mimicry(ea, eb, 0, 300, o);
  std::printf("[ figures ] strict %d (truth %d, expected %.2f, p %.4f), broad %d (truth %d, expected %.2f), latency %.2f s\n",
              r.strict_ab.count, strict, r.strict_ab.expected, r.strict_ab.p, r.broad_ab.count, broad,
              r.broad_ab.expected, r.strict_ab.median_latency_s);
  EXPECT_EQ(r.strict_ab.count, strict);
  EXPECT_EQ(r.broad_ab.count, broad);
  EXPECT_NEAR(r.strict_ab.median_latency_s, 0.6, 0.05);
  EXPECT_LT(r.strict_ab.p, 0.01);
  EXPECT_LT(r.strict_ab.expected, 4.0);
  EXPECT_GT(r.strict_ab.index, 0.4);
  EXPECT_EQ(r.strict_ba.count + r.broad_ba.count, 0) << "a never answers b";
  EXPECT_LT(r.direction_p, 0.01);
  // Segment shuffling gives the same picture.
  o.kind = EventSurrogate::kSegmentShuffle;
  EXPECT_LT(Mimicry(ea, eb, 0, 300, o).strict_ab.p, 0.01);
}

TEST(Events, MissingDataIsNeverSpanned) {
  Aus a(300);
  a.Bump(12, 3.0);
  for (size_t i = 100; i < 105; ++i) a.v[8][i] = kNaN;  // a hole at 3.33 s inside the smile
  const auto ev = DetectEvents(a.Spans(), 0, kRate, {});
  ASSERT_FALSE(ev.empty()) << "the smile's parts on either side of the hole are still events";
  for (const auto& e : ev) EXPECT_FALSE(e.onset_s < 3.4 && e.offset_s > 3.4) << e.onset_s << " " << e.offset_s;
}

}  // namespace
}  // namespace mimicry::sync

namespace mimicry::sync {
namespace {

TEST(Events, SeriesRisesAreMovementEventsWithAThresholdInTheirUnits) {
  // 60 s at 10 Hz of a baseline 100 with three bursts to 400 (1 s each) and one to 150.
  std::vector<float> x(600, 100.0f);
  for (int b : {100, 250, 400})
    for (int i = 0; i < 10; ++i) x[static_cast<size_t>(b + i)] = 400.0f;
  for (int i = 0; i < 10; ++i) x[static_cast<size_t>(500 + i)] = 150.0f;
  for (int i = 0; i < 600; ++i) x[static_cast<size_t>(i)] += static_cast<float>((i * 7919) % 11) - 5.0f;  // +-5 noise
  EventOptions o;
  o.threshold = -std::numeric_limits<double>::infinity();
  auto all = DetectSeriesEvents(x, 0, 10, o);
  ASSERT_EQ(all.size(), 4u) << "the robust rule alone finds every burst";
  EXPECT_EQ(Actions()[static_cast<size_t>(all[0].action)].name, std::string("movement"));
  EXPECT_NEAR(all[0].onset_s, 10.0, 0.25);
  o.threshold = 200;  // in the series' units
  auto big = DetectSeriesEvents(x, 0, 10, o);
  ASSERT_EQ(big.size(), 3u);
  EXPECT_GT(big[2].intensity, 350.0f);
  // A gap inside a burst is never spanned; AU input never gives movement events.
  x[255] = std::numeric_limits<float>::quiet_NaN();
  for (const auto& e : DetectSeriesEvents(x, 0, 10, o)) EXPECT_FALSE(e.onset_s < 25.5 && e.offset_s > 25.5);
  std::vector<std::vector<float>> aus(17, std::vector<float>(600, 0.0f));
  std::vector<std::span<const float>> spans(aus.begin(), aus.end());
  for (const auto& e : DetectEvents(spans, 0, 10, EventOptions{})) EXPECT_NE(Actions()[static_cast<size_t>(e.action)].name, std::string("movement"));
}

}  // namespace
}  // namespace mimicry::sync
