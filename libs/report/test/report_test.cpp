// report: the page is built from an analysis folder; malformed inputs are clear errors.
// The page's behaviour in a real browser is tested in libs/pipeline/test/report_browser_test.cpp.
#include "mimicry/report/report.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace mimicry::report {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

class Folder {
 public:
  Folder() {
    char tmpl[] = "/tmp/mimicry_report_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~Folder() { fs::remove_all(path_); }
  std::string operator/(const std::string& n) const { return (fs::path(path_) / n).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json Chance(double mean, double lo, double hi) { return {{"mean", mean}, {"lo95", lo}, {"hi95", hi}, {"n", 1000}}; }

json Stat(int count) {
  return {{"events", 10}, {"count", count}, {"expected", 2.5}, {"p", 0.01}, {"median_latency_s", 0.6}, {"index", 1.0},
          {"tested", true}, {"not_tested", nullptr}, {"verdict", "more than chance (p 0.010)"}, {"chance", Chance(2.5, 0, 5)}};
}

// A complete, small analysis folder of two participants.
json MakeAnalysis(const Folder& f, const std::vector<std::string>& ids = {"A", "B"}) {
  json parts = json::array(), pairs = json::array();
  for (const auto& id : ids)
    parts.push_back({{"id", id}, {"source", id + ".mp4"}, {"format", "mimicry"}, {"frames", 300}, {"valid_fraction", 0.95}, {"events", 3}});
  std::string lagmap = "a,b,t_start_s,lag_s,r\n", windows = "a,b,level,channel,t_start_s,peak_r,peak_z,peak_lag_s\n",
              rapport = "a,b,t_start_s,rapport,local_mean,local_lo95,local_hi95\n";
  for (size_t i = 0; i < ids.size(); ++i)
    for (size_t k = i + 1; k < ids.size(); ++k) {
      pairs.push_back({{"a", ids[i]},
                       {"b", ids[k]},
                       {"synchrony",
                        {{"r", 0.5}, {"p", 0.001}, {"z", 4.0}, {"channels", 13}, {"tested", true}, {"not_tested", nullptr},
                         {"verdict", "more than chance (p 0.001)"}, {"method", "block bootstrap of B's time line (mean block 5 s), 1000 surrogates"},
                         {"chance", Chance(0.05, 0.01, 0.1)}}},
                       {"leader",
                        {{"id", ids[i]}, {"follower", ids[k]}, {"lag_s", 0.6}, {"p", 0.002}, {"lag_source", "answer latency"}, {"tested", true},
                         {"not_tested", nullptr}, {"verdict", "more than chance (p 0.002)"}, {"chance_asym", Chance(0, -0.03, 0.03)},
                         {"coupling_lag_s", 0.58},
                         {"from_events", {{"id", ids[i]}, {"excess_a_to_b", 4.0}, {"excess_b_to_a", 0.5}, {"p", 0.03}}}}},
                       {"mimicry",
                        {{"strict", {{"a_to_b", Stat(5)}, {"b_to_a", Stat(1)}}}, {"broad", {{"a_to_b", Stat(2)}, {"b_to_a", Stat(0)}}}}},
                       {"contagion",
                        {{"tested", true}, {"not_tested", nullptr}, {"verdict", "more than chance (p 0.020)"}, {"r", 0.2}, {"leader", ids[i]},
                         {"lag_s", 0.7}, {"p", 0.02}, {"direction_p", 0.1}, {"chance", Chance(0.05, 0.01, 0.1)}}},
                       {"rapport", {{"index", 55.0}, {"ci95", {50.0, 60.0}}, {"heuristic", true}, {"chance", Chance(40, 35, 45)}}}});
      for (int w = 0; w < 10; ++w) {
        for (int l = -20; l <= 20; l += 5)
          lagmap += ids[i] + "," + ids[k] + "," + std::to_string(w * 0.5) + "," + std::to_string(l / 10.0) + "," +
                    (w == 3 && l == 0 ? std::string() : std::to_string(std::exp(-std::pow(l / 10.0 - 0.6, 2)))) + "\n";
        windows += ids[i] + "," + ids[k] + ",mimicry,AU12," + std::to_string(w * 0.5) + ",0.8,1.1,0.6\n";
        rapport += ids[i] + "," + ids[k] + "," + std::to_string(w * 0.5) + ",55,54,40,68\n";
      }
    }
  json s = {{"version", "0.1.0"},
            {"tool", "mimicry analyze"},
            {"command_line", "mimicry analyze A.mp4 B.mp4 -o x"},
            {"clock", {{"t0_s", 0.0}, {"duration_s", 10.0}, {"rate_hz", 30.0}, {"samples", 300}}},
            {"participants", parts},
            {"pairs", pairs},
            {"parameters",
             {{"rate_hz", 30}, {"max_gap_s", 0.25}, {"surrogates", 1000}, {"seed", 1}, {"correlation_surrogate", "circular"},
              {"event_surrogate", "circular"}, {"min_shift_s", 10},
              {"mimicry_window", {{"window_s", 4}, {"step_s", 0.5}, {"max_lag_s", 2}}},
              {"session_window", {{"window_s", 30}, {"step_s", 10}, {"max_lag_s", 5}}},
              {"answer_latency_s", {0.2, 3.0}}}}};
  if (ids.size() > 2) s["group"] = {{"synchrony_index", 0.5}, {"pairs", 3}};
  Write(f / "summary.json", s.dump(2));
  Write(f / "lagmap.csv", lagmap);
  Write(f / "windows.csv", windows);
  Write(f / "rapport.csv", rapport);
  Write(f / "events.csv",
        "participant,event,onset_s,apex_s,offset_s,intensity,action,affect,actions,answer_to,answer_event,mode,latency_s\n" + ids[0] +
            ",0,1.000,1.300,2.000,2.50,smile,positive,smile,,,,\n" + ids[1] + ",0,1.600,1.900,2.500,2.00,smile,positive,smile," + ids[0] +
            ",0,strict,0.600\n");
  fs::create_directories(f / "features");
  for (const auto& id : ids) {
    std::string t = "timestamp,AU12,smile,valence\n";
    for (int k = 0; k < 300; ++k)
      t += std::to_string(k / 30.0) + "," + (k == 100 ? std::string() : std::to_string(std::sin(k / 10.0) + 1)) + ",1.0,0.2\n";
    Write(f / ("features/" + id + ".csv"), t);
  }
  Write(f / "echarts.min.js", "/* stand-in */ window.echarts = {init: function () {}}; var s = '</script>';\n");
  return s;
}

ReportOptions Opts(const Folder& f) {
  ReportOptions o;
  o.analysis_dir = f.path();
  o.chart_library_path = f / "echarts.min.js";
  return o;
}

// The inlined data, parsed back as the page does.
json PageData(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"mimicry-data\">";
  const size_t a = page.find(open);
  EXPECT_NE(a, std::string::npos);
  const size_t b = page.find("</script>", a);
  return json::parse(page.substr(a + open.size(), b - a - open.size()));
}

TEST(Report, WritesOneSelfContainedPage) {
  Folder f;
  MakeAnalysis(f);
  auto r = WriteReport(Opts(f));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->path, f / "report.html");
  EXPECT_EQ(r->charts, 5);  // timelines, events, and the pair's lag map, lag distribution, rapport
  const std::string page = Read(r->path);
  EXPECT_EQ(page.size(), r->bytes);
  // Nothing is fetched: no external script, style, image or link.
  for (const char* bad : {"<script src", "<link", "src=\"http", "href=\"http", "url(http", "@import"})
    EXPECT_EQ(page.find(bad), std::string::npos) << bad;
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos);  // and the browser is told so
  // The library is inlined, and its "</script>" cannot end the element early.
  EXPECT_NE(page.find("window.echarts = {init"), std::string::npos);
  EXPECT_NE(page.find("'<\\/script>'"), std::string::npos);
  EXPECT_EQ(page.find("{{"), std::string::npos);  // every marker filled
  const json d = PageData(page);
  EXPECT_EQ(d["summary"]["participants"].size(), 2u);
  // Timelines: 300 samples, one gap kept as a gap (null), not bridged.
  const auto& a12 = d["timelines"]["A"]["series"]["AU12"];
  ASSERT_EQ(a12.size(), 300u);
  EXPECT_TRUE(a12[100].is_null());
  EXPECT_NEAR(a12[10].get<double>(), std::sin(1.0) + 1, 1e-3);
  // Lag map: 10 windows x 9 lags, less the missing cell; its path peaks at the planted 0.5 s
  // (nearest kept lag to 0.6 s).
  const auto& lm = d["lagmaps"]["A|B"];
  EXPECT_EQ(lm["cells"].size(), 89u);
  EXPECT_EQ(lm["lags"][lm["path"][0][1].get<int>()].get<double>(), 0.5);
  // Lag distribution: all 10 windows in the 0.6-s bin.
  const auto& ld = d["lag_distributions"]["A|B"];
  int total = 0, at = -1;
  for (size_t k = 0; k < ld["counts"].size(); ++k) {
    total += ld["counts"][k].get<int>();
    if (ld["counts"][k].get<int>() > 0) at = static_cast<int>(k);
  }
  EXPECT_EQ(total, 10);
  EXPECT_NEAR(ld["lags"][at].get<double>(), 0.6, 1e-9);
  EXPECT_EQ(d["events"].size(), 2u);
  EXPECT_EQ(d["events"][1]["mode"], "strict");
  EXPECT_EQ(d["rapport"]["A|B"]["local_lo95"].size(), 10u);
  EXPECT_TRUE(d["thumbnails"].empty());
  EXPECT_EQ(page.find("data:image"), std::string::npos);  // no face images unless asked for
}

TEST(Report, LongSessionsAreAveragedIntoBoundedData) {
  Folder f;
  MakeAnalysis(f);
  auto o = Opts(f);
  o.max_timeline_points = 100;
  o.max_lagmap_columns = 4;
  auto r = WriteReport(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const json d = PageData(Read(r->path));
  EXPECT_EQ(d["timelines"]["A"]["t"].size(), 100u);  // bins of 3 samples
  EXPECT_NEAR(d["timelines"]["A"]["t"][0].get<double>(), 1 / 30.0, 1e-3);  // the bin's centre
  EXPECT_EQ(d["lagmaps"]["A|B"]["times"].size(), 4u);
}

TEST(Report, ThumbnailsOnlyWhenGiven) {
  Folder f;
  MakeAnalysis(f);
  auto o = Opts(f);
  o.thumbnails_jpeg["A"] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00};
  auto r = WriteReport(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const json d = PageData(Read(r->path));
  EXPECT_EQ(d["thumbnails"]["A"], "data:image/jpeg;base64,/9j/4AA=");
  EXPECT_FALSE(d["thumbnails"].contains("B"));
}

TEST(Report, GroupsGetAMatrix) {
  Folder f;
  MakeAnalysis(f, {"P1", "P2", "P3"});
  auto r = WriteReport(Opts(f));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->charts, 2 + 3 * 3 + 1);
}

TEST(Report, HostileTextCannotBreakOutOfThePage) {
  Folder f;
  json s = MakeAnalysis(f);
  s["command_line"] = "x </script><script>alert(1)</script> <!--";
  Write(f / "summary.json", s.dump());
  auto r = WriteReport(Opts(f));
  ASSERT_TRUE(r.ok()) << r.status().message();
  const std::string page = Read(r->path);
  EXPECT_EQ(page.find("alert(1)</script>"), std::string::npos);
  EXPECT_EQ(PageData(page)["summary"]["command_line"], s["command_line"]);
}

// Each malformed input: the error names the file and what is wrong with it.
TEST(Report, MalformedSummaryIsAClearError) {
  struct Case {
    std::string what;
    std::function<void(json&)> edit;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"missing field", [](json& s) { s["pairs"][0]["leader"].erase("p"); }, "summary.json: pairs[0].leader.p: missing"},
      {"wrong type", [](json& s) { s["participants"][1]["frames"] = "many"; }, "participants[1].frames: must be a number, is string"},
      {"missing section", [](json& s) { s.erase("pairs"); }, "summary.json: pairs: missing"},
      {"null where a number is needed", [](json& s) { s["clock"]["duration_s"] = nullptr; }, "clock.duration_s: must be a number, is null"},
      {"one participant", [](json& s) { s["participants"].erase(1); }, "participants: needs at least two"},
      {"bad CI", [](json& s) { s["pairs"][0]["rapport"]["ci95"] = {1}; }, "pairs[0].rapport.ci95: must hold two values"},
      {"nested stat", [](json& s) { s["pairs"][0]["mimicry"]["broad"]["b_to_a"]["count"] = true; },
       "pairs[0].mimicry.broad.b_to_a.count: must be a number, is boolean"},
  };
  for (const auto& c : cases) {
    Folder f;
    json s = MakeAnalysis(f);
    c.edit(s);
    Write(f / "summary.json", s.dump());
    auto r = WriteReport(Opts(f));
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput) << c.what;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << c.what << ": " << r.status().message();
    EXPECT_NE(r.status().message().find(f / "summary.json"), std::string::npos) << c.what;
    EXPECT_FALSE(fs::exists(f / "report.html")) << c.what;
  }
}

