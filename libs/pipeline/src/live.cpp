#include "mimicry/pipeline/live.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "mimicry/face/facs.h"
#include "feature_row.h"

namespace mimicry::pipeline {

std::vector<double> FeatureValues(const face::StreamFace& f) {
  std::vector<double> v(schema::kFeatureChannels);
  internal::FeatureRow({f.pose, f.landmarks, f.motion, f.energy, f.scored ? &*f.scored : nullptr, true}, internal::AsMeasured, v);
  return v;
}

Result<std::unique_ptr<LiveAnalysis>> LiveAnalysis::Create(const LiveOptions& o) {
  if (!(o.window_s >= 10 && o.window_s <= 3600)) return InvalidArgument(fmt::format("live: window must be 10..3600 s, got {}", o.window_s));
  // The options are checked by the analysis itself on each snapshot; a bad one fails here.
  if (o.analyze.rate_hz <= 0) return InvalidArgument("live: the analysis clock (rate_hz) must be > 0");
  return std::unique_ptr<LiveAnalysis>(new LiveAnalysis(o));
}

Status LiveAnalysis::Push(int who, Timestamp t, std::span<const double> values) {
  if (who != 0 && who != 1) return InvalidArgument(fmt::format("live: participant {} (0 or 1)", who));
  if (values.size() != static_cast<size_t>(schema::kFeatureChannels))
    return InvalidArgument(fmt::format("live: {} values, a feature row has {}", values.size(), schema::kFeatureChannels));
  auto& q = rows_[static_cast<size_t>(who)];
  if (!q.empty() && t <= q.back().t)
    return InvalidInput(fmt::format("live: participant {}: time {:.6f} s does not come after {:.6f} s", who, t.seconds(), q.back().t.seconds()));
  Row r{t, {}};
  std::copy(values.begin(), values.end(), r.v.begin());
  q.push_back(r);
  // Keep what the next window can need: rows within window_s of the newest row of either
  // participant (plus one row before, so that resampling at the window's start interpolates).
  const Timestamp newest = std::max(rows_[0].empty() ? t : rows_[0].back().t, rows_[1].empty() ? t : rows_[1].back().t);
  const Timestamp keep_from{newest.us - static_cast<int64_t>(std::llround(o_.window_s * 1e6))};
  for (auto& d : rows_)
    while (d.size() > 1 && d[1].t <= keep_from) d.pop_front();
  return Status::Ok();
}

Result<sync::PairResult> LiveAnalysis::Snapshot() const {
  if (rows_[0].empty() || rows_[1].empty()) return InvalidInput("live: no rows yet from both participants");
  const Timestamp newest = std::max(rows_[0].back().t, rows_[1].back().t);
  const Timestamp from{newest.us - static_cast<int64_t>(std::llround(o_.window_s * 1e6))};
  std::array<TimeSeries, 2> s = {*TimeSeries::Create(schema::FeatureHeader()), *TimeSeries::Create(schema::FeatureHeader())};
  for (size_t k = 0; k < 2; ++k)
    for (const Row& r : rows_[k])
      if (r.t >= from) MIMICRY_RETURN_IF_ERROR(s[k].Append(r.t, r.v));
  if (s[0].empty() || s[1].empty()) return InvalidInput("live: a participant has no row in the last window");
  const double shared = std::min(s[0].time(s[0].size() - 1).seconds(), s[1].time(s[1].size() - 1).seconds()) -
                        std::max(s[0].time(0).seconds(), s[1].time(0).seconds());
  if (!(shared >= 10)) return InvalidInput(fmt::format("live: the two share {:.1f} s of the window; 10 s are needed", std::max(0.0, shared)));
  return AnalyzeSeriesPair(s[0], s[1], o_.analyze);
}

size_t LiveAnalysis::rows(int who) const { return rows_[static_cast<size_t>(who == 1)].size(); }

}  // namespace mimicry::pipeline
