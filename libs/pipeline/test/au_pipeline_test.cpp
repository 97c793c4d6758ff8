// Action units end to end on real footage: agreement with OpenFace 2.0, laughter, pose
// robustness, baselines saved and reused, online mode.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mimicry/face/au.h"
#include "mimicry/pipeline/extract.h"
#include "test_util.h"

namespace mimicry::pipeline {
namespace {
namespace fs = std::filesystem;
using namespace mimicry::testing;  // NOLINT

const std::string kOfReal = kShared + "/media/openface/2015-10-15-15-14.csv";
const std::string kOfMulti = kShared + "/media/openface/multi_face_single.csv";

// One extraction per clip, shared by the tests (each takes a few seconds).
struct Extracted {
  Csv ours, openface;
};

const Extracted& Get(const std::string& video, const std::string& of, bool back) {
  static std::map<std::string, Extracted> cache;
  auto it = cache.find(video);
  if (it != cache.end()) return it->second;
  static TempDir dir;
  ExtractOptions o;
  o.input.path = video;
  o.output_csv = dir / (fs::path(video).stem().string() + ".csv");
  if (back) o.detector = face::DetectorKind::kBlazeFaceBack;
  auto r = RunExtract(o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return cache[video] = {ReadCsv(o.output_csv), ReadCsv(of)};
}

// Rows of face 0 with success, paired with OpenFace's row of the same frame (OpenFace's
// timestamps are frame x 1/fps, ours PTS: the frame number is the common key).
struct Paired {
  std::vector<size_t> ours, theirs;
};
Paired Pair(const Extracted& e) {
  std::map<long, size_t> of_rows;
  for (size_t i = 0; i < e.openface.rows.size(); ++i)
    if (e.openface.Num(i, "success") == 1) of_rows[std::lround(e.openface.Num(i, "frame"))] = i;
  Paired p;
  for (size_t i = 0; i < e.ours.rows.size(); ++i) {
    if (e.ours.Cell(i, "face_id") != "0" || e.ours.Cell(i, "success") != "1") continue;
    const auto it = of_rows.find(std::lround(e.ours.Num(i, "frame")));
    if (it == of_rows.end()) continue;
    p.ours.push_back(i);
    p.theirs.push_back(it->second);
  }
  return p;
}

std::vector<double> Column(const Csv& c, const std::vector<size_t>& rows, const std::string& name) {
  std::vector<double> v;
  for (size_t r : rows) v.push_back(c.Num(r, name));
  return v;
}

std::string AuName(int code) {
  char b[16];
  std::snprintf(b, sizeof b, "AU%02d_r", code);
  return b;
}

// r with OpenFace for every AU whose OpenFace intensity varies (SD > 0.2).
std::map<int, double> Agreement(const Extracted& e, const char* label) {
  const Paired p = Pair(e);
  std::map<int, double> r;
  for (int code : face::kAuCodes) {
    const auto theirs = Column(e.openface, p.theirs, AuName(code));
    if (Sd(theirs) <= 0.2) continue;
    r[code] = Pearson(Column(e.ours, p.ours, AuName(code)), theirs);
    std::printf("[ figures ] %s AU%02d: OpenFace SD %.2f, r = %.2f (n = %zu)\n", label, code, Sd(theirs), r[code],
                p.ours.size());
  }
  return r;
}

TEST(ActionUnitsReal, AgreeWithOpenFaceOnTheSharedClip) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  const auto r = Agreement(Get(kReal, kOfReal, false), "2015-10-15");
  // Guards of the figures reached (docs/action_units.md), a little below them.
  EXPECT_GE(r.at(1), 0.75);
  EXPECT_GE(r.at(2), 0.5);
  EXPECT_GE(r.at(45), 0.7);
  EXPECT_GE(r.at(23), 0.4);
}

TEST(ActionUnitsReal, AgreeWithOpenFaceOnTheSeatedMan) {
  if (!fs::exists(kMulti)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  const auto r = Agreement(Get(kMulti, kOfMulti, true), "multi_face seated man");
  EXPECT_GE(r.at(12), 0.85);
  EXPECT_GE(r.at(25), 0.7);
  EXPECT_GE(r.at(6), 0.7);
  EXPECT_GE(r.at(1), 0.55);
  EXPECT_GE(r.at(2), 0.55);
  EXPECT_GE(r.at(26), 0.3);
  EXPECT_GE(r.at(10), 0.4);
}

TEST(ActionUnitsReal, TheSeatedManLaughsWithCheeksMouthAndHappiness) {
  if (!fs::exists(kMulti)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  const Extracted& e = Get(kMulti, kOfMulti, true);
  const Paired p = Pair(e);
  const auto of12 = Column(e.openface, p.theirs, "AU12_r");
  double laugh[3] = {0, 0, 0}, rest[3] = {0, 0, 0};
  int nl = 0, nr = 0;
  for (size_t k = 0; k < p.ours.size(); ++k) {
    const double v[3] = {e.ours.Num(p.ours[k], "AU06_r"), e.ours.Num(p.ours[k], "AU12_r"),
                         e.ours.Num(p.ours[k], "emo_happiness")};
    if (of12[k] >= 2.0) {  // OpenFace's laughter stretches (its AU12 peaks at ~3)
      for (int j = 0; j < 3; ++j) laugh[j] += v[j];
      ++nl;
    } else if (of12[k] < 0.5) {
      for (int j = 0; j < 3; ++j) rest[j] += v[j];
      ++nr;
    }
  }
  ASSERT_GT(nl, 30);
  ASSERT_GT(nr, 30);
  for (int j = 0; j < 3; ++j) {
    laugh[j] /= nl;
    rest[j] /= nr;
  }
  std::printf("[ figures ] laughing (%d frames) vs not (%d): AU06 %.2f vs %.2f, AU12 %.2f vs %.2f, happiness %.2f vs %.2f\n",
              nl, nr, laugh[0], rest[0], laugh[1], rest[1], laugh[2], rest[2]);
  EXPECT_GT(laugh[0] - rest[0], 1.0);
  EXPECT_GT(laugh[1] - rest[1], 2.0);
  EXPECT_GT(laugh[2] - rest[2], 0.4);
}

// Where OpenFace's AU does not follow the head (|r| < 0.2 with its pitch or yaw), ours must
// not either (|r| < 0.4; the figures are printed).
TEST(ActionUnitsReal, DoNotFollowHeadPoseWhereOpenFaceDoesNot) {
  if (!fs::exists(kReal) || !fs::exists(kMulti)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  for (const auto& [video, of, back] : {std::tuple{kReal, kOfReal, false}, std::tuple{kMulti, kOfMulti, true}}) {
    const Extracted& e = Get(video, of, back);
    const Paired p = Pair(e);
    for (const char* axis : {"pose_Rx", "pose_Ry"}) {
      const auto angle = Column(e.openface, p.theirs, axis);
      double worst = 0;
      int worst_au = 0;
      for (int code : face::kAuCodes) {
        const auto theirs = Column(e.openface, p.theirs, AuName(code));
        if (Sd(theirs) < 0.05 || std::abs(Pearson(theirs, angle)) >= 0.2) continue;
        const double r = Pearson(Column(e.ours, p.ours, AuName(code)), angle);
        EXPECT_LT(std::abs(r), 0.4) << video << " AU" << code << " vs " << axis;
        if (std::abs(r) > std::abs(worst)) worst = r, worst_au = code;
      }
      std::printf("[ figures ] %s: largest |r| of an AU with %s where OpenFace's is < 0.2: AU%02d %.2f\n",
                  fs::path(video).filename().c_str(), axis, worst_au, worst);
    }
  }
}

TEST(Baseline, SavedNeutralIsReusedAndShiftsIntensitiesAsDocumented) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  TempDir d;
  ExtractOptions o;
  o.input.path = kReal;
  o.output_csv = d / "a.csv";
  o.baseline_out = d / "neutral.json";
  ASSERT_TRUE(RunExtract(o).ok());
  std::ifstream in(o.baseline_out);
  nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["format"], "mimicry-au-baseline");
  EXPECT_EQ(j["face_id"], 0);
  EXPECT_GT(j["frames"].get<int>(), 800);
  // Reusing the same neutral reproduces the intensities exactly.
  o.baseline_out.clear();
  o.baseline_in = d / "neutral.json";
  o.output_csv = d / "same.csv";
  ASSERT_TRUE(RunExtract(o).ok());
  const Csv a = ReadCsv(d / "a.csv"), same = ReadCsv(d / "same.csv");
  ASSERT_EQ(a.rows.size(), same.rows.size());
  for (size_t i = 0; i < a.rows.size(); ++i) ASSERT_EQ(a.Cell(i, "AU25_r"), same.Cell(i, "AU25_r")) << i;
  // A neutral with the lips 0.3 mm further apart lowers AU25 (the lips are read as less
  // parted) and leaves the AUs far from the mouth alone. Not by a fixed gain: the joint
  // read-out explains all features together, so the shift is shared with the AUs whose
  // fields part the lips.
  constexpr double kShiftMm = 0.3;
  j["features"]["lip_gap"]["neutral"] = j["features"]["lip_gap"]["neutral"].get<double>() + kShiftMm;
  std::ofstream(d / "shifted.json") << j.dump();
  o.baseline_in = d / "shifted.json";
  o.output_csv = d / "shifted.csv";
  ASSERT_TRUE(RunExtract(o).ok());
  const Csv s = ReadCsv(d / "shifted.csv");
  int checked = 0;
  double drop = 0, far = 0;
  for (size_t i = 0; i < a.rows.size(); ++i) {
    if (a.Cell(i, "success") != "1") continue;
    const double before = a.Num(i, "AU25_r"), after = s.Num(i, "AU25_r");
    EXPECT_LE(after, before + 1e-3) << i;
    if (before > 0.5 && before < 5) {
      drop += before - after;
      ++checked;
    }
    for (const char* au : {"AU01_r", "AU02_r", "AU45_r"}) far = std::max(far, std::abs(a.Num(i, au) - s.Num(i, au)));
  }
  drop /= std::max(checked, 1);
  std::printf("[ figures ] lip-gap neutral +%.1f mm: AU25 lower by %.3f on average over %d frames; brows and blink move "
              "at most %.3f\n", kShiftMm, drop, checked, far);
  EXPECT_GT(drop, 0.05);
  EXPECT_LT(far, 0.05);
  EXPECT_GT(checked, 50);
}

TEST(Baseline, MissingOrCorruptFilesAreClearErrors) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  TempDir d;
  int rc = 0;
  auto run = [&](const std::string& file) {
    return Capture(kBin + " extract " + kReal + " -o " + d / "x.csv --baseline-in " + file + " 2>&1 >/dev/null", &rc);
  };
  std::string err = run(d / "none.json");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + d / "none.json" + ": baseline file not found\n");
  std::ofstream(d / "junk.json") << "{ not json";
  err = run(d / "junk.json");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + d / "junk.json" + ": not a baseline file: invalid JSON\n");
  std::ofstream(d / "other.json") << R"({"format": "something-else"})";
  err = run(d / "other.json");
  EXPECT_EQ(rc, 3);
  EXPECT_NE(err.find("not a baseline file"), std::string::npos) << err;
  std::ofstream(d / "partial.json")
      << R"({"format": "mimicry-au-baseline", "version": 1, "frames": 10, "ref_pitch_rad": 0, "ref_yaw_rad": 0,
             "features": {"brow_inner_r": {"neutral": 1, "pitch_slope": 0, "yaw_slope": 0}}})";
  err = run(d / "partial.json");
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(err, "mimicry: error: " + d / "partial.json" + ": baseline file lacks feature \"brow_inner_l\"\n");
  // Nothing is written when the baseline is rejected up front.
  EXPECT_FALSE(fs::exists(d / "x.csv"));
}

