// Spotting on a feature table's face series: the one way mimicry micro and analyze's
// micro-mimicry feed the spotter.
#pragma once

#include <vector>

#include "mimicry/core/time_series.h"
#include "mimicry/micro/spot.h"

namespace mimicry::micro {

// Spot (spot.h) on one face's series with schema::FeatureHeader() channels: its 17 AUs, its
// region-wise appearance change when every region has values (mimicry extract; none for
// OpenFace or py-feat tables), and its head pitch and yaw; times on the series' own clock.
// Fewer than 3 samples: nothing. Pre: face.header().channels == schema::FeatureHeader().channels.
std::vector<Interval> SpotFeatureSeries(const TimeSeries& face, const SpotOptions& o);

}  // namespace mimicry::micro
