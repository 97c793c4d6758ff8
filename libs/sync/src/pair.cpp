#include "mimicry/sync/pair.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <thread>

#include "mimicry/stats/descriptive.h"
#include "mimicry/stats/distributions.h"
#include "mimicry/stats/tests.h"

namespace mimicry::sync {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kRapportSpanS = 20;  // rapport.local: mean over this span

// Mean peak r over the pooled channels (each channel's mean via Fisher z, then averaged).
double PooledWindowedR(const std::vector<WlccResult>& w, const std::vector<uint8_t>& pooled) {
  double zs = 0;
  int zc = 0;
  for (size_t c = 0; c < w.size(); ++c)
    if (pooled[c] && w[c].valid > 0) zs += w[c].peak_z_mean, ++zc;
  return zc > 0 ? std::tanh(zs / zc) : kNaN;
}

// The per-window rapport values and their session mean.
void RapportValues(const WlccResult& smile, const WlccResult* valence, const std::vector<double>& answer_times,
                   const WlccOptions& w, RapportResult& r) {
  const auto& ws = smile.windows;
  r.t_s.clear();
  r.value.clear();
  std::vector<double> sorted = answer_times;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  int cnt = 0;
  for (size_t k = 0; k < ws.size(); ++k) {
    const double s = std::isfinite(ws[k].peak_r) ? std::max(0.0, static_cast<double>(ws[k].peak_r)) : kNaN;
    const double v = valence != nullptr && k < valence->windows.size() && std::isfinite(valence->windows[k].peak_r)
                         ? std::max(0.0, static_cast<double>(valence->windows[k].peak_r))
                         : 0.0;
    const auto lo = std::lower_bound(sorted.begin(), sorted.end(), ws[k].t_s);
    const auto hi = std::lower_bound(sorted.begin(), sorted.end(), ws[k].t_s + w.window_s);
    const double per_min = static_cast<double>(hi - lo) * 60.0 / w.window_s;
    const double m = per_min / (per_min + 2.0);  // 2 answers/min -> 0.5
    r.t_s.push_back(ws[k].t_s);
    r.value.push_back(std::isfinite(s) ? 100.0 * (0.4 * s + 0.3 * v + 0.3 * m) : kNaN);
    if (std::isfinite(r.value.back())) sum += r.value.back(), ++cnt;
  }
  r.session = cnt > 0 ? sum / cnt : kNaN;
}

// Moving-block bootstrap interval of the session value, and the local means over time.
void RapportIntervals(const WlccOptions& w, uint64_t seed, RapportResult& r) {
  std::vector<double> valid;
  for (double x : r.value)
    if (std::isfinite(x)) valid.push_back(x);
  if (valid.empty()) return;
  // Blocks as long as one window, since windows overlap.
  const size_t block = std::max<size_t>(1, static_cast<size_t>(std::lround(w.window_s / w.step_s)));
  stats::Rng rng(seed ^ 0x5EEDull);
  std::vector<double> means;
  const size_t nb = (valid.size() + block - 1) / block;
  for (int b = 0; b < 1000; ++b) {
    double s = 0;
    size_t cnt = 0;
    for (size_t j = 0; j < nb; ++j) {
      const size_t start = static_cast<size_t>(rng.Int(0, static_cast<int64_t>(valid.size() - 1)));
      for (size_t q = 0; q < block && cnt < valid.size(); ++q, ++cnt) s += valid[(start + q) % valid.size()];
    }
    means.push_back(s / static_cast<double>(cnt));
  }
  const Chance c = ChanceOf(means);
  r.lo = c.lo95;
  r.hi = c.hi95;
  // Over time: the mean of the windows within +-10 s, with a t interval whose sample size is
  // the number of non-overlapping windows in that span.
  const int h = static_cast<int>(std::lround(kRapportSpanS / 2 / w.step_s));
  for (size_t k = 0; k < r.value.size(); ++k) {
    double s = 0, ss = 0;
    int cnt = 0;
    for (int q = -h; q <= h; ++q) {
      const int64_t i = static_cast<int64_t>(k) + q;
      if (i < 0 || i >= static_cast<int64_t>(r.value.size()) || !std::isfinite(r.value[static_cast<size_t>(i)])) continue;
      s += r.value[static_cast<size_t>(i)];
      ss += r.value[static_cast<size_t>(i)] * r.value[static_cast<size_t>(i)];
      ++cnt;
    }
    const double n_eff = static_cast<double>(cnt) / static_cast<double>(block);
    if (cnt < 2 || n_eff < 3) {
      r.local.push_back(cnt > 0 ? s / cnt : kNaN);
      r.local_lo.push_back(kNaN);
      r.local_hi.push_back(kNaN);
      continue;
    }
    const double m = s / cnt, sd = std::sqrt(std::max(0.0, (ss - s * s / cnt) / (cnt - 1)));
    const double half = stats::TQuantile975(n_eff - 1) * sd / std::sqrt(n_eff);
    r.local.push_back(m);
    r.local_lo.push_back(std::max(0.0, m - half));
    r.local_hi.push_back(std::min(100.0, m + half));
  }
}

std::vector<double> AnswerTimes(const std::vector<ExprEvent>& a, const std::vector<ExprEvent>& b, const MatchOptions& m,
                                double t0_s) {
  std::vector<double> t;
  for (const auto& x : MatchEvents(a, b, m)) t.push_back(b[static_cast<size_t>(x.to)].onset_s - t0_s);
  for (const auto& x : MatchEvents(b, a, m)) t.push_back(a[static_cast<size_t>(x.to)].onset_s - t0_s);
  return t;
}

// The leader rule: the sign of the pooled curve's lead-lag asymmetry; the lag = the
// follower's median answer latency over the answers within +-0.5 s of the coupling lag when there are
// at least three (strict answers first: a broad match is likelier a coincidence), else the
// coupling lag (the curve's peak on the leader's side). Cross-correlation measures the lag between the expressions' centres of
// mass, which drifts from the onset latency when answers last longer or shorter than what
// they answer; answers far from the coupling lag are mostly coincidences.
LeaderVerdict Leader(const CouplingResult& c, const MimicryResult& m, double rate_hz) {
  LeaderVerdict v;
  if (!c.ok) {
    v.not_tested = c.not_tested;
    return v;
  }
  const double asym = c.pooled.observed.asym;
  v.coupling_lag_s = std::abs(c.pooled.observed.lead_lag_s);
  v.leader = !std::isfinite(asym) || asym == 0 ? -1 : asym > 0 ? 0 : 1;
  (void)rate_hz;
  std::vector<double> lat, lat_all;
  if (v.leader >= 0)
    for (const auto& x : v.leader == 0 ? m.ab : m.ba) {
      if (std::abs(x.latency_s - v.coupling_lag_s) > 0.5) continue;
      lat_all.push_back(x.latency_s);
      if (x.strict) lat.push_back(x.latency_s);
    }
  if (lat.size() < 3) lat = lat_all;
  v.lag_from_events = lat.size() >= 3;
  v.lag_s = v.lag_from_events ? stats::Median(lat) : v.coupling_lag_s;
  v.tested = c.tested;
  v.not_tested = c.not_tested;
  v.p = c.tested ? c.pooled.lead_p : kNaN;
  // From events.
  if (m.strict_ab.tested && m.strict_ba.tested) {
    v.excess_ab = m.strict_ab.count + m.broad_ab.count - m.strict_ab.expected - m.broad_ab.expected;
    v.excess_ba = m.strict_ba.count + m.broad_ba.count - m.strict_ba.expected - m.broad_ba.expected;
    v.events_leader = v.excess_ab >= v.excess_ba ? 0 : 1;
    v.events_p = m.direction_p;
  }
  return v;
}

}  // namespace

