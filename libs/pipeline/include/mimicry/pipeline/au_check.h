// The action-unit specificity sweep (docs/action_units.md#specificity): on real face
// photos, each of the 17 AUs alone and each EMFACS prototype combination is rendered
// (libs/synth) at one intensity, separated by neutral, and extracted with extract's
// defaults; what every AU reads at each condition's apex is the crosstalk matrix.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/face/au.h"
#include "mimicry/face/facs.h"

namespace mimicry::pipeline {

struct AuCheckCondition;

struct AuCheckOptions {
  std::vector<std::string> faces;  // photos (one participant each); empty = 3 default faces
  double intensity = 4;            // every driven AU's apex intensity, (0, 5]
  double head_motion_deg = 0;      // smooth head motion amplitude (0 = a still head), 0..20
  uint64_t seed = 11;              // scenario seed (head motion, image noise)
  std::string work_dir;            // videos and extracted tables go here (created)
  bool reuse = false;              // keep videos/tables already in work_dir
  std::vector<AuCheckCondition> conditions;  // empty = AuCheckConditions()
};

struct AuCheckCondition {
  std::string name;                // "AU12", "sadness 1+4+15", ...
  std::vector<int> aus;            // the driven AUs
};
// The 17 single AUs, the seven EMFACS prototypes (disgust as 9+15+17: AU16 is not among
// the 17), a talking mouth (25+26) and a smile with parted lips (12+25).
std::vector<AuCheckCondition> AuCheckConditions();

struct AuCheckResult {
  std::vector<AuCheckCondition> conditions;
  int faces = 0;
  // [condition][au] in kAuCodes order: the reading at the apex (frames where the first
  // driven AU is >= 90% of the intensity), mean over faces and the largest face's, with
  // extract's own (fitted) neutral, and with the true neutral (each face's neutral frames).
  std::vector<std::array<double, face::kNumAus>> mean, worst, mean_true_neutral, worst_true_neutral;
  // [condition]: the geometric feature change at the apex from the true neutral (mm,
  // mean over faces; appearance features as log ratios), what the landmark model saw.
  std::vector<face::AuFeatures> seen;
  // [k]: the change AU kAuCodes[k]'s field makes on the generic face at intensity 5
  // (AuModel::FieldResponse), what was drawn.
  std::array<face::AuFeatures, face::kNumAus> drawn{};
  // [condition]: |pose at the apex - pose over the neutral frames|, degrees, worst face:
  // pitch, yaw, roll.
  std::vector<std::array<double, 3>> pose_shift_deg;
};

// Errors: InvalidArgument (options), those of synth and extract.
Result<AuCheckResult> RunAuCheck(const AuCheckOptions& options);

}  // namespace mimicry::pipeline
