// Movement synchrony: time series (MEA files, CSVs) through analyze, rMEA's results
// reproduced on the real dyads of ../shared/media/rmea, and bad series input.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "mimicry/schema/feature_table.h"
#include "mimicry/io/frame_source.h"
#include "mimicry/io/video_writer.h"
#include "mimicry/pipeline/analyze.h"
#include "mimicry/pipeline/extract.h"
#include "test_util.h"

namespace mimicry::pipeline {
namespace {
namespace fs = std::filesystem;
using mimicry::testing::Capture;
using mimicry::testing::kBin;
using mimicry::testing::kShared;
using mimicry::testing::TempDir;

const std::string kRmea = kShared + "/media/rmea/";

// rMEA's matrices for one configuration: session -> rows of values (NaN = NA).
std::map<std::string, std::vector<std::vector<double>>> RmeaMatrices(const std::string& config) {
  std::map<std::string, std::vector<std::vector<double>>> m;
  int code = 0;
  const std::string text = Capture("gzip -dc " + kRmea + "rmea_ccf_matrix_" + config + ".csv.gz", &code);
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header: config,session,window,lag-5,...
  while (std::getline(in, line)) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) c.push_back(x);
    std::vector<double> row;
    for (size_t k = 3; k < c.size(); ++k) row.push_back(c[k] == "NA" ? std::nan("") : std::stod(c[k]));
    m[c[1]].push_back(row);
  }
  return m;
}

std::map<std::string, double> RmeaGrand(const std::string& config_prefix) {
  std::map<std::string, double> g;
  auto csv = mimicry::testing::ReadCsv(kRmea + "rmea_summary.csv");
  for (size_t r = 0; r < csv.rows.size(); ++r)
    if (csv.Cell(r, "config").rfind(config_prefix, 0) == 0) g[csv.Cell(r, "session")] = csv.Num(r, "grandAver");
  return g;
}

AnalyzeOptions SeriesOptions(const std::string& file, const std::string& out) {
  AnalyzeOptions o;
  o.inputs = {file};
  o.out_dir = out;
  o.series.enabled = true;
  o.series.rate_hz = 25;
  o.rate_hz = 0;
  o.rmea.enabled = true;
  o.surrogates = 0;
  o.write_report = false;
  return o;
}

// The acceptance check of docs/movement.md#rmea: configurations A, C and D of the shared
// README, every cell of both sessions' window x lag matrices within 1e-6 of rMEA 1.3.0's,
// the grand averages within 1e-6 (B, with 60-s windows and ABS, by its summaries).
TEST(Rmea, ReproducesRmeaOnTheSharedDyads) {
  if (!fs::exists(kRmea + "200_01.txt")) GTEST_SKIP() << "../shared/media/rmea not present (" << kRmea << ")";
  const std::map<std::string, std::string> files = {{"normal_200_1", "200_01.txt"}, {"dropout_100_1", "100_01.txt"}};
  struct Config {
    std::string name;
    double smooth_s;
    bool scale, z, abs;
    double win_s, inc_s;
  };
  for (const Config& c : {Config{"A", 0.5, true, true, false, 30, 10}, Config{"C", 0, false, true, false, 30, 10},
                          Config{"D", 0, false, false, false, 30, 10}, Config{"B", 0.5, true, true, true, 60, 30}}) {
    const auto ref = c.name == "B" ? decltype(RmeaMatrices("A")){} : RmeaMatrices(c.name);
    const auto grand = RmeaGrand(c.name + "_");
    ASSERT_EQ(grand.size(), 2u) << c.name;
    for (const auto& [session, file] : files) {
      TempDir dir;
      AnalyzeOptions o = SeriesOptions(kRmea + file, dir / "out");
      o.rmea.smooth_s = c.smooth_s;
      o.rmea.scale = c.scale;
      o.rmea.ccf = {.lag_s = 5, .win_s = c.win_s, .inc_s = c.inc_s, .fisher_z = c.z, .abs = c.abs};
      auto r = RunAnalyze(o);
      ASSERT_TRUE(r.ok()) << r.status().message();
      ASSERT_EQ(r->found.size(), 1u);
      EXPECT_EQ(r->found[0].a, "pat");
      EXPECT_EQ(r->found[0].b, "th");
      ASSERT_TRUE(r->found[0].rmea.has_value());
      const auto& m = *r->found[0].rmea;
      EXPECT_NEAR(m.grand_average, grand.at(session), 1e-6) << c.name << " " << session;
      if (c.name == "B") {
        EXPECT_EQ(m.windows.size(), 18u);
        continue;
      }
      const auto& rows = ref.at(session);
      ASSERT_EQ(m.windows.size(), rows.size()) << c.name << " " << session;
      ASSERT_EQ(m.lags_s.size(), 251u);
      double worst = 0;
      for (size_t w = 0; w < rows.size(); ++w)
        for (size_t k = 0; k < 251; ++k) {
          ASSERT_EQ(std::isnan(m.at(w, k)), std::isnan(rows[w][k]));
          if (!std::isnan(rows[w][k])) worst = std::max(worst, std::abs(m.at(w, k) - rows[w][k]));
        }
      EXPECT_LT(worst, 1e-6) << c.name << " " << session;
      // The written matrix holds the same numbers.
      auto csv = mimicry::testing::ReadCsv(dir / "out/ccf_matrix.csv");
      ASSERT_EQ(csv.rows.size(), rows.size());
      EXPECT_EQ(csv.header[2], "lag_-5");
      EXPECT_EQ(csv.header[127], "lag_0");
      EXPECT_NEAR(csv.Num(10, "lag_0.4"), rows[10][135], 1e-9);
      EXPECT_NEAR(csv.Num(10, "t_start_s"), 100, 1e-9);
    }
  }
}

