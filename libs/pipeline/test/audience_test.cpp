// mimicry audience: viewers aligned to a stimulus, mirroring of the on-screen face against
// chance, per-second curves, A/B, outcomes; bad manifests; real footage as viewers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>

#include "mimicry/core/csv.h"
#include "mimicry/pipeline/audience.h"
#include "test_util.h"

namespace mimicry::pipeline {
namespace {
namespace fs = std::filesystem;
using namespace mimicry::testing;  // NOLINT
using nlohmann::json;

std::string Arg(const std::string& flag, double v) {
  std::ostringstream s;
  s << flag << v;
  return s.str();
}

// A synthetic audience as feature CSVs (the rendered AU curves + noise SD 0.3; no video).
std::string CurvesAudience(const TempDir& d, const std::string& name, uint64_t seed, double pa, double pb, double duration = 60) {
  const std::string dir = d / name;
  int rc = -1;
  const std::string out = Capture(kBin + Arg(" synth --preset audience --viewers 20 --duration ", duration) + " --seed " +
                                      std::to_string(seed) + Arg(" --mirror-probability ", pa) + Arg(" --mirror-probability-b ", pb) +
                                      " --features-only 0.3 -q -o " + dir + " 2>&1",
                                  &rc);
  EXPECT_EQ(rc, 0) << out;
  return dir;
}

json RunOn(const std::string& dir, const std::string& extra = "") {
  int rc = -1;
  const std::string out = Capture(kBin + " audience --stimulus " + dir + "/stimulus.csv --manifest " + dir + "/manifest.csv -o " + dir +
                                      "/out -q --no-report " + extra + " 2>&1",
                                  &rc);
  EXPECT_EQ(rc, 0) << out;
  return json::parse(Slurp(dir + "/out/audience.json"), nullptr, false);
}

TEST(Audience, PlantedMirroringAndABAreRecoveredFromCurves) {
  TempDir d;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const std::string dir = CurvesAudience(d, "s" + std::to_string(seed), seed, 0.7, 0.3);
    const json truth = json::parse(Slurp(dir + "/truth.json"));
    const json j = RunOn(dir, "--surrogates 200 --permutations 2000");
    ASSERT_FALSE(j.is_discarded());
    const auto& m = j["mirroring"];
    EXPECT_NEAR(m["fraction_answered"].get<double>(), truth["mirroring"]["fraction_answered"].get<double>(), 0.05) << seed;
    EXPECT_NEAR(m["median_latency_s"].get<double>(), 0.6, 0.15) << seed;
    EXPECT_LT(m["expected_by_chance"].get<double>(), m["fraction_answered"].get<double>());
    EXPECT_LT(m["p"].get<double>(), 0.01);
    for (const char* g : {"A", "B"})
      EXPECT_NEAR(m["by_group"][g]["fraction_answered"].get<double>(), truth["groups"][g]["fraction_answered"].get<double>(), 0.05)
          << seed << " group " << g;
    // The planted A/B difference (0.7 vs 0.3) is found.
    EXPECT_LT(j["ab"]["metrics"]["fraction_answered"]["p"].get<double>(), 0.05) << seed;
    EXPECT_GT(j["ab"]["metrics"]["fraction_answered"]["hedges_g"].get<double>(), 0.8) << seed;
    EXPECT_EQ(j["viewers"]["analysed"], 20);
  }
}

TEST(Audience, NullSplitsAreNotFound) {
  TempDir d;
  int found = 0;
  const int seeds = 20;
  for (int seed = 1; seed <= seeds; ++seed) {
    const std::string dir = CurvesAudience(d, "n" + std::to_string(seed), static_cast<uint64_t>(seed), 0.5, 0.5, 40);
    const json j = RunOn(dir, "--surrogates 100 --permutations 1000");
    found += j["ab"]["metrics"]["fraction_answered"]["p"].get<double>() < 0.05;
    fs::remove_all(dir);
  }
  std::printf("[ figures ] null A/B splits with p < 0.05: %d of %d\n", found, seeds);
  EXPECT_LE(found, 3);  // 5% expected; P(>= 4 of 20) = 0.016
}

TEST(Audience, OutcomesAreRelatedOutOfFold) {
  TempDir d;
  const std::string dir = CurvesAudience(d, "o", 7, 0.7, 0.3);
  // Outcome columns: liking follows the viewer's mirroring (+ noise); purchase is binary.
  const Csv m = ReadCsv(dir + "/manifest.csv");
  const json truth = json::parse(Slurp(dir + "/truth.json"));
  std::map<std::string, double> p;
  for (const auto& x : truth["participants"])
    if (x.contains("mirror_probability")) p[x["id"]] = x["mirror_probability"];
  std::ofstream out(dir + "/manifest2.csv");
  out << "viewer_id,file,offset_s,group,liking,purchase\n";
  for (size_t r = 0; r < m.rows.size(); ++r) {
    const std::string id = m.Cell(r, "viewer_id");
    out << id << "," << m.Cell(r, "file") << "," << m.Cell(r, "offset_s") << "," << m.Cell(r, "group") << "," << 10 * p[id] + (r % 3) * 0.5
        << "," << (p[id] > 0.5 ? 1 : 0) << "\n";
  }
  out.close();
  int rc = -1;
  const std::string o = Capture(kBin + " audience --stimulus " + dir + "/stimulus.csv --manifest " + dir + "/manifest2.csv -o " + dir +
                                    "/out2 -q --no-report --surrogates 100 2>&1",
                                &rc);
  ASSERT_EQ(rc, 0) << o;
  const json j = json::parse(Slurp(dir + "/out2/audience.json"));
  const auto& liking = j["outcomes"]["liking"];
  EXPECT_EQ(liking["viewers"], 20);
  EXPECT_GT(liking["spearman"]["fraction_answered"]["rho"].get<double>(), 0.6);
  EXPECT_LT(liking["spearman"]["fraction_answered"]["p"].get<double>(), 0.01);
  EXPECT_TRUE(liking["model"]["out_of_fold_r2"].is_number());
  EXPECT_GT(j["outcomes"]["purchase"]["model"]["out_of_fold_auc"].get<double>(), 0.7);
  std::printf("[ figures ] outcome liking: rho %.2f, out-of-fold R2 %.2f; purchase: out-of-fold AUC %.2f\n",
              liking["spearman"]["fraction_answered"]["rho"].get<double>(), liking["model"]["out_of_fold_r2"].get<double>(),
              j["outcomes"]["purchase"]["model"]["out_of_fold_auc"].get<double>());
  const Csv pv = ReadCsv(dir + "/out2/per_viewer.csv");
  EXPECT_EQ(pv.rows.size(), 20u);
  EXPECT_GE(pv.Col("liking"), 0);
  EXPECT_GE(pv.Col("isc_r"), 0);
}

// Each kind of bad manifest: a one-line error naming the manifest and the row.
TEST(Audience, BadManifestsNameTheRow) {
  TempDir d;
  const std::string dir = CurvesAudience(d, "b", 3, 0.7, 0.3, 20);
  int rc = -1;
  auto run = [&](const std::string& manifest_text) {
    std::ofstream(dir + "/bad.csv") << manifest_text;
    return Capture(kBin + " audience --stimulus " + dir + "/stimulus.csv --manifest " + dir + "/bad.csv -o " + dir + "/o -q 2>&1 >/dev/null", &rc);
  };
  const std::string bad = dir + "/bad.csv";
  std::string err = run("viewer_id,offset_s\nV01,0.5\n");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + bad + ": line 1: missing column file (needs viewer_id, file, offset_s[, group])\n");
  err = run("viewer_id,file,offset_s\nV01,viewers/V01.csv,0.5\nV02,viewers/nope.csv,1\n");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + bad + ": line 3 (viewer V02): " + dir + "/viewers/nope.csv: no such file\n");
  err = run("viewer_id,file,offset_s\nV01,viewers/V01.csv,soon\n");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + bad + ": line 2 (viewer V01): offset_s 'soon' is not a number\n");
  err = run("viewer_id,file,offset_s\nV01,viewers/V01.csv,0.5\nV02,viewers/V02.csv,95\n");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err.rfind("mimicry: error: " + bad + ": line 3 (viewer V02): offset_s 95 is beyond the recording (", 0), 0u) << err;
  err = run("viewer_id,file,offset_s\nV01,viewers/V01.csv,0.5\nV01,viewers/V02.csv,1\n");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + bad + ": line 3: viewer_id V01 appears twice\n");
  err = run("viewer_id,file,offset_s,liking\nV01,viewers/V01.csv,0.5,lots\n");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + bad + ": line 2 (viewer V01): outcome liking 'lots' is not a number\n");
  err = run("viewer_id,file,offset_s\nV01,viewers/V01.csv,-1\n");
  EXPECT_EQ(rc, 3);
  EXPECT_NE(err.find("line 2 (viewer V01): offset_s must be >= 0"), std::string::npos) << err;
  err = run("");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + bad + ": empty file\n");
  err = Capture(kBin + " audience --stimulus " + dir + "/stimulus.csv --manifest " + dir + "/none.csv -o " + dir + "/o -q 2>&1 >/dev/null", &rc);
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + dir + "/none.csv: no such file\n");
  // A stimulus that does not exist, or is not a feature table.
  err = Capture(kBin + " audience --stimulus " + dir + "/nope.mp4 --manifest " + dir + "/manifest.csv -o " + dir + "/o -q 2>&1 >/dev/null", &rc);
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + dir + "/nope.mp4: no such file\n");
  std::ofstream(dir + "/junk.csv") << "a,b\n1,2\n";
  err = Capture(kBin + " audience --stimulus " + dir + "/junk.csv --manifest " + dir + "/manifest.csv -o " + dir + "/o -q 2>&1 >/dev/null", &rc);
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err.rfind("mimicry: error: " + dir + "/junk.csv: ", 0), 0u) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

