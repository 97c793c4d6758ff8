#include "mimicry/face/au.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace mimicry::face {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr const char* kNames[kNumAuFeatures] = {
    "brow_inner_r", "brow_inner_l", "brow_outer_r", "brow_outer_l", "brow_gap",     "eye_open_r",
    "eye_open_l",   "lower_lid_r",  "lower_lid_l",  "upper_lid_r",  "upper_lid_l",  "nose_wing",
    "lip_to_nose",  "corner_out_r", "corner_out_l", "corner_low_r", "corner_low_l", "lip_gap",
    "jaw",          "lip_thickness", "app_forehead_r", "app_forehead_l", "app_glabella", "app_crow_r",
    "app_crow_l",   "app_nose",     "app_cheek_r",  "app_cheek_l",  "app_chin",     "app_dimple_r",
    "app_dimple_l"};

// Appearance patch: the generic face's x/y (mm) at kPatchScale px/mm, origin shifted so
// that the forehead above the brows and the chin fit.
constexpr float kPatchScale = 0.7f;
constexpr int kPatchW = 104, kPatchH = 120;
constexpr float kPatchCx = kPatchW / 2.f, kPatchCy = 62.f;
// Intensity 5 at a 3-fold rise of texture energy over neutral (heuristic; docs).
const float kAppGain = 5.f / std::log(3.f);
// Weight of appearance evidence added to the geometric intensity.
constexpr float kAppWeight = 0.5f;

// Rigid points for the similarity alignment of the appearance patch.
constexpr int kAlign[] = {27, 28, 29, 30, 31, 33, 35, 36, 39, 42, 45};

inline float Mean2(float a, float b) { return 0.5f * (a + b); }

// The aligned patch, sampled lazily: only the regions' pixels are interpolated from the
// frame (bilinear, through the inverse of the image-to-patch similarity), which is much
// cheaper than warping the whole patch.
struct PatchSampler {
  const cv::Mat& gray;
  cv::Matx23d inv;  // patch -> image
  std::vector<float>* buf;
};

// Mean absolute central difference over the patch rect (mode 0: d/dy, 1: d/dx, 2: both),
// divided by the mean intensity + 10 (contrast under lighting changes), as a log. NaN if
// the rect is tiny.
float Energy(const PatchSampler& ps, float x0, float x1, float y0, float y1, int mode) {
  const int a = std::max(1, static_cast<int>(std::floor(std::min(x0, x1))));
  const int b = std::min(kPatchW - 2, static_cast<int>(std::ceil(std::max(x0, x1))));
  const int c = std::max(1, static_cast<int>(std::floor(std::min(y0, y1))));
  const int d = std::min(kPatchH - 2, static_cast<int>(std::ceil(std::max(y0, y1))));
  if (b - a < 2 || d - c < 2) return kNaN;
  // Sample rows c-1..d+1 and columns a-1..b+1.
  const int w = b - a + 3, h = d - c + 3;
  std::vector<float>& v = *ps.buf;
  v.resize(static_cast<size_t>(w * h));
  const cv::Mat& g = ps.gray;
  const float m00 = static_cast<float>(ps.inv(0, 0)), m01 = static_cast<float>(ps.inv(0, 1));
  const float m10 = static_cast<float>(ps.inv(1, 0)), m11 = static_cast<float>(ps.inv(1, 1));
  const float m02 = static_cast<float>(ps.inv(0, 2)), m12 = static_cast<float>(ps.inv(1, 2));
  const float xmax = static_cast<float>(g.cols - 1), ymax = static_cast<float>(g.rows - 1);
  const size_t step = g.step[0];
  const uint8_t* base = g.ptr<uint8_t>(0);
  for (int yy = 0; yy < h; ++yy) {
    const float py = static_cast<float>(c - 1 + yy), px0 = static_cast<float>(a - 1);
    float* out = &v[static_cast<size_t>(yy * w)];
    for (int xx = 0; xx < w; ++xx) {
      const float px = px0 + static_cast<float>(xx);
      const float ix = m00 * px + m01 * py + m02, iy = m10 * px + m11 * py + m12;
      if (!(ix >= 0.f && iy >= 0.f && ix < xmax && iy < ymax)) {
        out[xx] = 128.f;
        continue;
      }
      const int x0i = static_cast<int>(ix), y0i = static_cast<int>(iy);
      const float fx = ix - static_cast<float>(x0i), fy = iy - static_cast<float>(y0i);
      const uint8_t* r0 = base + static_cast<size_t>(y0i) * step + x0i;
      const uint8_t* r1 = r0 + step;
      const float top = r0[0] + fx * (static_cast<float>(r0[1]) - r0[0]);
      const float bot = r1[0] + fx * (static_cast<float>(r1[1]) - r1[0]);
      out[xx] = top + fy * (bot - top);
    }
  }
  float gsum = 0, s = 0;
  for (int yy = 1; yy < h - 1; ++yy) {
    const float* row = &v[static_cast<size_t>(yy * w)];
    const float* up = row - w;
    const float* dn = row + w;
    for (int xx = 1; xx < w - 1; ++xx) {
      s += row[xx];
      if (mode != 1) gsum += std::abs(dn[xx] - up[xx]);
      if (mode != 0) gsum += std::abs(row[xx + 1] - row[xx - 1]);
    }
  }
  const double n = static_cast<double>((w - 2) * (h - 2));
  const double e = (static_cast<double>(gsum) / n) / (static_cast<double>(s) / n + 10.0);
  return static_cast<float>(std::log(e + 1e-3));
}