// A CSV per participant with true timestamps: one follows the other by 0.8 s.
void WriteDelayedPair(const std::string& a_path, const std::string& b_path, double seconds, double delay_s, uint32_t seed,
                      bool coupled) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  const double rate = 25;
  const size_t n = static_cast<size_t>(seconds * rate), d = static_cast<size_t>(delay_s * rate);
  // Bursty, non-negative "motion energy": squared AR(1) bursts.
  auto burst = [&] {
    std::vector<double> x(n + d);
    double s = 0;
    for (auto& v : x) s = 0.95 * s + g(rng), v = s * s;
    return x;
  };
  const auto src = burst(), other = burst();
  std::ofstream a(a_path), b(b_path);
  a << "timestamp,me\n";
  b << "timestamp,me\n";
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    a << t << "," << src[i + d] << "\n";
    b << t << "," << (coupled ? src[i] + 0.5 * other[i] : other[i]) << "\n";
  }
}

// One pair, its first participant (id) leading by lag_s: coupled and led beyond chance (p < 0.01).
void ExpectFirstLeadsBy(const AnalyzeResult& r, const std::string& id, double lag_s) {
  ASSERT_EQ(r.found.size(), 1u);
  EXPECT_EQ(r.found[0].a, id);
  const auto& p = r.found[0].result;
  ASSERT_TRUE(p.coupling.tested) << p.coupling.not_tested;
  EXPECT_LT(p.coupling.pooled.peak_p, 0.01);
  EXPECT_EQ(p.leader.leader, 0) << id << " leads";
  EXPECT_NEAR(p.leader.coupling_lag_s, lag_s, 0.1);
  EXPECT_NEAR(p.leader.lag_s, lag_s, 0.1);
  EXPECT_LT(p.leader.p, 0.01);
}

// Two series files analysed as a pair at their own rate, 199 surrogates, no report.
AnalyzeOptions TwoSeries(const std::string& a, const std::string& b, const std::string& out) {
  AnalyzeOptions o;
  o.inputs = {a, b};
  o.out_dir = out;
  o.series.enabled = true;
  o.rate_hz = 0;
  o.surrogates = 199;
  o.write_report = false;
  return o;
}

