// audience: viewers' reactions to a stimulus video (an ad, a testimonial, a story), aligned
// to the stimulus, with mirroring of the faces on screen. Composes extract (videos), io
// (feature CSVs), series (one clock), sync (events, answers) and report. docs/audience.md.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/pipeline/extract.h"
#include "mimicry/sync/events.h"

namespace mimicry::pipeline {

// One row of the manifest: `viewer_id, file, offset_s[, group][, outcome columns...]`.
struct ManifestRow {
  std::string viewer_id;
  std::string file;                       // resolved against the manifest's folder
  double offset_s = 0;                    // where stimulus time 0 falls in the viewer's recording
  std::string group;                      // empty when the manifest has no group column
  std::map<std::string, double> outcomes; // every other column (NaN when the cell is empty)
  int line = 0;                           // line number in the manifest (for messages)
};

// Reads and checks a manifest. Errors (InvalidInput / NotFound), each naming the manifest
// and the line: a missing required column, an empty or duplicate viewer_id, a file that
// does not exist, an offset that is not a number or is negative, a non-numeric outcome.
Result<std::vector<ManifestRow>> ReadManifest(const std::string& path);

struct AudienceOptions {
  std::string stimulus;       // the stimulus: a video (its faces are extracted) or a feature CSV
  std::string manifest;       // the viewers (ReadManifest)
  std::string out_dir;        // created if missing; OUT/extract/ caches every extraction
  int jobs = 0;               // viewers processed in parallel; 0 = the machine's cores
  double rate_hz = 30;        // the common clock (stimulus time)
  double max_gap_s = 0.25;    // resampling never bridges a longer gap
  // Per-second curves: a viewer "shows" an expression in a second when the median of its
  // value over that second reaches the threshold (iMotions' rule): smile = AU12 intensity
  // (0-5) >= smile_threshold; the seven emotions (0-1) >= emotion_threshold.
  double smile_threshold = 1.0;
  double emotion_threshold = 0.5;
  // Attention proxy: a face is present and the head is turned less than these angles.
  double attention_max_yaw_deg = 30;
  double attention_max_pitch_deg = 25;
  sync::EventOptions events;  // expression events (as in analyze)
  // Events of the on-screen faces must reach at least this AU intensity (2 = FACS "slight",
  // B level): the moments worth mirroring are clear expressions, and fainter ones on a
  // face are mostly measurement noise. Viewers' events use events.threshold.
  double stimulus_event_threshold = 2.0;
  // An answer starts 0.2-3 s after the stimulus event's onset; broad answers are
  // expressions with any action of the stimulus action's affect (viewers' reactions are
  // faint and mixed; their strongest action need not carry the affect).
  sync::MatchOptions match{0.2, 3.0, true};
  int surrogates = 1000;      // mirroring chance (viewers' events shifted in time) and ISC null
  double min_shift_s = 5;     // surrogate shifts are at least this far (wrapping)
  int permutations = 5000;    // A/B permutation tests and the outcomes' Spearman permutation p
  double isc_max_lag_s = 1;   // leave-one-out ISC: best lag within +-this
  uint64_t seed = 1;
  ExtractOptions extract;     // for video inputs
  int min_faces_fraction_pct = 25;  // stimulus faces: tracked >= this % of the top face's frames
  bool write_report = true;   // OUT/report.html with the audience section
  std::string chart_library;  // empty = DefaultChartLibrary()
  std::string command_line;   // recorded in audience.json
};

struct AudienceResult {
  std::string audience_json, report_html, text;  // paths; the terminal summary
  int viewers = 0, skipped = 0, stimulus_faces = 0;
  double viewer_seconds = 0;  // total viewer recording analysed
  double wall_s = 0;
};

using AudienceProgress = std::function<void(const std::string& stage, double fraction)>;

// Errors: InvalidArgument (no stimulus, manifest or output), the manifest's errors, an
// offset beyond its recording (naming the row), NotFound / InvalidInput / NoFace for the
// stimulus, InvalidInput when no viewer is usable, OutputError. A viewer whose file cannot
// be read or holds no face is reported (audience.json "skipped", a warning line in `text`)
// and left out; the run goes on.
Result<AudienceResult> RunAudience(const AudienceOptions& options, const AudienceProgress& progress = {});

}  // namespace mimicry::pipeline
