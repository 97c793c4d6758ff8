// The in-memory feature table (one time series per face, every channel named and with its
// units) and its readers for the per-frame CSVs of mimicry extract, OpenFace 2.0 and py-feat. Columns used: docs/analyze.md#inputs.
#pragma once

#include <map>
#include <span>
#include <string>

#include "mimicry/core/status.h"
#include "mimicry/core/time_series.h"
#include "mimicry/schema/vocabulary.h"

namespace mimicry::schema {

// Channels of every face's series, in this order: AU01_r .. AU45_r (OpenFace's 17, 0-5),
// pose_Rx, pose_Ry, pose_Rz (radians; NaN when the file has no pose), face_x (horizontal
// face centre in pixels, for left-to-right naming) and face_size (pixels: the outer eye
// corners' distance, or py-feat's face box width; to prefer the nearest face), NaN when
// unknown; then mimicry's region-wise appearance change mot_brow_r, mot_brow_l,
// mot_glabella, mot_eye_r, mot_eye_l, mot_nose, mot_mouth, mot_chin (percent of the
// face's intensity SD; face/motion.h), NaN when the file has none (OpenFace, py-feat);
// then motion energy me_head, me_body, me_total (percent of the region's pixels that
// changed; face/motion_energy.h; extract --motion-energy), NaN when absent; then the sided
// intensities of AU01, AU02, AU06, AU12, AU14, AU15 as AUxx_r_L, AUxx_r_R (mimicry's
// tables; NaN when the file has none: readers then take AUxx_r for both sides).
// The positions, named once (vocabulary.h gives the lists).
inline constexpr int kFirstPoseChannel = kNumAus;                 // pose_Rx, pose_Ry, pose_Rz
inline constexpr int kFaceXChannel = kFirstPoseChannel + 3;
inline constexpr int kFaceSizeChannel = kFaceXChannel + 1;
inline constexpr int kFirstMotionChannel = kFaceSizeChannel + 1;  // mot_<region>, kRegionNames order
inline constexpr int kMotionChannels = static_cast<int>(kNumRegions);
inline constexpr int kFirstMotionEnergyChannel = kFirstMotionChannel + kMotionChannels;
inline constexpr int kMotionEnergyChannels = static_cast<int>(kMotionEnergyNames.size());
inline constexpr int kFirstSidedChannel = kFirstMotionEnergyChannel + kMotionEnergyChannels;  // L, R per kSidedAus
inline constexpr int kSidedChannels = static_cast<int>(2 * kSidedAus.size());
inline constexpr int kFeatureChannels = kFirstSidedChannel + kSidedChannels;
// The channel of the left (side 0) or right (side 1) intensity of kSidedAus[s].
constexpr int SidedChannel(size_t s, int side) { return kFirstSidedChannel + 2 * static_cast<int>(s) + side; }

// The header of every face's series (the channels above, with their units), defined once
// for the readers and for in-memory producers (synthetic features, live streams).
SeriesHeader FeatureHeader();

struct FeatureTable {
  std::string path;
  std::string format;            // "mimicry", "openface" or "py-feat"
  std::map<int, TimeSeries> faces;  // by face_id; rows with success = 0 are left out
  int64_t rows = 0;              // data rows read
};

// Appends one row of face `face_id` at `when` (values in FeatureHeader() order, NaN =
// unknown), creating the face's series on its first row: the one place where rows enter
// a FeatureTable, for the CSV readers and for in-memory producers (extraction).
// Errors: InvalidInput "<where>: time does not increase for face N" when `when` is not
// after the face's previous row. Pre: values.size() == kFeatureChannels.
Status AppendFeatureRow(FeatureTable& t, int face_id, Timestamp when, std::span<const double> values, const std::string& where);

// Errors (InvalidInput, naming the file): unreadable or empty file, unknown format,
// missing columns (listed), no time column, non-increasing time within a face.
// NotFound when the file does not exist.
Result<FeatureTable> ReadFeatureCsv(const std::string& path);

}  // namespace mimicry::schema