TEST(MovementSeries, DelayedCopyGivesItsLagLeaderAndSmallP) {
  TempDir dir;
  WriteDelayedPair(dir / "lead.csv", dir / "follow.csv", 240, 0.8, 7, true);
  auto r = RunAnalyze(TwoSeries(dir / "lead.csv", dir / "follow.csv", dir / "out"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ExpectFirstLeadsBy(*r, "lead", 0.8);
  // The follower's movement bursts answer the leader's, strictly, 0.8 s later, beyond chance.
  const auto& ev = r->found[0].result.events;
  ASSERT_TRUE(ev.strict_ab.tested) << ev.strict_ab.not_tested;
  EXPECT_GT(ev.strict_ab.events, 20);
  EXPECT_GT(ev.strict_ab.count, ev.strict_ab.expected + 5);
  EXPECT_LT(ev.strict_ab.p, 0.01);
  EXPECT_NEAR(ev.strict_ab.median_latency_s, 0.8, 0.15);
  EXPECT_EQ(ev.broad_ab.count, 0) << "one kind of event: no broad answers";
  std::ifstream sj(dir / "out/summary.json");
  const auto j = nlohmann::json::parse(sj);
  EXPECT_EQ(j["clock"]["rate_hz"], 25.0) << "the series' own rate";
  EXPECT_EQ(j["pairs"][0]["inputs"], "series");
  EXPECT_EQ(j["parameters"]["pooled_channels"], nlohmann::json::array({"series"}));
}

// Size under the null: independent bursty pairs, p < 0.05 in 2-8% (the block bootstrap
// on skewed, heavy-tailed movement series). 60 pairs of 120 s here; bench/ runs more.
TEST(MovementSeries, IndependentPairsHoldTheirSize) {
  TempDir dir;
  int rejected = 0, tested = 0, events_rejected = 0, events_tested = 0;
  const int pairs = 60;
  for (int k = 0; k < pairs; ++k) {
    WriteDelayedPair(dir / "a.csv", dir / "b.csv", 120, 0, 1000 + k, false);
    AnalyzeOptions o = TwoSeries(dir / "a.csv", dir / "b.csv", dir / "out");
    o.seed = 11 + k;
    auto r = RunAnalyze(o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    const auto& c = r->found[0].result.coupling;
    const auto& ev = r->found[0].result.events.strict_ab;
    events_tested += ev.tested;
    events_rejected += ev.tested && ev.p < 0.05;
    if (!c.tested) continue;
    ++tested;
    rejected += c.pooled.peak_p < 0.05;
  }
  std::printf("independent bursty pairs: movement answers p < 0.05 in %d of %d\n", events_rejected, events_tested);
  EXPECT_GE(events_tested, pairs - 2);
  EXPECT_LE(events_rejected, 7) << "answers to movements hold their size too";
  EXPECT_EQ(tested, pairs);
  const double rate = static_cast<double>(rejected) / tested;
  // 60 pairs: 0..7 rejections is 0-12%; an always-p=1 test (0) and a liberal one fail.
  std::printf("independent bursty pairs: %d of %d with p < 0.05 (%.1f%%)\n", rejected, tested, 100 * rate);
  EXPECT_GE(rejected, 1) << rate;
  EXPECT_LE(rejected, 7) << rate;
}

// Groups as rMEA users compare them: coupled dyads stand above the pseudo-pairs (large d),
// independent ones do not.
TEST(MovementSeries, EventThresholdIsInTheSeriesUnits) {
  TempDir dir;
  WriteDelayedPair(dir / "a.csv", dir / "b.csv", 120, 0.8, 9, true);
  AnalyzeOptions o = TwoSeries(dir / "a.csv", dir / "b.csv", dir / "out");
  auto some = RunAnalyze(o);
  ASSERT_TRUE(some.ok()) << some.status().message();
  const int n = some->found[0].result.events.strict_ab.events;
  EXPECT_GT(n, 10);
  o.series.event_threshold = 1e9;  // above every value of the series
  auto none = RunAnalyze(o);
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_EQ(none->found[0].result.events.strict_ab.events, 0);
  const auto events = mimicry::testing::ReadCsv(dir / "out/events.csv");
  EXPECT_TRUE(events.rows.empty());
  o.series.event_threshold = -std::numeric_limits<double>::infinity();
  auto again = RunAnalyze(o);
  ASSERT_TRUE(again.ok());
  const auto csv = mimicry::testing::ReadCsv(dir / "out/events.csv");
  ASSERT_FALSE(csv.rows.empty());
  EXPECT_EQ(csv.Cell(0, "action"), "movement");
  EXPECT_EQ(csv.Cell(0, "affect"), "movement");
}

TEST(MovementSeries, GroupsAgainstPseudoPairs) {
  TempDir dir;
  std::ofstream table(dir / "sessions.csv");
  table << "session,participant,file,group\n";
  for (int k = 0; k < 8; ++k) {
    const bool coupled = k < 4;
    const std::string a = dir / ("a" + std::to_string(k) + ".csv"), b = dir / ("b" + std::to_string(k) + ".csv");
    WriteDelayedPair(a, b, 120, 0.4, 300 + k, coupled);
    const std::string g = coupled ? "coupled" : "independent";
    table << "s" << k << ",A," << a << "," << g << "\ns" << k << ",B," << b << "," << g << "\n";
  }
  table.close();
  auto sessions = ReadSessionsCsv(dir / "sessions.csv");
  ASSERT_TRUE(sessions.ok()) << sessions.status().message();
  AnalyzeOptions o;
  o.sessions = *sessions;
  o.out_dir = dir / "out";
  o.series.enabled = true;
  o.rate_hz = 0;
  o.surrogates = 199;
  o.write_report = false;
  o.rmea.enabled = true;
  o.rmea.ccf = {.lag_s = 2, .win_s = 20, .inc_s = 10};
  auto r = RunAnalyze(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::ifstream in(dir / "out/sessions.json");
  const auto j = nlohmann::json::parse(in);
  const auto& g = j["groups"];
  ASSERT_TRUE(g.contains("coupled") && g.contains("independent") && g.contains("all")) << g.dump();
  EXPECT_EQ(g["coupled"]["dyads"], 4);
  EXPECT_EQ(g["coupled"]["synchrony"]["pseudo_pairs"], 56) << "8 x 7 role-keeping pseudo-pairs, each once";
  EXPECT_GT(g["coupled"]["synchrony"]["cohens_d"].get<double>(), 2.0);
  EXPECT_LT(std::abs(g["independent"]["synchrony"]["cohens_d"].get<double>()), 1.5);
  EXPECT_EQ(g["coupled"]["synchrony"]["share_above_pseudo_95"], 1.0);
  EXPECT_EQ(g["coupled"]["synchrony"]["share_surrogate_p_below_05"], 1.0);
  EXPECT_LE(g["independent"]["synchrony"]["share_surrogate_p_below_05"].get<double>(), 0.25);
  EXPECT_GT(g["coupled"]["rmea"]["cohens_d"].get<double>(), 2.0);
  EXPECT_GT(g["coupled"]["rmea"]["percent_lags_above_pseudo"].get<double>(), 50.0);
  EXPECT_EQ(j["pairs"][0]["group"], "coupled");
  EXPECT_TRUE(j["pairs"][0]["synchrony"]["surrogate_p"].is_number());
  EXPECT_TRUE(j["pairs"][0].contains("mimicry_a_to_b")) << "movement events answered, against pseudo-pairs";
}

// The two shared dyads as a group study: each group's rMEA grand average is its session's
// (rMEA configuration A), against the 2 role-keeping pseudo-pairs of the study.
TEST(Rmea, SharedDyadsAsAGroupStudy) {
  if (!fs::exists(kRmea + "200_01.txt")) GTEST_SKIP() << "../shared/media/rmea not present (" << kRmea << ")";
  TempDir dir;
  std::ofstream(dir / "sessions.csv") << "session,participant,file,group,column\n"
                                      << "n200,patient," << kRmea << "200_01.txt,normal,pat\n"
                                      << "n200,therapist," << kRmea << "200_01.txt,normal,th\n"
                                      << "d100,patient," << kRmea << "100_01.txt,dropout,1\n"
                                      << "d100,therapist," << kRmea << "100_01.txt,dropout,2\n";
  auto sessions = ReadSessionsCsv(dir / "sessions.csv");
  ASSERT_TRUE(sessions.ok()) << sessions.status().message();
  AnalyzeOptions o = SeriesOptions("", dir / "out");
  o.inputs.clear();
  o.sessions = *sessions;
  o.rmea.smooth_s = 0.5;
  o.rmea.scale = true;
  o.surrogates = 199;
  auto r = RunAnalyze(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::ifstream in(dir / "out/sessions.json");
  const auto j = nlohmann::json::parse(in);
  const auto grand = RmeaGrand("A_");
  EXPECT_NEAR(j["groups"]["normal"]["rmea"]["grand_average_mean"].get<double>(), grand.at("normal_200_1"), 1e-6);
  EXPECT_NEAR(j["groups"]["dropout"]["rmea"]["grand_average_mean"].get<double>(), grand.at("dropout_100_1"), 1e-6);
  EXPECT_EQ(j["groups"]["all"]["rmea"]["pseudo_pairs"], 2);
  EXPECT_EQ(j["pairs"][0]["a"], "patient");
}

// Two people moving with a known delay, built from the shared real clip: a side-by-side
// video whose right half is the left half 0.5 s later. Motion energy is coupled at that
// lag, the left person leads, p < 0.01.
TEST(MotionEnergy, SideBySideDelayedCopyGivesTheLagAndTheLeader) {
  if (!fs::exists(mimicry::testing::kReal)) GTEST_SKIP() << "../shared/media/real not present (" << mimicry::testing::kReal << ")";
  TempDir dir;
  const int delay = 15;  // frames at 30 fps
  {
    auto src = io::FrameSource::Open({.path = mimicry::testing::kReal});
    ASSERT_TRUE(src.ok()) << src.status().message();
    std::vector<cv::Mat> frames;
    io::Frame f;
    while (true) {
      auto got = (*src)->Next(f);
      ASSERT_TRUE(got.ok());
      if (!*got) break;
      io::EnsureBgr(f);
      frames.push_back(f.bgr.clone());
    }
    ASSERT_GT(frames.size(), 600u);
    auto w = io::VideoWriter::Open({.path = dir / "pair.mp4", .width = 2 * frames[0].cols, .height = frames[0].rows});
    ASSERT_TRUE(w.ok()) << w.status().message();
    for (size_t k = delay; k < frames.size(); ++k) {
      cv::Mat both;
      cv::hconcat(frames[k], frames[k - delay], both);  // right = left, 0.5 s later
      ASSERT_TRUE((*w)->Write(both, Timestamp::FromMicros(static_cast<int64_t>(k - delay) * 1000000 / 30)).ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
  }
  AnalyzeOptions o;
  o.inputs = {dir / "pair.mp4"};
  o.out_dir = dir / "out";
  o.channels = AnalyzeOptions::Channels::kMotion;
  o.surrogates = 199;
  o.write_report = false;
  o.quiet = true;
  auto r = RunAnalyze(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ExpectFirstLeadsBy(*r, "P1", 0.5);  // the left person
  std::ifstream sj(dir / "out/summary.json");
  const auto j = nlohmann::json::parse(sj);
  EXPECT_EQ(j["parameters"]["pooled_channels"], nlohmann::json::array({"me_head", "me_body"}));
}

// multi_face.avi: three people (one seated in front, two standing behind): three tracks
// with motion energy on (nearly) every tracked frame, in 0..100.
TEST(MotionEnergy, MultiFaceVideoGivesAStableTrackPerPerson) {
  if (!fs::exists(mimicry::testing::kMulti)) GTEST_SKIP() << "../shared/media/real not present (" << mimicry::testing::kMulti << ")";
  TempDir dir;
  ExtractOptions e;
  e.input.path = mimicry::testing::kMulti;
  e.output_csv = dir / "mf.csv";
  e.motion_energy = true;
  auto r = RunExtract(e);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto t = schema::ReadFeatureCsv(dir / "mf.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  const size_t c = static_cast<size_t>(schema::kFirstMotionEnergyChannel);
  EXPECT_EQ(t->faces.begin()->second.header().channels[c + 2], "me_total");
  int tracks = 0;
  for (const auto& [id, s] : t->faces) {
    size_t valid = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      for (size_t k = 0; k < 3; ++k) {
        const double v = s.value(i, c + k);
        if (std::isfinite(v)) EXPECT_TRUE(v >= 0 && v <= 100) << v;
      }
      valid += std::isfinite(s.value(i, c + 2));
    }
    if (s.size() >= 100) {
      ++tracks;
      EXPECT_GE(valid + 2, s.size()) << "face " << id << ": motion energy on every tracked frame but the first";
    }
  }
  EXPECT_GE(tracks, 3);
}

TEST(MovementSeries, BadSeriesInputIsAOneLineErrorAndNonZeroExit) {
  TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return dir / name;
  };
  struct Case {
    std::string file, args, want;
  };
  const std::vector<Case> cases = {
      {write("one.txt", "\"pat\"\n1\n2\n3\n"), "--series-rate 25", "one participant column"},
      {write("word.txt", "\"pat\" \"th\"\n1 2\nx 3\n"), "--series-rate 25", "word.txt:3: column pat: 'x' is not a number"},
      {write("head.txt", "\"pat\" \"th\"\n"), "--series-rate 25", "head.txt: a header and no data rows"},
      {write("neg.txt", "1 2\n3 4\n"), "--series-rate -25", "--series-rate"},
      {write("nanrate.txt", "1 2\n3 4\n"), "--series-rate nan", "--series-rate"},
      {write("norate.txt", "1 2\n3 4\n"), "", "norate.txt: no timestamp column; give the rate of its rows (--series-rate HZ)"},
      {write("short.txt", [] {
         std::string t;
         for (int i = 0; i < 500; ++i) t += std::to_string(i % 7) + " " + std::to_string(i % 5) + "\n";
         return t;
       }()),
       "--series-rate 25 --rmea", "--rmea: s1 and s2: rMEA ccf: the lag, window and increment are too long to find a single full window in 500 samples"},
  };
  for (const auto& c : cases) {
    int code = 0;
    const std::string out = Capture(kBin + " analyze " + c.file + " " + c.args + " -q -o " + (dir / "out") + " 2>&1", &code);
    EXPECT_NE(code, 0) << c.file << ": " << out;
    EXPECT_NE(out.find(c.want), std::string::npos) << c.file << ": " << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_EQ(out.find("nan"), std::string::npos) << out;
  }
}

// The other bad inputs of the movement paths: --channels motion on tables without motion
// energy, an unknown --channels, a session in two groups, a sessions row naming a column
// the series file does not have. Each a one-line error naming the file or option.
TEST(MovementSeries, BadMovementOptionsAreOneLineErrors) {
  TempDir dir;
  auto face_table = [&](const std::string& name) {
    mimicry::testing::WriteAuTable(dir / name, 300, [](int k, int) { return k % 40 < 10 ? 2.0 : 0.1; });
    return dir / name;
  };
  const std::string a = face_table("a.csv"), b = face_table("b.csv");
  std::ofstream(dir / "mea.txt") << "\"pat\" \"th\"\n1 2\n3 4\n";
  std::ofstream(dir / "groups.csv") << "session,participant,file,group\ns1,pat,mea.txt,x\ns1,th,mea.txt,y\n";
  std::ofstream(dir / "cols.csv") << "session,participant,file\ns1,patient,mea.txt\ns1,th,mea.txt\n";
  struct Case {
    std::string args, want;
    int code;
  };
  const std::vector<Case> cases = {
      {a + " " + b + " --channels motion", "a.csv: participant a has no motion energy (--channels motion)", 3},
      {a + " " + b + " --channels bogus", "--channels: must be faces, motion or both, got bogus", 2},
      {"--sessions " + (dir / "groups.csv") + " --series-rate 25", "groups.csv: session s1 is in two groups ('x', 'y')", 3},
      {"--sessions " + (dir / "cols.csv") + " --series-rate 25", "mea.txt: no participant column 'patient' for patient (columns: pat, th)", 3},
  };
  for (const auto& c : cases) {
    int code = 0;
    const std::string out = Capture(kBin + " analyze " + c.args + " -q -o " + (dir / "out") + " 2>&1", &code);
    EXPECT_EQ(code, c.code) << c.args << ": " << out;
    EXPECT_NE(out.find(c.want), std::string::npos) << c.args << ": " << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  }
}

}  // namespace
}  // namespace mimicry::pipeline