// Raw geometric responses (mm) of each AU and side; gains turn them into intensities.
struct Responses {
  std::array<float, kNumAus> au{};
  std::array<float, kSidedAus.size()> left{}, right{};
};

Responses GeometricResponses(const AuFeatures& d, const AuFeatures& neutral) {
  Responses r;
  auto set = [&](int code, float v) { r.au[static_cast<size_t>(AuIndex(code))] = v; };
  auto sided = [&](int code, float right, float left) {
    for (size_t k = 0; k < kSidedAus.size(); ++k)
      if (kSidedAus[k] == code) {
        r.right[k] = right;
        r.left[k] = left;
      }
    set(code, Mean2(right, left));
  };
  sided(1, d[kBrowInnerR], d[kBrowInnerL]);
  sided(2, d[kBrowOuterR], d[kBrowOuterL]);
  // The landmark model sees little of the brows' sideways slide (~10% on synthetic faces),
  // so the gap counts at a quarter weight next to the lowering.
  set(4, -0.25f * d[kBrowGap] - Mean2(d[kBrowInnerR], d[kBrowInnerL]));
  set(5, Mean2(d[kUpperLidR], d[kUpperLidL]));
  sided(6, -d[kLowerLidR], -d[kLowerLidL]);
  // AU7 from the lower lids alone: the upper lids also come down in a blink (AU45).
  set(7, -Mean2(d[kLowerLidR], d[kLowerLidL]));
  set(9, -d[kNoseWing]);
  set(10, -d[kLipToNose]);
  sided(12, d[kCornerOutR] - d[kCornerLowR], d[kCornerOutL] - d[kCornerLowL]);
  sided(14, -d[kCornerOutR], -d[kCornerOutL]);
  sided(15, d[kCornerLowR], d[kCornerLowL]);
  set(17, -d[kJaw]);
  set(20, Mean2(d[kCornerOutR] + d[kCornerLowR], d[kCornerOutL] + d[kCornerLowL]));
  set(23, -d[kLipThickness]);
  set(25, d[kLipGap]);
  set(26, d[kJaw] + d[kLipGap]);
  // AU45: the fraction of the neutral lid opening that is closed.
  const float cr = -d[kEyeOpenR] / std::max(neutral[kEyeOpenR], 1.f);
  const float cl = -d[kEyeOpenL] / std::max(neutral[kEyeOpenL], 1.f);
  set(45, Mean2(cr, cl));
  return r;
}

// Appearance feature(s) that add evidence to an AU, per side where sided.
struct AppCue {
  int au;
  int right, left;  // feature indices (equal when unsided)
};
constexpr AppCue kAppCues[] = {
    {1, kAppForeheadR, kAppForeheadL}, {2, kAppForeheadR, kAppForeheadL}, {4, kAppGlabella, kAppGlabella},
    {6, kAppCrowR, kAppCrowL},         {9, kAppNose, kAppNose},           {10, kAppCheekR, kAppCheekL},
    {14, kAppDimpleR, kAppDimpleL},    {17, kAppChin, kAppChin},
};

// The joint read-out (docs/action_units.md#how-an-intensity-is-made): the geometric
// feature change is explained as a non-negative sum of the AUs' responses, each AU's
// response being what its FACS field does to the features of the generic face at
// intensity 5. Sided AUs have one column per side.
constexpr int kNumGeo = kFirstAppearanceFeature;
constexpr int kNumCols = AuModel::kColumns;
// Noise scale of each geometric feature (mm at a 90 mm biocular width): how far it
// moves between frames of a still, neutral face with a 68-point regression-tree tracker
// (lids and brows steadier than the mouth; the chin least stable). Heuristic, stated.
constexpr float kGeoNoiseMm[kNumGeo] = {
    0.5f, 0.5f, 0.5f, 0.5f, 0.8f,  // brows (inner R/L, outer R/L), brow gap
    0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f,  // eye opening, lower lids, upper lids
    0.4f, 0.5f,                          // nose wing, lip to nose
    0.6f, 0.6f, 0.6f, 0.6f,              // corners out, corners low
    0.5f, 1.0f, 0.7f};                   // lip gap, jaw, lip thickness
