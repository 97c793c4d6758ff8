// Which stimulus events viewers answer, and how often they would by chance.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "mimicry/sync/events.h"

namespace mimicry::audience {

// For stimulus event j, the index of the viewer's event that answers it, or -1
// (sync::MatchEvents: each event answers at most one, strict answers preferred).
std::vector<int> AnsweredBy(const std::vector<sync::ExprEvent>& stimulus, const std::vector<sync::ExprEvent>& viewer,
                            const sync::MatchOptions& match);

// The same from matches already made (sync::MatchEvents of the stimulus's events against the
// viewer's): for stimulus event j, the answering event's index, or -1.
std::vector<int> AnswerIndex(const std::vector<sync::Match>& matches, size_t stimulus_events);

// Whether the viewer can be counted for each stimulus event: a face in at least half of the
// samples of its answer window [onset + min_latency, onset + max_latency] (valid: one flag
// per sample on the stimulus clock at rate_hz).
std::vector<uint8_t> Eligible(const std::vector<sync::ExprEvent>& stimulus, const std::vector<uint8_t>& valid, double rate_hz,
                              const sync::MatchOptions& match);

struct ShiftOptions {
  double duration_s = 0;    // the stimulus clock's length (> 2 min_shift_s)
  double min_shift_s = 5;   // each viewer's events shifted by >= this, circularly
  int surrogates = 1000;
  uint64_t seed = 1;
};

// The chance level of answering: for each surrogate, every viewer's events shifted
// circularly by an independent uniform amount in [min_shift_s, duration_s - min_shift_s]
// and matched again; `each` receives the surrogate's AnsweredBy per viewer. The viewers'
// event timing relative to the stimulus is broken; their own event rates and kinds stay.
void ShiftedAnswers(const std::vector<sync::ExprEvent>& stimulus, const std::vector<std::vector<sync::ExprEvent>>& viewers,
                    const sync::MatchOptions& match, const ShiftOptions& o,
                    const std::function<void(const std::vector<std::vector<int>>&)>& each);

// The share of eligible (viewer, stimulus event) pairs answered, over the viewers with
// include[k] (all when include is empty); NaN without an eligible pair.
double FractionAnswered(const std::vector<std::vector<int>>& answered_by, const std::vector<std::vector<uint8_t>>& eligible,
                        const std::vector<uint8_t>& include = {});

// The share of eligible pairs mirrored, corrected for chance: answered = mirrored, or else
// answered by chance, P = f + (1 - f) c, so f = (P - c) / (1 - c), floored at 0 (P below
// chance). NaN when P or c is unknown or c >= 1.
double ChanceCorrected(double answered, double chance);

}  // namespace mimicry::audience
