// One pair of participants on their shared clock: every measure analyze reports, with its
// test or its chance level. A pure function of typed inputs (no files, no formatting), so
// that the CLI, a live stream and a calibration run share it.
//
// Lag convention: lag > 0 means b acts after a (a leads).
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "mimicry/sync/coupling.h"
#include "mimicry/sync/events.h"
#include "mimicry/sync/surrogate.h"
#include "mimicry/sync/xcorr.h"

namespace mimicry::sync {

struct PairInput {
  std::vector<std::string> names;               // channel names, the same for a and b
  std::vector<std::span<const float>> a, b;     // prepared channels, equal lengths n; NaN = missing
  std::vector<uint8_t> pooled;                  // per channel: 1 = enters the pooled synchrony / leader curve
  int smile = -1, valence = -1;                 // channel indices (rapport, contagion); -1 = absent
  std::vector<ExprEvent> a_events, b_events;    // expression events on the clock below, inside the span
  std::vector<ExprEvent> a_micro, b_micro;      // micro-expressions, as events
  double t0_s = 0;                              // time of sample 0 (s)
  double rate_hz = 30;                          // > 0
};

struct PairOptions {
  WlccOptions mimicry_wlcc{4, 0.5, 2, 0.5};   // windowed cross-correlation, mimicry scale
  WlccOptions session_wlcc{30, 10, 5, 0.5};   // ... session scale
  CouplingOptions coupling;                   // the tested statistic (window and lags as mimicry_wlcc)
  MimicryOptions mimicry;                     // event tests (answer window, surrogates)
  // Surrogates for the descriptive chance levels (windowed peak r, rapport), which cost a
  // windowed cross-correlation each: at most this many, fewer on long recordings (>= 20).
  int chance_surrogates = 200;
  double lagmap_step_s = 0.1;                 // lag resolution of the time x lag map
};

struct LeaderVerdict {
  bool tested = false;          // false: not_tested says why
  std::string not_tested;
  int leader = -1;              // 0 = a leads, 1 = b leads (the sign of the lead-lag asymmetry), -1 = neither
  double lag_s = std::numeric_limits<double>::quiet_NaN();           // the follower's delay (s, >= 0)
  bool lag_from_events = false; // lag = median latency of >= 3 answers near the coupling lag (else the coupling lag)
  double coupling_lag_s = std::numeric_limits<double>::quiet_NaN();  // |lag| of the pooled curve's peak on the leader's side
  double p = std::numeric_limits<double>::quiet_NaN();               // the coupling test's leader p
  // From events: the direction with the larger excess of answers over chance.
  int events_leader = -1;
  double excess_ab = std::numeric_limits<double>::quiet_NaN();       // b's answers to a minus chance
  double excess_ba = std::numeric_limits<double>::quiet_NaN();
  double events_p = std::numeric_limits<double>::quiet_NaN();
};

// Rapport (a heuristic, docs/analyze.md#rapport): per mimicry window,
// 100 x (0.4 max(0, smile peak r) + 0.3 max(0, valence peak r) + 0.3 m / (m + 2)), m = answers per minute.
struct RapportResult {
  std::vector<double> t_s, value;                 // per mimicry window
  std::vector<double> local, local_lo, local_hi;  // mean over +-10 s and its 95% t interval
  double session = std::numeric_limits<double>::quiet_NaN();  // mean over the windows
  double lo = std::numeric_limits<double>::quiet_NaN(), hi = std::numeric_limits<double>::quiet_NaN();  // moving-block bootstrap 95%
  Chance chance;  // the session value with b's time line resampled (block bootstrap)
};

struct PairResult {
  std::vector<std::string> names;            // the channels, as PairInput::names
  double t0_s = 0, duration_s = 0;
  std::vector<WlccResult> mimicry, session;  // per channel
  CouplingResult coupling;                   // pooled curve (synchrony, leader) and every channel's test
  std::vector<double> channel_q;             // Benjamini-Hochberg across the channels' synchrony p (NaN when untested)
  double windowed_r = std::numeric_limits<double>::quiet_NaN();  // mean peak r of the pooled channels (Fisher-z averaged)
  Chance windowed_chance;                    // ... with b's time line resampled
  LeaderVerdict leader;
  MimicryResult events, micro;
  RapportResult rapport;
  // The time x lag map: r averaged over the pooled channels (Fisher z), per mimicry window
  // (row) and lag (column, every lagmap_step_s); NaN where no channel has a value.
  std::vector<double> lagmap_t_s;
  std::vector<float> lagmap_lags_s, lagmap_r;
  int chance_surrogates = 0;                 // drawn for windowed_chance and rapport.chance
  int Channel(const std::string& name) const;  // index in names, or -1
};

// Pre: a.size() == b.size() == names.size() == pooled.size(), all spans of equal length.
PairResult AnalyzePair(const PairInput& in, const PairOptions& o);

}  // namespace mimicry::sync