// How much of each geometric feature's drawn change the 68-point landmark model sees:
// least-squares seen/drawn ratio over the 17 single-AU conditions of the specificity
// sweep (build/bin/au_specificity, three faces, still head; docs/action_units.md#specificity).
// The regression trees under-read sideways slides (brow gap 0.21, mouth corners 0.6) and
// lid travel (0.33-0.45) more than vertical mouth and jaw movement (0.7-0.86). The joint
// read-out's columns are the fields as seen (so that a smile seen with too little outward
// corner pull is not explained as AU12 + AU14); each output is rescaled by its column's
// seen/drawn norm ratio, so the intensity scale stays that of the drawn fields.
constexpr float kSeenFraction[kNumGeo] = {
    0.73f, 0.69f, 0.62f, 0.64f, 0.21f,         // brows, brow gap
    0.41f, 0.42f, 0.44f, 0.45f, 0.33f, 0.33f,  // eye opening, lower lids, upper lids
    0.58f, 0.69f,                              // nose wing, lip to nose
    0.58f, 0.60f, 0.77f, 0.70f,                // corners out, corners low
    0.68f, 0.86f, 0.32f};                      // lip gap, jaw, lip thickness
// The L1 weight, per unit of a column's response norm (in noise SDs): a column becomes
// active only when the change projects onto it by more than this many noise SDs, so that
// noise does not light up every AU a little, and one AU whose field explains the change
// wins over a mixture of others (a lasso on normalised columns).
constexpr double kSparsity = 0.2;
// Upper bound of a column's activation (1 = intensity 5): a little headroom above 5 so
// that a strong AU is not forced onto its neighbours; the output is clipped to 5.
constexpr double kMaxActivation = 1.4;
// AU7 (lid tightener) stays out of the joint read-out: in the 68 landmarks' lid
// coordinates its field is nearly collinear with AU6's (cheek raiser; both raise the
// lower lid and narrow the eye), so a joint fit can only guess between them. AU6 takes
// the lids in the joint fit (the far more frequent action in conversation: it comes with
// every Duchenne smile); AU7 is read alone from the lower lids' rise, as eye narrowing
// from below, and so also rises with AU6 (docs/action_units.md#specificity).
constexpr int kOutsideJointFit = 7;
// The side of a generic-face point: subject's right (image left, x < 0) or left.
inline bool OnSubjectsRight(float x) { return x < 0.f; }

float Percentile(std::vector<float>& v, float pct) {
  if (v.empty()) return kNaN;
  const double pos = std::clamp(pct / 100.0, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  const auto k = static_cast<size_t>(pos);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  float lo = v[k];
  if (k + 1 < v.size()) {
    const float hi = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(k) + 1, v.end());
    lo += static_cast<float>(pos - static_cast<double>(k)) * (hi - lo);
  }
  return lo;
}

// Mode of v: the peak of a 128-bin histogram over its 1st-99th percentile range, smoothed
// by a Gaussian of 0.3 robust SD, refined as the mean of the values within that width.
float Mode(std::vector<float>& v) {
  if (v.size() < 3) return Percentile(v, 50);
  const float lo = Percentile(v, 1), hi = Percentile(v, 99), med = Percentile(v, 50);
  std::vector<float> dev;
  dev.reserve(v.size());
  for (float x : v) dev.push_back(std::abs(x - med));
  const float h = 0.3f * 1.4826f * Percentile(dev, 50);
  if (!(hi > lo) || !(h > 0)) return med;
  constexpr int kBins = 128;
  const float w = (hi - lo) / kBins;
  std::array<double, kBins> hist{}, smooth{};
  for (float x : v) {
    const int k = static_cast<int>((x - lo) / w);
    if (k >= 0 && k < kBins) hist[static_cast<size_t>(k)] += 1;
  }
  const double sb = std::max(0.5, static_cast<double>(h / w));
  const int reach = std::min(kBins - 1, static_cast<int>(std::ceil(3 * sb)));
  std::array<double, kBins> kernel{};
  for (int d = 0; d <= reach; ++d) kernel[static_cast<size_t>(d)] = std::exp(-0.5 * d * d / (sb * sb));
  for (int k = 0; k < kBins; ++k)
    for (int i = std::max(0, k - reach); i <= std::min(kBins - 1, k + reach); ++i)
      smooth[static_cast<size_t>(k)] += hist[static_cast<size_t>(i)] * kernel[static_cast<size_t>(std::abs(i - k))];
  const auto peak = std::max_element(smooth.begin(), smooth.end()) - smooth.begin();
  const float c = lo + (static_cast<float>(peak) + 0.5f) * w;
  double s = 0;
  int64_t n = 0;
  for (float x : v)
    if (std::abs(x - c) <= h) {
      s += x;
      ++n;
    }
  return n > 0 ? static_cast<float>(s / static_cast<double>(n)) : c;
}

}  // namespace