TEST(Report, BadFilesAreClearErrors) {
  {
    Folder f;
    auto r = WriteReport(Opts(f));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
    EXPECT_NE(r.status().message().find("summary.json: no such file"), std::string::npos);
  }
  {
    Folder f;
    MakeAnalysis(f);
    Write(f / "summary.json", "{\"version\": ");
    auto r = WriteReport(Opts(f));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("summary.json: not valid JSON"), std::string::npos);
  }
  {
    Folder f;
    MakeAnalysis(f);
    fs::remove(f / "lagmap.csv");
    auto r = WriteReport(Opts(f));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("lagmap.csv: cannot read"), std::string::npos) << r.status().message();
  }
  {
    Folder f;
    MakeAnalysis(f);
    std::string ev = Read(f / "events.csv");
    ev.replace(ev.find("1.600"), 5, "soon!");
    Write(f / "events.csv", ev);
    auto r = WriteReport(Opts(f));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("events.csv: line 3: onset_s: not a number"), std::string::npos) << r.status().message();
  }
  {
    Folder f;
    MakeAnalysis(f);
    Write(f / "rapport.csv", "a,b,t_start_s,rapport\nA,B,0,5\n");
    auto r = WriteReport(Opts(f));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("rapport.csv: missing column local_mean"), std::string::npos) << r.status().message();
  }
  {
    Folder f;
    MakeAnalysis(f);
    fs::remove(f / "features/B.csv");
    auto r = WriteReport(Opts(f));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("features/B.csv: cannot read"), std::string::npos) << r.status().message();
  }
  {
    Folder f;
    MakeAnalysis(f);
    auto o = Opts(f);
    o.chart_library_path = f / "nope.js";
    auto r = WriteReport(o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
    EXPECT_NE(r.status().message().find("nope.js: chart library not found"), std::string::npos);
  }
}

