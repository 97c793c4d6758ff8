// Incremental analysis of a live dyad: the two participants' feature rows arrive as they
// are measured (from two face::FaceStream, one per camera, or one stream with two faces);
// Snapshot() analyses the last window_s seconds the two share with the same tests as
// mimicry analyze (AnalyzeSeriesPair: coupling against surrogates, leader/follower,
// answered events strict and broad, rapport). Memory is bounded by the window.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/core/timestamp.h"
#include "mimicry/face/stream.h"
#include "mimicry/schema/feature_table.h"
#include "mimicry/pipeline/analyze.h"
#include "mimicry/sync/pair.h"

namespace mimicry::pipeline {

struct LiveOptions {
  // The span each Snapshot analyses: the last window_s seconds (10..3600). Rows older than
  // that before the newest row are dropped.
  double window_s = 60;
  // The tests' options (clock rate, surrogates, windows, lags, events, answers, seed);
  // inputs, out_dir and the output switches are not used.
  AnalyzeOptions analyze;
};

// One face's values in one frame in schema::FeatureHeader() order (NaN where unknown: no
// scored AUs, no motion energy), as the analysis reads them.
std::vector<double> FeatureValues(const face::StreamFace& f);

class LiveAnalysis {
 public:
  // Errors: InvalidArgument for a window outside 10..3600 s or bad analysis options.
  static Result<std::unique_ptr<LiveAnalysis>> Create(const LiveOptions& options);

  // One row of participant `who` (0 = A, 1 = B) at `t`, values in schema::FeatureHeader()
  // order. Rows of one participant must come in increasing time; a gap is a gap.
  // Errors: InvalidArgument (who not 0 or 1, values of the wrong length), InvalidInput
  // (t not after the participant's previous row).
  Status Push(int who, Timestamp t, std::span<const double> values);

  // The analysis of the last window_s seconds (before the newest row of either
  // participant). Errors: InvalidInput while the two share too little (the message says
  // how much they share).
  Result<sync::PairResult> Snapshot() const;

  // Rows held for participant `who` (bounded by the window).
  size_t rows(int who) const;

 private:
  explicit LiveAnalysis(const LiveOptions& o) : o_(o) {}
  struct Row {
    Timestamp t;
    std::array<double, schema::kFeatureChannels> v;
  };
  LiveOptions o_;
  std::array<std::deque<Row>, 2> rows_;
};

}  // namespace mimicry::pipeline
