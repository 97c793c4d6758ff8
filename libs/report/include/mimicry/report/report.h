// report: one self-contained, interactive HTML page of an analysis (docs/report.md).
//
// Input is what `mimicry analyze` wrote into its output folder (summary.json, lagmap.csv,
// windows.csv, events.csv, rapport.csv, features/<id>.csv; audience.json, per_second.csv,
// per_viewer.csv), from the folder or as handed over in memory by the run that wrote them;
// nothing else is read, so a report can be re-rendered from a finished (or cached, or merged) analysis at any time.
// The page opens offline: the chart library (Apache ECharts), the page's own script and
// style and all data are inlined; it makes no network request.
//
// Contract: summary.json is validated before anything is written. A missing or malformed
// field gives InvalidInput naming the file and the JSON path (for example
// "summary.json: pairs[0].leader.p: missing"); an unreadable table gives InvalidInput
// naming the table and the line. The page is written atomically (temporary file + rename).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "mimicry/core/status.h"

namespace mimicry::report {

struct ReportOptions {
  // The analysis folder (holds summary.json and the tables).
  std::string analysis_dir;
  // The folder's files already in memory, by name relative to it ("summary.json",
  // "features/A.csv"): read from here instead of the folder, so that the run that just wrote
  // them renders exactly those bytes without reading them back. Files not listed are read
  // from the folder.
  std::map<std::string, std::string> files;
  // Where to write the page; empty = <analysis_dir>/report.html.
  std::string out_path;
  // The chart library to inline: Apache ECharts' dist/echarts.min.js (the set-up fetches
  // it into build/assets/). Required.
  std::string chart_library_path;
  // Participant id -> a small JPEG face crop. Empty by default: no face images (biometric
  // data) go into a report unless asked for (`mimicry analyze --thumbnails`).
  std::map<std::string, std::vector<unsigned char>> thumbnails_jpeg;
  // Timelines are averaged into at most this many points per series (the page stays small
  // and fast for hour-long sessions; the full-rate data are in features/<id>.csv).
  size_t max_timeline_points = 3000;
  // The time x lag map is averaged into at most this many time columns per pair.
  size_t max_lagmap_columns = 400;
};

struct ReportResult {
  std::string path;    // the page written
  size_t bytes = 0;    // its size
  int charts = 0;      // chart elements on the page
};

// Errors: InvalidArgument (no folder, no chart library path), NotFound (summary.json or the
// chart library missing), InvalidInput (malformed summary.json or table), OutputError.
Result<ReportResult> WriteReport(const ReportOptions& options);

}  // namespace mimicry::report
