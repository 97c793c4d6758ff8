// report.html end to end, in a real browser: Debian's headless Chromium driven by
// playwright-core (scripts/test.sh installs both; libs/report/test/browser_check.cjs drives
// them). Asserts no console errors, no network requests, every chart element present and
// drawn with data, and saves a screenshot to build/test-artifacts/.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace mimicry::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const std::string kChromium = "/usr/bin/chromium";
const std::string kPlaywright = std::string(MIMICRY_BIN_DIR) + "/../node/node_modules/playwright-core";
const std::string kArtifacts = std::string(MIMICRY_BIN_DIR) + "/../test-artifacts";
const std::string kCheck = std::string(MIMICRY_SOURCE_DIR) + "/libs/report/test/browser_check.cjs";

bool BrowserAvailable(std::string* why) {
  if (!fs::exists(kChromium)) *why = kChromium + " is missing (scripts/test.sh installs Debian's chromium)";
  else if (!fs::exists(kPlaywright)) *why = kPlaywright + " is missing (scripts/test.sh installs playwright-core from npm)";
  else if (std::system("command -v node >/dev/null 2>&1") != 0) *why = "node is missing";
  return why->empty();
}

// Opens the page in Chromium; returns the check's JSON.
json OpenInBrowser(const std::string& html, const std::string& png) {
  int code = -1;
  const std::string out = Capture("node " + kCheck + " " + kPlaywright + " " + kChromium + " " + html + " " + png + " 2>&1", &code);
  EXPECT_EQ(code, 0) << out;
  const size_t brace = out.rfind("\n{") == std::string::npos ? out.find('{') : out.rfind("\n{") + 1;
  return json::parse(out.substr(brace == std::string::npos ? 0 : brace), nullptr, false);
}

// Every expected chart is on the page, drawn, and has data; nothing went wrong.
void ExpectCleanPage(const json& r, const std::vector<std::string>& expected_charts) {
  ASSERT_FALSE(r.is_discarded());
  ASSERT_FALSE(r.contains("fatal")) << r["fatal"];
  EXPECT_TRUE(r["console_errors"].empty()) << r["console_errors"].dump();
  EXPECT_TRUE(r["page_errors"].empty()) << r["page_errors"].dump();
  EXPECT_TRUE(r["report_errors"].empty()) << r["report_errors"].dump();
  EXPECT_TRUE(r["requests"].empty()) << "network requests: " << r["requests"].dump();
  std::map<std::string, json> charts;
  for (const auto& c : r["charts"]) charts[c["key"]] = c;
  EXPECT_EQ(charts.size(), expected_charts.size()) << r["charts"].dump();
  for (const auto& key : expected_charts) {
    ASSERT_TRUE(charts.count(key)) << "chart " << key << " missing";
    const json& c = charts[key];
    EXPECT_TRUE(c["drawn"].get<bool>()) << key;
    EXPECT_GT(c["width"].get<double>(), 200) << key;
    EXPECT_GT(c["height"].get<double>(), 200) << key;
    ASSERT_FALSE(c["series"].empty()) << key;
    size_t points = 0;
    for (const auto& s : c["series"]) points += s["n"].get<size_t>();
    EXPECT_GT(points, 0u) << key << ": no data";
  }
}