// An audience folder (audience.json, per_second.csv, per_viewer.csv) gets the audience page;
// its malformed fields are errors with their JSON path too.
TEST(Report, AudienceFolders) {
  Folder f;
  json a = {{"version", "0.1.0"},
            {"tool", "mimicry audience"},
            {"stimulus", {{"file", "ad.mp4"}, {"duration_s", 3.0}, {"seconds", 3}}},
            {"viewers", {{"analysed", 2}, {"skipped", json::array()}, {"groups", {"A", "B"}}}},
            {"mirroring",
             {{"fraction_answered", 0.5}, {"expected_by_chance", 0.1}, {"mirroring_fraction", 0.44}, {"p", 0.001}, {"median_latency_s", 0.6},
              {"events", json::array()}, {"most_mirrored", json::array()}}},
            {"peak_end", {{"score", 0.3}}},
            {"peaks", json::array()},
            {"troughs", json::array()},
            {"isc", {{"mean_r", 0.2}, {"p", 0.04}}},
            {"outcomes", json::object()},
            {"parameters", {{"surrogates", 100}}}};
  Write(f / "audience.json", a.dump());
  Write(f / "per_second.csv",
        "t_s,viewers,attention_pct,retention_pct,mirroring_pct,pct_smile,mean_happiness,lo95_happiness,hi95_happiness\n"
        "0,2,100,100,0,50,0.2,0.1,0.3\n1,2,100,100,,0,0.1,0.0,0.2\n");
  Write(f / "per_viewer.csv", "viewer_id,group,file,fraction_answered\nV1,A,v1.mp4,0.5\nV2,B,v2.mp4,\n");
  Write(f / "echarts.min.js", "window.echarts = {};\n");
  auto r = WriteReport(Opts(f));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->charts, 5);
  const json d = PageData(Read(r->path));
  EXPECT_EQ(d["audience"]["viewers"]["analysed"], 2);
  EXPECT_TRUE(d["per_second"]["mirroring_pct"][1].is_null());  // an empty cell stays missing
  EXPECT_EQ(d["per_viewer"]["viewer_id"][1], "V2");
  a["mirroring"].erase("p");
  Write(f / "audience.json", a.dump());
  r = WriteReport(Opts(f));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("audience.json: mirroring.p: missing"), std::string::npos) << r.status().message();
}

// The page's own script and template (src/page/) fill every section from the data only.
TEST(Report, PageTemplateHasEveryMarker) {
  const std::string dir = MIMICRY_REPORT_PAGE_DIR;
  const std::string html = Read(dir + "/report.html");
  for (const char* m : {"{{TITLE}}", "/*{{STYLE}}*/", "/*{{CHART_LIBRARY}}*/", "{{DATA}}", "/*{{SCRIPT}}*/"})
    EXPECT_NE(html.find(m), std::string::npos) << m;
  const std::string js = Read(dir + "/report.js");
  for (const char* section : {"'overview'", "'timelines'", "'events'", "'group'", "'methods'", "'lagmap-'", "'lagdist-'", "'rapport-'"})
    EXPECT_NE(js.find(section), std::string::npos) << section;
}

}  // namespace
}  // namespace mimicry::report
