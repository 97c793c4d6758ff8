// Region-wise appearance change of the aligned face: how much each facial region (brows,
// glabella, eyes, nose, mouth, chin) looks different from the person's recent resting
// face. This is the appearance signal of micro-expression spotting (libs/micro): it sees
// movements that are too small or too fast for the landmarks, as the MEGC baselines' LBP
// and optical-flow block differences do. Method: docs/micro.md#appearance-change.
//
// Per frame: the face is warped to a small frontal template (similarity on the rigid
// landmarks: eye corners and nose, so head roll, scale and in-plane shifts are undone),
// and each region is normalised to its own mean 0 and SD 1 (so lighting drifts do not
// count, and one region's change does not rescale another) and averaged in cells of
// cell_px x cell_px pixels (pixel noise cancels, a shifted edge does not). The reference
// is each cell's median over snapshots taken every snapshot_every_s over the last
// reference_window_s seconds; the region's value is the mean |cell - reference| over the
// most changed third of its cells (an action moves part of a region), in percent of the
// region's intensity SD.
//
// Split as the rest of the face stage: MotionModel is immutable (the template and the
// regions; any thread), MotionTracker is one face's state (the snapshots; one per stream).
#pragma once

#include <array>
#include <deque>
#include <vector>

#include <opencv2/core.hpp>

#include "mimicry/core/status.h"
#include "mimicry/core/timestamp.h"
#include "mimicry/face/pose.h"
#include "mimicry/face/types.h"

namespace mimicry::face {

// Regions, R/L the subject's own right/left (R = image left for a face looking at the camera).
enum MotionRegion : int {
  kMotBrowR, kMotBrowL,  // brow and the forehead just above it (AU1, AU2, AU4)
  kMotGlabella,          // between the brows, down to the nose root (AU4, AU9)
  kMotEyeR, kMotEyeL,    // lids and the cheek just below (AU5, AU6, AU7, AU45)
  kMotNose,              // nose and the nasolabial area beside it (AU9, AU10)
  kMotMouth,             // lips and mouth corners (AU12 ... AU26)
  kMotChin,              // below the lower lip (AU17, AU26)
  kNumMotionRegions
};
using MotionSample = std::array<float, kNumMotionRegions>;  // NaN: no reference yet / no image
// Short snake_case names in enum order ("brow_r", ...); extract writes them as mot_<name>.
const std::array<const char*, kNumMotionRegions>& MotionRegionNames();

struct MotionOptions {
  float px_per_mm = 0.5f;            // template resolution (the generic face's biocular width is 90 mm)
  int cell_px = 3;                   // cell size of the signed averaging, template pixels
  double snapshot_every_s = 0.5;     // a reference snapshot is kept this often ...
  double reference_window_s = 10.0;  // ... over this many seconds; the reference is their per-pixel median.
                                     // Longer than the longest expression (4 s) twice over, so
                                     // that an expression never becomes its own reference.
  int min_snapshots = 3;             // no output (NaN) before this many snapshots
};

// Immutable after Create; thread-safe.
class MotionModel {
 public:
  // `face` is the generic 3D face the pose estimator uses (its x/y give the template).
  static Result<MotionModel> Create(const Face3D& face, const MotionOptions& options = {});
  const MotionOptions& options() const { return o_; }
  cv::Size size() const { return size_; }
  // The face warped to the template, as 32-bit float intensities; empty if the landmarks
  // are degenerate. Pre: gray is 8-bit, one channel.
  cv::Mat Align(const cv::Mat& gray, const Landmarks& lm) const;
  // Region cells: for each region, the top-left corners of its cells.
  const std::array<std::vector<cv::Point>, kNumMotionRegions>& cells() const { return cells_; }
  // Each region's bounding box (of its cells) in the template.
  const std::array<cv::Rect, kNumMotionRegions>& boxes() const { return boxes_; }

 private:
  MotionModel() = default;
  MotionOptions o_;
  cv::Size size_;
  std::array<cv::Point2f, kNumLandmarks> template_{};
  std::array<std::vector<cv::Point>, kNumMotionRegions> cells_;
  std::array<cv::Rect, kNumMotionRegions> boxes_;
};

// One face's state. Memory is bounded: reference_window_s / snapshot_every_s snapshots.
class MotionTracker {
 public:
  // One frame of this face; frames come in time order. Returns NaNs until the reference
  // has min_snapshots snapshots, or if the face cannot be aligned.
  MotionSample Update(const MotionModel& model, const cv::Mat& gray, const Landmarks& lm, Timestamp t);
  void Reset();

 private:
  void RebuildReference();
  // Snapshots and reference: per region, the normalised cell means (see the header).
  std::deque<std::pair<Timestamp, std::vector<std::vector<float>>>> snaps_;
  std::vector<std::vector<float>> ref_;
  std::vector<float> diff_;  // scratch
  Timestamp last_snap_{INT64_MIN};
};

}  // namespace mimicry::face
