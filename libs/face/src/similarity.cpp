#include "similarity.h"

#include <cmath>

namespace mimicry::face {

float Similarity::scale() const { return std::sqrt(a * a + b * b); }

Similarity FitSimilarity(const cv::Point2f* from, const cv::Point2f* to, int n) {
  double mfx = 0, mfy = 0, mtx = 0, mty = 0;
  for (int i = 0; i < n; ++i) {
    mfx += from[i].x;
    mfy += from[i].y;
    mtx += to[i].x;
    mty += to[i].y;
  }
  mfx /= n;
  mfy /= n;
  mtx /= n;
  mty /= n;
  double sxx = 0, dot = 0, cross = 0;
  for (int i = 0; i < n; ++i) {
    const double px = from[i].x - mfx, py = from[i].y - mfy;
    const double qx = to[i].x - mtx, qy = to[i].y - mty;
    sxx += px * px + py * py;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
  }
  Similarity s;
  if (sxx <= 0) return s;
  s.a = static_cast<float>(dot / sxx);
  s.b = static_cast<float>(cross / sxx);
  s.tx = static_cast<float>(mtx - (s.a * mfx - s.b * mfy));
  s.ty = static_cast<float>(mty - (s.b * mfx + s.a * mfy));
  return s;
}

}  // namespace mimicry::face
