// rMEA-compatible windowed cross-correlation and preprocessing against rMEA 1.3.0 itself.
// Reference values: R 4.2.2 (Debian), rMEA 1.3.0's own R files sourced (R/rMEA_class.R,
// rMEA_ccf.R, rMea_filter.R, rMEA_util.R from github.com/kleinbub/rMEA):
//   n <- 120; t <- 0:(n-1)
//   s1 <- sin(t/3) + 0.3*cos(t*1.7); s2 <- c(rep(0,4), head(s1, n-4)) + 0.2*sin(t*0.9)
//   s1[c(15,16,40)] <- NA; s2[c(70)] <- NA
//   m <- MEA(data.frame(s1=s1,s2=s2), sampRate=10, id="x", session=1, group="g", s1Name="a", s2Name="b")
//   r <- MEAccf(m, lagSec=1, winSec=3, incSec=2, r2Z=TRUE, ABS=FALSE)
//   r$ccf[1,]; r$ccf[3, c(1,6,11,16,21)]; r$ccfRes$grandAver; r$ccfRes$bestLag; r$ccfRes$s1_lead; r$ccfRes$s2_lead
//   sasFiltB(c(1:10, NA, 12:20), sampRate=25, winSec=0.5); sasFiltB(c(1:10, NA, 12:20), sampRate=30, winSec=0.5)
// The real dyads (../shared/media/rmea) are checked end to end in libs/pipeline/test.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "mimicry/sync/rmea.h"
#include "mimicry/sync/xcorr.h"

namespace mimicry::sync {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void Planted(std::vector<double>& s1, std::vector<double>& s2) {
  const int n = 120;
  s1.assign(n, 0);
  s2.assign(n, 0);
  for (int t = 0; t < n; ++t) s1[t] = std::sin(t / 3.0) + 0.3 * std::cos(t * 1.7);
  for (int t = 0; t < n; ++t) s2[t] = (t >= 4 ? s1[t - 4] : 0.0) + 0.2 * std::sin(t * 0.9);
  s1[14] = s1[15] = s1[39] = kNaN;  // R's 1-based 15, 16, 40
  s2[69] = kNaN;
}

TEST(Rmea, CcfEqualsRmeaWithMissingSamples) {
  std::vector<double> s1, s2;
  Planted(s1, s2);
  auto r = RmeaCcf(s1, s2, 10, {.lag_s = 1, .win_s = 3, .inc_s = 2, .fisher_z = true, .abs = false});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->windows.size(), 5u);
  ASSERT_EQ(r->lags_s.size(), 21u);
  EXPECT_DOUBLE_EQ(r->lags_s.front(), -1.0);
  const double row1[21] = {-0.0759637759960985, -0.4629681890689781, -0.6576960631960623, -0.7982419781507797,
                           -1.2299884164658037, -1.3414329416559299, -0.7890382221203178, -0.5249560561970074,
                           -0.4587656624768606, -0.1833062796782997, 0.2692340582359024,  0.4833201223399470,
                           0.5731620828474636,  1.0551511702257401,  2.2390812068597175,  1.1158743891804923,
                           0.5966461351080738,  0.5086373461809353,  0.3391158014365942,  -0.0728476282944922,
                           -0.3679767838252845};
  for (int k = 0; k < 21; ++k) EXPECT_NEAR(r->at(0, k), row1[k], 1e-12) << "lag " << r->lags_s[k];
  const double row3[5] = {0.0375741057001206, -1.9748140944001116, 0.2230033869636815, 1.3086968748349930, -0.4173676452365150};
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(r->at(2, 5 * k), row3[k], 1e-12);
  EXPECT_NEAR(r->grand_average, 0.00548483626580821, 1e-12);
  const double s1_lead[5] = {0.647016384205919, 0.722907682003976, 0.763236086070422, 0.766709054183903, 0.729618416718687};
  const double s2_lead[5] = {-0.652235758500614, -0.790949325288949, -0.762157487917826, -0.752858609938911, -0.741684685551583};
  for (int w = 0; w < 5; ++w) {
    EXPECT_NEAR(r->windows[w].s1_lead, s1_lead[w], 1e-12);
    EXPECT_NEAR(r->windows[w].s2_lead, s2_lead[w], 1e-12);
    EXPECT_NEAR(r->windows[w].best_lag_s, 0.4, 1e-12);  // s2 is s1 four samples later: s2 follows
    EXPECT_DOUBLE_EQ(r->windows[w].start_s, 2.0 * w);
    EXPECT_DOUBLE_EQ(r->windows[w].end_s, 2.0 * w + 3);
  }
  EXPECT_NEAR(r->best_lag_median_s, 0.4, 1e-12);
}

