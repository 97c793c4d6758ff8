// Facial action units (OpenFace 2.0's 17 AUs, 0-5 intensity) from landmarks, head pose and
// the aligned face image. Method and per-AU sources: docs/action_units.md.
//
// Three steps, kept apart so that streams can run in parallel and baselines can be saved:
//  1. AuModel::Features (immutable model, any thread): one face in one frame -> a vector of
//     geometric features measured in the canonical frontal frame (the head pose undone,
//     normalised to a 90 mm biocular width) plus appearance features (log texture energy in
//     aligned regions: forehead, glabella, crow's feet, nose, cheeks, chin, dimples).
//  2. A per-person neutral (AuBaseline): each feature's value at the person's neutral
//     face, plus a per-person pose slope per feature that absorbs what the generic 3D face
//     gets wrong about this person's depth (a depth error dz turns a nod of angle p into a
//     canonical shift of about dz * sin p). Fitted offline over all the person's frames
//     (FitAuBaseline) or online over a sliding window (OnlineAuBaseline), or loaded.
//  3. AuModel::Score: (features - neutral) -> intensities. Each AU's gain comes from the
//     FACS displacement field in facs.h: the geometric response of the AU at intensity 5
//     on the generic face is defined as 5. Appearance adds evidence for AUs whose
//     geometry is weak (1, 2, 4, 6, 9, 10, 14, 17).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <span>
#include <string>

#include <opencv2/core.hpp>

#include "mimicry/core/status.h"
#include "mimicry/core/timestamp.h"
#include "mimicry/face/facs.h"
#include "mimicry/face/pose.h"
#include "mimicry/face/types.h"

namespace mimicry::face {

// Feature indices. R/L are the subject's own right/left (R = image left for a face
// looking at the camera). Geometric features are millimetres on a face scaled to a 90 mm
// biocular width; appearance features are natural logs of a contrast-normalised gradient
// energy and are NaN when no image is given.
enum AuFeature : int {
  kBrowInnerR, kBrowInnerL,    // inner brow height above the inner eye corner
  kBrowOuterR, kBrowOuterL,    // outer brow height above the outer eye corner
  kBrowGap,                    // distance between the inner brow ends (21-22)
  kEyeOpenR, kEyeOpenL,        // lid opening (upper to lower lid)
  kLowerLidR, kLowerLidL,      // lower lid below the eye-corner line
  kUpperLidR, kUpperLidL,      // upper lid above the eye-corner line
  kNoseWing,                   // nostril wings below the inner eye corners
  kLipToNose,                  // upper lip centre below the nose base
  kCornerOutR, kCornerOutL,    // mouth corner's horizontal distance from the lip centre
  kCornerLowR, kCornerLowL,    // mouth corner below the nose base
  kLipGap,                     // inner lip gap
  kJaw,                        // chin below the nose base
  kLipThickness,               // upper + lower vermilion height
  kAppForeheadR, kAppForeheadL,  // horizontal wrinkles above the brows (AU1, AU2)
  kAppGlabella,                // vertical furrows between the brows (AU4)
  kAppCrowR, kAppCrowL,        // crow's feet at the outer eye corners (AU6)
  kAppNose,                    // wrinkles across the nose root (AU9)
  kAppCheekR, kAppCheekL,      // infraorbital / nasolabial texture (AU6, AU10)
  kAppChin,                    // chin boss dimpling (AU17)
  kAppDimpleR, kAppDimpleL,    // beside the mouth corners (AU14)
  kNumAuFeatures
};
inline constexpr int kFirstAppearanceFeature = kAppForeheadR;
using AuFeatures = std::array<float, kNumAuFeatures>;
// Short snake_case names, in enum order (baseline files use them).
std::span<const char* const, kNumAuFeatures> AuFeatureNames();

// How much of each geometric feature's drawn change (FACS field) the 68-point landmark
// model sees, measured by the specificity sweep (docs/action_units.md#specificity); the
// joint read-out's columns are the fields as seen.
std::span<const float, kFirstAppearanceFeature> AuSeenFraction();

// Asymmetric AUs with left/right columns (AUxx_r_L, AUxx_r_R).
using schema::kSidedAus;

struct AuIntensities {
  std::array<float, kNumAus> r{};                         // 0..5, kAuCodes order
  std::array<float, kSidedAus.size()> left{}, right{};    // subject's own sides, 0..5
};

// A person's neutral face in feature space.
struct AuBaseline {
  AuFeatures neutral{};       // feature value at the neutral face and reference pose
  AuFeatures pitch_slope{};   // d feature / d sin(pitch), per person (depth correction)
  AuFeatures yaw_slope{};     // d feature / d sin(yaw)
  float ref_pitch = 0, ref_yaw = 0;  // radians: the pose the neutral refers to
  int64_t frames = 0;         // frames it was fitted on (0 = not fitted)
  // Features with the person's pose dependence removed (referred to ref_pitch/ref_yaw).
  AuFeatures Decorrelate(const AuFeatures& f, const HeadPose& pose) const;
};

struct AuBaselineOptions {
  // The neutral of each feature: the mode (most frequent value, from a histogram smoothed
  // by 0.3 robust SD) of the pose-corrected feature when neutral_percentile < 0 (default),
  // else that percentile (0..100). The mode is the resting face even when a person smiles
  // or talks much of the time, where the median would sit mid-expression.
  float neutral_percentile = -1.f;
  // The lip gap only grows with an action (AU25/26) and its mode can be the open mouth of
  // someone who talks most of the time, so its neutral is this low percentile: closed lips.
  float lip_gap_percentile = 10.f;
  // Bound on the pose slopes (mm per unit sin(angle)); it is a depth error, so it cannot
  // exceed the spread of facial depth.
  float max_slope = 25.f;
  // Ridge weight on the slopes, as an equivalent pose spread (radians): with less head
  // motion than this the slopes shrink towards 0 instead of fitting noise.
  float ridge_rad = 0.05f;
  // Online mode: sliding window; refits every frame for the first 2 s, every
  // refit_early_s until 10 s, then every refit_s; each fit uses at most max_fit_samples
  // frames of the window (evenly spaced). The first fit comes after min_frames.
  double window_s = 60.0;
  double refit_early_s = 0.5;
  double refit_s = 2.0;
  size_t max_fit_samples = 600;
  int min_frames = 5;
};

// Fits the neutral over a person's frames (features and their poses; NaNs skipped).
// Robust: Huber-weighted regression of each feature on sin(pitch), sin(yaw); the neutral
// is the mode (or a percentile) of the pose-corrected feature. Pre: features.size() == poses.size().
AuBaseline FitAuBaseline(std::span<const AuFeatures> features, std::span<const HeadPose> poses,
                         const AuBaselineOptions& options = {});

// Per-stream running baseline for live use: FitAuBaseline over the last window_s seconds,
// refitted often at first and then every refit_s, so it settles within the first seconds.
// Memory is bounded by the window.
class OnlineAuBaseline {
 public:
  explicit OnlineAuBaseline(AuBaselineOptions options = {}) : o_(options) {}
  // Adds one frame; returns the baseline to score this frame with.
  const AuBaseline& Update(Timestamp t, const AuFeatures& f, const HeadPose& pose);
  const AuBaseline& current() const { return b_; }

