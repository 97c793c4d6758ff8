// Pseudo-pairs: a study's real dyads against pairs of people who never met (one role's
// participant from one session with the other role's from another), per group of sessions
// (docs/movement.md#groups). Pure functions; the pipeline forms the pairs and their values.
#pragma once

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "mimicry/sync/rmea.h"

namespace mimicry::sync {

// One real dyad of a study with the same statistic for each of its pseudo-pairs.
struct DyadAgainstPseudo {
  std::string group;  // its session's group ("" = none)
  double observed = std::numeric_limits<double>::quiet_NaN();     // e.g. the pooled coupling peak
  double surrogate_p = std::numeric_limits<double>::quiet_NaN();  // its own surrogate test's p
  std::vector<double> pseudo;                                      // per pseudo-pair
  // Which pseudo-pair each value is ("<session>/<id>|<session>/<id>"): a pseudo-pair is
  // formed from both of its sessions' dyads, and the study counts it once.
  std::vector<std::string> pseudo_keys;
  // With rMEA: the dyad's grand average and lag profile, and the same per pseudo-pair
  // (parallel to pseudo; may be empty).
  double rmea_grand = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> rmea_pseudo, rmea_profile;
  std::vector<std::vector<double>> rmea_pseudo_profiles;
};

struct GroupSummary {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  int dyads = 0;
  double mean = kNaN;         // mean observed value of the group's dyads (finite ones)
  double pseudo_mean = kNaN;  // mean over every distinct pseudo-pair of the study
  int pseudo_pairs = 0;       // distinct pseudo-pairs of the study
  double share_above_pseudo_mean = kNaN;  // dyads above their own pseudo-pairs' mean
  // Dyads with p < 0.05 against all the study's pseudo-pairs (NaN below 19 of them).
  double share_above_pseudo_95 = kNaN;
  double share_surrogate_p_below_05 = kNaN;  // dyads whose own surrogate test has p < 0.05
  double cohens_d = kNaN;                    // dyads vs the study's pseudo-pairs (stats::CohensD)
  // rMEA (rMEA's MEAdistplot / MEAlagplot contrasts).
  double rmea_mean = kNaN, rmea_pseudo_mean = kNaN, rmea_cohens_d = kNaN;
  int rmea_pseudo_pairs = 0;
  double percent_lags_above_pseudo = kNaN;  // lags where the group's mean profile is above the pseudo-pairs'
};

// One summary per group, in first-seen order, then "" for all dyads when there are two or
// more groups. The pseudo-pair distribution is the study's: every distinct pseudo-pair once.
std::vector<std::pair<std::string, GroupSummary>> SummarizeGroups(const std::vector<DyadAgainstPseudo>& dyads);

// rMEA's lag profile of one dyad (MEAlagplot): per lag, the mean over windows (NaN-aware).
std::vector<double> LagProfile(const RmeaCcfResult& r);

// The element-wise mean of profiles (finite values only; NaN where none); empty for none.
std::vector<double> MeanProfile(const std::vector<std::vector<double>>& profiles);

}  // namespace mimicry::sync