TEST(Rmea, PlainRAbsAndClipping) {
  std::vector<double> s1, s2;
  Planted(s1, s2);
  auto z = RmeaCcf(s1, s2, 10, {.lag_s = 1, .win_s = 3, .inc_s = 2, .fisher_z = true});
  auto r = RmeaCcf(s1, s2, 10, {.lag_s = 1, .win_s = 3, .inc_s = 2, .fisher_z = false});
  auto a = RmeaCcf(s1, s2, 10, {.lag_s = 1, .win_s = 3, .inc_s = 2, .fisher_z = true, .abs = true});
  ASSERT_TRUE(z.ok() && r.ok() && a.ok());
  for (size_t i = 0; i < z->matrix.size(); ++i) {
    EXPECT_NEAR(z->matrix[i], std::atanh(r->matrix[i]), 1e-12);
    EXPECT_NEAR(a->matrix[i], std::abs(z->matrix[i]), 1e-15);
  }
  // r = 1 gives Fisher z clipped to 10, as rMEA does; an identical copy is NA at lag 0
  // (rMEA's rule: fewer than two samples differ).
  std::vector<double> x(200), y(200);
  for (int i = 0; i < 200; ++i) x[i] = std::sin(i * 0.37) + 0.01 * i, y[i] = 2 * x[i] + 1;
  auto one = RmeaCcf(x, y, 10, {.lag_s = 0.5, .win_s = 4, .inc_s = 4});
  ASSERT_TRUE(one.ok());
  EXPECT_DOUBLE_EQ(one->at(0, 5), 10.0);
  EXPECT_DOUBLE_EQ(one->windows[0].best_lag_s, 0.0);
  auto same = RmeaCcf(x, x, 10, {.lag_s = 0.5, .win_s = 4, .inc_s = 4});
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(std::isnan(same->at(0, 5)));
  EXPECT_FALSE(std::isnan(same->at(0, 4)));
}

TEST(Rmea, UndefinedCellsAndRowsAreNa) {
  std::vector<double> s1(100, 3.0), s2(100);
  for (int i = 0; i < 100; ++i) s2[i] = i % 7;
  auto flat = RmeaCcf(s1, s2, 10, {.lag_s = 0.2, .win_s = 3, .inc_s = 3});
  ASSERT_TRUE(flat.ok());
  for (double v : flat->matrix) EXPECT_TRUE(std::isnan(v)) << "a constant side has no correlation";
  EXPECT_TRUE(std::isnan(flat->grand_average));
  EXPECT_TRUE(std::isnan(flat->windows[0].best_lag_s));
  // More than half of a window missing: the whole row is NA, the next one is not.
  std::vector<double> x(100), y(100);
  for (int i = 0; i < 100; ++i) x[i] = std::sin(i * 0.5), y[i] = std::cos(i * 0.3);
  for (int i = 0; i < 17; ++i) y[i] = kNaN;  // 17 of window 0's 32 samples
  auto holes = RmeaCcf(x, y, 10, {.lag_s = 0.2, .win_s = 3, .inc_s = 3});
  ASSERT_TRUE(holes.ok());
  for (size_t k = 0; k < holes->lags_s.size(); ++k) {
    EXPECT_TRUE(std::isnan(holes->at(0, k)));
    EXPECT_FALSE(std::isnan(holes->at(1, k)));
  }
}

