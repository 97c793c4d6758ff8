// The one random number generator of mimicry: small, seeded, identical on every platform
// (splitmix64), so that every p-value and bootstrap interval can be reproduced from the
// seed recorded with it.
#pragma once

#include <cstdint>
#include <span>

namespace mimicry::stats {

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next();
  double Uniform();                     // [0, 1)
  int64_t Int(int64_t lo, int64_t hi);  // [lo, hi], pre: lo <= hi

  // An independent stream k of a computation seeded with `seed`: the same for a given
  // (seed, k) whatever order the streams are drawn in, so that threads give the same
  // answer as one loop.
  static Rng Derived(uint64_t seed, uint64_t k);

 private:
  uint64_t s_;
};

// Fisher-Yates shuffle of v in place with rng.
template <typename T>
void Shuffle(std::span<T> v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.Int(0, static_cast<int64_t>(i - 1)));
    T t = v[i - 1];
    v[i - 1] = v[j];
    v[j] = t;
  }
}

}  // namespace mimicry::stats