std::span<const float, kFirstAppearanceFeature> AuSeenFraction() { return kSeenFraction; }

std::span<const char* const, kNumAuFeatures> AuFeatureNames() { return std::span<const char* const, kNumAuFeatures>(kNames); }

AuFeatures AuBaseline::Decorrelate(const AuFeatures& f, const HeadPose& pose) const {
  const float sp = static_cast<float>(std::sin(pose.r_rad[0]) - std::sin(ref_pitch));
  const float sy = static_cast<float>(std::sin(pose.r_rad[1]) - std::sin(ref_yaw));
  AuFeatures g;
  for (int j = 0; j < kNumAuFeatures; ++j) g[j] = f[j] - pitch_slope[j] * sp - yaw_slope[j] * sy;
  return g;
}

AuBaseline FitAuBaseline(std::span<const AuFeatures> features, std::span<const HeadPose> poses,
                         const AuBaselineOptions& o) {
  assert(features.size() == poses.size());
  AuBaseline b;
  b.frames = static_cast<int64_t>(features.size());
  if (features.empty()) return b;
  const size_t n = features.size();
  std::vector<float> sp(n), sy(n), tmp;
  tmp.reserve(n);
  for (size_t i = 0; i < n; ++i) tmp.push_back(static_cast<float>(poses[i].r_rad[0]));
  b.ref_pitch = Percentile(tmp, 50);
  tmp.clear();
  for (size_t i = 0; i < n; ++i) tmp.push_back(static_cast<float>(poses[i].r_rad[1]));
  b.ref_yaw = Percentile(tmp, 50);
  for (size_t i = 0; i < n; ++i) {
    sp[i] = static_cast<float>(std::sin(poses[i].r_rad[0]) - std::sin(b.ref_pitch));
    sy[i] = static_cast<float>(std::sin(poses[i].r_rad[1]) - std::sin(b.ref_yaw));
  }
  const double ridge = static_cast<double>(o.ridge_rad) * o.ridge_rad;
  std::vector<float> r(n), w(n);
  for (int j = 0; j < kNumAuFeatures; ++j) {
    tmp.clear();
    for (size_t i = 0; i < n; ++i)
      if (std::isfinite(features[i][j])) tmp.push_back(features[i][j]);
    if (tmp.empty()) {
      b.neutral[j] = kNaN;
      continue;
    }
    double c0 = Percentile(tmp, 50), a = 0, c = 0;
    // Huber-weighted least squares of f = c0 + a*sp + c*sy, ridge on a and c.
    for (int it = 0; it < 5; ++it) {
      tmp.clear();
      for (size_t i = 0; i < n; ++i) {
        const float f = features[i][j];
        r[i] = std::isfinite(f) ? static_cast<float>(f - c0 - a * sp[i] - c * sy[i]) : kNaN;
        if (std::isfinite(r[i])) tmp.push_back(std::abs(r[i]));
      }
      const double sigma = std::max(1.4826 * Percentile(tmp, 50), 1e-3);
      // Normal equations of the weighted fit (symmetric: six sums).
      double s1 = 0, sp1 = 0, sy1 = 0, spp = 0, spy = 0, syy = 0, f1 = 0, fp = 0, fy = 0;
      const float* spv = sp.data();
      const float* syv = sy.data();
      for (size_t i = 0; i < n; ++i) {
        const float ri = r[i];
        if (!std::isfinite(ri)) continue;
        const double ar = std::abs(static_cast<double>(ri));
        const double wi = ar * 1.0 > 1.345 * sigma ? 1.345 * sigma / ar : 1.0;
        const double p = spv[i], q = syv[i], f = features[i][j];
        s1 += wi;
        sp1 += wi * p;
        sy1 += wi * q;
        spp += wi * p * p;
        spy += wi * p * q;
        syy += wi * q * q;
        f1 += wi * f;
        fp += wi * f * p;
        fy += wi * f * q;
      }
      // Ridge on the slopes, scaled like the data term.
      cv::Matx33d A(s1, sp1, sy1, sp1, spp + ridge * s1, spy, sy1, spy, syy + ridge * s1);
      const cv::Vec3d y(f1, fp, fy);
      cv::Vec3d sol;
      if (!cv::solve(A, y, sol, cv::DECOMP_CHOLESKY)) break;
      c0 = sol[0];
      a = std::clamp(sol[1], -static_cast<double>(o.max_slope), static_cast<double>(o.max_slope));
      c = std::clamp(sol[2], -static_cast<double>(o.max_slope), static_cast<double>(o.max_slope));
    }
    b.pitch_slope[j] = static_cast<float>(a);
    b.yaw_slope[j] = static_cast<float>(c);
    tmp.clear();
    for (size_t i = 0; i < n; ++i)
      if (std::isfinite(features[i][j]))
        tmp.push_back(static_cast<float>(features[i][j] - a * sp[i] - c * sy[i]));
    if (j == kLipGap) b.neutral[j] = Percentile(tmp, o.lip_gap_percentile);
    else b.neutral[j] = o.neutral_percentile >= 0 ? Percentile(tmp, o.neutral_percentile) : Mode(tmp);
  }
  return b;
}

