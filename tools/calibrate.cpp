// calibrate: the size (under independence) and power (with a planted effect) of every test
// `mimicry analyze` reports, through the same code path (pipeline::AnalyzeSeriesPair).
//
//   calibrate [--lengths 20,30,60,120,600] [--pairs 200] [--surrogates 200]
//             [--sources synthetic,real,motion,power] [--real DIR] [--motion DIR]
//
// Sources of null pairs (two independent participants):
//   synthetic  synth's "null" preset: A from one seed, B from another, with realistic
//              measurement noise (SD 0.4, lag-1 autocorrelation 0.5), slow drift (SD 0.3)
//              and an onset transient (up to 0.8, 2-s time constant) in every AU
//   real       pseudo-pairs of unrelated real people: the shared 2015 clip's face against the
//              three faces of multi_face.avi (extracted into DIR as c2015.csv and multi.csv),
//              at several start times, forwards and time-reversed (20-s lengths only: the
//              clips are 23-28 s; overlapping cuts, so far fewer than `pairs` independent ones)
//   motion     pseudo-pairs of real motion-energy series (the rMEA dyads in DIR: patient and
//              therapist of two sessions), cut from different people or non-overlapping times,
//              through sync::Coupling with analyze's defaults (one channel)
//   power      synth's "dyad" preset (B answers 70% of A's expressions 0.6 s later, strict or
//              broad), same noise: how often each test finds it
// Prints one row per source, length and test: the share of p < 0.05 and p < 0.01 among the
// pairs where the test ran (and how many ran). bench/calibration.sh runs the full sweep.
// CAL_NOISE=sd,ar,drift,onset overrides the synthetic measurement noise (for exploring).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mimicry/schema/feature_table.h"
#include "mimicry/pipeline/analyze.h"
#include "mimicry/pipeline/synth.h"
#include "mimicry/series/uniform.h"
#include "mimicry/synth/scenario.h"
#include "mimicry/sync/coupling.h"

namespace {
namespace fs = std::filesystem;
using mimicry::TimeSeries;
using mimicry::Timestamp;

// analyze's coupling options (the one-channel test), with this pair's seed.
mimicry::sync::CouplingOptions CouplingFor(const mimicry::pipeline::AnalyzeOptions& o, uint64_t seed) {
  mimicry::sync::CouplingOptions co;
  co.window_s = o.mimicry_wlcc.window_s;
  co.max_lag_s = o.mimicry_wlcc.max_lag_s;
  co.surrogates = o.surrogates;
  co.seed = seed;
  co.kind = o.correlation_surrogate;
  co.block_s = o.block_s;
  co.min_shift_s = o.min_shift_s;
  return co;
}

struct Tally {
  int pairs = 0, tested = 0, p05 = 0, p01 = 0;
  void Add(double p) {
    ++pairs;
    if (!std::isfinite(p)) return;
    ++tested;
    p05 += p < 0.05;
    p01 += p < 0.01;
  }
};

struct Table {
  std::vector<std::string> order;
  std::map<std::string, Tally> rows;
  Tally& At(const std::string& source, double len, const std::string& test) {
    const std::string key = fmt::format("{:<10} {:>5.0f} s  {:<24}", source, len, test);
    if (!rows.count(key)) order.push_back(key);
    return rows[key];
  }
  void Print() const {
    std::printf("%-10s %7s  %-24s %6s %6s %7s %7s\n", "source", "length", "test", "pairs", "tested", "p<0.05", "p<0.01");
    for (const auto& k : order) {
      const Tally& t = rows.at(k);
      std::printf("%s %6d %6d %7.3f %7.3f\n", k.c_str(), t.pairs, t.tested, t.tested ? double(t.p05) / t.tested : NAN,
                  t.tested ? double(t.p01) / t.tested : NAN);
    }
    std::fflush(stdout);
  }
};

std::vector<double> Doubles(const std::string& s) {
  std::vector<double> v;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');) v.push_back(std::stod(x));
  return v;
}
std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');) v.push_back(x);
  return v;
}

