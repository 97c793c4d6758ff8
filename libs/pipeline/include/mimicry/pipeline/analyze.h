// analyze: recordings -> who mirrors whom, how fast, how much, and whether it is more than
// chance. Composes extract (for videos), io (feature CSVs), series (one clock) and sync
// (cross-correlation, coupling, events, surrogates). Outputs: docs/analyze.md.
#pragma once

#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/pipeline/extract.h"
#include "mimicry/series/uniform.h"
#include "mimicry/sync/events.h"
#include "mimicry/sync/pair.h"
#include "mimicry/sync/rmea.h"
#include "mimicry/sync/xcorr.h"

namespace mimicry::pipeline {

struct AnalyzeOptions {
  // Two or more recordings (one participant each; the face with the most frames), or one
  // recording with two or more faces (participants P1..Pn from left to right). Videos are
  // extracted first (cached as OUT/extract/<stem>.csv and reused while the video and the
  // extraction options are those recorded in its .meta.json); CSVs may be mimicry's,
  // OpenFace 2.0's or py-feat's. Each pair is analysed on the span both share.
  std::vector<std::string> inputs;
  std::string out_dir;                          // created if missing
  // Time series instead of facial features (docs/movement.md): every input is an MEA text
  // file or a CSV with one column per participant (io/series_table.h); each column is one
  // participant, named by the header (or s1, s2, ...; with several files holding one
  // column each, by the file's stem). Their single channel `series` is what is coupled;
  // its rises are "movement" events (sync::DetectSeriesEvents), answered strictly.
  // Micro-expressions, rapport and contagion need faces and are absent.
  struct Series {
    bool enabled = false;
    // A movement event must exceed this, in the series' own units, and also the series'
    // median + events.noise_k robust SDs; -infinity = the robust rule alone.
    double event_threshold = -std::numeric_limits<double>::infinity();
    double rate_hz = 0;                // rows per second of files without a timestamp column (> 0); 0 = timestamps
    std::vector<std::string> columns;  // participant columns (header names or 1-based numbers); empty = all
    // Instead of every column of every input: exactly these participants, each one column
    // (header name or 1-based number; empty = the file's only participant column) of a
    // file, named id (--sessions fills this from its rows).
    struct Pick {
      std::string file, column, id;
    };
    std::vector<Pick> picks;
  } series;
  // rMEA-compatible windowed cross-correlation of every pair (sync/rmea.h), series inputs
  // only, on the analysis clock, which must then be the series' own rate: OUT/ccf_matrix.csv
  // (OUT/ccf_matrix_<a>_<b>.csv with more than one pair) and each pair's `rmea` block in
  // summary.json. Preprocessed as rMEA's MEAsmooth then MEAscale when asked.
  struct Rmea {
    bool enabled = false;
    sync::RmeaCcfOptions ccf;
    double smooth_s = 0;   // MEAsmooth's moving-average window (s); 0 = off (rMEA's default when called: 0.5)
    bool scale = false;    // MEAscale: divide each series by its SD
  } rmea;
  // What is coupled (--channels): kFaces = the expressive AUs and affect channels (the
  // default); kMotion = motion energy me_head and me_body (videos are then extracted with
  // --motion-energy; feature CSVs must have the me_* columns); kBoth = all of them.
  // Expression events and mimicry always come from the faces.
  enum class Channels { kFaces, kMotion, kBoth } channels = Channels::kFaces;
  std::map<std::string, std::string> names;     // participant id -> input file (--name ID=FILE)
  std::map<std::string, double> offsets_s;      // participant id -> seconds added to its clock
  double rate_hz = 30;                          // the common clock (Hz), 5..240; 0 with series inputs = their own rate
  double max_gap_s = 0.25;                      // resampling never bridges a longer gap (s), >= 0
  series::PrepareOptions prepare;               // outliers, baseline, scaling, smoothing
  // Windowed cross-correlation, mimicry scale (also the coupling test's window and lags):
  // window > step > 0, 0 < max_lag < window.
  sync::WlccOptions mimicry_wlcc{4, 0.5, 2, 0.5};
  sync::WlccOptions session_wlcc{30, 10, 5, 0.5};    // ... and session scale (same rules)
  // Surrogates per test: 0 (no tests: every p is "not tested") or >= 99.
  int surrogates = 1000;
  uint64_t seed = 1;                            // same seed, same p-values
  // Surrogates (sync/surrogate.h): kAuto = the block bootstrap up to 900 s, circular
  // shifts (>= min_shift_s, p floored by the number of independent shifts) beyond.
  sync::SurrogateKind correlation_surrogate = sync::SurrogateKind::kAuto;
  sync::EventSurrogate event_surrogate = sync::EventSurrogate::kAuto;
  double block_s = 0;                           // bootstrap mean block length (s); 0 = max(5, 2 max_lag + 1)
  double min_shift_s = 10;                      // circular shifts: at least this far (s)
  int chance_surrogates = 200;                  // draws for the windowed r's and rapport's chance levels
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
  // With a `group` column, sessions.json also compares the groups against the pseudo-pairs
  // (share of dyads above their pseudo-pairs, Cohen's d; docs/movement.md#groups). With
  // series inputs, `column` names the file's column that is this participant (default: the
  // column named like the participant, or the file's only one).
  struct SessionInput {
    std::string session, participant, file;
    double offset_s = 0;
    std::string group, column;
  };
  std::vector<SessionInput> sessions;
};

// The chart library the report inlines: DefaultAssetsDir()/echarts.min.js.
std::string DefaultChartLibrary();

// Reads a sessions table: CSV with a header `session,participant,file[,offset_s][,group]
// [,column]` (any order, other columns ignored); file paths relative to the table's folder. Errors: NotFound, InvalidInput naming the file.
Result<std::vector<AnalyzeOptions::SessionInput>> ReadSessionsCsv(const std::string& path);

struct AnalyzeResult {
  std::string summary_json, text;  // path of summary.json; the human-readable summary
  std::string report_html;         // path of report.html (empty with write_report = false)
  size_t report_bytes = 0;
  int participants = 0, pairs = 0;
  double wall_s = 0;
  // Every pair's results, typed (participant ids a, b as in summary.json).
  struct Pair {
    std::string a, b;
    sync::PairResult result;
    std::optional<sync::RmeaCcfResult> rmea;  // with AnalyzeOptions::rmea
  };
  std::vector<Pair> found;
};

// The tests analyze runs for one pair, on two in-memory feature series (the
// schema::FeatureHeader() layout; a first, b second, lag > 0 = b follows a), without reading or
// writing files: the same path as RunAnalyze (resampling onto one clock, derived channels,
// preparation, events, sync::AnalyzePair on the span both share). For calibration runs and
// bindings. Errors: InvalidArgument (options), InvalidInput (no overlap, no usable frames).
Result<sync::PairResult> AnalyzeSeriesPair(const TimeSeries& a, const TimeSeries& b, const AnalyzeOptions& options);

using AnalyzeProgress = std::function<void(const std::string& stage, double fraction)>;

// Errors: InvalidArgument (an option out of its range, naming it; fewer than two
// participants, unknown --name/--offset id), NotFound / InvalidInput naming the file
// (unreadable input, missing columns, no usable frames, recordings that do not overlap),
// OutputError.
Result<AnalyzeResult> RunAnalyze(const AnalyzeOptions& options, const AnalyzeProgress& progress = {});

}  // namespace mimicry::pipeline