const AuBaseline& OnlineAuBaseline::Update(Timestamp t, const AuFeatures& f, const HeadPose& pose) {
  t_.push_back(t);
  f_.push_back(f);
  p_.push_back(pose);
  const int64_t window = static_cast<int64_t>(o_.window_s * 1e6);
  while (!t_.empty() && t.us - t_.front().us > window) {
    t_.pop_front();
    f_.pop_front();
    p_.pop_front();
  }
  if (first_.us == INT64_MIN) first_ = t;
  const int64_t since = t.us - first_.us;
  const double period = since < 2'000'000 ? 0.0 : since < 10'000'000 ? o_.refit_early_s : o_.refit_s;
  const bool due = last_fit_.us == INT64_MIN || b_.frames < o_.min_frames ||
                   static_cast<double>(t.us - last_fit_.us) >= period * 1e6;
  if (due) {
    const size_t n = f_.size(), stride = std::max<size_t>(1, (n + o_.max_fit_samples - 1) / o_.max_fit_samples);
    std::vector<AuFeatures> fv;
    std::vector<HeadPose> pv;
    for (size_t i = n - 1 - ((n - 1) / stride) * stride; i < n; i += stride) {  // always includes the newest
      fv.push_back(f_[i]);
      pv.push_back(p_[i]);
    }
    b_ = FitAuBaseline(fv, pv, o_);
    last_fit_ = t;
  }
  return b_;
}

Result<AuModel> AuModel::Create(const Face3D& face) {
  AuModel m;
  const float biocular = static_cast<float>(cv::norm(face[45] - face[36]));
  if (!(biocular > 1.f)) return InvalidArgument("AuModel: degenerate 3D face");
  // Template in patch pixels, the face normalised to a 90 mm biocular width.
  cv::Point2f eyes = 0.5f * (cv::Point2f(face[36].x, face[36].y) + cv::Point2f(face[45].x, face[45].y));
  const float s = kPatchScale * 90.f / biocular;
  for (int i = 0; i < kNumLandmarks; ++i)
    m.template_[i] = {kPatchCx + s * (face[i].x - eyes.x), kPatchCy - 20.f + s * (face[i].y - eyes.y)};
  // Each AU's field applied to the generic face (intensity 5): its response in feature
  // space, one column per AU and side; the gains (AU's own read-out of the old linear
  // rule, still exposed) from the same responses.
  std::array<cv::Point2f, kNumLandmarks> neutral{};
  for (int i = 0; i < kNumLandmarks; ++i) neutral[i] = {face[i].x, face[i].y};
  AuFeatures f0{};
  GeometricFeatures(neutral, f0);
  m.eye_open_ = Mean2(f0[kEyeOpenR], f0[kEyeOpenL]);
  auto response = [&](int code, int side) {  // side: 0 both, 1 subject's right, 2 left
    auto moved = neutral;
    if (code == 45) {
      for (const auto& [up, low] : {std::pair{37, 41}, std::pair{38, 40}, std::pair{43, 47}, std::pair{44, 46}})
        moved[up].y += kBlinkClosure * (moved[low].y - moved[up].y);
    } else {
      for (const AuMove& mv : kAuFields)
        if (mv.au == code && (side == 0 || OnSubjectsRight(face[mv.point].x) == (side == 1)))
          moved[mv.point] += cv::Point2f(mv.dx, mv.dy);
    }
    AuFeatures f1{};
    GeometricFeatures(moved, f1);
    AuFeatures d{};
    for (int j = 0; j < kNumAuFeatures; ++j) d[j] = f1[j] - f0[j];
    return d;
  };
  int col = 0;
  for (int k = 0; k < kNumAus; ++k) {
    const int code = kAuCodes[static_cast<size_t>(k)];
    const AuFeatures both = response(code, 0);
    m.field_response_[static_cast<size_t>(k)] = both;
    const float resp = GeometricResponses(both, f0).au[static_cast<size_t>(k)];
    if (!(resp > 1e-3f)) return InvalidArgument("AuModel: AU" + std::to_string(code) + " has no response to its field");
    m.gain_[static_cast<size_t>(k)] = 5.f / resp;
    const bool sided = std::find(kSidedAus.begin(), kSidedAus.end(), code) != kSidedAus.end();
    for (int side = sided ? 1 : 0; side <= (sided ? 2 : 0); ++side) {
      const AuFeatures d = sided ? response(code, side) : both;
      auto& c = m.cols_[static_cast<size_t>(col)];
      c.au = k;
      c.side = side;
      c.in_fit = code != kOutsideJointFit;
      double norm = 0, drawn = 0;
      for (int j = 0; j < kNumGeo; ++j) {
        c.response[static_cast<size_t>(j)] = kSeenFraction[j] * d[j] / kGeoNoiseMm[j];
        norm += static_cast<double>(c.response[static_cast<size_t>(j)]) * c.response[static_cast<size_t>(j)];
        drawn += static_cast<double>(d[j] / kGeoNoiseMm[j]) * (d[j] / kGeoNoiseMm[j]);
      }
      c.scale = static_cast<float>(std::sqrt(norm / std::max(drawn, 1e-12)));
      if (!(norm > 1e-6)) return InvalidArgument("AuModel: AU" + std::to_string(code) + " has no response on one side");
      ++col;
    }
  }
  for (int a = 0; a < kNumCols; ++a)
    for (int b = 0; b < kNumCols; ++b) {
      double q = 0;
      for (int j = 0; j < kNumGeo; ++j)
        q += static_cast<double>(m.cols_[static_cast<size_t>(a)].response[static_cast<size_t>(j)]) *
             m.cols_[static_cast<size_t>(b)].response[static_cast<size_t>(j)];
      m.gram_[static_cast<size_t>(a * kNumCols + b)] = q;
    }
  // The penalty scale: each column's norm (a lasso on normalised columns).
  for (int a = 0; a < kNumCols; ++a) m.pen_[static_cast<size_t>(a)] = std::sqrt(m.gram_[static_cast<size_t>(a * kNumCols + a)]);
  return m;
}

