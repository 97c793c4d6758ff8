#include "mimicry/face/expression.h"

#include <algorithm>
#include <cmath>

namespace mimicry::face {
namespace {

// Evidence of one AU, 0..1: intensity 3 (FACS "C", marked) counts as full.
float Ev(const AuIntensities& a, int code) { return std::clamp(a.r[static_cast<size_t>(AuIndex(code))] / 3.f, 0.f, 1.f); }

float Mean(std::initializer_list<float> v) {
  float s = 0;
  for (float x : v) s += x;
  return v.size() ? s / static_cast<float>(v.size()) : 0.f;
}

// Prototype score: the core AUs must be present; supporting AUs raise it from half to full.
float Proto(float core, float support) { return std::clamp(core * (0.5f + 0.5f * support), 0.f, 1.f); }

size_t Side(int code) {
  for (size_t k = 0; k < kSidedAus.size(); ++k)
    if (kSidedAus[k] == code) return k;
  return 0;
}

}  // namespace

Emotions EmotionsFromAus(const AuIntensities& a) {
  Emotions e;
  auto& s = e.score;
  s[0] = Proto(Ev(a, 12), Ev(a, 6));                                                     // 6+12
  s[1] = Proto(Ev(a, 15), Mean({Ev(a, 1), Ev(a, 4)}));                                   // 1+4+15
  s[2] = Proto(Mean({Ev(a, 1), Ev(a, 2)}), std::max(Ev(a, 5), Ev(a, 26)));               // 1+2+5+26
  // Fear shares 1+2(+5+26) with surprise; 4 and 20 tell them apart, so both groups are core.
  s[3] = Proto(std::min(Mean({Ev(a, 1), Ev(a, 2)}), Mean({Ev(a, 4), Ev(a, 20)})),
               Mean({Ev(a, 5), Ev(a, 7), Ev(a, 26)}));  // 1+2+4+5+7+20+26
  s[4] = Proto(Mean({Ev(a, 4), Ev(a, 23)}), Mean({Ev(a, 5), Ev(a, 7)}));                 // 4+5+7+23
  s[5] = Proto(std::max(Ev(a, 9), Ev(a, 10)), std::max(Ev(a, 15), Ev(a, 17)));           // 9(/10)+15+17
  // Contempt: a one-sided AU12 or AU14 (the difference between the sides).
  const size_t k12 = Side(12), k14 = Side(14);
  const float asym = std::max(std::abs(a.left[k12] - a.right[k12]), std::abs(a.left[k14] - a.right[k14]));
  s[6] = std::clamp(asym / 3.f, 0.f, 1.f);
  const float top = *std::max_element(s.begin(), s.end());
  e.neutral = 1.f - top;
  const float neg = std::max({s[1], s[3], s[4], s[5], s[6]});
  e.valence = std::clamp(s[0] - neg, -1.f, 1.f);
  std::array<float, kNumAus - 1> v{};
  size_t n = 0;
  for (size_t k = 0; k < a.r.size(); ++k)
    if (kAuCodes[k] != 45) v[n++] = a.r[k];
  std::partial_sort(v.begin(), v.begin() + 3, v.end(), std::greater<>());
  e.expressiveness = std::clamp((v[0] + v[1] + v[2]) / 9.f, 0.f, 1.f);
  return e;
}

HeadGesture::Out HeadGesture::Update(Timestamp t, const HeadPose& pose) {
  const double pitch = pose.r_rad[0], yaw = pose.r_rad[1];
  const double dt = started_ ? (t.us - last_.us) * 1e-6 : 0.0;
  if (!started_ || dt <= 0 || dt > o_.max_gap_s) {
    started_ = true;
    last_ = t;
    p_ = pitch;
    y_ = yaw;
    vp_mean_ = vy_mean_ = ep_ = ey_ = 0;
    return {};
  }
  last_ = t;
  const double as = 1 - std::exp(-dt / o_.angle_smoothing_s);
  const double p1 = p_ + as * (pitch - p_), y1 = y_ + as * (yaw - y_);
  const double vp = (p1 - p_) / dt, vy = (y1 - y_) / dt;
  p_ = p1;
  y_ = y1;
  const double ad = 1 - std::exp(-dt / o_.drift_s);
  vp_mean_ += ad * (vp - vp_mean_);
  vy_mean_ += ad * (vy - vy_mean_);
  const double aw = 1 - std::exp(-dt / o_.window_s);
  ep_ += aw * ((vp - vp_mean_) * (vp - vp_mean_) - ep_);
  ey_ += aw * ((vy - vy_mean_) * (vy - vy_mean_) - ey_);
  constexpr double kDeg = 180.0 / 3.14159265358979323846;
  return {static_cast<float>(std::sqrt(ep_) * kDeg), static_cast<float>(std::sqrt(ey_) * kDeg)};
}

}  // namespace mimicry::face
