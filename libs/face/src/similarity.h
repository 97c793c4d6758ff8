// Least-squares 2D similarity transform (private to libs/face).
#pragma once

#include <opencv2/core.hpp>

namespace mimicry::face {

// q ≈ [a -b; b a] p + t
struct Similarity {
  float a = 1, b = 0, tx = 0, ty = 0;
  cv::Point2f Apply(cv::Point2f p) const { return {a * p.x - b * p.y + tx, b * p.x + a * p.y + ty}; }
  float scale() const;
};

// Fits the similarity that maps from[i] to to[i] in least squares (Umeyama without
// reflection; the closed form for 2D). n >= 2.
Similarity FitSimilarity(const cv::Point2f* from, const cv::Point2f* to, int n);

}  // namespace mimicry::face
