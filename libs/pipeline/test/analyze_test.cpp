// mimicry analyze end to end: known lags on real and synthetic data, gallery view, mixed
// frame rates, null calibration, event counts against truth, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "mimicry/face/detector.h"
#include "mimicry/schema/feature_table.h"
#include "mimicry/pipeline/analyze.h"
#include "mimicry/pipeline/synth.h"
#include "mimicry/synth/scenario.h"
#include "feature_dyad.h"
#include "test_util.h"

namespace mimicry::pipeline {
namespace {
namespace fs = std::filesystem;
using namespace mimicry::testing;  // NOLINT

nlohmann::json Summary(const std::string& dir) {
  std::ifstream in(dir + "/summary.json");
  return nlohmann::json::parse(in);
}

int Ffmpeg(const std::string& args) { return std::system(("ffmpeg -v error -y " + args).c_str()); }

// B = the shared clip delayed by 0.8 s (first frame held), mirrored, re-encoded at 25 fps.
struct RealPair {
  TempDir dir;
  std::string b;
  RealPair() : b(dir / "B.mp4") {
    EXPECT_EQ(Ffmpeg("-i " + kReal + " -vf hflip,tpad=start_duration=0.8:start_mode=clone,fps=25 -c:v libx264 -crf 18 " +
                     "-pix_fmt yuv420p " + b),
              0);
  }
};

void ExpectLeader(const nlohmann::json& pair, const std::string& leader, double lag, double tol, double max_p,
                  const char* what) {
  const auto& l = pair["leader"];
  std::printf("[ figures ] %s: leader %s, lag %.3f s (%s; coupling lag %.3f s), leader p %.4f, synchrony p %.4f\n", what,
              l["id"].get<std::string>().c_str(), l["lag_s"].get<double>(), l["lag_source"].get<std::string>().c_str(),
              l["coupling_lag_s"].get<double>(), l["p"].get<double>(), pair["synchrony"]["p"].get<double>());
  EXPECT_EQ(l["id"], leader) << what;
  EXPECT_NEAR(l["lag_s"].get<double>(), lag, tol) << what;
  EXPECT_LT(l["p"].get<double>(), max_p) << what;
}

TEST(Analyze, KnownLagOnRealFootageMirroredAndReencoded) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  RealPair rp;
  AnalyzeOptions o;
  o.inputs = {kReal, rp.b};
  o.names = {{"A", kReal}, {"B", rp.b}};
  o.out_dir = rp.dir / "out";
  auto r = RunAnalyze(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto j = Summary(o.out_dir);
  ExpectLeader(j["pairs"][0], "A", 0.8, 0.1, 0.01, "real clip vs itself +0.8 s, mirrored, 25 fps");
  EXPECT_LT(j["pairs"][0]["synchrony"]["p"].get<double>(), 0.01);
  // Every output is there, with its header.
  for (const char* f : {"windows.csv", "pairs.csv", "events.csv", "rapport.csv", "features/A.csv", "features/B.csv",
                        "extract/B.csv"})
    EXPECT_TRUE(fs::exists(o.out_dir + "/" + f)) << f;
  EXPECT_EQ(ReadCsv(o.out_dir + "/pairs.csv").rows.size(), 24u);  // 17 AUs, smile, valence, nod, shake, 3 affects
  EXPECT_EQ(j["parameters"]["seed"], 1);
  EXPECT_EQ(j["parameters"]["surrogates"], 1000);
  EXPECT_EQ(j["participants"][1]["format"], "mimicry");
  // The same seed gives the same p-values; the cached extraction is reused.
  auto again = RunAnalyze(o);
  ASSERT_TRUE(again.ok());
  auto j2 = Summary(o.out_dir);
  EXPECT_EQ(j2["pairs"], j["pairs"]);

  // Gallery view: the same pair side by side in one video -> P1 (left) leads P2.
  const std::string gallery = rp.dir / "gallery.mp4";
  ASSERT_EQ(Ffmpeg("-i " + kReal + " -i " + rp.b + " -filter_complex '[0:v]fps=25[a];[a][1:v]hstack=inputs=2' -c:v libx264 " +
                   "-crf 18 -pix_fmt yuv420p " + gallery),
            0);
  AnalyzeOptions g;
  g.inputs = {gallery};
  g.out_dir = rp.dir / "gallery";
  ASSERT_TRUE(RunAnalyze(g).ok());
  const auto jg = Summary(g.out_dir);
  ASSERT_EQ(jg["participants"].size(), 2u);
  ExpectLeader(jg["pairs"][0], "P1", 0.8, 0.1, 0.01, "gallery view, side by side");

  // Mixed frame rates: A at 15 fps against B at 29.97 fps, and against a variable-rate B.
  const std::string a15 = rp.dir / "A15.mp4", b2997 = rp.dir / "B2997.mp4", bvfr = rp.dir / "Bvfr.mkv";
  ASSERT_EQ(Ffmpeg("-i " + kReal + " -vf fps=15 -c:v libx264 -crf 18 -pix_fmt yuv420p " + a15), 0);
  ASSERT_EQ(Ffmpeg("-i " + rp.b + " -vf fps=30000/1001 -c:v libx264 -crf 18 -pix_fmt yuv420p " + b2997), 0);
  // Variable rate: drop every 3rd and every 7th frame, keep the true timestamps.
  ASSERT_EQ(Ffmpeg("-i " + rp.b + " -vf \"select='not(eq(mod(n,3),0)+eq(mod(n,7),0))'\" -fps_mode vfr -c:v libx264 -crf 18 " +
                   "-pix_fmt yuv420p " + bvfr),
            0);
  for (const std::string& b : {b2997, bvfr}) {
    AnalyzeOptions m;
    m.inputs = {a15, b};
    m.names = {{"A", a15}, {"B", b}};
    m.out_dir = rp.dir / ("mixed_" + fs::path(b).stem().string());
    auto rm = RunAnalyze(m);
    ASSERT_TRUE(rm.ok()) << rm.status().message();
    ExpectLeader(Summary(m.out_dir)["pairs"][0], "A", 0.8, 0.1, 0.01, ("15 fps vs " + fs::path(b).filename().string()).c_str());
  }
}

// The extraction cache is keyed on the input's identity and the options: the same file name
// from another folder, or another detector, is extracted again; the same run is reused.
TEST(Analyze, ExtractionCacheIsKeyedOnInputAndOptions) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  TempDir d;
  fs::create_directories(d / "x");
  fs::create_directories(d / "y");
  ASSERT_EQ(Ffmpeg("-i " + kReal + " -t 5 -c:v libx264 -pix_fmt yuv420p " + d / "x/P.mp4"), 0);
  ASSERT_EQ(Ffmpeg("-ss 12 -i " + kReal + " -t 5 -vf hflip -c:v libx264 -pix_fmt yuv420p " + d / "y/P.mp4"), 0);
  fs::copy_file(d / "y/P.mp4", d / "Q.mp4");
  auto run = [&](const std::string& p, face::DetectorKind det) {
    AnalyzeOptions o;
    o.inputs = {p, d / "Q.mp4"};
    o.out_dir = d / "o";
    o.surrogates = 0;
    o.write_report = false;
    o.extract.detector = det;
    auto r = RunAnalyze(o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return nlohmann::json::parse(Slurp(d / "o/extract/P.meta.json"));
  };
  const std::string first = (run(d / "x/P.mp4", face::DetectorKind::kBlazeFaceFront), Slurp(d / "o/extract/P.csv"));
  const auto m = run(d / "y/P.mp4", face::DetectorKind::kBlazeFaceFront);
  const std::string second = Slurp(d / "o/extract/P.csv");
  EXPECT_NE(first, second) << "the second folder's P.mp4 must not get the first one's rows";
  EXPECT_EQ(m["cache_key"]["input"]["path"], fs::weakly_canonical(d / "y/P.mp4").string());
  const auto when = fs::last_write_time(d / "o/extract/P.csv");
  run(d / "y/P.mp4", face::DetectorKind::kBlazeFaceFront);
  EXPECT_EQ(fs::last_write_time(d / "o/extract/P.csv"), when) << "an unchanged input and options reuse the extraction";
  const auto h = run(d / "y/P.mp4", face::DetectorKind::kHog);
  EXPECT_EQ(h["cache_key"]["detector"], "hog");
  EXPECT_EQ(h["options"]["detector"], "hog");
}

// One analyze of two videos into a fresh folder opens none of the files it writes for
// reading (strace: extraction tables, features, tables, summary.json: all handed over in
// memory), and a second run, which reads the cached extraction tables, gives the same
// numbers to the last digit.
TEST(Analyze, NoOwnFileIsReadBackAndTheCacheGivesTheSameNumbers) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  int rc = -1;
  Capture("command -v strace", &rc);
  if (rc != 0) GTEST_SKIP() << "strace absent (scripts/test.sh installs it)";
  TempDir d;
  ASSERT_EQ(Ffmpeg("-i " + kReal + " -t 6 -c:v libx264 -pix_fmt yuv420p " + d / "P.mp4"), 0);
  ASSERT_EQ(Ffmpeg("-ss 10 -i " + kReal + " -t 6 -vf hflip -c:v libx264 -pix_fmt yuv420p " + d / "Q.mp4"), 0);
  const std::string out = d / "o";
  const std::string cmd = kBin + " analyze " + d / "P.mp4" + " " + d / "Q.mp4" + " -o " + out + " -q --surrogates 99";
  const std::string log = Capture("strace -f -qq -e trace=openat -o " + d / "trace.txt " + cmd + " 2>&1", &rc);
  ASSERT_EQ(rc, 0) << log;
  std::ifstream trace(d / "trace.txt");
  std::string line;
  int writes = 0;
  std::vector<std::string> read_back;
  while (std::getline(trace, line)) {
    const size_t q = line.find('"');
    if (q == std::string::npos || line.find("= -1") != std::string::npos) continue;  // failed opens
    const std::string path = line.substr(q + 1, line.find('"', q + 1) - q - 1);
    if (path.rfind(out, 0) != 0) continue;
    if (line.find("O_WRONLY") != std::string::npos || line.find("O_RDWR") != std::string::npos) ++writes;
    else if (line.find("O_DIRECTORY") == std::string::npos) read_back.push_back(path);
  }
  EXPECT_GE(writes, 9) << "the trace sees the run's own writes (extraction, features, tables, summary, report)";
  EXPECT_TRUE(read_back.empty()) << "read back: " << read_back.front();
  const std::string summary1 = Slurp(out + "/summary.json"), events1 = Slurp(out + "/events.csv"),
                    pairs1 = Slurp(out + "/pairs.csv"), features1 = Slurp(out + "/features/P.csv");
  const auto when = fs::last_write_time(out + "/extract/P.csv");
  ASSERT_EQ(Capture(cmd + " 2>&1", &rc), "");
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(fs::last_write_time(out + "/extract/P.csv"), when) << "the second run reads the cache";
  EXPECT_EQ(Slurp(out + "/events.csv"), events1);
  EXPECT_EQ(Slurp(out + "/pairs.csv"), pairs1);
  EXPECT_EQ(Slurp(out + "/features/P.csv"), features1);
  auto a = nlohmann::json::parse(summary1), b = nlohmann::json::parse(Slurp(out + "/summary.json"));
  a.erase("wall_s"), b.erase("wall_s");
  EXPECT_EQ(a["pairs"], b["pairs"]) << "fresh and cached extraction: the same numbers";
  EXPECT_EQ(a["participants"], b["participants"]);
}


TEST(Analyze, SyntheticDyadsKnownLagAndAnswerCounts) {
  TempDir d;
  for (double lag : {0.3, 0.6, 1.2}) {
    const std::string dir = FeatureDyad(d, "dyad", lag, 3, 300);
    AnalyzeOptions o;
    o.inputs = {dir + "/A.csv", dir + "/B.csv"};
    o.out_dir = dir + "/out";
    ASSERT_TRUE(RunAnalyze(o).ok());
    const auto j = Summary(o.out_dir);
    ExpectLeader(j["pairs"][0], "A", lag, 0.1, 0.01, fmt::format("synthetic dyad, lag {} s", lag).c_str());
    std::ifstream tin(dir + "/truth.json");
    const auto truth = nlohmann::json::parse(tin);
    int strict = 0, broad = 0;
    for (const auto& a : truth["answers"]) (a["mode"] == "strict" ? strict : broad)++;
    const auto& m = j["pairs"][0]["mimicry"];
    const int got_s = m["strict"]["a_to_b"]["count"], got_b = m["broad"]["a_to_b"]["count"];
    std::printf("[ figures ] lag %.1f: strict %d (truth %d, chance %.1f, p %.4f), broad %d (truth %d, chance %.1f); "
                "B->A %d + %d\n",
                lag, got_s, strict, m["strict"]["a_to_b"]["expected"].get<double>(), m["strict"]["a_to_b"]["p"].get<double>(),
                got_b, broad, m["broad"]["a_to_b"]["expected"].get<double>(), m["strict"]["b_to_a"]["count"].get<int>(),
                m["broad"]["b_to_a"]["count"].get<int>());
    EXPECT_LE(std::abs(got_s - strict), std::max(1.0, 0.1 * strict)) << lag;
    EXPECT_LE(std::abs(got_b - broad), std::max(1.0, 0.1 * broad)) << lag;
    EXPECT_NEAR(m["strict"]["a_to_b"]["median_latency_s"].get<double>(), lag, 0.1);
  }
}

// The calibration suite's CI-size version (bench/calibration.sh runs the full sweep):
// analyze's tests, through the same path (AnalyzeSeriesPair), on independent synthetic
// participants with realistic measurement noise (SD 0.4, lag-1 autocorrelation 0.5, slow
// drift SD 0.3, onset transients up to 0.8) at 30 s. Size both ways: p < 0.05 in 2-8% and
// p < 0.01 in at most 2% -- an always-p=1 test fails the lower bound. Power: a planted
// 0.6-s lead (B answers 70% of A's expressions) is found at p < 0.05 in >= 80% of pairs.
TimeSeries NoisyParticipant(const std::string& preset, uint64_t seed, int who, double len) {
  auto ts = CalibrationParticipant(preset, seed, who, len);
  if (!ts.ok()) ADD_FAILURE() << ts.status().message();
  return std::move(ts).value();  // a failed Result asserts: the test stops here
}

TEST(Analyze, NullPairsHoldTheirSizeAndPlantedLeadsAreFound) {
  const double len = 30;
  const int pairs = 400;
  AnalyzeOptions o;
  o.surrogates = 199;
  o.chance_surrogates = 0;  // descriptive only
  int sync05 = 0, sync01 = 0, lead05 = 0, lead01 = 0, strict05 = 0, strict01 = 0;
  for (int k = 0; k < pairs; ++k) {
    o.seed = 1 + static_cast<uint64_t>(k);
    auto r = AnalyzeSeriesPair(NoisyParticipant("null", 1 + static_cast<uint64_t>(k), 0, len),
                               NoisyParticipant("null", 100001 + static_cast<uint64_t>(k), k % 2, len), o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_TRUE(r->coupling.tested && r->leader.tested && r->events.strict_ab.tested) << r->coupling.not_tested;
    sync05 += r->coupling.pooled.peak_p < 0.05, sync01 += r->coupling.pooled.peak_p < 0.01;
    lead05 += r->leader.p < 0.05, lead01 += r->leader.p < 0.01;
    strict05 += r->events.strict_ab.p < 0.05, strict01 += r->events.strict_ab.p < 0.01;
  }
  std::printf("[ figures ] %d null pairs at %.0f s: p < 0.05 (< 0.01) synchrony %.1f%% (%.1f%%), leader %.1f%% (%.1f%%), strict "
              "mimicry %.1f%% (%.1f%%)\n",
              pairs, len, 100.0 * sync05 / pairs, 100.0 * sync01 / pairs, 100.0 * lead05 / pairs, 100.0 * lead01 / pairs,
              100.0 * strict05 / pairs, 100.0 * strict01 / pairs);
  for (int v : {sync05, lead05, strict05}) {
    EXPECT_GE(v, pairs * 2 / 100);
    EXPECT_LE(v, pairs * 8 / 100);
  }
  for (int v : {sync01, lead01, strict01}) EXPECT_LE(v, pairs * 2 / 100);

  const int planted = 100;
  int found = 0, lag_ok = 0, strict_found = 0;
  for (int k = 0; k < planted; ++k) {
    const uint64_t seed = 5001 + static_cast<uint64_t>(k);
    o.seed = seed;
    auto r = AnalyzeSeriesPair(NoisyParticipant("dyad", seed, 0, len), NoisyParticipant("dyad", seed, 1, len), o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    const bool right = r->leader.tested && r->leader.leader == 0;
    found += right && r->leader.p < 0.05;
    lag_ok += right && std::abs(r->leader.lag_s - 0.6) <= 0.1;
    strict_found += r->events.strict_ab.tested && r->events.strict_ab.p < 0.05;
  }
  std::printf("[ figures ] %d planted 0.6-s leads at %.0f s: leader right at p < 0.05 in %d%%, lag within 0.1 s in %d%%, strict "
              "mimicry A->B at p < 0.05 in %d%%\n",
              planted, len, 100 * found / planted, 100 * lag_ok / planted, 100 * strict_found / planted);
  EXPECT_GE(found, planted * 80 / 100);
  // The event test's power at 30 s (bench/calibration.sh: 53% over 200 pairs): far above
  // its 5% size, so an event test that never rejects fails here.
  EXPECT_GE(strict_found, planted * 35 / 100);
}

// Several sessions together: pseudo-pairs across sessions (A of one with B of another)
// are a second null. Real pairs must beat every pseudo-pair on synchrony and on B's
// answers to A; A never answers B.
TEST(Analyze, PseudoPairsAcrossSessions) {
  TempDir d;
  std::string table = "session,participant,file\n";
  for (int k = 1; k <= 6; ++k) {
    const std::string dir = FeatureDyad(d, "dyad", 0.6, static_cast<uint64_t>(k), 120);
    table += fmt::format("s{},A,{}/A.csv\ns{},B,{}/B.csv\n", k, dir, k, dir);
  }
  std::ofstream(d / "sessions.csv") << table;
  auto sessions = ReadSessionsCsv(d / "sessions.csv");
  ASSERT_TRUE(sessions.ok()) << sessions.status().message();
  AnalyzeOptions o;
  o.sessions = *sessions;
  o.out_dir = d / "out";
  o.surrogates = 100;
  auto r = RunAnalyze(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::ifstream in(d / "out/sessions.json");
  const auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j["pairs"].size(), 6u);
  for (const auto& p : j["pairs"]) {
    EXPECT_EQ(p["synchrony"]["pseudo_pairs"], 10);
    EXPECT_NEAR(p["synchrony"]["p"].get<double>(), 1.0 / 11, 1e-9) << p["session"];
    EXPECT_NEAR(p["mimicry_a_to_b"]["p"].get<double>(), 1.0 / 11, 1e-9) << p["session"];
    EXPECT_GT(p["mimicry_b_to_a"]["p"].get<double>(), 0.2) << p["session"];
    EXPECT_TRUE(fs::exists(d / ("out/" + p["session"].get<std::string>() + "/summary.json")));
  }
  std::ofstream(d / "bad.csv") << "session,who,file\n";
  EXPECT_FALSE(ReadSessionsCsv(d / "bad.csv").ok());
}

// py-feat's Fex CSV: AU columns without "_r" (0-1), approx_time, pose in degrees.
TEST(Analyze, PyFeatCsvsAreReadAndScaled) {
  TempDir d;
  const std::string dir = FeatureDyad(d, "dyad", 0.6, 2, 120);
  const Csv b = ReadCsv(dir + "/B.csv");
  std::string out = "frame,FaceRectX,FaceRectY,FaceRectWidth,FaceRectHeight,FaceScore,Pitch,Roll,Yaw";
  const int aus[] = {1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45};
  for (int au : aus) out += fmt::format(",AU{:02d}", au);
  out += ",anger,disgust,fear,happiness,sadness,surprise,neutral,input,approx_time\n";
  for (size_t i = 0; i < b.rows.size(); ++i) {
    out += fmt::format("{},100,80,200,240,0.99,{:.4f},{:.4f},{:.4f}", i, b.Num(i, "pose_Rx") * 180 / CV_PI,
                       b.Num(i, "pose_Rz") * 180 / CV_PI, b.Num(i, "pose_Ry") * 180 / CV_PI);
    for (int au : aus) out += fmt::format(",{:.4f}", b.Num(i, fmt::format("AU{:02d}_r", au)) / 5.0);
    out += fmt::format(",0,0,0,0,0,0,1,B.mp4,{:.6f}\n", b.Num(i, "timestamp"));
  }
  std::ofstream(d / "B_pyfeat.csv") << out;
  auto t = schema::ReadFeatureCsv(d / "B_pyfeat.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->format, "py-feat");
  const TimeSeries& s = t->faces.at(0);
  ASSERT_EQ(s.size(), b.rows.size());
  for (size_t i = 0; i < s.size(); i += 97) {
    EXPECT_NEAR(s.value(i, 8), b.Num(i, "AU12_r"), 1e-3) << "x5 back to OpenFace's 0-5";
    EXPECT_NEAR(s.value(i, 17), b.Num(i, "pose_Rx"), 1e-3) << "degrees to radians";
    EXPECT_NEAR(s.value(i, 21), 200, 1e-9) << "face size from FaceRectWidth";
  }
  AnalyzeOptions o;
  o.inputs = {dir + "/A.csv", d / "B_pyfeat.csv"};
  o.names = {{"A", dir + "/A.csv"}, {"B", d / "B_pyfeat.csv"}};
  o.out_dir = d / "o";
  o.surrogates = 200;
  ASSERT_TRUE(RunAnalyze(o).ok());
  ExpectLeader(Summary(o.out_dir)["pairs"][0], "A", 0.6, 0.1, 0.01, "mimicry CSV vs py-feat CSV");
  // Mixed extractors are analysed, with a warning that their scales differ.
  const auto w = Summary(o.out_dir)["warnings"];
  ASSERT_EQ(w.size(), 1u) << w;
  EXPECT_EQ(w[0].get<std::string>().rfind("the inputs come from different extractors (mimicry: A.csv; py-feat: B_pyfeat.csv)", 0), 0u) << w;
  // A py-feat file without a time column is a clear error.
  std::ofstream(d / "notime.csv") << "frame,FaceRectX,AU01,AU02,AU04,AU06,AU07,AU09,AU10,AU12,AU14,AU15,AU17,AU20,AU23,AU25,AU26\n";
  auto bad = schema::ReadFeatureCsv(d / "notime.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), d / "notime.csv" + ": missing columns: approx_time (or timestamp)");
  // Intensities above 1 are not py-feat's (another tool's 0-5 values would be scaled by 5).
  std::ofstream(d / "hot.csv") << "frame,FaceRectX,FaceRectWidth,approx_time,AU01,AU02,AU04,AU06,AU07,AU09,AU10,AU12,AU14,AU15,AU17,AU20,AU23,AU25,AU26\n"
                                  "0,10,50,0.0,3,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n";
  bad = schema::ReadFeatureCsv(d / "hot.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), d / "hot.csv" + ": line 2: AU01 = 3: py-feat intensities are 0-1 (is this another tool's table?)");
  // AU01 columns without _r and without py-feat's face box: no known format.
  std::ofstream(d / "bare.csv") << "timestamp,AU01,AU02\n0,0,0\n";
  bad = schema::ReadFeatureCsv(d / "bare.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            d / "bare.csv" + ": AU01 without _r and no FaceRectX: neither OpenFace/mimicry (AU01_r) nor py-feat (FaceRectX) columns");
  // synth's curves.csv (several participants, AU01 columns, no face box) is not a recording.
  std::ofstream(d / "curves.csv") << "participant,timestamp,AU01,AU02,AU04,AU05,AU06,AU07,AU09,AU10,AU12,AU14,AU15,AU17,AU20,AU23,AU25,AU26,AU45\n"
                                     "A,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\nB,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n";
  bad = schema::ReadFeatureCsv(d / "curves.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(d / "curves.csv" + ": this is mimicry synth's curves.csv"), std::string::npos)
      << bad.status().message();
}

TEST(Analyze, BadInputsAreClearErrors) {
  TempDir d;
  const std::string good = FeatureDyad(d, "dyad", 0.6, 1, 60);
  int rc = 0;
  auto run = [&](const std::string& args) { return Capture(kBin + " analyze " + args + " -o " + d / "o -q 2>&1 >/dev/null", &rc); };
  // A CSV with missing columns.
  std::ofstream(d / "cols.csv") << "frame,face_id,timestamp,success,AU01_r\n1,0,0.0,1,0.5\n";
  std::string err = run(good + "/A.csv " + d / "cols.csv");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err.rfind("mimicry: error: " + d / "cols.csv" + ": missing columns: AU02_r", 0), 0u) << err;
  // Not a feature table at all.
  std::ofstream(d / "other.csv") << "a,b\n1,2\n";
  err = run(good + "/A.csv " + d / "other.csv");
  EXPECT_EQ(rc, 3);
  EXPECT_NE(err.find("not a feature table"), std::string::npos) << err;
  // All-NaN AUs (every cell empty) -> no usable frames.
  {
    std::ifstream in(good + "/B.csv");
    std::string line;
    std::getline(in, line);
    std::ofstream out(d / "nan.csv");
    out << line << "\n";
    while (std::getline(in, line)) {
      const auto c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1),
                 c4 = line.find(',', c3 + 1);
      out << line.substr(0, c4 + 1) << std::string(19, ',') << "\n";
    }
  }
  err = run(good + "/A.csv " + d / "nan.csv");
  EXPECT_EQ(rc, 3);
  EXPECT_NE(err.find("no usable frames"), std::string::npos) << err;
  // A participant without faces (success 0 everywhere).
  {
    std::ifstream in(good + "/B.csv");
    std::string line, all;
    std::getline(in, line);
    std::ofstream out(d / "noface.csv");
    out << line << "\n";
    while (std::getline(in, line)) {
      const auto c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
      out << line.substr(0, c3) << ",0" << line.substr(line.find(',', c3 + 1)) << "\n";
    }
  }
  err = run(good + "/A.csv " + d / "noface.csv");
  EXPECT_EQ(rc, 3);
  EXPECT_NE(err.find(d / "noface.csv" + ": no frames with a face"), std::string::npos) << err;
  // Recordings that do not overlap.
  err = run(good + "/A.csv " + good + "/B.csv --offset B=1000");
  EXPECT_EQ(rc, 3);
  EXPECT_NE(err.find("do not overlap in time"), std::string::npos) << err;
  // A single participant.
  err = run(good + "/A.csv");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find("two or more faces"), std::string::npos) << err;
  // Unknown ids and malformed options.
  run(good + "/A.csv " + good + "/B.csv --offset C=1");
  EXPECT_EQ(rc, 2);
  run(good + "/A.csv " + good + "/B.csv --name X");
  EXPECT_EQ(rc, 2);
  err = run(good + "/A.csv /nonexistent/b.csv");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: /nonexistent/b.csv: no such file\n");
  // Each error is one line.
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
  // --sessions: a missing table, a table without the needed columns, a session with one
  // participant, and neither inputs nor --sessions.
  auto sessions = [&](const std::string& args) {
    return Capture(kBin + " analyze " + args + " -o " + d / "so -q 2>&1 >/dev/null", &rc);
  };
  err = sessions("--sessions " + d / "none.csv");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + d / "none.csv" + ": no such file\n");
  std::ofstream(d / "cols_s.csv") << "session,who,file\ns1,A,a.csv\n";
  err = sessions("--sessions " + d / "cols_s.csv");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + d / "cols_s.csv" + ": needs the columns session, participant, file\n");
  std::ofstream(d / "one.csv") << "session,participant,file\ns1,A," << good << "/A.csv\n";
  err = sessions("--sessions " + d / "one.csv");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find("session s1: needs two or more participants"), std::string::npos) << err;
  err = sessions("");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find("give either input files or --sessions"), std::string::npos) << err;
}

TEST(Analyze, OpenFaceCsvsAreReadAsInputs) {
  const std::string of = kShared + "/media/openface/2015-10-15-15-14.csv";
  if (!fs::exists(of)) GTEST_SKIP() << "../shared absent";
  // The same OpenFace output as both participants, B's clock 0.5 s later: B follows A by 0.5 s.
  TempDir d;
  AnalyzeOptions o;
  o.inputs = {of, of};
  o.out_dir = d / "o";
  auto dup = RunAnalyze(o);
  ASSERT_FALSE(dup.ok()) << "two inputs with one id";
  EXPECT_NE(dup.status().message().find("use --name ID=FILE"), std::string::npos);
  fs::copy_file(of, d / "b.csv");
  o.inputs = {of, d / "b.csv"};
  o.names = {{"A", of}, {"B", d / "b.csv"}};
  o.offsets_s = {{"B", 0.5}};
  auto r = RunAnalyze(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto j = Summary(o.out_dir);
  EXPECT_EQ(j["participants"][0]["format"], "openface");
  EXPECT_TRUE(j["warnings"].empty()) << j["warnings"];
  ExpectLeader(j["pairs"][0], "A", 0.5, 0.05, 0.01, "OpenFace CSV vs itself +0.5 s");
}

}  // namespace
}  // namespace mimicry::pipeline

namespace mimicry::pipeline {
namespace {

// `mimicry report FOLDER` re-renders the page; a broken folder is a one-line error.
// Every numeric option is checked against its meaning before any work: one line naming the
// option and the bad value, exit 2 (these used to crash, abort or print NaN).
TEST(Analyze, BadOptionsAreOneLineErrors) {
  TempDir d;
  const std::string good = FeatureDyad(d, "dyad", 0.6, 1, 30);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--window 0", "--window: must be > 0, got 0"},
      {"--window -4", "--window: must be > 0, got -4"},
      {"--max-lag -1", "--max-lag: must be > 0, got -1"},
      {"--max-lag 100", "--max-lag: must be less than --window (4 s), got 100"},
      {"--step 0", "--step: must be > 0, got 0"},
      {"--rate 0.001", "--rate: must be 5..240 Hz, got 0.001"},
      {"--answer-min 3 --answer-max 1", "--answer-max: must be greater than --answer-min (3 s), got 1"},
      {"--surrogates 10", "--surrogates: must be 0 (no tests) or >= 99 (p down to 0.01), got 10"},
  };
  for (const auto& [opt, msg] : cases) {
    int rc = -1;
    const std::string out =
        Capture(kBin + " analyze " + good + "/A.csv " + good + "/B.csv --no-report -q " + opt + " -o " + d / "bad 2>&1", &rc);
    EXPECT_EQ(rc, 2) << opt << ": " << out;
    EXPECT_EQ(out, "mimicry: error: " + msg + "\n") << opt;
  }
  EXPECT_FALSE(fs::exists(d / "bad/summary.json"));
}

// A reused output folder keeps nothing of the earlier run: a third participant's features
// disappear with the participant, and a run that fails leaves no summary of the last one.
// No output is left half-written (*.part).
TEST(Analyze, ReusedFolderHoldsNoStaleResults) {
  TempDir d;
  const std::string one = FeatureDyad(d, "dyad", 0.6, 1, 40), two = FeatureDyad(d, "dyad", 0.6, 2, 40);
  int rc = -1;
  std::string out = Capture(kBin + " analyze " + one + "/A.csv " + one + "/B.csv " + two + "/A.csv --name C=" + two +
                                "/A.csv --surrogates 99 --no-report -q -o " + d / "o 2>&1",
                            &rc);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(fs::exists(d / "o/features/C.csv"));
  out = Capture(kBin + " analyze " + one + "/A.csv " + one + "/B.csv --surrogates 99 --no-report -q -o " + d / "o 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_FALSE(fs::exists(d / "o/features/C.csv")) << "a participant of the earlier run";
  EXPECT_EQ(Summary(d / "o")["participants"].size(), 2u);
  for (const auto& e : fs::recursive_directory_iterator(d / "o")) EXPECT_NE(e.path().extension(), ".part") << e.path();
  std::ofstream(d / "junk.csv") << "nothing,here\n1,2\n";
  out = Capture(kBin + " analyze " + one + "/A.csv " + d / "junk.csv" + " --surrogates 99 --no-report -q -o " + d / "o 2>&1", &rc);
  EXPECT_EQ(rc, 3) << out;
  EXPECT_FALSE(fs::exists(d / "o/summary.json")) << "the failed run must not leave the earlier run's summary";
  EXPECT_FALSE(fs::exists(d / "o/pairs.csv"));
}

// One video of three people: the default detector splits the third, small face into short
// IDs that fall below the participant threshold; analyze says so (terminal and summary.json)
// and what to do, and with the back model all three are analysed without a warning.
TEST(Analyze, SplitFaceIdsAreReportedNotSilentlyDropped) {
  if (!fs::exists(kMulti)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  TempDir d;
  AnalyzeOptions o;
  o.inputs = {kMulti};
  o.out_dir = d / "front";
  o.surrogates = 0;
  o.write_report = false;
  auto r = RunAnalyze(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto j = Summary(o.out_dir);
  ASSERT_GE(j["warnings"].size(), 1u);
  EXPECT_NE(j["warnings"][0].get<std::string>().find("left out face"), std::string::npos) << j["warnings"];
  EXPECT_NE(r->text.find("  warning   " + kMulti + ": left out face"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("--detector blazeface-back"), std::string::npos);
  o.out_dir = d / "back";
  o.extract.detector = face::DetectorKind::kBlazeFaceBack;
  r = RunAnalyze(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto k = Summary(o.out_dir);
  EXPECT_EQ(k["participants"].size(), 3u);
  EXPECT_TRUE(k["warnings"].empty()) << k["warnings"];
}

TEST(Analyze, ReportSubcommandRerendersAndRejectsBrokenFolders) {
  TempDir d;
  const std::string good = FeatureDyad(d, "dyad", 0.6, 1, 60);
  int rc = -1;
  std::string out = Capture(kBin + " analyze " + good + "/A.csv " + good + "/B.csv --surrogates 100 -o " + d / "o 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("  report    " + d / "o/report.html"), std::string::npos) << out;
  const std::string first = Slurp(d / "o/report.html");
  std::filesystem::remove(d / "o/report.html");
  out = Capture(kBin + " report " + d / "o -o " + d / "again.html 2>&1", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(Slurp(d / "again.html"), first);  // the page depends on the folder only
  // --no-report writes none.
  out = Capture(kBin + " analyze " + good + "/A.csv " + good + "/B.csv --surrogates 99 --no-report -q -o " + d / "n 2>&1", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_FALSE(std::filesystem::exists(d / "n/report.html"));
  // Not an analysis folder.
  out = Capture(kBin + " report " + d / "nowhere 2>&1 >/dev/null", &rc);
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(out, "mimicry: error: " + d / "nowhere/summary.json" + ": no such file (run mimicry analyze or mimicry audience first)\n");
  // A summary.json with a field of the wrong type.
  std::string s = Slurp(d / "o/summary.json");
  const size_t at = s.find("\"valid_fraction\": ");
  ASSERT_NE(at, std::string::npos);
  s.insert(at + 18, "\"most\", \"x\": ");
  std::ofstream(d / "o/summary.json") << s;
  out = Capture(kBin + " report " + d / "o 2>&1 >/dev/null", &rc);
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(out, "mimicry: error: " + d / "o/summary.json" + ": participants[0].valid_fraction: must be a number, is string\n");
}

}  // namespace
}  // namespace mimicry::pipeline

namespace mimicry::pipeline {
namespace {

// Micro-mimicry: B answers A's micro-expressions (0.3 s smiles and brow flashes) 0.6 s later
// with micro-expressions; summary.json pairs[].micro_mimicry counts them against chance.
TEST(Analyze, MicroMimicryIsCountedAgainstChance) {
  TempDir d;
  std::string events;
  int planted = 0;
  for (double t = 4; t < 170; t += 5.5, ++planted) {
    const std::string aus = planted % 2 ? "[12]" : "[1, 2]";
    for (const auto& [who, on] : {std::pair<std::string, double>{"A", t}, {"B", t + 0.6}})
      events += (events.empty() ? "" : ",") + std::string("{\"participant\": \"") + who + "\", \"aus\": " + aus +
                ", \"onset_s\": " + std::to_string(on) + ", \"apex_s\": " + std::to_string(on + 0.12) + ", \"offset_s\": " +
                std::to_string(on + 0.3) + ", \"intensity\": 3.5}";
  }
  std::ofstream(d / "s.json") << R"({"duration_s": 180, "participants": [{"id": "A", "face": "a.png"}, {"id": "B", "face": "b.png"}], "events": [)" +
                                    events + "]}";
  int rc = -1;
  std::string out = Capture(kBin + " synth --scenario " + d / "s.json" + " --features-only 0.1 -q -o " + d / "f 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  out = Capture(kBin + " analyze " + d / "f/A.csv " + d / "f/B.csv --surrogates 200 --no-report -q -o " + d / "o 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  const auto j = nlohmann::json::parse(Slurp(d / "o/summary.json"));
  const auto& mm = j["pairs"][0]["micro_mimicry"]["strict"];
  std::printf("[ figures ] micro-mimicry: %d planted; A micro events %d, answered by B %d (chance %.1f, p %.3f, latency %.2f s); B->A %d\n",
              planted, mm["a_to_b"]["events"].get<int>(), mm["a_to_b"]["count"].get<int>(), mm["a_to_b"]["expected"].get<double>(),
              mm["a_to_b"]["p"].get<double>(), mm["a_to_b"]["median_latency_s"].get<double>(), mm["b_to_a"]["count"].get<int>());
  EXPECT_GE(mm["a_to_b"]["events"].get<int>(), planted * 8 / 10);
  EXPECT_GE(mm["a_to_b"]["count"].get<int>(), planted * 7 / 10);
  EXPECT_LT(mm["a_to_b"]["p"].get<double>(), 0.01);
  EXPECT_NEAR(mm["a_to_b"]["median_latency_s"].get<double>(), 0.6, 0.1);
  EXPECT_LE(mm["b_to_a"]["count"].get<int>(), 3);
  EXPECT_GE(j["participants"][0]["micro_events"].get<int>(), planted * 8 / 10);
}

// analyze counts micro-mimicry over the micro-expressions `mimicry micro` spots in the same
// recording (its frames, AUs, appearance change and head pose), not over a coarser spotting
// of its own.
TEST(Analyze, SpotsMicroExpressionsAsMimicryMicroDoes) {
  if (!fs::exists(kReal) || !fs::exists(kMulti)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  TempDir d;
  int rc = -1;
  std::string out = Capture(kBin + " micro " + kReal + " -q -o " + d / "m.csv 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  int micro_rows = 0;
  std::ifstream in(d / "m.csv");
  for (std::string line; std::getline(in, line);) micro_rows += line.find(",0,micro,") != std::string::npos;  // face 0, the main face
  ASSERT_GE(micro_rows, 1) << "the real clip has a micro-expression to compare";
  out = Capture(kBin + " analyze " + kReal + " " + kMulti + " --surrogates 0 --no-report -q -o " + d / "o 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  const auto j = nlohmann::json::parse(Slurp(d / "o/summary.json"));
  EXPECT_EQ(j["participants"][0]["micro_events"].get<int>(), micro_rows);
}

}  // namespace
}  // namespace mimicry::pipeline
