#include <set>

#include "mimicry/core/status.h"
#include "mimicry/core/time_series.h"

namespace mimicry {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kInvalidInput: return "invalid_input";
    case StatusCode::kTruncated: return "truncated";
    case StatusCode::kModelMissing: return "model_missing";
    case StatusCode::kOutputError: return "output_error";
    case StatusCode::kNoFace: return "no_face";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

Result<TimeSeries> TimeSeries::Create(SeriesHeader header) {
  if (header.channels.size() != header.units.size())
    return InvalidArgument("time series: " + std::to_string(header.channels.size()) +
                           " channels but " + std::to_string(header.units.size()) + " units");
  std::set<std::string> seen;
  for (const auto& c : header.channels)
    if (!seen.insert(c).second) return InvalidArgument("time series: channel '" + c + "' repeats");
  if (header.rate_hz < 0) return InvalidArgument("time series: negative rate");
  return TimeSeries(std::move(header));
}

Status TimeSeries::Append(Timestamp t, std::span<const double> values) {
  if (values.size() != num_channels())
    return InvalidArgument("time series: row has " + std::to_string(values.size()) +
                           " values, header has " + std::to_string(num_channels()) + " channels");
  if (!times_.empty() && !(t > times_.back()))
    return InvalidArgument("time series: timestamp " + std::to_string(t.us) +
                           " us is not after the previous one");
  times_.push_back(t);
  data_.insert(data_.end(), values.begin(), values.end());
  return Status::Ok();
}

int TimeSeries::ChannelIndex(const std::string& name) const {
  for (size_t i = 0; i < header_.channels.size(); ++i)
    if (header_.channels[i] == name) return static_cast<int>(i);
  return -1;
}

std::vector<size_t> TimeSeries::GapStarts() const {
  std::vector<size_t> out;
  if (header_.rate_hz <= 0) return out;
  const double limit_us = 1.5e6 / header_.rate_hz;
  for (size_t i = 1; i < times_.size(); ++i)
    if (static_cast<double>((times_[i] - times_[i - 1]).us) > limit_us) out.push_back(i);
  return out;
}

}  // namespace mimicry
