#pragma once
#include "mimicry/face/detector.h"
namespace mimicry::face {
// dlib's frontal HOG detector (private; reached through LoadDetectorModel).
Result<std::shared_ptr<const DetectorModel>> LoadHogDetectorModel(const DetectorOptions& o);
}  // namespace mimicry::face