// RFC 4180 quoting in and out: a viewer id and a file name with commas and quotes are read
// whole from the manifest and written back quoted; an unclosed quote is a one-line error.
TEST(Audience, QuotedManifestFieldsSurviveTheRoundTrip) {
  TempDir d;
  const std::string dir = CurvesAudience(d, "q", 4, 0.7, 0.3, 20);
  fs::copy_file(dir + "/viewers/V01.csv", dir + "/viewers/Smith, J.csv");
  std::string manifest = Slurp(dir + "/manifest.csv");
  const size_t at = manifest.find("\nV01,");
  ASSERT_NE(at, std::string::npos) << manifest;
  const size_t end = manifest.find('\n', at + 1);
  const std::string row = manifest.substr(at + 1, end - at - 1);  // V01,viewers/V01.csv,offset[,group...]
  std::string rest = row.substr(row.find(',', row.find(',') + 1));
  manifest.replace(at + 1, end - at - 1, "\"V01, \"\"the first\"\"\",\"viewers/Smith, J.csv\"" + rest);
  std::ofstream(dir + "/manifest.csv") << manifest;
  const json j = RunOn(dir);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["viewers"]["analysed"], 20);
  std::ifstream in(dir + "/out/per_viewer.csv");
  CsvReader csv(in, "per_viewer.csv");
  std::vector<std::string> h, f;
  ASSERT_TRUE(csv.Read(h));
  bool found = false;
  while (csv.Read(f)) {
    ASSERT_EQ(f.size(), h.size()) << "every row as wide as the header";
    if (f[0] == "V01, \"the first\"") {
      found = true;
      EXPECT_EQ(f[static_cast<size_t>(FindColumn(h, "file"))], dir + "/viewers/Smith, J.csv");
    }
  }
  EXPECT_TRUE(found) << "the quoted viewer id comes back whole";
  int rc = -1;
  std::ofstream(dir + "/open.csv") << "viewer_id,file,offset_s\nV01,\"viewers/V01.csv,0.5\n";
  const std::string err = Capture(kBin + " audience --stimulus " + dir + "/stimulus.csv --manifest " + dir + "/open.csv -o " + dir +
                                      "/o2 -q 2>&1 >/dev/null",
                                  &rc);
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + dir + "/open.csv: line 2: a quoted field is not closed\n");
}