// Every test of a pair into the table.
void Record(Table& t, const std::string& src, double len, const mimicry::sync::PairResult& r) {
  const int valence = r.Channel("valence"), au12 = r.Channel("AU12");
  t.At(src, len, "synchrony").Add(r.coupling.tested ? r.coupling.pooled.peak_p : NAN);
  t.At(src, len, "leader").Add(r.leader.tested ? r.leader.p : NAN);
  t.At(src, len, "contagion (valence)").Add(r.coupling.channels[static_cast<size_t>(valence)].peak_p);
  t.At(src, len, "channel AU12").Add(r.coupling.channels[static_cast<size_t>(au12)].peak_p);
  auto ev = [&](const char* name, const mimicry::sync::MimicryStat& s) { t.At(src, len, name).Add(s.tested ? s.p : NAN); };
  ev("strict mimicry A->B", r.events.strict_ab);
  ev("broad mimicry A->B", r.events.broad_ab);
  ev("strict mimicry B->A", r.events.strict_ba);
  ev("broad mimicry B->A", r.events.broad_ba);
  t.At(src, len, "event direction").Add(r.events.direction_p);
  ev("micro strict A->B", r.micro.strict_ab);
  ev("micro broad A->B", r.micro.broad_ab);
}

mimicry::pipeline::FeatureNoise Realistic() {
  mimicry::pipeline::FeatureNoise n = mimicry::pipeline::CalibrationNoise();
  if (const char* e = std::getenv("CAL_NOISE")) std::sscanf(e, "%lf,%lf,%lf,%lf", &n.sd, &n.ar, &n.drift_sd, &n.onset);
  return n;
}

TimeSeries Participant(const std::string& preset, uint64_t seed, int who, double len, bool irregular) {
  if (!irregular) {  // the "metronome" source: regular times
    mimicry::synth::PresetOptions p;
    p.preset = preset;
    p.seed = seed;
    p.duration_s = len;
    p.lag_s = 0.6;
    p.faces = {"a.png", "b.png"};  // not read: no rendering
    auto s = mimicry::synth::MakePreset(p);
    if (!s.ok()) throw std::runtime_error(s.status().message());
    auto ts = mimicry::pipeline::ScenarioFeatures(*s, who, Realistic(), seed * 1000003 + static_cast<uint64_t>(who));
    if (!ts.ok()) throw std::runtime_error(ts.status().message());
    return *ts;
  }
  auto ts = mimicry::pipeline::CalibrationParticipant(preset, seed, who, len, Realistic());
  if (!ts.ok()) throw std::runtime_error(ts.status().message());
  return *ts;
}

// A cut of a feature series, re-based to start at 0; reversed = played backwards.
TimeSeries Cut(const TimeSeries& s, double start, double len, bool reversed) {
  auto out = *TimeSeries::Create(s.header());
  std::vector<size_t> idx;
  const double t0 = s.time(0).seconds() + start;
  for (size_t i = 0; i < s.size(); ++i)
    if (s.time(i).seconds() >= t0 && s.time(i).seconds() < t0 + len) idx.push_back(i);
  if (reversed) std::reverse(idx.begin(), idx.end());
  for (size_t i : idx) {
    const double t = reversed ? t0 + len - s.time(i).seconds() : s.time(i).seconds() - t0;
    if (!out.empty() && Timestamp::FromSeconds(t) <= out.time(out.size() - 1)) continue;
    (void)out.Append(Timestamp::FromSeconds(t), s.row(i));
  }
  return out;
}

// Two participants of synth's "null" preset from different seeds. "synthetic": irregular
// expression times (--irregular); A expressive (every 5.25 s on average), B alternately as
// expressive or quieter (every 11.5 s). "metronome": the preset's regular timing, A and B
// both expressive -- two near-periodic rhythms, a stress case for any surrogate.
void Synthetic(Table& t, const std::string& src, double len, int pairs, const mimicry::pipeline::AnalyzeOptions& o) {
  const bool irregular = src == "synthetic";
  for (int k = 0; k < pairs; ++k) {
    const TimeSeries a = Participant("null", 1 + static_cast<uint64_t>(k), 0, len, irregular);
    const TimeSeries b = Participant("null", 100001 + static_cast<uint64_t>(k), irregular ? (k % 2) : 0, len, irregular);
    auto o2 = o;
    o2.seed = 1 + static_cast<uint64_t>(k);
    auto r = mimicry::pipeline::AnalyzeSeriesPair(a, b, o2);
    if (!r.ok()) throw std::runtime_error(r.status().message());
    Record(t, src, len, *r);
  }
}