void AuModel::GeometricFeatures(const std::array<cv::Point2f, kNumLandmarks>& c, AuFeatures& f) {
  const float bi = static_cast<float>(cv::norm(c[45] - c[36]));
  const float s = bi > 1e-3f ? 90.f / bi : 0.f;
  auto y = [&](int i) { return c[i].y * s; };
  auto x = [&](int i) { return c[i].x * s; };
  f[kBrowInnerR] = y(39) - Mean2(y(20), y(21));
  f[kBrowInnerL] = y(42) - Mean2(y(22), y(23));
  f[kBrowOuterR] = y(36) - Mean2(y(17), y(18));
  f[kBrowOuterL] = y(45) - Mean2(y(25), y(26));
  f[kBrowGap] = x(22) - x(21);
  f[kEyeOpenR] = Mean2(y(41) - y(37), y(40) - y(38));
  f[kEyeOpenL] = Mean2(y(47) - y(43), y(46) - y(44));
  const float lineR = Mean2(y(36), y(39)), lineL = Mean2(y(42), y(45));
  f[kLowerLidR] = Mean2(y(40), y(41)) - lineR;
  f[kLowerLidL] = Mean2(y(46), y(47)) - lineL;
  f[kUpperLidR] = lineR - Mean2(y(37), y(38));
  f[kUpperLidL] = lineL - Mean2(y(43), y(44));
  f[kNoseWing] = Mean2(y(31), y(35)) - Mean2(y(39), y(42));
  f[kLipToNose] = y(51) - y(33);
  const float mx = Mean2(x(51), x(57));
  f[kCornerOutR] = mx - x(48);
  f[kCornerOutL] = x(54) - mx;
  f[kCornerLowR] = y(48) - y(33);
  f[kCornerLowL] = y(54) - y(33);
  f[kLipGap] = (y(66) - y(62) + y(67) - y(61) + y(65) - y(63)) / 3.f;
  f[kJaw] = y(8) - y(33);
  f[kLipThickness] = (y(61) + y(62) + y(63) - y(50) - y(51) - y(52)) / 3.f +
                     (y(56) + y(57) + y(58) - y(65) - y(66) - y(67)) / 3.f;
}