int PairResult::Channel(const std::string& name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

PairResult AnalyzePair(const PairInput& in, const PairOptions& o) {
  const size_t nc = in.names.size();
  assert(in.a.size() == nc && in.b.size() == nc && in.pooled.size() == nc && in.rate_hz > 0);
  PairResult r;
  r.names = in.names;
  const size_t n = nc > 0 ? in.a[0].size() : 0;
  r.t0_s = in.t0_s;
  r.duration_s = static_cast<double>(n) / in.rate_hz;
  // 1. Windowed cross-correlation per channel, at both scales, on two threads.
  r.mimicry.resize(nc);
  r.session.resize(nc);
  const int L = static_cast<int>(std::lround(o.mimicry_wlcc.max_lag_s * in.rate_hz));
  const int stride = std::max(1, static_cast<int>(std::lround(in.rate_hz * o.lagmap_step_s)));
  auto work = [&](size_t first, size_t step) {
    for (size_t c = first; c < nc; c += step) {
      WlccOptions mw = o.mimicry_wlcc;
      if (in.pooled[c]) mw.profile_stride = stride;
      r.mimicry[c] = Wlcc(in.a[c], in.b[c], in.rate_hz, mw);
      r.session[c] = Wlcc(in.a[c], in.b[c], in.rate_hz, o.session_wlcc);
    }
  };
  {
    std::thread helper(work, 1, 2);
    work(0, 2);
    helper.join();
  }
  r.windowed_r = PooledWindowedR(r.mimicry, in.pooled);

  // 2. The time x lag map (pooled channels), then drop the per-channel profiles.
  for (size_t c = 0; c < nc; ++c)
    if (in.pooled[c] && !r.mimicry[c].profile_lags_s.empty()) {
      r.lagmap_lags_s = r.mimicry[c].profile_lags_s;
      for (const auto& w : r.mimicry[c].windows) r.lagmap_t_s.push_back(w.t_s);
      break;
    }
  const size_t nl = r.lagmap_lags_s.size(), nw = r.lagmap_t_s.size();
  r.lagmap_r.assign(nw * nl, std::numeric_limits<float>::quiet_NaN());
  for (size_t k = 0; k < nw * nl; ++k) {
    double zs = 0;
    int zc = 0;
    for (size_t c = 0; c < nc; ++c) {
      if (!in.pooled[c] || r.mimicry[c].profile.size() != nw * nl) continue;
      const float v = r.mimicry[c].profile[k];
      if (std::isfinite(v)) zs += stats::FisherZ(v), ++zc;
    }
    if (zc > 0) r.lagmap_r[k] = static_cast<float>(std::tanh(zs / zc));
  }
  for (auto& w : r.mimicry) w.profile = {}, w.profile_lags_s = {};
  (void)L;

  // 3. The coupling tests: pooled (synchrony, leader) and per channel (contagion = valence).
  {
    // Coupling pools every channel it is given; the per-channel tests come with it. The
    // pooled curve must only hold the pooled channels, so non-pooled channels are tested
    // in a second call that shares the seed (the same surrogate time lines).
    std::vector<std::span<const float>> xs, ys, xo, yo;
    std::vector<size_t> pi, oi;
    for (size_t c = 0; c < nc; ++c) {
      (in.pooled[c] ? xs : xo).push_back(in.a[c]);
      (in.pooled[c] ? ys : yo).push_back(in.b[c]);
      (in.pooled[c] ? pi : oi).push_back(c);
    }
    r.coupling = Coupling(xs, ys, in.rate_hz, o.coupling);
    std::vector<CurveTest> all(nc);
    for (size_t k = 0; k < pi.size(); ++k) all[pi[k]] = r.coupling.channels[k];
    if (!xo.empty()) {
      const CouplingResult other = Coupling(xo, yo, in.rate_hz, o.coupling);
      for (size_t k = 0; k < oi.size(); ++k) all[oi[k]] = other.channels[k];
    }
    r.coupling.channels = std::move(all);
    std::vector<double> pv;
    std::vector<size_t> where;
    for (size_t c = 0; c < nc; ++c)
      if (std::isfinite(r.coupling.channels[c].peak_p)) pv.push_back(r.coupling.channels[c].peak_p), where.push_back(c);
    const std::vector<double> q = stats::BenjaminiHochberg(pv);
    r.channel_q.assign(nc, kNaN);
    for (size_t k = 0; k < where.size(); ++k) r.channel_q[where[k]] = q[k];
  }

  // 4. Events: mimicry and micro-mimicry, then the leader verdict.
  r.events = Mimicry(in.a_events, in.b_events, in.t0_s, r.duration_s, o.mimicry);
  r.micro = Mimicry(in.a_micro, in.b_micro, in.t0_s, r.duration_s, o.mimicry);
  r.leader = Leader(r.coupling, r.events, in.rate_hz);

  // 5. Rapport, and the chance levels of the windowed r and of rapport (b resampled).
  if (in.smile >= 0) {
    const WlccResult* val = in.valence >= 0 ? &r.mimicry[static_cast<size_t>(in.valence)] : nullptr;
    RapportValues(r.mimicry[static_cast<size_t>(in.smile)], val, AnswerTimes(in.a_events, in.b_events, o.mimicry.match, in.t0_s),
                  o.mimicry_wlcc, r.rapport);
    RapportIntervals(o.mimicry_wlcc, o.coupling.seed, r.rapport);
  }
  if (n > 0 && o.chance_surrogates > 0 && r.coupling.tested) {
    std::vector<size_t> chans;
    for (size_t c = 0; c < nc; ++c)
      if (in.pooled[c] || static_cast<int>(c) == in.smile || static_cast<int>(c) == in.valence) chans.push_back(c);
    const double per = static_cast<double>(chans.size()) * (2.0 * L + 1) * static_cast<double>(n);
    const int K = std::clamp(static_cast<int>(3e9 / std::max(1.0, per)), std::min(20, o.chance_surrogates), o.chance_surrogates);
    r.chance_surrogates = K;
    std::vector<double> wr(static_cast<size_t>(K), kNaN), rap(static_cast<size_t>(K), kNaN);
    const double block = (o.coupling.block_s > 0 ? o.coupling.block_s : DefaultBlockS(o.coupling.max_lag_s)) * in.rate_hz;
    auto draw = [&](int first, int step) {
      std::vector<std::vector<float>> ys(nc);
      std::vector<WlccResult> w(nc);
      for (int k = first; k < K; k += step) {
        stats::Rng rng = stats::Rng::Derived(o.coupling.seed ^ 0xC4A9CEull, static_cast<uint64_t>(k));
        const auto blocks = StationaryBootstrap(static_cast<int64_t>(n), std::max(1.0, block), rng);
        for (size_t c : chans) {
          ys[c].resize(n);
          for (const Block& b : blocks)
            for (int64_t i = 0; i < b.len; ++i)
              ys[c][static_cast<size_t>(b.dst + i)] = in.b[c][static_cast<size_t>((b.src + i) % static_cast<int64_t>(n))];
          w[c] = Wlcc(in.a[c], ys[c], in.rate_hz, o.mimicry_wlcc);
        }
        std::vector<uint8_t> pooled(nc, 0);
        for (size_t c : chans) pooled[c] = in.pooled[c];
        wr[static_cast<size_t>(k)] = PooledWindowedR(w, pooled);
        if (in.smile >= 0) {
          const auto moved = ResampleEvents(in.b_events, blocks, in.t0_s, 1.0 / in.rate_hz, static_cast<int64_t>(n));
          RapportResult rr;
          RapportValues(w[static_cast<size_t>(in.smile)], in.valence >= 0 ? &w[static_cast<size_t>(in.valence)] : nullptr,
                        AnswerTimes(in.a_events, moved, o.mimicry.match, in.t0_s), o.mimicry_wlcc, rr);
          rap[static_cast<size_t>(k)] = rr.session;
        }
      }
    };
    std::thread helper(draw, 1, 2);
    draw(0, 2);
    helper.join();
    r.windowed_chance = ChanceOf(wr);
    r.rapport.chance = ChanceOf(rap);
  }
  return r;
}

}  // namespace mimicry::sync