void Power(Table& t, double len, int pairs, const mimicry::pipeline::AnalyzeOptions& o) {
  Tally& lead = t.At("power", len, "leader right, p<0.05 *");
  Tally& syn = t.At("power", len, "synchrony *");
  Tally& strict = t.At("power", len, "strict mimicry A->B *");
  Tally& broad = t.At("power", len, "broad mimicry A->B *");
  Tally& lag = t.At("power", len, "lag within 0.1 s *");
  for (int k = 0; k < pairs; ++k) {
    const uint64_t seed = 5001 + static_cast<uint64_t>(k);
    const TimeSeries a = Participant("dyad", seed, 0, len, true), b = Participant("dyad", seed, 1, len, true);
    auto o2 = o;
    o2.seed = seed;
    auto r = mimicry::pipeline::AnalyzeSeriesPair(a, b, o2);
    if (!r.ok()) throw std::runtime_error(r.status().message());
    const bool right = r->leader.leader == 0;
    lead.Add(right && r->leader.tested ? r->leader.p : 1.0);
    syn.Add(r->coupling.tested ? r->coupling.pooled.peak_p : 1.0);
    strict.Add(r->events.strict_ab.tested ? r->events.strict_ab.p : 1.0);
    broad.Add(r->events.broad_ab.tested ? r->events.broad_ab.p : 1.0);
    lag.Add(right && std::abs(r->leader.lag_s - 0.6) <= 0.1 ? 0.0 : 1.0);
  }
}

const TimeSeries* Face(const mimicry::schema::FeatureTable& t, int id) {
  auto it = t.faces.find(id);
  return it == t.faces.end() ? nullptr : &it->second;
}

void Real(Table& t, const std::string& dir, int pairs, const mimicry::pipeline::AnalyzeOptions& o) {
  auto c = mimicry::schema::ReadFeatureCsv(dir + "/c2015.csv");
  auto m = mimicry::schema::ReadFeatureCsv(dir + "/multi.csv");
  if (!c.ok() || !m.ok()) {
    std::fprintf(stderr, "calibrate: %s: c2015.csv / multi.csv missing (bench/calibration.sh extracts them)\n", dir.c_str());
    return;
  }
  const TimeSeries* a = Face(*c, 0);
  std::vector<const TimeSeries*> bs;
  for (const auto& [id, s] : m->faces)
    if (s.size() > 600) bs.push_back(&s);
  const double len = 20;
  int k = 0;
  for (double sa : {0.0, 2.0, 4.0, 6.0, 8.0})
    for (double sb : {0.0, 1.5, 3.0})
      for (const TimeSeries* b : bs)
        for (int rev = 0; rev < 2; ++rev) {
          if (k >= pairs) return;
          auto o2 = o;
          o2.seed = static_cast<uint64_t>(++k);
          auto r = mimicry::pipeline::AnalyzeSeriesPair(Cut(*a, sa, len, false), Cut(*b, sb, len, rev == 1), o2);
          if (!r.ok()) {
            std::fprintf(stderr, "calibrate: real pair skipped: %s\n", r.status().message().c_str());
            continue;
          }
          Record(t, "real", len, *r);
        }
}

std::vector<std::vector<float>> ReadMea(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<float>> cols(2);
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    float a, b;
    if (ss >> a >> b) cols[0].push_back(a), cols[1].push_back(b);
  }
  return cols;
}

void Motion(Table& t, const std::string& dir, double len, int pairs, const mimicry::pipeline::AnalyzeOptions& o) {
  std::vector<std::vector<float>> people;  // normal patient, normal therapist, dropout patient, dropout therapist
  for (const char* f : {"/200_01.txt", "/100_01.txt"})
    for (auto& c : ReadMea(dir + f)) people.push_back(std::move(c));
  if (people.size() != 4 || people[0].size() < 1000) {
    std::fprintf(stderr, "calibrate: %s: the rMEA files are missing\n", dir.c_str());
    return;
  }
  const double rate = 25;
  const size_t n = static_cast<size_t>(len * rate), total = people[0].size();
  if (n + 10 > total) return;
  std::mt19937_64 g(static_cast<uint64_t>(len) * 7 + 1);
  Tally& syn = t.At("motion", len, "synchrony (1 channel)");
  Tally& lead = t.At("motion", len, "leader (1 channel)");
  int done = 0, tries = 0;
  while (done < pairs && tries < 100000) {
    ++tries;
    const size_t p = g() % 4, q = g() % 4;
    const size_t a = g() % (total - n), b = g() % (total - n);
    // Different people of different sessions, or any two cuts that do not overlap in time.
    const bool same_session = p / 2 == q / 2;
    if (same_session && (a < b ? b - a : a - b) < n + static_cast<size_t>(10 * rate)) continue;
    mimicry::series::Uniform u;
    u.rate_hz = rate;
    u.channels = {"x", "y"};
    u.data = {std::vector<float>(people[p].begin() + static_cast<long>(a), people[p].begin() + static_cast<long>(a + n)),
              std::vector<float>(people[q].begin() + static_cast<long>(b), people[q].begin() + static_cast<long>(b + n))};
    mimicry::series::Prepare(u, o.prepare);
    const auto r = mimicry::sync::Coupling({u.data[0]}, {u.data[1]}, rate, CouplingFor(o, static_cast<uint64_t>(done) + 1));
    syn.Add(r.tested ? r.pooled.peak_p : NAN);
    lead.Add(r.tested ? r.pooled.lead_p : NAN);
    ++done;
  }
}