AuFeatures AuModel::Features(const cv::Mat& gray, const Landmarks& lm,
                             const std::array<cv::Point2f, kNumLandmarks>& canonical) const {
  AuFeatures f;
  f.fill(kNaN);
  GeometricFeatures(canonical, f);
  if (gray.empty() || gray.type() != CV_8UC1) return f;
  // Similarity (rotation, scale, shift) from the image to the template, closed form.
  cv::Point2f ms(0, 0), md(0, 0);
  for (int i : kAlign) {
    ms += lm[i];
    md += template_[i];
  }
  const float inv = 1.f / static_cast<float>(std::size(kAlign));
  ms *= inv;
  md *= inv;
  double sxx = 0, sab = 0, sba = 0;
  for (int i : kAlign) {
    const cv::Point2f a = lm[i] - ms, b = template_[i] - md;
    sxx += a.dot(a);
    sab += a.x * b.x + a.y * b.y;
    sba += a.x * b.y - a.y * b.x;
  }
  if (sxx < 1e-6) return f;
  const double ca = sab / sxx, sa = sba / sxx;
  const cv::Matx23d M(ca, -sa, md.x - (ca * ms.x - sa * ms.y), sa, ca, md.y - (sa * ms.x + ca * ms.y));
  // Inverse of the similarity (patch -> image), closed form.
  const double det = ca * ca + sa * sa;
  const double ia = ca / det, ib = sa / det;
  const cv::Matx23d to_image(ia, ib, -(ia * M(0, 2) + ib * M(1, 2)), -ib, ia, -(-ib * M(0, 2) + ia * M(1, 2)));
  thread_local std::vector<float> buf;
  const PatchSampler patch{gray, to_image, &buf};
  std::array<cv::Point2f, kNumLandmarks> p{};
  for (int i = 0; i < kNumLandmarks; ++i)
    p[i] = {static_cast<float>(M(0, 0) * lm[i].x + M(0, 1) * lm[i].y + M(0, 2)),
            static_cast<float>(M(1, 0) * lm[i].x + M(1, 1) * lm[i].y + M(1, 2))};
  const float b = static_cast<float>(cv::norm(p[45] - p[36]));
  const float browR = std::min({p[17].y, p[18].y, p[19].y, p[20].y, p[21].y});
  const float browL = std::min({p[22].y, p[23].y, p[24].y, p[25].y, p[26].y});
  f[kAppForeheadR] = Energy(patch, p[17].x, p[21].x, browR - 0.28f * b, browR - 0.06f * b, 0);
  f[kAppForeheadL] = Energy(patch, p[22].x, p[26].x, browL - 0.28f * b, browL - 0.06f * b, 0);
  const float gx = Mean2(p[21].x, p[22].x);
  f[kAppGlabella] = Energy(patch, gx - 0.12f * b, gx + 0.12f * b, std::min(p[21].y, p[22].y) - 0.1f * b, p[27].y, 1);
  f[kAppCrowR] = Energy(patch, p[36].x - 0.22f * b, p[36].x - 0.05f * b, p[36].y - 0.08f * b, p[36].y + 0.1f * b, 2);
  f[kAppCrowL] = Energy(patch, p[45].x + 0.05f * b, p[45].x + 0.22f * b, p[45].y - 0.08f * b, p[45].y + 0.1f * b, 2);
  f[kAppNose] = Energy(patch, p[27].x - 0.1f * b, p[27].x + 0.1f * b, p[27].y, p[29].y, 0);
  f[kAppCheekR] = Energy(patch, p[36].x, p[39].x, Mean2(p[40].y, p[41].y) + 0.08f * b, p[31].y, 2);
  f[kAppCheekL] = Energy(patch, p[42].x, p[45].x, Mean2(p[46].y, p[47].y) + 0.08f * b, p[35].y, 2);
  f[kAppChin] = Energy(patch, p[57].x - 0.15f * b, p[57].x + 0.15f * b, p[57].y + 0.06f * b, p[8].y - 0.06f * b, 2);
  f[kAppDimpleR] = Energy(patch, p[48].x - 0.15f * b, p[48].x - 0.02f * b, p[48].y - 0.07f * b, p[48].y + 0.07f * b, 2);
  f[kAppDimpleL] = Energy(patch, p[54].x + 0.02f * b, p[54].x + 0.15f * b, p[54].y - 0.07f * b, p[54].y + 0.07f * b, 2);
  return f;
}

