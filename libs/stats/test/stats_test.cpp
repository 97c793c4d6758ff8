// Reference values computed once with R 4.2 (Debian r-base-core); the R line that made each
// is beside it. x and y below are the R vectors
//   x <- c(2.5, -1.25, 3.75, 0.5, 8, 4.25, -2, 6.5, 1, 3)
//   y <- c(1.2, -0.4, 2.9, 0.1, 6.3, 2.2, -1.7, 4.8, 1.9, 1.5)
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "mimicry/stats/correlation.h"
#include "mimicry/stats/descriptive.h"
#include "mimicry/stats/distributions.h"
#include "mimicry/stats/models.h"
#include "mimicry/stats/random.h"
#include "mimicry/stats/tests.h"

namespace mimicry::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const std::vector<double> kX = {2.5, -1.25, 3.75, 0.5, 8, 4.25, -2, 6.5, 1, 3};
const std::vector<double> kY = {1.2, -0.4, 2.9, 0.1, 6.3, 2.2, -1.7, 4.8, 1.9, 1.5};

std::vector<double> WithGaps(std::vector<double> v) {
  v.insert(v.begin() + 3, kNaN);
  v.push_back(std::numeric_limits<double>::infinity());
  return v;
}

TEST(Descriptive, MatchesR) {
  EXPECT_NEAR(Mean(kX), 2.625, 1e-15);                  // mean(x)
  EXPECT_NEAR(Sd(kX), 3.1890655196920759, 1e-14);       // sd(x)
  EXPECT_NEAR(Median(kX), 2.75, 1e-15);                 // median(x): the two middle values averaged
  EXPECT_NEAR(Median(std::span(kX).first(9)), 2.5, 1e-15);  // median(x[1:9])
  EXPECT_NEAR(Mad(kX), 2.9651999999999998, 1e-14);      // mad(x)
  // quantile(x, c(0, 0.025, 0.1, 0.5, 0.9, 0.975, 1), type = 7)
  const double p[] = {0, 0.025, 0.1, 0.5, 0.9, 0.975, 1};
  const double want[] = {-2, -1.8312499999999998, -1.3250000000000002, 2.75, 6.6499999999999995, 7.6625000000000005, 8};
  for (size_t i = 0; i < std::size(p); ++i) EXPECT_NEAR(Quantile(kX, p[i]), want[i], 1e-13) << "p = " << p[i];
}

TEST(Descriptive, MissingValuesAreSkippedNeverCounted) {
  const auto g = WithGaps(kX);
  EXPECT_NEAR(Mean(g), Mean(kX), 1e-15);
  EXPECT_NEAR(Sd(g), Sd(kX), 1e-15);
  EXPECT_NEAR(Median(g), 2.75, 1e-15);
  EXPECT_NEAR(Quantile(g, 0.9), 6.6499999999999995, 1e-13);
  const std::vector<float> f = {3, NAN, 1, 2, 10};
  EXPECT_DOUBLE_EQ(Median(std::span<const float>(f)), 2.5);
  const std::vector<double> none = {kNaN, kNaN};
  EXPECT_TRUE(std::isnan(Mean(none)));
  EXPECT_TRUE(std::isnan(Median(none)));
  EXPECT_TRUE(std::isnan(Mad(none)));
  EXPECT_TRUE(std::isnan(Sd(std::vector<double>{1.0})));
  EXPECT_TRUE(std::isnan(Quantile(kX, 1.5)));
}

TEST(Correlation, MatchesR) {
  EXPECT_NEAR(Pearson(kX, kY), 0.9634698191802793, 1e-14);  // cor(x, y)
  // t <- c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3); rank(t)
  const std::vector<double> t = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
  const std::vector<double> want = {4.5, 1.5, 6, 1.5, 7.5, 10, 3, 9, 7.5, 4.5};
  EXPECT_EQ(Ranks(t), want);
  // u <- c(10, 20, 20, 30, 25, 5, 40, 35, 15, 20); cor(t, u, method = "spearman")
  const std::vector<double> u = {10, 20, 20, 30, 25, 5, 40, 35, 15, 20};
  EXPECT_NEAR(Spearman(t, u), -0.31579098712603332, 1e-14);
  EXPECT_NEAR(FisherZ(0.5), 0.54930614433405489, 1e-15);  // atanh(0.5)
  EXPECT_NEAR(FisherZ(1.0), std::atanh(0.9999), 1e-12);
}

