// Timestamp: a point on a recording's own clock, in integer microseconds.
//
// Time in mimicry always comes from the container's presentation timestamps (PTS),
// never from frame_index / fps. Microseconds are exact for every common time base
// (1/30, 1001/30000, 1/90000 rounded to 1 us) and survive hours without float drift.
#pragma once

#include <cmath>
#include <compare>
#include <cstdint>

namespace mimicry {

struct Timestamp {
  int64_t us = 0;

  static constexpr Timestamp FromMicros(int64_t us) { return Timestamp{us}; }
  static Timestamp FromSeconds(double s) { return Timestamp{std::llround(s * 1e6)}; }
  static Timestamp FromMillis(double ms) { return Timestamp{std::llround(ms * 1e3)}; }
  constexpr double seconds() const { return static_cast<double>(us) * 1e-6; }

  constexpr auto operator<=>(const Timestamp&) const = default;
  constexpr Timestamp operator+(Timestamp o) const { return {us + o.us}; }
  constexpr Timestamp operator-(Timestamp o) const { return {us - o.us}; }
};

}  // namespace mimicry