std::array<double, AuModel::kColumns> AuModel::Solve(const AuFeatures& d) const {
  // min over 0 <= a <= kMaxActivation of |sum_c a_c R_c - d / noise|^2 / 2 + sum_c
  // kSparsity * |R_c| * a_c: a box-constrained, L1-penalised least squares, solved by
  // cyclic coordinate descent (the problem is convex; 23 unknowns converge in a few
  // dozen sweeps).
  std::array<double, kColumns> b{}, a{};
  for (int c = 0; c < kColumns; ++c) {
    double v = 0;
    for (int j = 0; j < kNumGeo; ++j)
      if (std::isfinite(d[j])) v += static_cast<double>(cols_[static_cast<size_t>(c)].response[static_cast<size_t>(j)]) * (d[j] / kGeoNoiseMm[j]);
    b[static_cast<size_t>(c)] = v;
  }
  // The penalised solution is continuous in the data (no AU jumps on or off between
  // frames); its shrinkage is then given back along a ramp: an active column's value a
  // becomes a + delta * min(1, a / delta), delta being the shrinkage of that column alone
  // (kSparsity * pen / Q_cc), so that an AU's own field reads its exact intensity while
  // a reading near 0 stays near 0.
  for (int sweep = 0; sweep < 80; ++sweep) {
    double change = 0;
    for (int c = 0; c < kColumns; ++c) {
      if (!cols_[static_cast<size_t>(c)].in_fit) continue;
      const double* q = &gram_[static_cast<size_t>(c * kColumns)];
      double r = b[static_cast<size_t>(c)];
      for (int k = 0; k < kColumns; ++k)
        if (k != c) r -= q[k] * a[static_cast<size_t>(k)];
      const double next = std::clamp((r - kSparsity * pen_[static_cast<size_t>(c)]) / q[c], 0.0, kMaxActivation);
      change = std::max(change, std::abs(next - a[static_cast<size_t>(c)]));
      a[static_cast<size_t>(c)] = next;
    }
    if (change < 1e-5) break;
  }
  for (int c = 0; c < kColumns; ++c) {
    const double delta = kSparsity * pen_[static_cast<size_t>(c)] / gram_[static_cast<size_t>(c * kColumns + c)];
    double& v = a[static_cast<size_t>(c)];
    if (v > 0 && delta > 0) v += delta * std::min(1.0, v / delta);
  }
  return a;
}

AuIntensities AuModel::Score(const AuFeatures& f, const HeadPose& pose, const AuBaseline& baseline) const {
  const AuFeatures g = baseline.Decorrelate(f, pose);
  AuFeatures d;
  for (int j = 0; j < kNumAuFeatures; ++j) d[j] = g[j] - baseline.neutral[j];
  // Lid features as fractions of this person's neutral opening, in the generic face's
  // millimetres (a blink closes 90% of whatever opening the person has).
  const float person_open = Mean2(baseline.neutral[kEyeOpenR], baseline.neutral[kEyeOpenL]);
  const float eye_scale = std::isfinite(person_open) ? eye_open_ / std::max(person_open, 1.f) : 1.f;
  for (int j : {kEyeOpenR, kEyeOpenL, kLowerLidR, kLowerLidL, kUpperLidR, kUpperLidL}) d[j] *= eye_scale;
  const std::array<double, kNumCols> act = Solve(d);
  AuIntensities out;
  auto clamp5 = [](float v) { return std::isfinite(v) ? std::clamp(v, 0.f, 5.f) : 0.f; };
  out.r.fill(0.f);
  for (int c = 0; c < kNumCols; ++c) {
    const Column& col = cols_[static_cast<size_t>(c)];
    const float v = 5.f * col.scale * static_cast<float>(act[static_cast<size_t>(c)]);
    if (col.side == 0) {
      out.r[static_cast<size_t>(col.au)] = v;
      continue;
    }
    out.r[static_cast<size_t>(col.au)] += 0.5f * v;
    for (size_t s = 0; s < kSidedAus.size(); ++s)
      if (kSidedAus[s] == kAuCodes[static_cast<size_t>(col.au)]) (col.side == 1 ? out.right[s] : out.left[s]) = v;
  }
  {
    const size_t k7 = static_cast<size_t>(AuIndex(kOutsideJointFit));
    out.r[k7] = gain_[k7] * GeometricResponses(d, baseline.neutral).au[k7];
  }
  // Appearance evidence: positive log-energy rise over neutral, added at kAppWeight.
  auto app = [&](int j) {
    const float v = d[j];
    return std::isfinite(v) ? kAppWeight * kAppGain * std::max(0.f, v) : 0.f;
  };
  for (const AppCue& c : kAppCues) {
    const float ar = app(c.right), al = app(c.left);
    const size_t k = static_cast<size_t>(AuIndex(c.au));
    out.r[k] = std::max(0.f, out.r[k]) + Mean2(ar, al);
    for (size_t s = 0; s < kSidedAus.size(); ++s)
      if (kSidedAus[s] == c.au) {
        out.right[s] = std::max(0.f, out.right[s]) + ar;
        out.left[s] = std::max(0.f, out.left[s]) + al;
      }
  }
  for (auto& v : out.r) v = clamp5(v);
  for (auto& v : out.left) v = clamp5(v);
  for (auto& v : out.right) v = clamp5(v);
  return out;
}

std::array<uint8_t, kNumAus> AuPresence::Update(const AuIntensities& a) {
  for (size_t k = 0; k < state_.size(); ++k) {
    if (a.r[k] >= on_) state_[k] = 1;
    else if (a.r[k] < off_) state_[k] = 0;
  }
  return state_;
}

}  // namespace mimicry::face