TEST(Correlation, IncompletePairsAreLeftOutAndConstantsHaveNoCorrelation) {
  auto x = WithGaps(kX), y = WithGaps(kY);
  y[0] = kNaN;  // drops the pair (2.5, 1.2)
  const std::vector<double> x9(kX.begin() + 1, kX.end()), y9(kY.begin() + 1, kY.end());
  EXPECT_NEAR(Pearson(x, y), Pearson(x9, y9), 1e-14);
  EXPECT_NEAR(Spearman(x, y), Spearman(x9, y9), 1e-14);
  const std::vector<double> c(10, 4.2);
  EXPECT_TRUE(std::isnan(Pearson(kX, c)));
  EXPECT_TRUE(std::isnan(Pearson(std::span(kX).first(2), std::span(kY).first(2))));
  EXPECT_TRUE(std::isnan(Ranks(x)[3]));
  // Far from zero: the two-pass sums keep the correlation.
  std::vector<double> big(kX), bigy(kY);
  for (auto& v : big) v += 1e9;
  for (auto& v : bigy) v += 1e9;
  EXPECT_NEAR(Pearson(big, bigy), 0.9634698191802793, 1e-6);
}

TEST(Distributions, MatchR) {
  // qt(0.975, c(1, 2, 5, 11, 30, 1000)); qt(0.05, 7)
  const double df[] = {1, 2, 5, 11, 30, 1000};
  const double want[] = {12.706204736174694, 4.3026527297494619, 2.5705818356363137, 2.2009851600916388, 2.0422724563012378,
                         1.9623390808264076};
  for (size_t i = 0; i < std::size(df); ++i) EXPECT_NEAR(TQuantile975(df[i]), want[i], 1e-12 * want[i]) << "df " << df[i];
  EXPECT_NEAR(TQuantile(0.05, 7), -1.8945786050900069, 1e-12);
  // format(qt(0.975, c(2.5, 9, 29, 100)), digits = 15): fractional df (Welch-type and
  // effective sample sizes) too
  const double df2[] = {2.5, 9, 29, 100};
  const double want2[] = {3.57465484200369, 2.26215716279820, 2.04522964213270, 1.98397151852355};
  for (size_t i = 0; i < std::size(df2); ++i) EXPECT_NEAR(TQuantile975(df2[i]), want2[i], 1e-12) << "df " << df2[i];
  EXPECT_TRUE(std::isnan(TQuantile975(std::nan(""))));
  // qnorm(c(0.975, 0.5, 0.01))
  EXPECT_NEAR(NormalQuantile(0.975), 1.9599639845400536, 1e-13);
  EXPECT_NEAR(NormalQuantile(0.5), 0, 1e-15);
  EXPECT_NEAR(NormalQuantile(0.01), -2.3263478740408408, 1e-13);
  EXPECT_TRUE(std::isnan(TQuantile975(0)));
  EXPECT_TRUE(std::isnan(TQuantile(1.0, 5)));
  EXPECT_TRUE(std::isnan(NormalQuantile(0)));
}

