#include "mimicry/sync/surrogate.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "mimicry/stats/descriptive.h"

namespace mimicry::sync {

const char* SurrogateKindName(SurrogateKind k) {
  switch (k) {
    case SurrogateKind::kAuto: return "auto";
    case SurrogateKind::kBlockBootstrap: return "bootstrap";
    case SurrogateKind::kCircularShift: return "circular";
  }
  return "auto";
}

Chance ChanceOf(std::span<const double> null) {
  Chance c;
  c.n = static_cast<int>(stats::Finite(null).size());
  if (c.n == 0) return c;
  c.mean = stats::Mean(null);
  c.lo95 = stats::Quantile(null, 0.025);
  c.hi95 = stats::Quantile(null, 0.975);
  return c;
}

}  // namespace mimicry::sync