TEST(ReportBrowser, DemoReportOpensOfflineWithEveryChart) {
  std::string why;
  if (!BrowserAvailable(&why)) GTEST_SKIP() << "browser test skipped: " << why;
  TempDir t;
  int code = -1;
  const std::string out = Capture(kBin + " demo -q -o " + t / "demo" + " 2>&1", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("report  " + t / "demo/analysis/report.html"), std::string::npos) << out;  // the demo names its report
  const std::string html = t / "demo/analysis/report.html";
  ASSERT_TRUE(fs::exists(html));
  const auto bytes = fs::file_size(html);
  EXPECT_LT(bytes, 5u * 1000 * 1000);
  fs::create_directories(kArtifacts);
  const std::string png = kArtifacts + "/report_demo.png";
  fs::remove(png);
  const json r = OpenInBrowser(html, png);
  ExpectCleanPage(r, {"timelines", "lagmap-P1|P2", "lagdist-P1|P2", "rapport-P1|P2", "events"});
  // The event timeline links answers; the demo has both strict and broad ones.
  for (const auto& c : r["charts"]) {
    if (c["key"] != "events") continue;
    for (const auto& s : c["series"]) {
      EXPECT_GT(s["n"].get<int>(), 0) << s["name"];
    }
  }
  for (const char* s : {"overview", "timelines", "pair-P1-P2", "events", "methods"})
    EXPECT_NE(std::find(r["sections"].begin(), r["sections"].end(), s), r["sections"].end()) << s;
  // The overview reads honestly: each headline value beside its chance band, each tested
  // verdict with its p, no NA or nan anywhere.
  ASSERT_EQ(r["cards"].size(), 6u) << r["cards"].dump();
  const std::string sync = r["cards"][0], mim = r["cards"][2], contagion = r["cards"][4], rapport = r["cards"][5];
  EXPECT_EQ(sync.rfind("Synchrony (pooled r)", 0), 0u) << sync;
  EXPECT_NE(sync.find(" chance 0."), std::string::npos) << sync;
  EXPECT_NE(sync.find("than chance (p "), std::string::npos) << sync;
  EXPECT_NE(mim.find("strict (chance "), std::string::npos) << mim;
  EXPECT_NE(mim.find(", p "), std::string::npos) << mim;
  EXPECT_NE(contagion.find(" chance 0."), std::string::npos) << contagion;
  EXPECT_NE(rapport.find("Chance "), std::string::npos) << rapport;
  for (const auto& c : r["cards"]) {
    const std::string text = c;
    EXPECT_EQ(text.find("NA"), std::string::npos) << text;
    EXPECT_EQ(text.find("nan"), std::string::npos) << text;
    EXPECT_EQ(text.find(" 1 answers"), std::string::npos) << text;
  }
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 50000u);  // a real page, not a blank one
  std::printf("[ figures ] demo report: %.2f MB, open to ready %d ms in headless Chromium, screenshot %s\n", bytes / 1e6,
              r["open_ms"].get<int>(), png.c_str());
}

// A movement-synchrony report (an MEA dyad, series inputs with --rmea): synchrony, leader,
// answered movements and the rMEA card, no face-only cards (contagion, rapport), nothing NA.
TEST(ReportBrowser, SeriesReportShowsSynchronyLeaderAndRmea) {
  std::string why;
  if (!BrowserAvailable(&why)) GTEST_SKIP() << "browser test skipped: " << why;
  const std::string mea = kShared + "/media/rmea/200_01.txt";
  if (!fs::exists(mea)) GTEST_SKIP() << "../shared/media/rmea not present (" << mea << ")";
  TempDir t;
  int code = -1;
  const std::string out = Capture(kBin + " analyze " + mea + " --series-rate 25 --rmea --surrogates 199 -q -o " + t / "s" + " 2>&1", &code);
  ASSERT_EQ(code, 0) << out;
  fs::create_directories(kArtifacts);
  const std::string png = kArtifacts + "/report_series.png";
  const json r = OpenInBrowser(t / "s/report.html", png);
  ExpectCleanPage(r, {"timelines", "lagmap-pat|th", "lagdist-pat|th", "events"});
  ASSERT_EQ(r["cards"].size(), 5u) << r["cards"].dump();
  EXPECT_EQ(r["cards"][0].get<std::string>().rfind("Synchrony (pooled r)", 0), 0u);
  EXPECT_EQ(r["cards"][1].get<std::string>().rfind("Who leads", 0), 0u);
  EXPECT_EQ(r["cards"][2].get<std::string>().rfind("Mimicry pat → th", 0), 0u) << r["cards"][2];
  EXPECT_EQ(r["cards"][4].get<std::string>().rfind("rMEA ccf (grand average)", 0), 0u) << r["cards"][4];
  for (const auto& c : r["cards"]) {
    const std::string text = c;
    EXPECT_EQ(text.find("NA"), std::string::npos) << text;
    EXPECT_EQ(text.find("nan"), std::string::npos) << text;
  }
}

