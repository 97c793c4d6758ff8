#include "mimicry/schema/feature_table.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

#include "mimicry/core/csv.h"

namespace mimicry::schema {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Num(const std::vector<std::string>& row, int col) {
  if (col < 0 || static_cast<size_t>(col) >= row.size() || row[static_cast<size_t>(col)].empty()) return kNaN;
  char* end = nullptr;
  const double v = std::strtod(row[static_cast<size_t>(col)].c_str(), &end);
  return end != nullptr && *end == '\0' ? v : kNaN;
}

}  // namespace

std::string AuName(int code) {
  char name[8];
  std::snprintf(name, sizeof name, "AU%02d", code);
  return name;
}

SeriesHeader FeatureHeader() {
  SeriesHeader hdr;
  for (int au : kAuCodes) {
    hdr.channels.push_back(AuName(au) + "_r");
    hdr.units.push_back("intensity_0_5");
  }
  for (const char* n : {"pose_Rx", "pose_Ry", "pose_Rz"}) {
    hdr.channels.push_back(n);
    hdr.units.push_back("rad");
  }
  hdr.channels.push_back("face_x");
  hdr.units.push_back("px");
  hdr.channels.push_back("face_size");
  hdr.units.push_back("px");
  for (const char* n : kRegionNames) {
    hdr.channels.push_back(std::string("mot_") + n);
    hdr.units.push_back("pct_face_sd");
  }
  for (const char* n : kMotionEnergyNames) {
    hdr.channels.push_back(n);
    hdr.units.push_back("pct_pixels_changed");
  }
  for (int au : kSidedAus)
    for (const char* side : kSideSuffixes) {
      hdr.channels.push_back(AuName(au) + "_r_" + side);
      hdr.units.push_back("intensity_0_5");
    }
  return hdr;
}

Status AppendFeatureRow(FeatureTable& t, int face_id, Timestamp when, std::span<const double> values, const std::string& where) {
  auto it = t.faces.find(face_id);
  if (it == t.faces.end()) it = t.faces.emplace(face_id, *TimeSeries::Create(FeatureHeader())).first;
  if (!it->second.empty() && when <= it->second.time(it->second.size() - 1))
    return InvalidInput(where + ": time does not increase for face " + std::to_string(face_id));
  return it->second.Append(when, values);
}

