#include "mimicry/sync/pseudo.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "mimicry/stats/tests.h"
#include "mimicry/sync/surrogate.h"

namespace mimicry::sync {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
double Share(int k, int n) { return n > 0 ? static_cast<double>(k) / n : kNaN; }
}  // namespace

std::vector<double> LagProfile(const RmeaCcfResult& r) {
  std::vector<double> m(r.lags_s.size(), kNaN);
  for (size_t k = 0; k < m.size(); ++k) {
    double s = 0;
    int n = 0;
    for (size_t w = 0; w < r.windows.size(); ++w)
      if (!std::isnan(r.at(w, k))) s += r.at(w, k), ++n;
    if (n) m[k] = s / n;
  }
  return m;
}

std::vector<double> MeanProfile(const std::vector<std::vector<double>>& ps) {
  std::vector<double> m;
  if (ps.empty()) return m;
  m.assign(ps[0].size(), 0.0);
  for (size_t k = 0; k < m.size(); ++k) {
    double s = 0;
    int n = 0;
    for (const auto& p : ps)
      if (k < p.size() && std::isfinite(p[k])) s += p[k], ++n;
    m[k] = n ? s / n : kNaN;
  }
  return m;
}

std::vector<std::pair<std::string, GroupSummary>> SummarizeGroups(const std::vector<DyadAgainstPseudo>& dyads) {
  std::vector<std::string> groups;
  for (const auto& d : dyads)
    if (std::find(groups.begin(), groups.end(), d.group) == groups.end()) groups.push_back(d.group);
  // The contrast, as rMEA's MEAdistplot: every pseudo-pair of the study, once.
  std::vector<double> all_pseudo, all_rmea_pseudo;
  std::vector<std::vector<double>> all_pseudo_profiles;
  std::set<std::string> seen;
  for (const auto& d : dyads)
    for (size_t k = 0; k < d.pseudo.size(); ++k) {
      if (k < d.pseudo_keys.size() && !seen.insert(d.pseudo_keys[k]).second) continue;
      all_pseudo.push_back(d.pseudo[k]);
      if (k < d.rmea_pseudo.size()) all_rmea_pseudo.push_back(d.rmea_pseudo[k]);
      if (k < d.rmea_pseudo_profiles.size()) all_pseudo_profiles.push_back(d.rmea_pseudo_profiles[k]);
    }
  const std::vector<double> pseudo_profile = MeanProfile(all_pseudo_profiles);
  const Chance pc = ChanceOf(all_pseudo);
  std::vector<std::pair<std::string, GroupSummary>> out;
  if (groups.size() > 1) groups.push_back("");  // "" = all sessions
  for (const auto& g : groups) {
    std::vector<double> obs, rm;
    std::vector<std::vector<double>> profiles;
    int above_mean = 0, above_dist = 0, dist_testable = 0, surrogate_sig = 0, n = 0;
    for (const auto& d : dyads) {
      if (!g.empty() && d.group != g) continue;
      ++n;
      obs.push_back(d.observed);
      above_mean += std::isfinite(d.observed) && d.observed > ChanceOf(d.pseudo).mean;
      // Above the study's pseudo-pair distribution: p < 0.05 against all of them (needs >= 19).
      if (all_pseudo.size() >= 19) {
        const double p = stats::UpperP(d.observed, all_pseudo);
        ++dist_testable, above_dist += std::isfinite(p) && p < 0.05;
      }
      surrogate_sig += std::isfinite(d.surrogate_p) && d.surrogate_p < 0.05;
      rm.push_back(d.rmea_grand);
      if (!d.rmea_profile.empty()) profiles.push_back(d.rmea_profile);
    }
    GroupSummary s;
    s.dyads = n;
    s.mean = ChanceOf(obs).mean;
    s.pseudo_mean = pc.mean;
    s.pseudo_pairs = static_cast<int>(all_pseudo.size());
    s.share_above_pseudo_mean = Share(above_mean, n);
    s.share_above_pseudo_95 = Share(above_dist, dist_testable);
    s.share_surrogate_p_below_05 = Share(surrogate_sig, n);
    s.cohens_d = stats::CohensD(obs, all_pseudo);
    const std::vector<double> gp = MeanProfile(profiles);
    int lags_above = 0, lags = 0;
    for (size_t k = 0; k < gp.size() && k < pseudo_profile.size(); ++k)
      if (std::isfinite(gp[k]) && std::isfinite(pseudo_profile[k])) ++lags, lags_above += gp[k] > pseudo_profile[k];
    s.rmea_mean = ChanceOf(rm).mean;
    s.rmea_pseudo_mean = ChanceOf(all_rmea_pseudo).mean;
    s.rmea_pseudo_pairs = static_cast<int>(all_rmea_pseudo.size());
    s.rmea_cohens_d = stats::CohensD(rm, all_rmea_pseudo);
    s.percent_lags_above_pseudo = lags ? 100.0 * lags_above / lags : kNaN;
    out.push_back({g, s});
  }
  return out;
}

}  // namespace mimicry::sync
