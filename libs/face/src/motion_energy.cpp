#include "mimicry/face/motion_energy.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace mimicry::face {

std::map<int, MotionEnergyRegions> MotionEnergyRegionsFor(const std::map<int, cv::Rect2f>& faces, cv::Size frame,
                                                          const MotionEnergyOptions& o) {
  struct Work {
    int id;
    float cx, left, right, top, bottom;  // head region
    float bl, br, bt, bb;                // body region
  };
  std::vector<Work> w;
  for (const auto& [id, b] : faces) {
    const float cx = b.x + b.width / 2, cy = b.y + b.height / 2;
    const float hw = static_cast<float>(o.head_scale) * b.width / 2, hh = static_cast<float>(o.head_scale) * b.height / 2;
    const float bw = static_cast<float>(o.body_width) * b.width / 2;
    w.push_back({id, cx, cx - hw, cx + hw, cy - hh, cy + hh, cx - bw, cx + bw, cy + hh,
                 cy + hh + static_cast<float>(o.body_height) * b.height});
  }
  std::sort(w.begin(), w.end(), [](const Work& a, const Work& b) { return a.cx < b.cx; });
  // Horizontal neighbours share the space between them at the midpoint of their centres.
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    const float mid = (w[i].cx + w[i + 1].cx) / 2;
    w[i].br = std::min(w[i].br, mid);
    w[i + 1].bl = std::max(w[i + 1].bl, mid);
  }
  const cv::Rect all(0, 0, frame.width, frame.height);
  auto rect = [&](float l, float t, float r, float b) {
    const int x0 = static_cast<int>(std::floor(l)), y0 = static_cast<int>(std::floor(t));
    const int x1 = static_cast<int>(std::ceil(r)), y1 = static_cast<int>(std::ceil(b));
    if (x1 <= x0 || y1 <= y0) return cv::Rect();
    return cv::Rect(x0, y0, x1 - x0, y1 - y0) & all;
  };
  std::map<int, MotionEnergyRegions> out;
  for (const auto& x : w) out[x.id] = {rect(x.left, x.top, x.right, x.bottom), rect(x.bl, x.bt, x.br, x.bb)};
  return out;
}

std::map<int, MotionEnergySample> MotionEnergy::Update(const cv::Mat& gray, Timestamp t, const std::map<int, cv::Rect2f>& faces) {
  CV_Assert(gray.type() == CV_8UC1 && !gray.empty());
  const int width = std::max(16, o_.max_width_px);
  const double f = gray.cols > width ? static_cast<double>(width) / gray.cols : 1.0;
  cv::Mat small;
  if (f < 1.0) cv::resize(gray, small, cv::Size(), f, f, cv::INTER_AREA);
  else small = gray.clone();
  // The usual step: the smallest seen (a constant-rate video's period; later steps longer
  // than max_step_factor times it are gaps).
  const int64_t step = have_prev_ ? t.us - last_t_.us : 0;
  if (have_prev_ && step > 0 && (usual_step_us_ == 0 || step < usual_step_us_)) usual_step_us_ = step;
  const bool comparable = have_prev_ && prev_.size() == small.size() && step > 0 &&
                          static_cast<double>(step) <= o_.max_step_factor * static_cast<double>(usual_step_us_);
  std::map<int, MotionEnergySample> out;
  if (comparable) {
    cv::Mat diff, changed, sum;
    cv::absdiff(small, prev_, diff);
    cv::threshold(diff, changed, o_.threshold, 1, cv::THRESH_BINARY);
    cv::integral(changed, sum, CV_32S);
    auto count = [&](const cv::Rect& r, int64_t& area) -> int64_t {
      // The region in reduced pixels.
      const int x0 = std::clamp(static_cast<int>(std::floor(r.x * f)), 0, small.cols);
      const int y0 = std::clamp(static_cast<int>(std::floor(r.y * f)), 0, small.rows);
      const int x1 = std::clamp(static_cast<int>(std::ceil((r.x + r.width) * f)), 0, small.cols);
      const int y1 = std::clamp(static_cast<int>(std::ceil((r.y + r.height) * f)), 0, small.rows);
      if (x1 <= x0 || y1 <= y0) return area = 0;
      area = static_cast<int64_t>(x1 - x0) * (y1 - y0);
      return sum.at<int>(y1, x1) - sum.at<int>(y0, x1) - sum.at<int>(y1, x0) + sum.at<int>(y0, x0);
    };
    for (const auto& [id, reg] : MotionEnergyRegionsFor(faces, gray.size(), o_)) {
      int64_t ah = 0, ab = 0;
      const int64_t ch = count(reg.head, ah), cb = count(reg.body, ab);
      MotionEnergySample s;
      if (ah > 0) s.head = static_cast<float>(100.0 * static_cast<double>(ch) / static_cast<double>(ah));
      if (ab > 0) s.body = static_cast<float>(100.0 * static_cast<double>(cb) / static_cast<double>(ab));
      if (ah + ab > 0) s.total = static_cast<float>(100.0 * static_cast<double>(ch + cb) / static_cast<double>(ah + ab));
      out[id] = s;
    }
  } else {
    for (const auto& [id, b] : faces) out[id] = MotionEnergySample{};
  }
  prev_ = small;
  have_prev_ = true;
  last_t_ = t;
  return out;
}

}  // namespace mimicry::face
