#include "mimicry/stats/random.h"

namespace mimicry::stats {

uint64_t Rng::Next() {
  uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }

int64_t Rng::Int(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(Uniform() * static_cast<double>(hi - lo + 1)); }

Rng Rng::Derived(uint64_t seed, uint64_t k) {
  Rng mix(seed * 0x9E3779B97F4A7C15ull + k * 0xD1B54A32D192ED03ull + 0x632BE59BD9B4E019ull);
  return Rng(mix.Next());
}

}  // namespace mimicry::stats
