// Surrogates for tests against independence, shared by the coupling tests (sync/coupling.h)
// and the event tests (sync/events.h).
//
// A surrogate keeps one participant (x) as recorded and replaces the other (y) by a
// resampled copy that keeps y's own structure but breaks its timing relative to x. Two
// kinds, chosen by the length of the recording (SurrogateKind::kAuto):
//
//  - Block bootstrap (the stationary bootstrap of Politis & Romano 1994): y's time line is
//    rebuilt from blocks of random length (geometric, mean `block_s`), each copied from a
//    random place in y (wrapping at the end) at least 2 max_lag + 1 s away from its own
//    place, so that no block re-creates the recorded alignment. Expressions and their
//    build-up stay whole inside a block; where the block sits relative to x is random.
//    Every surrogate is a fresh draw, so p-values reach 1/(N + 1) even in a 20-s recording.
//  - Circular shift: y shifted by s >= min_shift_s, wrapping. Keeps all of y's structure,
//    but a recording of span T holds only about (T - 2 min_shift) / decorrelation
//    effectively different shifts; resampling them 1000 times does not make 1000
//    independent draws. Its p-values are therefore floored at 1 / (that number + 1).
//
// Why not phase randomisation (and IAAFT): both replace y by a near-Gaussian series with
// y's spectrum; expression series are bursty (a few events), so the surrogate
// correlations have lighter tails than the real null and the test rejects too often
// (measured on real null pairs: docs/analyze.md#calibration).
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "mimicry/stats/resampling.h"
#include "mimicry/sync/xcorr.h"

namespace mimicry::sync {

enum class SurrogateKind {
  kAuto,            // block bootstrap up to CouplingOptions::bootstrap_max_s, circular shifts beyond
  kBlockBootstrap,  // stationary bootstrap of y's time line
  kCircularShift,   // y shifted by >= min_shift_s, wrapping
};
const char* SurrogateKindName(SurrogateKind k);  // "auto", "bootstrap", "circular"

// The resampled time line's blocks and the stationary bootstrap are stats' (stats/resampling.h).
using stats::Block;
using stats::StationaryBootstrap;

// Surrogate k of a test seeded with `seed` draws from stats::Rng::Derived(seed, k): the
// same whatever order the surrogates are drawn in (so that threads give the same answer).

// The chance level of a statistic: mean and central 95% range of its surrogate values.
struct Chance {
  double mean = std::numeric_limits<double>::quiet_NaN();
  double lo95 = std::numeric_limits<double>::quiet_NaN();  // 2.5% quantile
  double hi95 = std::numeric_limits<double>::quiet_NaN();  // 97.5% quantile
  int n = 0;                                                // finite surrogate values used
};
Chance ChanceOf(std::span<const double> null);

// The Monte Carlo p of an observed value against surrogates is stats::UpperP.

}  // namespace mimicry::sync