// Rendered video end to end (synth --preset audience, mixed strict/broad answers): planted mirroring,
// latency, the A/B difference and the per-second smile curve are recovered; a broken
// viewer file is reported and skipped. Extraction of all viewers is parallel and cached.
// A one-sided smile is contempt (FACS: unilateral AU12/AU14). mimicry's tables carry both
// sides (AU12_r_L, AU12_r_R); before they were read, both sides took AU12_r and contempt was
// always 0 in audience (and in analyze's valence).
TEST(Audience, OneSidedSmileOfMimicryTablesIsContempt) {
  TempDir d;
  auto table = [&](const std::string& name, double l, double r) {
    WriteAuTable(d / name, 300, [&](int, int code) { return code == 12 ? (l + r) / 2 : 0.0; },
                 [&](int) { return std::make_pair(l, r); });
  };
  table("stimulus.csv", 0, 0);
  std::ofstream m(d / "manifest.csv");
  m << "viewer_id,file,offset_s\n";
  for (int v = 0; v < 3; ++v) {
    table("one_sided" + std::to_string(v) + ".csv", 3.0, 0.0);
    m << "V" << v << ",one_sided" << v << ".csv,0\n";
  }
  m.close();
  int rc = -1;
  const std::string out = Capture(kBin + " audience --stimulus " + (d / "stimulus.csv") + " --manifest " + (d / "manifest.csv") +
                                      " -o " + (d / "out") + " -q --no-report --surrogates 0 2>&1",
                                  &rc);
  ASSERT_EQ(rc, 0) << out;
  const Csv ps = ReadCsv(d / "out/per_second.csv");
  ASSERT_GE(ps.rows.size(), 5u);
  EXPECT_GT(ps.Num(3, "mean_contempt"), 0.3) << "a one-sided smile reads as contempt";
  EXPECT_LT(ps.Num(3, "mean_happiness"), ps.Num(3, "mean_contempt"));
}