TEST(Baseline, OnlineModeSettlesAndFollowsTheOfflineIntensities) {
  if (!fs::exists(kMulti)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  const Extracted& off = Get(kMulti, kOfMulti, true);
  TempDir d;
  ExtractOptions o;
  o.input.path = kMulti;
  o.detector = face::DetectorKind::kBlazeFaceBack;
  o.output_csv = d / "online.csv";
  o.baseline_mode = ExtractOptions::Baseline::kOnline;
  ASSERT_TRUE(RunExtract(o).ok());
  const Csv on = ReadCsv(o.output_csv);
  ASSERT_EQ(on.rows.size(), off.ours.rows.size());
  std::vector<double> a, b;
  for (size_t i = 0; i < on.rows.size(); ++i)
    if (on.Cell(i, "face_id") == "0" && on.Cell(i, "success") == "1" && on.Num(i, "timestamp") > 2.0) {
      a.push_back(on.Num(i, "AU12_r"));
      b.push_back(off.ours.Num(i, "AU12_r"));
    }
  const double r = Pearson(a, b);
  std::printf("[ figures ] online vs offline AU12 after the first 2 s: r = %.3f (n = %zu)\n", r, a.size());
  EXPECT_GT(r, 0.85);
}

TEST(ExtractColumns, NoAusLeavesLandmarksAndPoseOnly) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  TempDir d;
  ExtractOptions o;
  o.input.path = kReal;
  o.input.end_s = 1.0;
  o.output_csv = d / "n.csv";
  o.action_units = false;
  ASSERT_TRUE(RunExtract(o).ok());
  const Csv c = ReadCsv(o.output_csv);
  EXPECT_EQ(c.header.size(), 11u + 136u);
  o.action_units = true;
  o.write_au_features = true;
  o.output_csv = d / "f.csv";
  ASSERT_TRUE(RunExtract(o).ok());
  const Csv f = ReadCsv(o.output_csv);
  EXPECT_EQ(f.header.back(), "feat_app_dimple_l");
  for (size_t i = 0; i < f.rows.size(); ++i) EXPECT_EQ(f.rows[i].size(), f.header.size());
}

}  // namespace
}  // namespace mimicry::pipeline