TEST(Tests, EffectSizesAndAdjustmentMatchR) {
  // a <- x[1:6]; b <- y[1:4]; sp <- sqrt(((6-1)*var(a) + (4-1)*var(b))/8); d <- (mean(a)-mean(b))/sp
  // g <- d * (1 - 3/(4*10 - 9))
  const std::span<const double> a(kX.data(), 6), b(kY.data(), 4);
  EXPECT_NEAR(CohensD(a, b), 0.74531696172565209, 1e-13);
  EXPECT_NEAR(HedgesG(a, b), 0.67318951381671799, 1e-13);
  EXPECT_NEAR(CohensD(b, a), -0.74531696172565209, 1e-13) << "signed";
  // rMEA 1.3.0, R/rMEA_util.R: cohens_d(c(0.12,0.05,0.2,0.08), c(0.01,-0.03,0.04,0.0,0.02,-0.01)) = 2.43244732728172
  const std::vector<double> rx = {0.12, 0.05, 0.2, 0.08}, ry = {0.01, -0.03, 0.04, 0.0, 0.02, -0.01};
  EXPECT_NEAR(CohensD(rx, ry), 2.43244732728172, 1e-12);
  EXPECT_NEAR(CohensD(ry, rx), -2.43244732728172, 1e-12) << "signed (rMEA prints |d|)";
  EXPECT_TRUE(std::isnan(CohensD(std::vector<double>{}, ry)));
  EXPECT_TRUE(std::isnan(CohensD(std::vector<double>{1.0}, std::vector<double>{2.0})));
  // One value against many: the pooled SD is the other side's (rMEA: NA, as var() of one value is NA).
  EXPECT_TRUE(std::isfinite(CohensD(std::vector<double>{0.3}, ry)));
  // p <- c(0.01, 0.04, 0.03, 0.20, 0.005, 0.5, 0.049); p.adjust(p, "BH")
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.20, 0.005, 0.5, 0.049};
  const std::vector<double> want = {0.035, 0.0686, 0.0686, 0.23333333333333336, 0.035, 0.5, 0.0686};
  const auto q = BenjaminiHochberg(p);
  ASSERT_EQ(q.size(), want.size());
  for (size_t i = 0; i < q.size(); ++i) EXPECT_NEAR(q[i], want[i], 1e-14) << i;
  const std::vector<double> null = {0.1, 0.5, 0.7, kNaN, 0.9};
  EXPECT_DOUBLE_EQ(UpperP(0.6, null), 3.0 / 5.0);
  EXPECT_TRUE(std::isnan(UpperP(kNaN, null)));
}

// The permutation test of a mean difference holds its size under the null and finds a
// planted difference (an always-p = 1 or always-p = 0 implementation fails here).
TEST(Tests, PermutationTestHoldsSizeAndHasPower) {
  std::mt19937_64 gen(7);
  std::normal_distribution<double> n01(0, 1);
  const int kTrials = 400, kPerGroup = 12;
  std::vector<int> grp(2 * kPerGroup);
  for (int i = 0; i < 2 * kPerGroup; ++i) grp[static_cast<size_t>(i)] = i < kPerGroup ? 0 : 1;
  int null_hits = 0, power_hits = 0;
  for (int t = 0; t < kTrials; ++t) {
    std::vector<double> v0(grp.size()), v1(grp.size());
    for (size_t i = 0; i < grp.size(); ++i) {
      v0[i] = n01(gen);
      v1[i] = n01(gen) + (grp[i] == 0 ? 1.5 : 0.0);
    }
    null_hits += CompareMeans(v0, grp, 199, 1000 + static_cast<uint64_t>(t)).p < 0.05;
    const auto r = CompareMeans(v1, grp, 199, 5000 + static_cast<uint64_t>(t));
    power_hits += r.p < 0.05;
    if (t == 0) {
      EXPECT_EQ(r.n_a, kPerGroup);
      EXPECT_NEAR(r.diff, r.mean_a - r.mean_b, 1e-12);
      EXPECT_NEAR(r.g, HedgesG(std::span(v1).first(kPerGroup), std::span(v1).last(kPerGroup)), 1e-12);
    }
  }
  const double size = static_cast<double>(null_hits) / kTrials, power = static_cast<double>(power_hits) / kTrials;
  std::printf("permutation test of a mean difference, %d trials: size %.3f, power at d = 1.5 %.3f\n", kTrials, size, power);
  EXPECT_GE(size, 0.02);
  EXPECT_LE(size, 0.08);
  EXPECT_GE(power, 0.85) << "d = 1.5 with 12 per group: the t test's power is 0.93 (R: power.t.test(n = 12, delta = 1.5))";
  // Groups too small for a test: no p, no g.
  const std::vector<double> v = {1, 2, 3};
  const std::vector<int> g = {0, 1, 1};
  const auto small = CompareMeans(v, g, 99, 1);
  EXPECT_TRUE(std::isnan(small.p));
  EXPECT_TRUE(std::isnan(small.g));
  EXPECT_DOUBLE_EQ(small.diff, -1.5);
}