TEST(Audience, RenderedAudienceEndToEnd) {
  if (!fs::exists(std::string(MIMICRY_ASSETS_DIR) + "/faceapi/sample1.jpg")) GTEST_SKIP() << "build/assets absent (scripts/setup.sh)";
  TempDir d;
  const std::string dir = d / "aud";
  int rc = -1;
  std::string out = Capture(kBin + " synth --preset audience --viewers 20 --duration 30 --seed 1 -q -o " + dir + " 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  {
    std::ofstream(dir + "/viewers/broken.mp4") << "not a video";
    std::ofstream m(dir + "/manifest.csv", std::ios::app);
    m << "V99,viewers/broken.mp4,1.0,B\n";
  }
  out = Capture(kBin + " audience --stimulus " + dir + "/stimulus.mp4 --manifest " + dir + "/manifest.csv -o " + dir + "/out 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("skipped   V99: "), std::string::npos) << out;
  const json truth = json::parse(Slurp(dir + "/truth.json"));
  const json j = json::parse(Slurp(dir + "/out/audience.json"));
  EXPECT_EQ(j["viewers"]["analysed"], 20);
  ASSERT_EQ(j["viewers"]["skipped"].size(), 1u);
  EXPECT_EQ(j["viewers"]["skipped"][0]["viewer_id"], "V99");
  EXPECT_EQ(j["stimulus_faces"].size(), 1u);
  const auto& m = j["mirroring"];
  const double f = m["fraction_answered"].get<double>(), ft = truth["mirroring"]["fraction_answered"].get<double>();
  std::printf("[ figures ] rendered audience (mixed answers): fraction answered %.3f (truth %.3f), chance %.3f, chance-corrected %.3f, "
              "latency %.3f s (truth 0.6); A %.3f (truth %.3f), B %.3f (truth %.3f); A/B p %.4f; %s\n",
              f, ft, m["expected_by_chance"].get<double>(), m["mirroring_fraction"].get<double>(), m["median_latency_s"].get<double>(),
              m["by_group"]["A"]["fraction_answered"].get<double>(), truth["groups"]["A"]["fraction_answered"].get<double>(),
              m["by_group"]["B"]["fraction_answered"].get<double>(), truth["groups"]["B"]["fraction_answered"].get<double>(),
              j["ab"]["metrics"]["fraction_answered"]["p"].get<double>(), out.substr(0, out.find('\n')).c_str());
  EXPECT_NEAR(f, ft, 0.1);
  EXPECT_NEAR(m["median_latency_s"].get<double>(), 0.6, 0.15);
  EXPECT_LT(m["p"].get<double>(), 0.01);
  EXPECT_LT(j["ab"]["metrics"]["fraction_answered"]["p"].get<double>(), 0.05);
  // Per-second share of viewers smiling vs the truth from the rendered curves (each
  // viewer's median AU12 over the second >= 1, on the stimulus clock).
  std::map<std::string, double> offset;
  for (const auto& p : truth["participants"]) offset[p["id"]] = p.value("offset_s", 0.0);
  std::map<std::pair<std::string, int>, std::vector<double>> sec;
  const Csv c = ReadCsv(dir + "/curves.csv");
  for (size_t r = 0; r < c.rows.size(); ++r) {
    const std::string p = c.Cell(r, "participant");
    if (p == "S") continue;
    const double t = c.Num(r, "timestamp") - offset[p];
    if (t >= 0) sec[{p, static_cast<int>(t)}].push_back(c.Num(r, "AU12"));
  }
  const Csv ps = ReadCsv(dir + "/out/per_second.csv");
  double sum = 0, worst = 0;
  for (size_t s = 0; s < ps.rows.size(); ++s) {
    int show = 0, n = 0;
    for (auto& [key, v] : sec) {
      if (key.second != static_cast<int>(s)) continue;
      std::sort(v.begin(), v.end());
      const double med = v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
      show += med >= 1.0;
      ++n;
    }
    const double diff = std::abs(ps.Num(s, "pct_smile") - 100.0 * show / n);
    sum += diff;
    worst = std::max(worst, diff);
  }
  std::printf("[ figures ] per-second %% smiling vs truth: mean |difference| %.1f points, largest %.1f (1 viewer = 5 points)\n",
              sum / static_cast<double>(ps.rows.size()), worst);
  EXPECT_LE(sum / static_cast<double>(ps.rows.size()), 5.0);
  EXPECT_LE(worst, 20.0);  // at most 4 of 20 viewers in any one second
  // Re-running reuses every extraction (resumable).
  const auto t0 = fs::last_write_time(dir + "/out/extract/V01.csv");
  out = Capture(kBin + " audience --stimulus " + dir + "/stimulus.mp4 --manifest " + dir + "/manifest.csv -o " + dir + "/out -q 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(fs::last_write_time(dir + "/out/extract/V01.csv"), t0);
  EXPECT_TRUE(fs::exists(dir + "/out/report.html"));
}

// The shared real webcam clips as viewers (and as the stimulus) run end to end.
TEST(Audience, RealFootageViewersRunEndToEnd) {
  if (!fs::exists(kReal) || !fs::exists(kMulti)) GTEST_SKIP() << "../shared/media/real absent";
  TempDir d;
  std::ofstream(d / "m.csv") << "viewer_id,file,offset_s,group\nme," << kReal << ",0.5,A\ngroup," << kMulti << ",0,B\n";
  int rc = -1;
  const std::string out =
      Capture(kBin + " audience --stimulus " + kReal + " --manifest " + d / "m.csv" + " -o " + d / "out --surrogates 100 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  const json j = json::parse(Slurp(d / "out/audience.json"));
  EXPECT_EQ(j["viewers"]["analysed"], 2);
  EXPECT_EQ(j["stimulus_faces"].size(), 1u);
  const Csv pv = ReadCsv(d / "out/per_viewer.csv");
  ASSERT_EQ(pv.rows.size(), 2u);
  EXPECT_GT(pv.Num(0, "valid_pct"), 90);
  EXPECT_GT(pv.Num(0, "attention_pct"), 80);
  const Csv ps = ReadCsv(d / "out/per_second.csv");
  EXPECT_GT(ps.rows.size(), 10u);
  std::printf("[ figures ] real clips as viewers: %s\n", out.substr(0, out.find('\n')).c_str());
}

}  // namespace
}  // namespace mimicry::pipeline
