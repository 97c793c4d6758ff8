// analyze: recordings -> who mirrors whom, how fast, how much, and whether it is more than
// chance. Composes extract (for videos), io (feature CSVs), series (one clock) and sync
// (cross-correlation, coupling, events, surrogates). Outputs: docs/analyze.md.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/pipeline/extract.h"
#include "mimicry/series/uniform.h"
#include "mimicry/sync/events.h"
#include "mimicry/sync/xcorr.h"

namespace mimicry::pipeline {

struct AnalyzeOptions {
  // Two or more recordings (one participant each; the face with the most frames), or one
  // recording with two or more faces (participants P1..Pn from left to right). Videos are
  // extracted first (cached as OUT/extract/<stem>.csv, reused when newer than the video);
  // CSVs may be mimicry's, OpenFace 2.0's or py-feat's.
  std::vector<std::string> inputs;
  std::string out_dir;                          // created if missing
  std::map<std::string, std::string> names;     // participant id -> input file (--name ID=FILE)
  std::map<std::string, double> offsets_s;      // participant id -> seconds added to its clock
  double rate_hz = 30;                          // the common clock
  double max_gap_s = 0.25;                      // resampling never bridges a longer gap
  series::PrepareOptions prepare;               // outliers, baseline, scaling, smoothing
  sync::WlccOptions mimicry_wlcc{4, 0.5, 2, 0.5};    // windowed cross-correlation, mimicry scale
  sync::WlccOptions session_wlcc{30, 10, 5, 0.5};    // ... and session scale
  int surrogates = 1000;
  uint64_t seed = 1;
  // Correlation surrogates: circular shifts >= min_shift_s (default) or phase
  // randomisation; event surrogates: circular shifts (default) or segment shuffling.
  sync::SurrogateKind correlation_surrogate = sync::SurrogateKind::kCircularShift;
  sync::EventSurrogate event_surrogate = sync::EventSurrogate::kCircularShift;
  double min_shift_s = 10;
  sync::EventOptions events;
  sync::MatchOptions match;                     // answer latency window [0.2, 3] s
  ExtractOptions extract;                       // for video inputs (detector, models, ...)
  int min_faces_fraction_pct = 25;              // one-video mode: faces with >= this % of the top face's frames
  std::string command_line;                     // recorded in summary.json
  bool quiet = false;                           // no progress from extraction
  bool write_report = true;                     // OUT/report.html (docs/report.md)
  // Put one small face crop per participant (video inputs) into the report. Off by
  // default: biometric data stay out of reports unless asked for.
  bool thumbnails = false;
  std::string chart_library;                    // echarts.min.js; empty = DefaultAssetsDir()/echarts.min.js

  // Several sessions analysed together (--sessions FILE; `inputs` then stays empty): each
  // session is analysed as above into OUT/<session>/, and pseudo-pairs across sessions
  // (one role's participant from one session with the other role's from another; roles =
  // participant ids) give a second null for synchrony and mimicry: OUT/sessions.json.
  struct SessionInput {
    std::string session, participant, file;
    double offset_s = 0;
  };
  std::vector<SessionInput> sessions;
};

// The chart library the report inlines: DefaultAssetsDir()/echarts.min.js.
std::string DefaultChartLibrary();

// Reads a sessions table: CSV with a header `session,participant,file[,offset_s]`; file
// paths relative to the table's folder. Errors: NotFound, InvalidInput naming the file.
Result<std::vector<AnalyzeOptions::SessionInput>> ReadSessionsCsv(const std::string& path);

struct AnalyzeResult {
  std::string summary_json, text;  // path of summary.json; the human-readable summary
  std::string report_html;         // path of report.html (empty with write_report = false)
  size_t report_bytes = 0;
  int participants = 0, pairs = 0;
  double wall_s = 0;
};

using AnalyzeProgress = std::function<void(const std::string& stage, double fraction)>;

// Errors: InvalidArgument (fewer than two participants, unknown --name/--offset id),
// NotFound / InvalidInput naming the file (unreadable input, missing columns, no usable
// frames, recordings that do not overlap), OutputError.
Result<AnalyzeResult> RunAnalyze(const AnalyzeOptions& options, const AnalyzeProgress& progress = {});

}  // namespace mimicry::pipeline
