#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "mimicry/sync/events.h"
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
    if (mostly_in_hole) EXPECT_TRUE(std::isnan(w.peak_r)) << w.t_s;
    na += std::isnan(w.peak_r) ? 1 : 0;
  }
  EXPECT_GT(na, 0);
  EXPECT_NEAR(r.lag_mean_s, 0.3, 0.05);
}

TEST(Coupling, PlantedLeaderIsFoundWithSmallP) {
  const auto x = Ar1(9000, 5);  // 5 minutes
  const auto y = Follow(x, 1.2, 1.0, 6);
  CouplingOptions o;
  o.surrogates = 500;
  const CouplingResult r = Coupling({x}, {y}, kRate, o);
  ASSERT_TRUE(r.ok);
  std::printf("[ figures ] planted 1.2 s: lag %.3f s, peak %.3f (z %.1f, p %.4f), asym %.3f (p %.4f)\n",
              r.observed.lag_s, r.observed.peak, r.peak_z, r.peak_p, r.observed.asym, r.lead_p);
  EXPECT_NEAR(r.observed.lag_s, 1.2, 0.05);
  EXPECT_GT(r.observed.asym, 0);
  EXPECT_LT(r.peak_p, 0.01);
  EXPECT_LT(r.lead_p, 0.01);
  const CouplingResult back = Coupling({y}, {x}, kRate, o);
  EXPECT_NEAR(back.observed.lag_s, -1.2, 0.05);
  EXPECT_LT(back.observed.asym, 0);
}

TEST(Coupling, NullPairsAreCalibrated) {
  // 1000 independent pairs, 3 minutes each: leader and synchrony p < 0.05 in about 5%.
  int lead = 0, peak = 0, pairs = 1000;
  CouplingOptions o;
  o.surrogates = 200;
  for (int k = 0; k < pairs; ++k) {
    const auto x = Ar1(5400, 100 + 2 * static_cast<uint64_t>(k)), y = Ar1(5400, 101 + 2 * static_cast<uint64_t>(k));
    o.seed = static_cast<uint64_t>(k) + 1;
    const CouplingResult r = Coupling({x}, {y}, kRate, o);
    ASSERT_TRUE(r.ok);
    lead += r.lead_p < 0.05 ? 1 : 0;
    peak += r.peak_p < 0.05 ? 1 : 0;
  }
  std::printf("[ figures ] %d null pairs: leader p < 0.05 in %.1f%%, synchrony p < 0.05 in %.1f%%\n", pairs,
              100.0 * lead / pairs, 100.0 * peak / pairs);
  EXPECT_LE(lead, pairs * 7 / 100);
  EXPECT_LE(peak, pairs * 7 / 100);
}

TEST(Coupling, PhaseRandomisedSurrogatesAgreeOnAPlantedLag) {
  const auto x = Ar1(3600, 7);
  const auto y = Follow(x, 0.5, 1.0, 8);
  CouplingOptions o;
  o.surrogates = 100;
  o.kind = SurrogateKind::kPhaseRandomised;
  const CouplingResult r = Coupling({x}, {y}, kRate, o);
  ASSERT_TRUE(r.ok);
  EXPECT_NEAR(r.observed.lag_s, 0.5, 0.05);
  EXPECT_LT(r.peak_p, 0.02);
}

TEST(Coupling, TooShortOrEmptyIsNotOk) {
  const auto x = Ar1(200, 9);
  EXPECT_FALSE(Coupling({x}, {x}, kRate, {}).ok);  // 6.7 s < 2 x 10 s shifts
  std::vector<float> nan(20000, kNaN);
  EXPECT_FALSE(Coupling({nan}, {nan}, kRate, {}).ok);
}

TEST(Stats, BenjaminiHochbergMatchesHandComputation) {
  const auto q = BenjaminiHochberg({0.01, 0.04, 0.03, 0.5});
  EXPECT_NEAR(q[0], 0.04, 1e-12);
  EXPECT_NEAR(q[1], 0.04 * 4 / 3, 1e-12);
  EXPECT_NEAR(q[2], 0.04 * 4 / 3, 1e-12);
  EXPECT_NEAR(q[3], 0.5, 1e-12);
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
  for (const auto& e : ev) EXPECT_FALSE(e.onset_s < 3.4 && e.offset_s > 3.4) << e.onset_s << " " << e.offset_s;
}

}  // namespace
}  // namespace mimicry::sync
