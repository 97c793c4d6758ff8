// Predictive models with honest (out-of-fold) evaluation.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace mimicry::stats {

struct CrossValidationOptions {
  int folds = 5;          // >= 2; rows are dealt to folds in turn after a seeded shuffle
  double lambda = 1.0;    // ridge penalty on the standardised slopes (the intercept is free), >= 0
  bool binary = false;    // true: ridge-penalised logistic regression of a 0/1 outcome
  uint64_t seed = 1;      // the fold assignment
};

// A fitted model on standardised predictors: z_c = (x_c - mean[c]) / sd[c] with the
// training rows' mean and population SD (1 for a constant column); the linear predictor is
// weights[0] + sum_c weights[c + 1] z_c.
struct PenalizedFit {
  std::vector<double> mean, sd, weights;
  // The prediction for one row of predictors (cols values): the linear predictor, or its
  // logistic transform for a binary model.
  double Predict(std::span<const double> row, bool binary) const;
};

// Ridge regression (lambda * |slopes|^2 added to the squared error) or, with binary,
// logistic regression with the same penalty added to the negative log-likelihood (Newton
// steps), of y on the standardised columns of X (rows x cols, row-major, every value
// finite). The intercept is not penalised. Pre: rows >= 1, X.size() == rows * cols.
PenalizedFit FitPenalized(std::span<const double> X, size_t rows, size_t cols, std::span<const double> y, double lambda,
                          bool binary);

// Out-of-fold predictions of y from the columns of X (rows x cols, row-major; every value
// finite): for each fold, the predictors are standardised with the training rows' mean and
// SD, the model is fitted on the training rows and predicts the held-out rows. Linear: the
// predicted value; binary: the predicted probability. A fold whose training part has
// fewer than 3 rows predicts NaN. Pre: X.size() == rows * cols, y.size() == rows.
std::vector<double> CrossValidatedPredictions(std::span<const double> X, size_t rows, size_t cols, std::span<const double> y,
                                              const CrossValidationOptions& o);

// Area under the ROC curve of `score` for the 0/1 labels y (the probability that a random
// positive scores above a random negative, ties counting one half; the Mann-Whitney U /
// (n1 n0)). Pairs with a non-finite score are left out; NaN without a positive and a
// negative. Pre: score.size() == y.size().
double Auc(std::span<const double> score, std::span<const double> y);

// Out-of-sample R^2 of predictions `pred` of y: 1 - sum (y - pred)^2 / sum (y - mean(y))^2,
// both sums over the samples with a finite prediction, mean(y) over all of y (finite values)
// -- negative when the predictions do worse than the mean. NaN when no sample has a
// prediction or those y do not vary. Pre: pred.size() == y.size().
double OutOfSampleR2(std::span<const double> pred, std::span<const double> y);

}  // namespace mimicry::stats
