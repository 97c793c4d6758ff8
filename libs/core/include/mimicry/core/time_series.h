// TimeSeries: multichannel samples on true timestamps, with a header.
//
// Contract:
//  - Every series carries a header: nominal rate (Hz; 0 when irregular), channel names
//    and units (one per channel).
//  - Samples are rows: one timestamp and one value per channel. Missing values are NaN.
//  - Timestamps strictly increase. Gaps (no sample for longer than 1.5 nominal
//    periods) are gaps: nothing in this class interpolates across them.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/core/timestamp.h"

namespace mimicry {

struct SeriesHeader {
  double rate_hz = 0.0;                 // nominal sample rate; 0 = irregular
  std::vector<std::string> channels;    // channel names, e.g. "AU12_r"
  std::vector<std::string> units;       // one per channel, e.g. "intensity_0_5", "rad"
};

class TimeSeries {
 public:
  // Fails when channels and units differ in length or a channel name repeats.
  static Result<TimeSeries> Create(SeriesHeader header);

  const SeriesHeader& header() const { return header_; }
  size_t num_channels() const { return header_.channels.size(); }
  size_t size() const { return times_.size(); }
  bool empty() const { return times_.empty(); }

  // Appends one sample. Fails when t is not after the last timestamp or the row has the
  // wrong number of values.
  Status Append(Timestamp t, std::span<const double> values);

  Timestamp time(size_t i) const { return times_[i]; }
  double value(size_t i, size_t channel) const { return data_[i * num_channels() + channel]; }
  std::span<const double> row(size_t i) const {
    return {data_.data() + i * num_channels(), num_channels()};
  }
  // Index of a channel by name, or -1.
  int ChannelIndex(const std::string& name) const;

  // Indices i where the step time(i) - time(i-1) exceeds 1.5 nominal periods (needs
  // rate_hz > 0): each such i starts a new contiguous segment.
  std::vector<size_t> GapStarts() const;

 private:
  explicit TimeSeries(SeriesHeader h) : header_(std::move(h)) {}
  SeriesHeader header_;
  std::vector<Timestamp> times_;
  std::vector<double> data_;
};

}  // namespace mimicry
