// micro: spotting on series with known movements, and the MEGC evaluation protocol.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "mimicry/micro/eval.h"
#include "mimicry/micro/spot.h"

namespace mimicry::micro {
namespace {
namespace fs = std::filesystem;

// 30 fps, 60 s, 17 AUs with Gaussian jitter (SD 0.1); planted movements (slot, onset,
// duration, peak) with a smoothstep rise and fall.
struct Planted {
  size_t slot;
  double onset, dur, peak;
};
struct Series {
  std::vector<double> t;
  std::vector<std::vector<float>> aus;
  std::vector<float> pitch, yaw;
};
Series Make(const std::vector<Planted>& p, uint64_t seed) {
  Series s;
  const size_t n = 1800;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 0.1);
  s.aus.assign(17, std::vector<float>(n, 0.f));
  s.pitch.assign(n, 0.f);
  s.yaw.assign(n, 0.f);
  for (size_t i = 0; i < n; ++i) {
    s.t.push_back(i / 30.0);
    for (auto& a : s.aus) a[i] = static_cast<float>(std::max(0.0, 0.3 + g(rng)));
    for (const auto& x : p) {
      const double u = (s.t[i] - x.onset) / x.dur;
      if (u <= 0 || u >= 1) continue;
      const double v = u < 0.4 ? u / 0.4 : (1 - u) / 0.6;
      s.aus[x.slot][i] += static_cast<float>(x.peak * v * v * (3 - 2 * v));
    }
  }
  return s;
}

TEST(Spot, FindsPlantedMicroAndMacroMovements) {
  const std::vector<Planted> p = {{8, 5.0, 1.5, 3.0},  {0, 12.0, 0.3, 3.0}, {2, 20.0, 2.5, 2.5},
                                  {10, 30.0, 0.2, 3.0}, {8, 40.0, 0.4, 3.5}, {4, 50.0, 3.0, 3.0}};
  const Series s = Make(p, 1);
  const auto iv = Spot(s.t, s.aus, s.pitch, s.yaw, {});
  std::vector<LabeledInterval> pred, truth;
  for (const auto& x : iv)
    if (x.kind != Kind::kBlink) pred.push_back({"v", KindName(x.kind), x.onset_s, x.offset_s});
  for (const auto& x : p) truth.push_back({"v", x.dur <= 0.5 ? "micro" : "macro", x.onset, x.onset + x.dur});
  const auto sc = Evaluate(pred, truth, 30);
  EXPECT_EQ(sc.overall.matched, 6) << "predicted " << sc.overall.predicted;
  EXPECT_EQ(sc.overall.predicted, 6);
  // The AUs involved are named.
  for (const auto& x : iv)
    if (std::abs(x.apex_s - 5.6) < 0.5) {
      EXPECT_EQ(x.aus, std::vector<int>{12});
    }
}

TEST(Spot, BlinksAreReportedApartAndDoNotMakeExpressions) {
  std::vector<Planted> p;
  for (double t = 3; t < 57; t += 4) p.push_back({16, t, 0.2, 4.0});  // AU45 blinks
  // Blinks also pull the brow and eye AUs (measured against the eyes).
  for (double t = 3; t < 57; t += 4) p.push_back({0, t, 0.2, 1.5}), p.push_back({5, t, 0.2, 1.5});
  p.push_back({8, 30.5, 1.5, 3.0});  // one smile
  const Series s = Make(p, 2);
  const auto iv = Spot(s.t, s.aus, s.pitch, s.yaw, {});
  int blinks = 0, expr = 0;
  for (const auto& x : iv) (x.kind == Kind::kBlink ? blinks : expr)++;
  EXPECT_EQ(blinks, 14);
  EXPECT_EQ(expr, 1);
}

TEST(Spot, GapsAreNotBridged) {
  Series s = Make({{8, 10.0, 2.0, 3.0}}, 3);
  // Remove 10.8-11.2 s: the movement is split, never joined across the gap.
  std::vector<double> t;
  std::vector<std::vector<float>> aus(17);
  for (size_t i = 0; i < s.t.size(); ++i) {
    if (s.t[i] > 10.8 && s.t[i] < 11.2) continue;
    t.push_back(s.t[i]);
    for (size_t k = 0; k < 17; ++k) aus[k].push_back(s.aus[k][i]);
  }
  const std::vector<float> none(t.size(), 0.f);
  const auto found = Spot(t, aus, none, none, {});
  ASSERT_FALSE(found.empty()) << "the movement's parts beside the gap are still spotted";
  for (const auto& x : found) EXPECT_FALSE(x.onset_s < 10.8 && x.offset_s > 11.2);
}

// Region-wise appearance series (8 regions, percent of face SD): a resting level with
// noise, plus planted rises.
std::vector<std::vector<float>> Regions(const Series& s, const std::vector<Planted>& p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 0.5);
  std::vector<std::vector<float>> r(kNumRegions, std::vector<float>(s.t.size()));
  for (size_t i = 0; i < s.t.size(); ++i) {
    for (auto& x : r) x[i] = static_cast<float>(std::abs(4.0 + g(rng)));
    for (const auto& x : p) {
      const double u = (s.t[i] - x.onset) / x.dur;
      if (u <= 0 || u >= 1) continue;
      const double v = u < 0.4 ? u / 0.4 : (1 - u) / 0.6;
      r[x.slot][i] += static_cast<float>(x.peak * v * v * (3 - 2 * v));
    }
  }
  return r;
}

