// extract: video -> per-frame faces, landmarks and head pose, written as a CSV (OpenFace
// 2.0 column names) and a JSON metadata sidecar: a loop of io's FrameSource into face's
// FaceStream (face/stream.h). The only place where io and face meet.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/face/au.h"
#include "mimicry/face/detector.h"
#include "mimicry/face/landmarks.h"
#include "mimicry/face/motion_energy.h"
#include "mimicry/face/stream.h"
#include "mimicry/face/tracker.h"
#include "mimicry/schema/feature_table.h"
#include "mimicry/io/frame_source.h"

namespace mimicry::pipeline {

// Model file names inside a models folder.
inline constexpr const char* kBlazeFaceFrontFile = "face_detection_front_128x128.onnx";
inline constexpr const char* kBlazeFaceBackFile = "face_detection_back_256x256.onnx";
inline constexpr const char* kLandmarkFile = "shape_predictor_68_face_landmarks.ert";

// The models folder used when none is given: $MIMICRY_MODELS_DIR, else `models/` beside
// the binary's folder (build/models for build/bin/mimicry), else the build's models folder.
std::string DefaultModelsDir();

// The folder for installed data: $<env_var> if set, else <binary's parent>/<name> or
// <binary's folder>/<name> when it holds `probe_file`, else `fallback` (the build's).
std::string FindDataDir(const char* env_var, const char* name, const char* probe_file, const char* fallback);

// The immutable models of the face stage (face/stream.h), loaded once and shared by every stream.
using FaceModels = face::FaceModels;
// Loads the detector `options.kind` (its model_path is filled in from `models_dir`, empty
// = DefaultModelsDir()) and the landmark model. Errors: ModelMissing, InvalidInput.
Result<FaceModels> LoadFaceModels(const std::string& models_dir, face::DetectorOptions options);

struct ExtractOptions {
  // What to read: a video, an image folder or an image; --start/--end; rotation.
  io::FrameSourceOptions input;
  // The CSV to write (required). Its folder must exist.
  std::string output_csv;
  // The metadata sidecar; empty = output_csv with ".csv" replaced by ".meta.json".
  std::string metadata_json;
  // Written verbatim into the metadata as "cache_key" when not empty (JSON text): analyze and
  // audience key their extraction cache on it (the input's identity and every option).
  std::string cache_key;
  // Folder holding the model files above; empty = DefaultModelsDir().
  std::string models_dir;
  // Detector kind and its score threshold.
  face::DetectorKind detector = face::DetectorKind::kBlazeFaceFront;
  float min_detection_score = 0.6f;
  // Tracking, identities, --max-faces, --detect-every.
  face::TrackerOptions tracker;
  // Camera intrinsics in pixels; 0 = OpenFace's default from the frame size
  // (fx = fy = 500 * width / 640, principal point at the centre).
  double fx = 0, fy = 0, cx = 0, cy = 0;
  // Recorded verbatim in the metadata (the CLI passes its argv).
  std::string command_line;

  // Action units, emotions and head gestures (docs/action_units.md). false = landmarks
  // and pose only (the columns are then absent).
  bool action_units = true;
  // Also write the raw AU features (columns feat_<name>, before any baseline), for
  // research on new AU definitions (--au-features).
  bool write_au_features = false;
  // kOffline (default for files): each face's neutral is fitted over all its frames, then
  // the rows are written (they are spilled to an anonymous temporary file meanwhile, so
  // memory stays flat; ~190 bytes per face-frame stay in memory for the fit).
  // kOnline: a running neutral over the last baseline.window_s, rows written as they come.
  enum class Baseline { kOffline, kOnline } baseline_mode = Baseline::kOffline;
  face::AuBaselineOptions baseline;
  // Reuse a neutral saved earlier (--baseline-in): it replaces the fitted one for the face
  // `baseline_face`. Errors: InvalidInput naming the file when it is missing or corrupt.
  std::string baseline_in;
  // Save the fitted neutral of face `baseline_face` (--baseline-out). Offline mode: the
  // fit over the whole video; online mode: the running estimate at the end.
  std::string baseline_out;
  // The face the two options above refer to; -1 = the face with the most frames with
  // success = 1 (online mode with --baseline-in: face 0).
  int baseline_face = -1;
  // Motion energy per face (--motion-energy): columns me_head, me_body, me_total, the
  // percent of the head's and the body's region that changed since the previous frame
  // (face/motion_energy.h, docs/movement.md#motion-energy).
  bool motion_energy = false;
  face::MotionEnergyOptions motion_energy_options;
};

// A saved neutral (JSON, docs/action_units.md#baseline-files).
Status SaveAuBaseline(const std::string& path, const face::AuBaseline& b, const std::string& source, int face_id);
Result<face::AuBaseline> LoadAuBaseline(const std::string& path);

struct ExtractProgress {
  int64_t frames = 0;      // frames processed so far
  double pts_s = 0;        // timestamp of the last one
  double duration_s = 0;   // expected duration of the input (0 if unknown)
  double elapsed_s = 0;    // wall time so far
};
using ProgressFn = std::function<void(const ExtractProgress&)>;

struct ExtractSummary {
  int64_t frames = 0;             // frames read and processed
  int64_t frames_with_face = 0;   // frames with at least one face with success = 1
  int faces = 0;                  // distinct face IDs
  double wall_s = 0;              // from the call to the end, model loading included
  double fps = 0;                 // frames / wall_s
  std::string csv_path, metadata_path;
};

// Runs extraction. The CSV and sidecar are written as frames stream in (memory stays
// flat). On an input error mid-stream (a truncated video, an unreadable image) the rows
// read so far stay in the CSV, the sidecar records the error, and the error is returned.
// A video without any face is not an error here: frames_with_face == 0 tells the caller.
// With `table`: it is also filled, as the rows are written, with exactly what
// schema::ReadFeatureCsv reads back from the CSV (each value with the digits written, so that
// an analysis of this table and one of the cached CSV give the same numbers), and callers
// need not read the file they just wrote. A table needs action_units (InvalidArgument).
Result<ExtractSummary> RunExtract(const ExtractOptions& options, const ProgressFn& progress = {}, schema::FeatureTable* table = nullptr);

}  // namespace mimicry::pipeline
