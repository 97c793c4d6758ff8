// MEGC-protocol evaluation of spotted intervals: a prediction and a ground-truth interval
// of the same class (micro or macro) match when their intersection over union on frames is
// >= 0.5; each is matched at most once (best IoU first). Per class: precision = matched /
// predicted, recall = matched / truth, F1; overall from the summed counts. Intervals are
// compared within the same source (the video's file stem) only.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "mimicry/core/status.h"

namespace mimicry::micro {

struct LabeledInterval {
  std::string source;     // file stem of the video
  std::string kind;       // "micro" or "macro" (others are ignored)
  double onset_s = 0, offset_s = 0;
};

// Reads intervals from our synth truth.json (events of kind micro/macro; source = the
// participant's video stem) or from a CSV with the columns source, kind, onset_s, offset_s
// (mimicry micro's output qualifies; rows of other kinds, e.g. blink, are ignored).
// Errors: NotFound, InvalidInput naming the file (and line) for anything unreadable.
Result<std::vector<LabeledInterval>> ReadIntervals(const std::string& path);

struct ClassScore {
  int truth = 0, predicted = 0, matched = 0;
  double precision = 0, recall = 0, f1 = 0;
};

struct SpottingScore {
  ClassScore micro, macro, overall;
};

// Intervals are compared within a source only, so pred and truth must share at least one;
// otherwise every score would be 0 for a reason that has nothing to do with spotting.
// Errors: InvalidInput naming both files and the sources each has.
Status CheckCommonSources(const std::vector<LabeledInterval>& pred, const std::vector<LabeledInterval>& truth,
                          const std::string& pred_path, const std::string& truth_path);

// fps turns seconds into frame indices (IoU on frames, as MEGC); iou_min = 0.5.
SpottingScore Evaluate(const std::vector<LabeledInterval>& pred, const std::vector<LabeledInterval>& truth, double fps,
                       double iou_min = 0.5);

}  // namespace mimicry::micro
