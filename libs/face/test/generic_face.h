// Test helper: the generic 3D face that the pose estimator builds from the landmark
// model's mean shape (build/models, as the tools use it).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "mimicry/face/landmarks.h"
#include "mimicry/face/pose.h"

namespace mimicry::face::testing {

inline const Face3D& Generic() {
  static const Face3D f = [] {
    auto m = LoadErtModel({std::string(MIMICRY_MODELS_DIR) + "/shape_predictor_68_face_landmarks.ert"});
    EXPECT_TRUE(m.ok()) << m.status().message();
    return BuildGenericFace3D((*m)->MeanShape());
  }();
  return f;
}

}  // namespace mimicry::face::testing