TEST(ReportBrowser, GroupReportHasTheMatrixAndThumbnailsWhenAsked) {
  std::string why;
  if (!BrowserAvailable(&why)) GTEST_SKIP() << "browser test skipped: " << why;
  TempDir t;
  int code = -1;
  std::string out = Capture(kBin + " synth --preset micro --features-only 0.3 -q -o " + t / "g" + " 2>&1", &code);
  ASSERT_EQ(code, 0) << out;
  std::vector<std::string> csvs;
  for (const auto& e : fs::directory_iterator(t / "g"))
    if (e.path().extension() == ".csv") csvs.push_back(e.path().string());
  std::sort(csvs.begin(), csvs.end());
  ASSERT_EQ(csvs.size(), 3u);
  std::string cmd = kBin + " analyze -q --surrogates 200 -o " + t / "a";
  for (const auto& c : csvs) cmd += " " + c;
  out = Capture(cmd + " 2>&1", &code);
  ASSERT_EQ(code, 0) << out;
  const json summary = json::parse(Slurp(t / "a/summary.json"));
  std::vector<std::string> expected = {"timelines", "events", "group"};
  for (const auto& p : summary["pairs"])
    for (const char* kind : {"lagmap-", "lagdist-", "rapport-"})
      expected.push_back(kind + p["a"].get<std::string>() + "|" + p["b"].get<std::string>());
  const json r = OpenInBrowser(t / "a/report.html", kArtifacts + "/report_group.png");
  ExpectCleanPage(r, expected);

  // Thumbnails: a video input gets one face crop, and only with --thumbnails.
  if (!fs::exists(kReal)) GTEST_SKIP() << "thumbnail part skipped: " << kReal << " absent (../shared)";
  out = Capture(kBin + " analyze -q --surrogates 99 --thumbnails --name V=" + kReal + " -o " + t / "v " + kReal + " " + csvs[0] +
                    " 2>&1",
                &code);
  ASSERT_EQ(code, 0) << out;
  const std::string page = Slurp(t / "v/report.html");
  EXPECT_NE(page.find("\"V\":\"data:image/jpeg;base64,/9j/"), std::string::npos);
  const json rv = OpenInBrowser(t / "v/report.html", kArtifacts + "/report_thumbnail.png");
  ASSERT_FALSE(rv.contains("fatal"));
  EXPECT_TRUE(rv["console_errors"].empty()) << rv["console_errors"].dump();
  EXPECT_TRUE(rv["requests"].empty()) << rv["requests"].dump();
}

TEST(ReportBrowser, AudienceReportOpensOfflineWithEveryChart) {
  std::string why;
  if (!BrowserAvailable(&why)) GTEST_SKIP() << "browser test skipped: " << why;
  TempDir t;
  int code = -1;
  std::string out = Capture(kBin + " synth --preset audience --viewers 12 --duration 40 --features-only 0.3 -q -o " + t / "a" + " 2>&1", &code);
  ASSERT_EQ(code, 0) << out;
  out = Capture(kBin + " audience --stimulus " + t / "a/stimulus.csv" + " --manifest " + t / "a/manifest.csv" + " --surrogates 100 -q -o " +
                    t / "o" + " 2>&1",
                &code);
  ASSERT_EQ(code, 0) << out;
  fs::create_directories(kArtifacts);
  const json r = OpenInBrowser(t / "o/report.html", kArtifacts + "/report_audience.png");
  ExpectCleanPage(r, {"audience-expressions", "audience-happiness", "audience-attention", "audience-mirroring", "audience-viewers"});
  for (const char* s : {"overview", "curves", "attention", "mirroring", "viewers", "ab", "methods"})
    EXPECT_NE(std::find(r["sections"].begin(), r["sections"].end(), s), r["sections"].end()) << s;
  // Re-rendered by `mimicry report`, the same page.
  const std::string first = Slurp(t / "o/report.html");
  out = Capture(kBin + " report " + t / "o" + " 2>&1", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(Slurp(t / "o/report.html"), first);
}

}  // namespace
}  // namespace mimicry::testing