Result<FeatureTable> ReadFeatureCsv(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound(path + ": no such file");
  std::ifstream in(path);
  if (!in) return InvalidInput(path + ": cannot read");
  CsvReader csv(in, path);
  std::vector<std::string> h;
  if (!csv.Read(h)) return csv.status().ok() ? InvalidInput(path + ": empty file") : csv.status();
  const bool spaced = csv.spaced();
  auto col = [&](const std::string& name) {
    for (size_t i = 0; i < h.size(); ++i)
      if (h[i] == name) return static_cast<int>(i);
    return -1;
  };
  FeatureTable t;
  t.path = path;
  // The format by content: OpenFace and mimicry name intensities AU01_r; py-feat's Fex
  // tables name them AU01 and always carry its face box (FaceRectX). synth's curves.csv also
  // has AU01 columns, but with a participant column: several people in one file.
  if (col("participant") >= 0 && col("AU01") >= 0 && col("FaceRectX") < 0)
    return InvalidInput(path + ": this is mimicry synth's curves.csv (the planted curves of several participants), "
                               "not one recording's feature table; analyze the rendered videos or synth --features-only tables");
  const bool pyfeat = col("AU01") >= 0 && col("AU01_r") < 0 && col("FaceRectX") >= 0;
  if (col("AU01") >= 0 && col("AU01_r") < 0 && !pyfeat)
    return InvalidInput(path + ": AU01 without _r and no FaceRectX: neither OpenFace/mimicry (AU01_r) nor py-feat (FaceRectX) columns");
  std::vector<int> au_cols;
  std::string missing;
  for (int au : kAuCodes) {
    const std::string name = AuName(au) + (pyfeat ? "" : "_r");
    const int c = col(name);
    // py-feat's models have no AU05/AU45 in some versions; a missing AU is then all-NaN,
    // but the ones everybody has must be there.
    if (c < 0 && !(pyfeat && (au == 5 || au == 45))) missing += std::string(missing.empty() ? "" : ", ") + name;
    au_cols.push_back(c);
  }
  const int c_time = pyfeat ? (col("approx_time") >= 0 ? col("approx_time") : col("timestamp")) : col("timestamp");
  if (c_time < 0) missing += std::string(missing.empty() ? "" : ", ") + (pyfeat ? "approx_time (or timestamp)" : "timestamp");
  if (!missing.empty()) {
    if (col("AU12_r") < 0 && col("AU12") < 0 && col("timestamp") < 0)
      return InvalidInput(path + ": not a feature table (expected mimicry, OpenFace 2.0 or py-feat columns)");
    return InvalidInput(path + ": missing columns: " + missing);
  }
  t.format = pyfeat ? "py-feat" : (spaced || col("gaze_0_x") >= 0 ? "openface" : "mimicry");
  const double au_scale = pyfeat ? 5.0 : 1.0;  // py-feat's AU intensities are 0-1
  const int c_face = col("face_id"), c_success = col("success");
  const int c_rx = pyfeat ? col("Pitch") : col("pose_Rx"), c_ry = pyfeat ? col("Yaw") : col("pose_Ry"),
            c_rz = pyfeat ? col("Roll") : col("pose_Rz");
  const double pose_scale = pyfeat ? 3.14159265358979 / 180.0 : 1.0;  // py-feat: degrees
  const int c_x0 = pyfeat ? col("FaceRectX") : col("x_27"), c_w = pyfeat ? col("FaceRectWidth") : -1;
  const int c_x36 = col("x_36"), c_y36 = col("y_36"), c_x45 = col("x_45"), c_y45 = col("y_45");
  const SeriesHeader hdr = FeatureHeader();
  std::vector<int> mot_cols;
  // Region-wise appearance change, motion energy and sides: by their own names, where present.
  for (size_t k = kFirstMotionChannel; k < static_cast<size_t>(kFeatureChannels); ++k) mot_cols.push_back(col(hdr.channels[k]));
  std::vector<double> row_v(kFeatureChannels);
  std::vector<std::string> row;
  while (csv.Read(row)) {
    const int64_t line_no = csv.line();
    ++t.rows;
    if (c_success >= 0 && Num(row, c_success) != 1.0) continue;
    const double ts = Num(row, c_time);
    if (!std::isfinite(ts)) return InvalidInput(path + ": line " + std::to_string(line_no) + ": no valid time");
    const int face = c_face >= 0 && std::isfinite(Num(row, c_face)) ? static_cast<int>(Num(row, c_face)) : 0;
    if (face < 0) continue;  // mimicry's "no face in this frame" rows
    for (size_t k = 0; k < au_cols.size(); ++k) {
      const double v = Num(row, au_cols[k]);
      // py-feat's intensities are probabilities-like 0-1 values; above 1 this is not py-feat.
      if (pyfeat && v > 1.0 + 1e-6)
      {
        char msg[64];
        std::snprintf(msg, sizeof msg, " = %g: py-feat intensities are 0-1", v);
        return InvalidInput(path + ": line " + std::to_string(line_no) + ": " + AuName(kAuCodes[k]) + msg +
                            " (is this another tool's table?)");
      }
      row_v[k] = v * au_scale;
    }
    row_v[kFirstPoseChannel] = Num(row, c_rx) * pose_scale;
    row_v[kFirstPoseChannel + 1] = Num(row, c_ry) * pose_scale;
    row_v[kFirstPoseChannel + 2] = Num(row, c_rz) * pose_scale;
    row_v[kFaceXChannel] = c_w >= 0 ? Num(row, c_x0) + 0.5 * Num(row, c_w) : Num(row, c_x0);
    row_v[kFaceSizeChannel] = c_w >= 0 ? Num(row, c_w)
                                       : std::hypot(Num(row, c_x45) - Num(row, c_x36), Num(row, c_y45) - Num(row, c_y36));
    for (size_t k = 0; k < mot_cols.size(); ++k) row_v[kFirstMotionChannel + k] = Num(row, mot_cols[k]);
    const Timestamp when = Timestamp::FromSeconds(ts);
    if (pyfeat) {
      const auto it = t.faces.find(face);
      if (it != t.faces.end() && !it->second.empty() && when == it->second.time(it->second.size() - 1)) continue;  // a second face in the frame
    }
    MIMICRY_RETURN_IF_ERROR(AppendFeatureRow(t, face, when, row_v, path + ": line " + std::to_string(line_no)));
  }
  if (!csv.status().ok()) return csv.status();
  if (t.rows == 0) return InvalidInput(path + ": no data rows");
  return t;
}

}  // namespace mimicry::schema