TEST(Spot, RegionEvidenceAddsToAWeakAuAndMakesAMovementTheAusAloneMiss) {
  // Brow raises too weak in the AUs alone (rise 0.3 against noise 0.1 and the video's
  // smiles), plainly visible in the brow regions.
  std::vector<Planted> au = {{8, 5.0, 1.5, 2.0}, {8, 25.0, 1.5, 2.0}, {8, 45.0, 1.5, 2.0}};
  std::vector<Planted> rg;
  for (double t : {12.0, 32.0, 52.0}) au.push_back({0, t, 1.0, 0.3}), rg.push_back({0, t, 1.0, 12.0}), rg.push_back({1, t, 1.0, 12.0});
  const Series s = Make(au, 4);
  const auto regions = Regions(s, rg, 5);
  auto brows = [&](const std::vector<Interval>& iv) {
    int n = 0;
    for (const auto& x : iv)
      for (double t : {12.0, 32.0, 52.0})
        if (x.kind == Kind::kMacro && x.onset_s < t + 0.5 && x.offset_s > t + 0.5) ++n;
    return n;
  };
  SpotOptions au_only;
  au_only.region_weight = 0;
  EXPECT_EQ(brows(Spot(s.t, s.aus, regions, s.pitch, s.yaw, au_only)), 0);
  const auto iv = Spot(s.t, s.aus, regions, s.pitch, s.yaw, {});
  EXPECT_EQ(brows(iv), 3);
  for (const auto& x : iv)
    if (std::abs(x.apex_s - 12.4) < 0.5) {
      EXPECT_EQ(x.regions, (std::vector<std::string>{"brow_r", "brow_l"}));
    }
  EXPECT_EQ(iv.size(), 6u);  // and nothing else
}

TEST(Spot, ChangeThatHeadRotationExplainsIsNotAnExpression) {
  // Six nods (pitch 6 degrees down and back over 1 s) that change every region's
  // appearance in proportion to the pitch, and one real brow movement.
  Series s = Make({}, 6);
  std::vector<Planted> rg = {{0, 40.0, 1.0, 10.0}, {1, 40.0, 1.0, 10.0}};
  auto regions = Regions(s, rg, 7);
  for (size_t i = 0; i < s.t.size(); ++i)
    for (double t0 : {5.0, 12.0, 19.0, 26.0, 33.0, 50.0}) {
      const double u = (s.t[i] - t0) / 1.0;
      if (u <= 0 || u >= 1) continue;
      const double deg = 6.0 * std::sin(M_PI * u);
      s.pitch[i] = static_cast<float>(deg * M_PI / 180);
      for (auto& r : regions) r[i] += static_cast<float>(1.5 * deg);
    }
  auto count = [&](const std::vector<Interval>& iv) {
    int nods = 0, brow = 0;
    for (const auto& x : iv) {
      if (x.kind == Kind::kBlink) continue;
      if (x.onset_s < 40.5 && x.offset_s > 40.5) ++brow;
      else ++nods;
    }
    return std::pair{nods, brow};
  };
  SpotOptions o;
  o.region_weight = 1;
  o.pose_correction = false;
  EXPECT_GE(count(Spot(s.t, s.aus, regions, s.pitch, s.yaw, o)).first, 5);  // uncorrected: the nods count
  o.pose_correction = true;
  const auto [nods, brow] = count(Spot(s.t, s.aus, regions, s.pitch, s.yaw, o));
  EXPECT_EQ(nods, 0);
  EXPECT_EQ(brow, 1);
}

TEST(Spot, AnAuRestingAtZeroIsNotNoiseless) {
  // AU05 sits at exactly 0 (clamped) but for a 4-frame flicker to 0.1-0.6 every ~3 s (as
  // on real talk); the others jitter around 0.3. Measured over all frames, AU05's
  // frame-to-frame noise would be ~0 and every flicker a huge rise.
  Series s = Make({{8, 30.0, 1.5, 1.5}}, 8);
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(0.1, 0.6);
  for (size_t i = 0; i < s.t.size(); ++i) s.aus[3][i] = (i % 97 < 4) ? static_cast<float>(u(rng)) : 0.f;
  int flickers = 0, smiles = 0;
  for (const auto& x : Spot(s.t, s.aus, s.pitch, s.yaw, {}))
    if (x.kind != Kind::kBlink) (x.onset_s < 30.6 && x.offset_s > 30.6 ? smiles : flickers)++;
  EXPECT_EQ(flickers, 0);
  EXPECT_EQ(smiles, 1);
}

