#include "mimicry/stats/models.h"

#include <cassert>
#include <cmath>
#include <limits>

#include <Eigen/Dense>

#include "mimicry/stats/random.h"

namespace mimicry::stats {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

double PenalizedFit::Predict(std::span<const double> row, bool binary) const {
  assert(row.size() == mean.size());
  double eta = weights[0];
  for (size_t c = 0; c < row.size(); ++c) eta += weights[c + 1] * (row[c] - mean[c]) / sd[c];
  return binary ? 1 / (1 + std::exp(-eta)) : eta;
}

PenalizedFit FitPenalized(std::span<const double> X, size_t rows, size_t cols, std::span<const double> y, double lambda,
                          bool binary) {
  assert(rows >= 1 && X.size() == rows * cols && y.size() == rows);
  const long n = static_cast<long>(rows), p = static_cast<long>(cols);
  PenalizedFit f;
  f.mean.assign(cols, 0);
  f.sd.assign(cols, 1);
  for (size_t c = 0; c < cols; ++c) {
    double s = 0, ss = 0;
    for (size_t i = 0; i < rows; ++i) s += X[i * cols + c], ss += X[i * cols + c] * X[i * cols + c];
    f.mean[c] = s / static_cast<double>(rows);
    const double var = ss / static_cast<double>(rows) - f.mean[c] * f.mean[c];
    f.sd[c] = var > 1e-12 ? std::sqrt(var) : 1.0;
  }
  Eigen::MatrixXd Z(n, p + 1);
  Eigen::VectorXd yt(n);
  for (long i = 0; i < n; ++i) {
    Z(i, 0) = 1;
    for (long c = 0; c < p; ++c)
      Z(i, c + 1) = (X[static_cast<size_t>(i * p + c)] - f.mean[static_cast<size_t>(c)]) / f.sd[static_cast<size_t>(c)];
    yt(i) = y[static_cast<size_t>(i)];
  }
  Eigen::MatrixXd pen = lambda * Eigen::MatrixXd::Identity(p + 1, p + 1);
  pen(0, 0) = 0;  // the intercept is not penalised
  Eigen::VectorXd w = Eigen::VectorXd::Zero(p + 1);
  if (!binary) {
    w = (Z.transpose() * Z + pen).ldlt().solve(Z.transpose() * yt);
  } else {
    for (int it = 0; it < 25; ++it) {  // Newton steps (IRLS)
      const Eigen::VectorXd eta = Z * w;
      Eigen::VectorXd mu(eta.size()), wt(eta.size());
      for (long i = 0; i < eta.size(); ++i) {
        mu(i) = 1 / (1 + std::exp(-eta(i)));
        wt(i) = std::max(1e-6, mu(i) * (1 - mu(i)));
      }
      const Eigen::MatrixXd H = Z.transpose() * wt.asDiagonal() * Z + pen;
      const Eigen::VectorXd grad = Z.transpose() * (yt - mu) - pen * w;
      const Eigen::VectorXd step = H.ldlt().solve(grad);
      w += step;
      if (step.norm() < 1e-8) break;
    }
  }
  f.weights.assign(w.data(), w.data() + w.size());
  return f;
}

std::vector<double> CrossValidatedPredictions(std::span<const double> X, size_t rows, size_t cols, std::span<const double> y,
                                              const CrossValidationOptions& o) {
  assert(X.size() == rows * cols && y.size() == rows && o.folds >= 2);
  std::vector<int> fold(rows);
  for (size_t i = 0; i < rows; ++i) fold[i] = static_cast<int>(i % static_cast<size_t>(o.folds));
  Rng rng(o.seed);
  Shuffle(std::span<int>(fold), rng);
  std::vector<double> pred(rows, kNaN);
  for (int f = 0; f < o.folds; ++f) {
    std::vector<double> Xt, yt;
    std::vector<size_t> te;
    for (size_t i = 0; i < rows; ++i) {
      if (fold[i] == f) {
        te.push_back(i);
        continue;
      }
      Xt.insert(Xt.end(), X.begin() + static_cast<std::ptrdiff_t>(i * cols), X.begin() + static_cast<std::ptrdiff_t>((i + 1) * cols));
      yt.push_back(y[i]);
    }
    if (yt.size() < 3 || te.empty()) continue;
    const PenalizedFit fit = FitPenalized(Xt, yt.size(), cols, yt, o.lambda, o.binary);
    for (size_t i : te) pred[i] = fit.Predict(X.subspan(i * cols, cols), o.binary);
  }
  return pred;
}

double OutOfSampleR2(std::span<const double> pred, std::span<const double> y) {
  assert(pred.size() == y.size());
  double sum = 0;
  int n = 0;
  for (double v : y)
    if (std::isfinite(v)) sum += v, ++n;
  if (n == 0) return kNaN;
  const double my = sum / n;
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < y.size(); ++i)
    if (std::isfinite(pred[i]) && std::isfinite(y[i])) ss_res += (y[i] - pred[i]) * (y[i] - pred[i]), ss_tot += (y[i] - my) * (y[i] - my);
  return ss_tot > 0 ? 1 - ss_res / ss_tot : kNaN;
}

double Auc(std::span<const double> score, std::span<const double> y) {
  assert(score.size() == y.size());
  double pairs = 0, wins = 0;
  for (size_t i = 0; i < y.size(); ++i)
    for (size_t j = 0; j < y.size(); ++j)
      if (y[i] == 1 && y[j] == 0 && std::isfinite(score[i]) && std::isfinite(score[j])) {
        pairs += 1;
        wins += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
      }
  return pairs > 0 ? wins / pairs : kNaN;
}

}  // namespace mimicry::stats
