// Inter-subject correlation (ISC) of an audience: how much each viewer's expression follows
// the rest of the audience's, tested against viewers shifted in time.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace mimicry::audience {

struct IscOptions {
  double rate_hz = 10;      // samples per second of the series (> 0)
  double max_lag_s = 1.0;   // each viewer's best lag within +-max_lag_s (>= 0)
  double min_shift_s = 5;   // surrogates shift each viewer by >= this, circularly (>= 0)
  int surrogates = 200;     // shifted audiences for the null (0 = no test)
  uint64_t seed = 1;
};

struct IscResult {
  // The audience's ISC: the Fisher-z mean over viewers of each viewer's best lagged r with
  // the mean of all the others (leave-one-out), back-transformed; NaN with < 3 viewers.
  double mean_r = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> per_viewer;  // each viewer's best r (NaN: too few samples)
  // The same statistic with every viewer shifted circularly by an independent amount in
  // [min_shift_s, duration - min_shift_s]: the audience's timing is broken, each viewer's
  // own structure kept. Empty when the series are too short (< 2 min_shift_s + 10 samples).
  std::vector<double> null;
  double null_mean = std::numeric_limits<double>::quiet_NaN();
  double p = std::numeric_limits<double>::quiet_NaN();  // (#{null >= mean_r} + 1) / (#null + 1)
};

// x: one series per viewer, all of one length on a common clock, NaN = no value.
// Pre: every x[k].size() equal; o.rate_hz > 0.
IscResult LaggedIsc(const std::vector<std::vector<double>>& x, const IscOptions& o);

}  // namespace mimicry::audience
