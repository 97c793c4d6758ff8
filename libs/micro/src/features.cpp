#include "mimicry/micro/features.h"

#include <cmath>
#include <limits>

#include "mimicry/schema/feature_table.h"

namespace mimicry::micro {

std::vector<Interval> SpotFeatureSeries(const TimeSeries& s, const SpotOptions& o) {
  if (s.size() < 3) return {};
  const size_t n = s.size();
  auto column = [&](int c) {
    std::vector<float> v(n);
    for (size_t k = 0; k < n; ++k) v[k] = static_cast<float>(s.value(k, static_cast<size_t>(c)));
    return v;
  };
  std::vector<double> times(n);
  for (size_t k = 0; k < n; ++k) times[k] = s.time(k).seconds();
  std::vector<std::vector<float>> aus;
  for (int c = 0; c < schema::kNumAus; ++c) aus.push_back(column(c));  // AU01_r .. AU45_r come first
  // Region-wise appearance change: all regions or none.
  std::vector<std::vector<float>> regions;
  for (int r = 0; r < schema::kMotionChannels; ++r) {
    std::vector<float> v = column(schema::kFirstMotionChannel + r);
    bool any = false;
    for (float x : v) any = any || std::isfinite(x);
    if (!any) break;
    regions.push_back(std::move(v));
  }
  if (regions.size() != kNumRegions) regions.clear();
  const std::vector<float> pitch = column(schema::kFirstPoseChannel), yaw = column(schema::kFirstPoseChannel + 1);
  return Spot(times, aus, regions, pitch, yaw, o);
}

}  // namespace mimicry::micro