TEST(Tests, SpearmanPermutationTestMatchesRsExactTest) {
  // w <- c(4, 9, 2, 7, 10, 1, 6, 3, 8, 5); w2 <- c(3, 1, 6, 2, 10, 8, 4, 9, 5, 7)
  // cor.test(x, w, method = "spearman", exact = TRUE): rho -0.32121212121212117, p 0.36768399915849753
  // cor.test(x, w2, method = "spearman", exact = TRUE): rho 0.89090909090909076, p 0.0013802671414576686
  const std::vector<double> w = {4, 9, 2, 7, 10, 1, 6, 3, 8, 5}, w2 = {3, 1, 6, 2, 10, 8, 4, 9, 5, 7};
  const auto a = SpearmanPermutationTest(kX, w, 19999, 3);
  EXPECT_NEAR(a.rho, -0.32121212121212117, 1e-14);
  EXPECT_NEAR(a.p, 0.36768399915849753, 0.012) << "Monte Carlo SE ~0.0034";
  EXPECT_EQ(a.n, 10);
  const auto b = SpearmanPermutationTest(kX, w2, 19999, 4);
  EXPECT_NEAR(b.rho, 0.89090909090909076, 1e-14);
  EXPECT_NEAR(b.p, 0.0013802671414576686, 0.0012);
  auto wg = w;
  wg[0] = kNaN;
  EXPECT_EQ(SpearmanPermutationTest(kX, wg, 9, 1).n, 9);
  EXPECT_TRUE(std::isnan(SpearmanPermutationTest(kX, std::vector<double>(10, 1.0), 9, 1).p));
}

TEST(Models, PenalizedFitsMatchR) {
  // X <- cbind(x, y*y); yy <- c(3.1, 0.2, 4.0, 1.1, 9.5, 4.9, -0.5, 7.7, 2.0, 3.3)
  // Z <- cbind(1, scale(X, scale = apply(X, 2, function(c) sqrt(mean((c - mean(c))^2))))); P <- diag(c(0, 1, 1))
  // solve(t(Z) %*% Z + P, t(Z) %*% yy)
  std::vector<double> X;
  for (size_t i = 0; i < kX.size(); ++i) X.push_back(kX[i]), X.push_back(kY[i] * kY[i]);
  const std::vector<double> yy = {3.1, 0.2, 4.0, 1.1, 9.5, 4.9, -0.5, 7.7, 2.0, 3.3};
  const auto ridge = FitPenalized(X, 10, 2, yy, 1.0, false);
  const double want_r[] = {3.5299999999999998, 2.0261842751625392, 0.92063388887560504};
  for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(ridge.weights[k], want_r[k], 1e-12) << k;
  // yb <- c(1,0,1,0,1,1,0,1,0,0)
  // f <- function(w) { eta <- Z %*% w; -sum(yb * eta - log(1 + exp(eta))) + 0.5 * sum((P %*% w) * w) }
  // optim(c(0, 0, 0), f, method = "BFGS", control = list(reltol = 1e-14, maxit = 10000))$par
  const std::vector<double> yb = {1, 0, 1, 0, 1, 1, 0, 1, 0, 0};
  const auto logit = FitPenalized(X, 10, 2, yb, 1.0, true);
  const double want_l[] = {0.14427956614638973, 1.1723884006396748, 0.50389635173952152};
  for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(logit.weights[k], want_l[k], 1e-5) << k << " (optim's tolerance)";
  // Penalised and minimised: the logit weights satisfy the score equations exactly.
  const double row0[] = {kX[0], kY[0] * kY[0]};
  EXPECT_NEAR(ridge.Predict(row0, false), want_r[0] + want_r[1] * (kX[0] - ridge.mean[0]) / ridge.sd[0] +
                                               want_r[2] * (row0[1] - ridge.mean[1]) / ridge.sd[1], 1e-10);
}

