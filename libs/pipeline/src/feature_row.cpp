#include "feature_row.h"

#include <cassert>
#include <cmath>
#include <limits>

#include "mimicry/schema/feature_table.h"

namespace mimicry::pipeline::internal {

double AsMeasured(double v, int) { return std::isfinite(v) ? v : std::numeric_limits<double>::quiet_NaN(); }

void FeatureRow(const FeatureRowSource& s, RoundFn round, std::span<double> v) {
  assert(v.size() == static_cast<size_t>(schema::kFeatureChannels));
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const face::ScoredFace* sc = s.scored;
  for (int a = 0; a < schema::kNumAus; ++a) v[static_cast<size_t>(a)] = sc ? round(sc->aus.r[static_cast<size_t>(a)], 2) : kNaN;
  for (int a = 0; a < 3; ++a) v[static_cast<size_t>(schema::kFirstPoseChannel + a)] = round(s.pose.r_rad[a], 4);
  // face_x, face_size: from the landmarks as stored.
  const auto& lm = s.landmarks;
  v[schema::kFaceXChannel] = round(lm[27].x, 2);
  v[schema::kFaceSizeChannel] = std::hypot(round(lm[45].x, 2) - round(lm[36].x, 2), round(lm[45].y, 2) - round(lm[36].y, 2));
  for (int r = 0; r < schema::kMotionChannels; ++r)
    v[static_cast<size_t>(schema::kFirstMotionChannel + r)] = sc ? round(s.motion[static_cast<size_t>(r)], 2) : kNaN;
  const float energy[] = {s.energy.head, s.energy.body, s.energy.total};
  for (int e = 0; e < schema::kMotionEnergyChannels; ++e)
    v[static_cast<size_t>(schema::kFirstMotionEnergyChannel + e)] = s.with_energy ? round(energy[e], 3) : kNaN;
  for (size_t a = 0; a < schema::kSidedAus.size(); ++a) {
    v[static_cast<size_t>(schema::SidedChannel(a, 0))] = sc ? round(sc->aus.left[a], 2) : kNaN;
    v[static_cast<size_t>(schema::SidedChannel(a, 1))] = sc ? round(sc->aus.right[a], 2) : kNaN;
  }
}

}  // namespace mimicry::pipeline::internal
