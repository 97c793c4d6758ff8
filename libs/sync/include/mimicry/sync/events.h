// Expression events and event-based mimicry.
//
// An event is a robust rise of an action (a group of AUs, table below) over the person's
// neutral: the action's intensity (the largest of its AUs, smoothed) exceeds a threshold for
// at least min_duration_s. Events of different actions whose onsets follow each other within merge_s (the whole within 2 x merge_s) are
// one expression; its primary action is, among its actions at least 70% as intense as the
// strongest, the first in priority order (the defining action: a smile with an equally
// strong cheek raise is a smile). An event of X is answered when Y has an
// event with onset in [min_latency_s, max_latency_s] after X's onset: strictly when Y's
// primary action is X's, broadly when it is another action of the same affect class.
// docs/analyze.md lists the actions and classes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mimicry/schema/vocabulary.h"
#include "mimicry/sync/surrogate.h"

namespace mimicry::sync {

// The actions and their affect classes are the vocabulary's (schema/vocabulary.h).
using schema::Action;
// schema::kActions, in priority order; the last is "movement" (no AUs: DetectSeriesEvents only).
std::span<const Action> Actions();
int ActionIndex(const std::string& name);  // -1 if unknown

struct EventOptions {
  double threshold = 1.0;       // AU intensity (0-5) an action must exceed ...
  double noise_k = 3.0;         // ... and also median + noise_k robust SDs of that action's intensity
  double min_duration_s = 0.25; // above threshold at least this long
  double smooth_s = 0.2;        // moving average before detection
  double merge_s = 0.3;         // onsets of different actions this close form one expression
  double onset_fraction = 0.25; // onset/offset: where the intensity crosses this fraction of the peak
};

struct ExprEvent {
  double onset_s = 0, apex_s = 0, offset_s = 0;  // seconds on the common clock
  float intensity = 0;                             // peak AU intensity
  int action = 0;                                  // primary action (index into Actions())
  std::vector<int> actions;                        // all actions in the expression
};

// `aus[k]` is the intensity series of AU kAuCodes[k] (face/facs.h order: 1 2 4 5 6 7 9 10 12
// 14 15 17 20 23 25 26 45) on a clock starting at t0_s with rate_hz; NaN = missing (an
// event never spans missing samples).
std::vector<ExprEvent> DetectEvents(const std::vector<std::span<const float>>& aus, double t0_s, double rate_hz,
                                    const EventOptions& o);

// Rises of a non-facial series (motion energy, an MEA channel, ...) as events of the action
// "movement" (affect class "movement": answers to them are strict, never broad): the same
// rule as above on x itself, with o.threshold in the series' own units (-infinity: the
// robust rule median + noise_k robust SDs alone); onset and offset where x crosses
// onset_fraction of the way from its median to the apex. NaN = missing, never spanned.
std::vector<ExprEvent> DetectSeriesEvents(std::span<const float> x, double t0_s, double rate_hz, const EventOptions& o);

// Events moved with a resampled time line (sync/surrogate.h): each block takes the events
// whose onsets fall in its source range [src, src + len) (wrapping modulo n units of
// unit_s seconds, counted from t0_s), keeping their place within the block; an event can
// be taken by several blocks or by none. Sorted by onset.
std::vector<ExprEvent> ResampleEvents(const std::vector<ExprEvent>& events, const std::vector<Block>& blocks, double t0_s,
                                      double unit_s, int64_t n);

struct MatchOptions {
  double min_latency_s = 0.2;
  double max_latency_s = 3.0;
  // Broad answers: false = the answer's primary action has the answered action's affect;
  // true = any of the answer's actions has it (a cheek raise with parted lips answers a
  // smile even when the lips part more than the cheeks rise). audience uses true.
  bool broad_any_action = false;
};

struct Match {
  int from = -1, to = -1;  // indices into the leader's and the follower's events
  bool strict = false;
  double latency_s = 0;
};

// Answers by `to` of the events of `from` (each event answers at most one, and is answered
// at most once; strict answers are preferred, then the earliest).
std::vector<Match> MatchEvents(const std::vector<ExprEvent>& from, const std::vector<ExprEvent>& to,
                               const MatchOptions& o);

// Event surrogates move b's events (whole) and keep a's: kBlockBootstrap rebuilds b's time
// line from blocks copied from random places (sync/surrogate.h), kCircularShift shifts it
// by >= min_shift_s (wrapping; p floored at 1 / (effective shifts + 1)), kSegmentShuffle
// permutes segment_s-long segments; kAuto = the block bootstrap below segment_from_s, the
// segment shuffle from there on (the pair that held its size at every length in
// bench/calibration.sh; docs/analyze.md has the table).
enum class EventSurrogate { kAuto, kBlockBootstrap, kCircularShift, kSegmentShuffle, kJitter };
const char* EventSurrogateName(EventSurrogate k);  // "auto", "bootstrap", "circular", "segment", "jitter"

struct MimicryStat {
  int events = 0;        // events of the leader
  int count = 0;         // answered (strict or broad)
  bool tested = false;   // false: not_tested says why (and expected, index, p are NaN)
  std::string not_tested;
  double expected = 0;   // mean count over surrogates (the chance level)
  Chance chance;         // the surrogate counts: mean and central 95% range
  double index = 0;      // (count - expected) / (events - expected), NaN when events <= expected
  double p = 1;          // (#{surrogate count >= count} + 1) / (N + 1), >= the test's p floor
  double median_latency_s = 0;  // NaN without answers
};

struct MimicryResult {
  MimicryStat strict_ab, strict_ba, broad_ab, broad_ba;  // ab: b answers a
  std::vector<Match> ab, ba;
  double direction_p = 1;  // surrogate p of |(count_ab - exp_ab) - (count_ba - exp_ba)|; NaN when not tested
  EventSurrogate kind = EventSurrogate::kAuto;  // the kind used (resolved)
  int surrogates = 0;
  double p_floor = 0;      // the smallest p these surrogates can honestly give
};

struct MimicryOptions {
  MatchOptions match;
  int surrogates = 1000;
  uint64_t seed = 1;
  EventSurrogate kind = EventSurrogate::kAuto;
  double block_s = 0;        // block bootstrap: mean block length (s); 0 = max(5, max_latency + 2)
  double min_shift_s = 10;   // circular shifts of b's events: at least this far, wrapping
  double segment_s = 10;     // segment shuffle: b's time line cut into segments this long
  double jitter_s = 10;      // jitter: each of b's events moves uniformly within its jitter_s-long bin
  double segment_from_s = 60;  // kAuto: the block bootstrap below this duration (s), segments from it on
};

// The shortest session (s) the event tests accept with these options and this kind:
// three bootstrap blocks; circular shifts: 19 effectively different shifts (2 min_shift +
// 19 max_latency); segments: four segments.
double MimicryMinSpanS(const MimicryOptions& o, EventSurrogate resolved);
EventSurrogate ResolveEventKind(const MimicryOptions& o, double duration_s);

// Mimicry in both directions between a and b over a session of `duration_s` seconds
// starting at t0_s. Surrogates move b's events (whole), keeping a's. A direction is not
// tested when its leader showed no events, its follower none, or the session is shorter
// than MimicryMinSpanS.
MimicryResult Mimicry(const std::vector<ExprEvent>& a, const std::vector<ExprEvent>& b, double t0_s,
                      double duration_s, const MimicryOptions& o);

}  // namespace mimicry::sync