 private:
  AuBaselineOptions o_;
  std::deque<Timestamp> t_;
  std::deque<AuFeatures> f_;
  std::deque<HeadPose> p_;
  AuBaseline b_;
  Timestamp first_{INT64_MIN}, last_fit_{INT64_MIN};
};

// Immutable after Create; Features and Score are const and thread-safe.
class AuModel {
 public:
  // `face` is the generic 3D face the pose estimator uses (its x/y give the appearance
  // template and, with the FACS fields, the AU gains).
  static Result<AuModel> Create(const Face3D& face);

  // Features of one face. `canonical` = PoseEstimator::Canonicalize(lm, pose). `gray` is
  // the frame (8-bit); empty = no appearance features (NaN).
  AuFeatures Features(const cv::Mat& gray, const Landmarks& lm,
                      const std::array<cv::Point2f, kNumLandmarks>& canonical) const;
  // Geometric features from canonical (face-frame, mm) points only.
  static void GeometricFeatures(const std::array<cv::Point2f, kNumLandmarks>& canonical, AuFeatures& f);

  // Intensities from features, the head pose and the person's baseline. The geometric
  // change from the neutral is explained jointly as a non-negative, sparse sum of every
  // AU's response (each AU's FACS field applied to the generic face, per side for the
  // sided AUs), so that a jaw drop reads as AU26, not also as AU15, AU20 and AU23: each
  // AU moves only with its own field. Appearance evidence is then added.
  AuIntensities Score(const AuFeatures& f, const HeadPose& pose, const AuBaseline& baseline) const;

  // The gain of each AU's own geometric read-out (intensity per mm of its response in
  // the table of docs/action_units.md), derived from facs.h. Score does not use it alone:
  // it explains all features jointly (see Score).
  const std::array<float, kNumAus>& gains() const { return gain_; }

  // What AU kAuCodes[k]'s FACS field at intensity 5 does to the geometric features of
  // the generic face (mm; appearance features 0).
  const AuFeatures& FieldResponse(int k) const { return field_response_[static_cast<size_t>(k)]; }

  // One column of the joint read-out per unsided AU and two per sided AU.
  static constexpr int kColumns = kNumAus + static_cast<int>(kSidedAus.size());

 private:
  AuModel() = default;
  // Activations (1 = intensity 5) of the columns that best explain the geometric feature
  // change `d` (features minus neutral, mm).
  std::array<double, kColumns> Solve(const AuFeatures& d) const;
  struct Column {
    int au = 0;    // index into kAuCodes
    int side = 0;  // 0 both sides, 1 subject's right, 2 subject's left
    bool in_fit = true;  // false for AU7, read outside the joint fit
    std::array<float, kFirstAppearanceFeature> response{};  // seen field response / noise scale
    float scale = 1;  // |seen response| / |drawn response|: output intensity per activation / 5
  };
  std::array<cv::Point2f, kNumLandmarks> template_{};  // appearance template, patch px
  std::array<float, kNumAus> gain_{};
  std::array<Column, kColumns> cols_{};
  std::array<double, kColumns * kColumns> gram_{};  // cols' inner products
  std::array<double, kColumns> pen_{};  // each column's L1 penalty scale
  std::array<AuFeatures, kNumAus> field_response_{};
  float eye_open_ = 0;  // the generic face's lid opening (mm)
};

// AU presence (AUxx_c) per stream, with hysteresis: on at intensity >= on, off below off,
// so that noise around one threshold does not flicker.
class AuPresence {
 public:
  explicit AuPresence(float on = 1.0f, float off = 0.6f) : on_(on), off_(off) {}
  std::array<uint8_t, kNumAus> Update(const AuIntensities& a);
  void Reset() { state_.fill(0); }

 private:
  float on_, off_;
  std::array<uint8_t, kNumAus> state_{};
};

}  // namespace mimicry::face