// Out-of-fold predictions carry a real signal and do not invent one from noise.
TEST(Models, CrossValidationFindsSignalAndNotNoise) {
  std::mt19937_64 gen(11);
  std::normal_distribution<double> n01(0, 1);
  const size_t n = 60, p = 3;
  std::vector<double> X(n * p), lin(n), bin(n), noise(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < p; ++c) X[i * p + c] = n01(gen);
    lin[i] = 2 * X[i * p] - X[i * p + 1] + 0.5 * n01(gen);
    bin[i] = lin[i] + 0.5 * n01(gen) > 0 ? 1 : 0;
    noise[i] = n01(gen);
  }
  CrossValidationOptions o;
  const auto pl = CrossValidatedPredictions(X, n, p, lin, o);
  EXPECT_GT(Pearson(pl, lin), 0.9);
  o.binary = true;
  const auto pb = CrossValidatedPredictions(X, n, p, bin, o);
  EXPECT_GT(Auc(pb, bin), 0.85);
  for (double v : pb) EXPECT_TRUE(v > 0 && v < 1);
  o.binary = false;
  // Noise: out of fold, nothing to predict (in-sample fits would show r ~ 0.2 here).
  double mean_r = 0;
  for (uint64_t s = 1; s <= 20; ++s) {
    std::vector<double> y(n);
    for (auto& v : y) v = n01(gen);
    o.seed = s;
    mean_r += Pearson(CrossValidatedPredictions(X, n, p, y, o), y) / 20;
  }
  EXPECT_LT(mean_r, 0.15);
  EXPECT_GT(mean_r, -0.5);
}

TEST(Models, OutOfSampleR2MatchesItsDefinition) {
  // R: y <- c(1, 2, 3, 4); p <- c(1.5, 1.5, 3.5, 3.5); 1 - sum((y - p)^2) / sum((y - mean(y))^2) -> 0.8
  const std::vector<double> y = {1, 2, 3, 4}, p = {1.5, 1.5, 3.5, 3.5};
  EXPECT_DOUBLE_EQ(OutOfSampleR2(p, y), 0.8);
  // Predicting the mean gives 0; worse than the mean is negative:
  // p2 <- c(4, 3, 2, 1); 1 - sum((y - p2)^2) / sum((y - mean(y))^2) -> -3
  EXPECT_DOUBLE_EQ(OutOfSampleR2(std::vector<double>(4, 2.5), y), 0);
  EXPECT_DOUBLE_EQ(OutOfSampleR2(std::vector<double>{4, 3, 2, 1}, y), -3);
  // A sample without a prediction leaves both sums; mean(y) stays that of all of y (2.5):
  // 1 - ((1-1.5)^2 + (2-1.5)^2 + (3-3.5)^2) / ((1-2.5)^2 + (2-2.5)^2 + (3-2.5)^2) = 1 - 0.75 / 2.75
  EXPECT_DOUBLE_EQ(OutOfSampleR2(std::vector<double>{1.5, 1.5, 3.5, NAN}, y), 1 - 0.75 / 2.75);
  EXPECT_TRUE(std::isnan(OutOfSampleR2(std::vector<double>(4, NAN), y)));
  EXPECT_TRUE(std::isnan(OutOfSampleR2(p, std::vector<double>(4, 2.0))));  // y does not vary
}

TEST(Models, AucMatchesR) {
  // s <- c(0.9, 0.8, 0.8, 0.3, 0.6, 0.2, 0.7, 0.1); lab <- c(1, 1, 0, 0, 1, 0, 1, 0)
  // wilcox.test(s[lab == 1], s[lab == 0], exact = FALSE)$statistic / (4 * 4)
  const std::vector<double> s = {0.9, 0.8, 0.8, 0.3, 0.6, 0.2, 0.7, 0.1}, lab = {1, 1, 0, 0, 1, 0, 1, 0};
  EXPECT_DOUBLE_EQ(Auc(s, lab), 0.84375);
  EXPECT_TRUE(std::isnan(Auc(s, std::vector<double>(8, 1.0))));
}

TEST(Random, SplitMix64AndDerivedStreams) {
  // splitmix64's published first outputs for state 0 (Vigna's reference implementation).
  Rng r(0);
  EXPECT_EQ(r.Next(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(r.Next(), 0x6E789E6AA1B965F4ull);
  Rng a = Rng::Derived(42, 3), b = Rng::Derived(42, 3), c = Rng::Derived(42, 4);
  EXPECT_EQ(a.Next(), b.Next());
  EXPECT_NE(Rng::Derived(42, 3).Next(), c.Next());
  Rng u(9);
  int hist[4] = {0, 0, 0, 0};
  for (int i = 0; i < 40000; ++i) {
    const int64_t k = u.Int(0, 3);
    ASSERT_GE(k, 0);
    ASSERT_LE(k, 3);
    ++hist[k];
  }
  for (int h : hist) EXPECT_NEAR(h, 10000, 400);
}

}  // namespace
}  // namespace mimicry::stats
