// One measured face as a feature row (schema::FeatureHeader() order): the one mapping from
// what the face stream measures to the feature table's channels, shared by extraction (rows
// as its CSV holds them) and live analysis (rows as measured). Internal to libs/pipeline.
#pragma once

#include <span>

#include "mimicry/face/stream.h"

namespace mimicry::pipeline::internal {

struct FeatureRowSource {
  const face::HeadPose& pose;
  const face::Landmarks& landmarks;
  const face::MotionSample& motion;
  const face::MotionEnergySample& energy;
  const face::ScoredFace* scored;  // null: AUs, appearance change and sides are NaN
  bool with_energy;                // false: the motion energy channels are NaN
};

// `round(v, digits)` gives a value as stored: the CSV's digits (extraction) or v itself
// (live); either way NaN for a non-finite v. Pre: out.size() == schema::kFeatureChannels.
using RoundFn = double (*)(double v, int digits);
void FeatureRow(const FeatureRowSource& s, RoundFn round, std::span<double> out);

// RoundFn for rows as measured: v, or NaN when v is not finite.
double AsMeasured(double v, int digits);

}  // namespace mimicry::pipeline::internal