TEST(Eval, MegcProtocol) {
  // IoU on frames at 10 fps: truth [10, 19] (1.0-1.9 s).
  const std::vector<LabeledInterval> truth = {{"a", "macro", 1.0, 1.9}, {"a", "micro", 5.0, 5.2}, {"b", "micro", 5.0, 5.2}};
  // [14, 23]: intersection 6, union 14 -> 0.43 < 0.5 (miss); [12, 21]: 8/12 = 0.67 (hit).
  auto sc = Evaluate({{"a", "macro", 1.4, 2.3}}, truth, 10);
  EXPECT_EQ(sc.macro.matched, 0);
  sc = Evaluate({{"a", "macro", 1.2, 2.1}, {"a", "macro", 1.1, 2.0}, {"a", "micro", 5.0, 5.2}, {"a", "micro", 5.0, 5.1}}, truth, 10);
  EXPECT_EQ(sc.macro.matched, 1);  // one truth interval is matched once
  EXPECT_EQ(sc.macro.predicted, 2);
  EXPECT_DOUBLE_EQ(sc.macro.precision, 0.5);
  EXPECT_DOUBLE_EQ(sc.macro.recall, 1.0);
  EXPECT_NEAR(sc.macro.f1, 2 * 0.5 / 1.5, 1e-12);
  EXPECT_EQ(sc.micro.matched, 1);  // source b's micro is not matched by source a's predictions
  EXPECT_EQ(sc.micro.truth, 2);
  EXPECT_EQ(sc.overall.matched, 2);
  EXPECT_EQ(sc.overall.predicted, 4);
  EXPECT_EQ(sc.overall.truth, 3);
  // A micro prediction never matches a macro truth.
  sc = Evaluate({{"a", "micro", 1.0, 1.9}}, truth, 10);
  EXPECT_EQ(sc.overall.matched, 0);
}

class Dir {
 public:
  Dir() {
    char tmpl[] = "/tmp/mimicry_micro_XXXXXX";
    p_ = mkdtemp(tmpl);
  }
  ~Dir() { fs::remove_all(p_); }
  std::string operator/(const std::string& n) const { return p_ + "/" + n; }

 private:
  std::string p_;
};

TEST(Eval, ReadsTruthJsonAndCsvAndRejectsBadFiles) {
  Dir d;
  std::ofstream(d / "truth.json") << R"({"participants": [{"id": "A", "video": "A.mp4"}, {"id": "S", "video": "stimulus.mp4"}],
    "events": [{"participant": "A", "kind": "micro", "onset_s": 1, "offset_s": 1.2},
               {"participant": "S", "kind": "macro", "onset_s": 2, "offset_s": 3},
               {"participant": "A", "kind": "blink", "onset_s": 4, "offset_s": 4.2}]})";
  auto t = ReadIntervals(d / "truth.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->size(), 2u);  // the blink is not an expression
  EXPECT_EQ((*t)[1].source, "stimulus");
  std::ofstream(d / "p.csv") << "source,face_id,kind,onset_s,apex_s,offset_s\nA,0,micro,1.0,1.1,1.2\nA,0,blink,4,4.1,4.2\n";
  auto p = ReadIntervals(d / "p.csv");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 1u);
  const auto sc = Evaluate(*p, *t, 30);
  EXPECT_EQ(sc.micro.matched, 1);
  // Bad files: each a clear error naming the file.
  EXPECT_EQ(ReadIntervals(d / "none.csv").status().message(), d / "none.csv" + ": no such file");
  std::ofstream(d / "cols.csv") << "start,end\n1,2\n";
  EXPECT_NE(ReadIntervals(d / "cols.csv").status().message().find("needs the columns source, kind, onset_s, offset_s"), std::string::npos);
  std::ofstream(d / "num.csv") << "source,kind,onset_s,offset_s\nA,micro,soon,2\n";
  EXPECT_EQ(ReadIntervals(d / "num.csv").status().message(), d / "num.csv" + ": line 2: onset_s and offset_s must be numbers");
  std::ofstream(d / "bad.json") << "{\"events\": [";
  EXPECT_EQ(ReadIntervals(d / "bad.json").status().message(), d / "bad.json" + ": not valid JSON");
  std::ofstream(d / "other.json") << "{\"a\": 1}";
  EXPECT_NE(ReadIntervals(d / "other.json").status().message().find("not a mimicry truth.json"), std::string::npos);
  std::ofstream(d / "empty.csv") << "";
  EXPECT_EQ(ReadIntervals(d / "empty.csv").status().message(), d / "empty.csv" + ": empty file");
}

}  // namespace
}  // namespace mimicry::micro