TEST(Rmea, BadOptionsAreErrors) {
  std::vector<double> x(100, 1.0), y(100, 2.0), shorter(99, 1.0);
  EXPECT_FALSE(RmeaCcf(x, shorter, 10, {}).ok());
  EXPECT_FALSE(RmeaCcf(x, y, 0, {}).ok());
  EXPECT_FALSE(RmeaCcf(x, y, 10, {.lag_s = 0.05, .win_s = 3, .inc_s = 1}).ok()) << "half a sample of lag";
  EXPECT_FALSE(RmeaCcf(x, y, 10, {.lag_s = 1, .win_s = 0, .inc_s = 1}).ok());
  EXPECT_FALSE(RmeaCcf(x, y, 10, {.lag_s = 1, .win_s = 10, .inc_s = 1}).ok()) << "no full window in 10 s";
  const auto s = RmeaCcf(x, y, 10, {.lag_s = 1, .win_s = 10, .inc_s = 1}).status();
  EXPECT_NE(s.message().find("single full window"), std::string::npos) << s.message();
}

TEST(Rmea, SmoothReproducesRmeaIndexArithmetic) {
  std::vector<double> x;
  for (int i = 1; i <= 20; ++i) x.push_back(i == 11 ? kNaN : i);
  // Fractional window (12.5 samples at 25 Hz): sasFiltB gives 1.68 2.24 2.88 3.60 4.40 then 0.
  const auto a = RmeaSmooth(x, 25, 0.5);
  const double ra[5] = {1.68, 2.24, 2.88, 3.60, 4.40};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(a[i], ra[i], 1e-12);
  for (int i = 5; i < 20; ++i) {
    if (i == 10) EXPECT_TRUE(std::isnan(a[i])) << "a missing sample stays missing (MEAsmooth)";
    else EXPECT_EQ(a[i], 0.0) << i;
  }
  // Whole window (15 samples at 30 Hz): 2.4, 3, 3.6667 then 0.
  const auto b = RmeaSmooth(x, 30, 0.5);
  EXPECT_NEAR(b[0], 2.4, 1e-12);
  EXPECT_NEAR(b[1], 3.0, 1e-12);
  EXPECT_NEAR(b[2], 3.66666666666667, 1e-12);
  EXPECT_EQ(b[3], 0.0);
  // Without missing data, the middle is a plain moving average and the last samples are 0.
  std::vector<double> ramp(100);
  for (int i = 0; i < 100; ++i) ramp[i] = i;
  const auto c = RmeaSmooth(ramp, 30, 0.5);
  EXPECT_NEAR(c[50], 50.0, 1e-12);
  EXPECT_EQ(c[99], 0.0);
  EXPECT_EQ(c[93], 0.0);
  EXPECT_NEAR(c[92], 92.0, 1e-12);  // R: sasFiltB(0:99, sampRate=30, winSec=0.5)[c(51,92,93,94,100)] = 50 91 92 0 0
}

TEST(Rmea, ScaleDividesBySampleSd) {
  const std::vector<double> x = {1, 2, 3, kNaN, 4};
  const auto s = RmeaScale(x);  // R: scale(x, center = FALSE, scale = sd(na.omit(x))), sd = 1.2909944
  EXPECT_NEAR(s[0], 1 / 1.2909944487358056, 1e-12);
  EXPECT_NEAR(s[4], 4 / 1.2909944487358056, 1e-12);
  EXPECT_TRUE(std::isnan(s[3]));
  const auto flat = RmeaScale(std::vector<double>(5, 2.0));
  EXPECT_TRUE(std::isnan(flat[0]));
}

}  // namespace
}  // namespace mimicry::sync
