#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mimicry/stats/tests.h"
#include "mimicry/sync/pseudo.h"

namespace mimicry::sync {
namespace {

DyadAgainstPseudo Dyad(const char* group, double observed, double surrogate_p, std::vector<double> pseudo,
                       std::vector<std::string> keys) {
  DyadAgainstPseudo d;
  d.group = group;
  d.observed = observed;
  d.surrogate_p = surrogate_p;
  d.pseudo = std::move(pseudo);
  d.pseudo_keys = std::move(keys);
  return d;
}

// Two groups; pseudo-pairs k1 and k2 are shared by two dyads each and count once.
TEST(PseudoPairs, GroupsAgainstTheStudysDistinctPseudoPairs) {
  const std::vector<DyadAgainstPseudo> dyads = {Dyad("a", 0.5, 0.01, {0.1, 0.2}, {"k1", "k2"}),
                                                Dyad("a", 0.3, 0.2, {0.2, 0.4}, {"k2", "k3"}),
                                                Dyad("b", 0.15, 0.03, {0.1, 0.05}, {"k1", "k4"})};
  const auto groups = SummarizeGroups(dyads);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].first, "a");
  EXPECT_EQ(groups[1].first, "b");
  EXPECT_EQ(groups[2].first, "");  // all dyads
  const std::vector<double> distinct = {0.1, 0.2, 0.4, 0.05};
  const GroupSummary& a = groups[0].second;
  EXPECT_EQ(a.dyads, 2);
  EXPECT_DOUBLE_EQ(a.mean, 0.4);
  EXPECT_EQ(a.pseudo_pairs, 4);
  EXPECT_DOUBLE_EQ(a.pseudo_mean, 0.1875);
  // 0.5 > mean(0.1, 0.2); 0.3 is not > mean(0.2, 0.4).
  EXPECT_DOUBLE_EQ(a.share_above_pseudo_mean, 0.5);
  EXPECT_TRUE(std::isnan(a.share_above_pseudo_95));  // fewer than 19 pseudo-pairs
  EXPECT_DOUBLE_EQ(a.share_surrogate_p_below_05, 0.5);
  EXPECT_DOUBLE_EQ(a.cohens_d, stats::CohensD(std::vector<double>{0.5, 0.3}, distinct));
  EXPECT_GT(a.cohens_d, 1);
  const GroupSummary& b = groups[1].second;
  EXPECT_EQ(b.dyads, 1);
  EXPECT_DOUBLE_EQ(b.share_above_pseudo_mean, 1);
  EXPECT_DOUBLE_EQ(b.share_surrogate_p_below_05, 1);
  const GroupSummary& all = groups[2].second;
  EXPECT_EQ(all.dyads, 3);
  EXPECT_NEAR(all.mean, (0.5 + 0.3 + 0.15) / 3, 1e-12);
  EXPECT_NEAR(all.share_above_pseudo_mean, 2.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(all.cohens_d, stats::CohensD(std::vector<double>{0.5, 0.3, 0.15}, distinct));
  EXPECT_TRUE(std::isnan(all.rmea_mean));  // no rMEA values given
}

TEST(PseudoPairs, AboveTheStudysDistributionNeedsNineteenPseudoPairs) {
  std::vector<double> pseudo;
  std::vector<std::string> keys;
  for (int k = 1; k <= 20; ++k) pseudo.push_back(0.01 * k), keys.push_back("k" + std::to_string(k));
  // 0.5 beats all 20 (p = 1/21); 0.1 does not (p = 12/21).
  const auto groups = SummarizeGroups({Dyad("", 0.5, 0.5, pseudo, keys), Dyad("", 0.1, 0.5, pseudo, keys)});
  ASSERT_EQ(groups.size(), 1u);  // one group: no "all" line
  EXPECT_EQ(groups[0].second.pseudo_pairs, 20);
  EXPECT_DOUBLE_EQ(groups[0].second.share_above_pseudo_95, 0.5);
  EXPECT_DOUBLE_EQ(groups[0].second.share_surrogate_p_below_05, 0);
}

TEST(PseudoPairs, RmeaProfilesAreComparedLagByLag) {
  DyadAgainstPseudo d = Dyad("", 0.4, 0.01, {0.1, 0.2}, {"k1", "k2"});
  d.rmea_grand = 0.3;
  d.rmea_pseudo = {0.1, 0.2};
  d.rmea_profile = {0.2, 0.1, NAN};
  d.rmea_pseudo_profiles = {{0.1, 0.1, 0.5}, {0.0, 0.3, NAN}};
  const auto s = SummarizeGroups({d})[0].second;
  EXPECT_DOUBLE_EQ(s.rmea_mean, 0.3);
  EXPECT_NEAR(s.rmea_pseudo_mean, 0.15, 1e-12);
  EXPECT_EQ(s.rmea_pseudo_pairs, 2);
  // Pseudo profile (0.05, 0.2, 0.5): lag 0 above, lag 1 below, lag 2 not comparable.
  EXPECT_DOUBLE_EQ(s.percent_lags_above_pseudo, 50);
  const auto m = MeanProfile(d.rmea_pseudo_profiles);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_DOUBLE_EQ(m[0], 0.05);
  EXPECT_DOUBLE_EQ(m[2], 0.5);  // the finite value only
  EXPECT_TRUE(MeanProfile({}).empty());
}

}  // namespace
}  // namespace mimicry::sync