// Stationary AR(1) pairs (coefficient 0.93 at 30 Hz, about 0.5 s), `channels` independent
// channels each: the coupling test alone.
void Ar1(Table& t, double len, int pairs, int channels, const mimicry::pipeline::AnalyzeOptions& o) {
  const double rate = 30;
  const size_t n = static_cast<size_t>(len * rate);
  Tally& syn = t.At("ar1", len, fmt::format("synchrony ({} ch)", channels));
  Tally& lead = t.At("ar1", len, fmt::format("leader ({} ch)", channels));
  std::mt19937_64 g(static_cast<uint64_t>(len) * 13 + static_cast<uint64_t>(channels));
  std::normal_distribution<double> e(0, 1);
  for (int k = 0; k < pairs; ++k) {
    std::vector<std::vector<float>> x(static_cast<size_t>(channels), std::vector<float>(n)), y = x;
    for (auto* v : {&x, &y})
      for (auto& c : *v) {
        double a = e(g) * 1.0;
        for (auto& s : c) s = static_cast<float>(a = 0.93 * a + 0.37 * e(g));
      }
    std::vector<std::span<const float>> xs(x.begin(), x.end()), ys(y.begin(), y.end());
    const auto r = mimicry::sync::Coupling(xs, ys, rate, CouplingFor(o, static_cast<uint64_t>(k) + 1));
    syn.Add(r.tested ? r.pooled.peak_p : NAN);
    lead.Add(r.tested ? r.pooled.lead_p : NAN);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<double> lengths = {20, 30, 60, 120, 600};
  std::vector<std::string> sources = {"synthetic", "real", "motion", "power"};
  int pairs = 200, surrogates = 200;
  std::string real_dir, motion_dir = std::string(MIMICRY_SHARED_DIR) + "/media/rmea";
  std::string kind = "auto";
  double block = 0;
  std::string ekind;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "calibrate: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--lengths") lengths = Doubles(next());
    else if (a == "--pairs") pairs = std::stoi(next());
    else if (a == "--surrogates") surrogates = std::stoi(next());
    else if (a == "--sources") sources = Words(next());
    else if (a == "--real") real_dir = next();
    else if (a == "--motion") motion_dir = next();
    else if (a == "--surrogate") kind = next();
    else if (a == "--block") block = std::stod(next());
    else if (a == "--event-surrogate") ekind = next();
    else {
      std::fprintf(stderr, "calibrate: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  mimicry::pipeline::AnalyzeOptions o;
  o.surrogates = surrogates;
  o.chance_surrogates = 0;
  o.block_s = block;  // descriptive chance levels do not enter any p
  o.correlation_surrogate = kind == "circular"    ? mimicry::sync::SurrogateKind::kCircularShift
                            : kind == "bootstrap" ? mimicry::sync::SurrogateKind::kBlockBootstrap
                                                  : mimicry::sync::SurrogateKind::kAuto;
  o.event_surrogate = kind == "circular"    ? mimicry::sync::EventSurrogate::kCircularShift
                      : kind == "bootstrap" ? mimicry::sync::EventSurrogate::kBlockBootstrap
                                            : mimicry::sync::EventSurrogate::kAuto;
  if (ekind == "jitter") o.event_surrogate = mimicry::sync::EventSurrogate::kJitter;
  if (ekind == "circular") o.event_surrogate = mimicry::sync::EventSurrogate::kCircularShift;
  if (ekind == "segment") o.event_surrogate = mimicry::sync::EventSurrogate::kSegmentShuffle;
  Table t;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    for (const auto& src : sources)
      for (double len : lengths) {
        if (src == "synthetic" || src == "metronome") Synthetic(t, src, len, pairs, o);
        else if (src == "power") Power(t, len, std::min(pairs, 200), o);
        else if (src == "motion") Motion(t, motion_dir, len, pairs, o);
        else if (src == "ar1") {
          for (int ch : {1, 2, 5, 19}) Ar1(t, len, pairs, ch, o);
        }
        else if (src == "real") {
          if (len != lengths.front()) continue;
          if (real_dir.empty()) {
            std::fprintf(stderr, "calibrate: --real DIR not given; real pseudo-pairs skipped\n");
            continue;
          }
          Real(t, real_dir, pairs, o);
        }
        std::fprintf(stderr, "calibrate: %s %.0f s done (%.0f s)\n", src.c_str(), len,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "calibrate: %s\n", e.what());
    return 1;
  }
  t.Print();
  return 0;
}
