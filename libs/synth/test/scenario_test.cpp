#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "mimicry/synth/scenario.h"

namespace mimicry::synth {
namespace {

PresetOptions Dyad(uint64_t seed, double lag = 0.6, const std::string& mode = "mixed") {
  PresetOptions o;
  o.seed = seed;
  o.lag_s = lag;
  o.mode = mode;
  o.faces = {"a.png", "b.png"};
  return o;
}

TEST(Scenario, SameSeedSameTruthDifferentSeedDifferentTruth) {
  const auto a = MakePreset(Dyad(7)), b = MakePreset(Dyad(7)), c = MakePreset(Dyad(8));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(TruthJson(*a), TruthJson(*b));
  EXPECT_NE(TruthJson(*a), TruthJson(*c));
}

TEST(Scenario, DyadAnswersFollowTheirEventsAtTheLag) {
  int answered = 0, a_events = 0, strict = 0, broad = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const auto s = *MakePreset(Dyad(seed, 1.2));
    std::map<int, Event> by_id;
    for (const auto& e : s.events) by_id[e.id] = e;
    for (const auto& e : s.events) a_events += e.participant == 0 && e.kind == EventKind::kMacro;
    for (const auto& ans : s.answers) {
      const Event& q = by_id.at(ans.answers);
      const Event& r = by_id.at(ans.event);
      EXPECT_EQ(q.participant, 0);  // A is answered, A never answers
      EXPECT_EQ(r.participant, 1);
      EXPECT_NEAR(r.onset_s - q.onset_s, 1.2, 0.1 + 1e-9);
      EXPECT_DOUBLE_EQ(ans.lag_s, r.onset_s - q.onset_s);
      if (ans.mode == "strict") {
        EXPECT_EQ(r.aus, q.aus);
        ++strict;
      } else {
        EXPECT_EQ(r.aus, BroadCounterpart(q.aus));
        EXPECT_NE(r.aus, q.aus);
        ++broad;
      }
      ++answered;
    }
  }
  const double rate = static_cast<double>(answered) / a_events;
  EXPECT_NEAR(rate, 0.7, 0.1);   // "about 70%"
  EXPECT_GT(strict, answered / 4);
  EXPECT_GT(broad, answered / 4);
}

TEST(Scenario, NullPresetHasNoAnswersButHasEventsAndBlinks) {
  PresetOptions o = Dyad(3);
  o.preset = "null";
  const auto s = *MakePreset(o);
  EXPECT_TRUE(s.answers.empty());
  std::set<int> who;
  int blinks = 0;
  for (const auto& e : s.events) {
    if (e.kind == EventKind::kBlink) ++blinks;
    else who.insert(e.participant);
  }
  EXPECT_EQ(who.size(), 2u);
  EXPECT_GT(blinks, 20);
}

// The demo plants one clear direction: B answers nine in ten of A's expressions; A answers
// a few of B's own expressions, where there is room for them.
TEST(Scenario, DemoHasOneClearLeader) {
  int a_to_b = 0, b_to_a = 0, a_events = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    PresetOptions o = Dyad(seed);
    o.preset = "demo";
    const auto s = *MakePreset(o);
    std::map<int, int> who;
    for (const auto& e : s.events) who[e.id] = e.participant;
    for (const auto& e : s.events) a_events += e.participant == 0 && e.aus != std::vector<int>{45};
    for (const auto& a : s.answers) (who[a.answers] == 0 ? a_to_b : b_to_a)++;
  }
  EXPECT_GT(a_to_b, 80);              // about 9 answers per 60-s demo
  EXPECT_LT(b_to_a, a_to_b / 4);
  EXPECT_GT(a_to_b, 0.8 * (a_events - b_to_a));
}

TEST(Scenario, BroadCounterpartsStayInTheirAffectClass) {
  EXPECT_EQ(BroadCounterpart({6, 12}), (std::vector<int>{6, 25}));
  EXPECT_EQ(BroadCounterpart({4}), (std::vector<int>{23, 17}));
  EXPECT_EQ(BroadCounterpart({1, 2}), (std::vector<int>{5, 25, 26}));
}

TEST(Scenario, ExpressionFollowsTheEventShape) {
  const std::string json = R"({"duration_s": 5, "participants": [{"id": "A", "face": "a.png"}, {"id": "B", "face": "b.png"}],
    "events": [{"participant": "B", "aus": [12, 6], "onset_s": 1.0, "apex_s": 1.5, "offset_s": 2.5, "intensity": 4}]})";
  auto s = ParseScenario(json, "x.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  const int au12 = AuIndex(12);
  EXPECT_EQ(ExpressionAt(*s, 1, 0.9).au[au12], 0.f);
  EXPECT_NEAR(ExpressionAt(*s, 1, 1.25).au[au12], 2.0, 1e-5);  // half-way up a smoothstep
  EXPECT_NEAR(ExpressionAt(*s, 1, 1.5).au[au12], 4.0, 1e-5);
  EXPECT_EQ(ExpressionAt(*s, 0, 1.5).au[au12], 0.f);            // A shows nothing
  EXPECT_EQ(ExpressionAt(*s, 1, 2.6).au[au12], 0.f);
  // Head motion stays within the amplitude (8 degrees by default).
  for (double t = 0; t < 5; t += 0.1)
    for (int k = 0; k < 3; ++k) EXPECT_LE(std::abs(ExpressionAt(*s, 0, t).head_rad[k]), 8 * CV_PI / 180 + 1e-9);
}

TEST(Scenario, MicroPresetIsASpottingSet) {
  PresetOptions o;
  o.preset = "micro";
  o.seed = 5;
  o.faces = {"a.png", "b.png"};
  EXPECT_FALSE(MakePreset(o).ok()) << "needs three faces";
  o.faces = {"a.png", "b.png", "c.png"};
  auto s = MakePreset(o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->participants.size(), 3u);
  EXPECT_EQ(s->participants[0].noise, "none");
  EXPECT_EQ(s->participants[1].noise, "low");
  EXPECT_EQ(s->participants[2].noise, "webcam");
  EXPECT_GE(s->duration_s, 100.0);
  int micro = 0, macro = 0, blinks = 0, nods = 0;
  for (const auto& e : s->events) {
    if (e.kind == EventKind::kMicro) {
      ++micro;
      EXPECT_GE(e.offset_s - e.onset_s, 1.0 / 25 - 1e-9);
      EXPECT_LE(e.offset_s - e.onset_s, 0.5);
    }
    if (e.kind == EventKind::kMacro) ++macro;
    if (e.kind == EventKind::kBlink) ++blinks;
    if (e.kind == EventKind::kNod) ++nods;
  }
  std::printf("[ figures ] micro preset: %d micro, %d macro, %d blinks, %d nods over 3 faces\n", micro, macro, blinks, nods);
  EXPECT_GE(micro, 30);
  EXPECT_GE(macro, 30);
  EXPECT_GT(blinks, 5);
  EXPECT_GT(nods, 5);
  // A nod moves the head (pitch) and no AU; expressions of one face never overlap.
  for (const auto& e : s->events)
    if (e.kind == EventKind::kNod) {
      const double t = e.onset_s + 0.125 * (e.offset_s - e.onset_s) + 0.0625;
      const Expression x = ExpressionAt(*s, e.participant, t);
      for (float v : x.au) EXPECT_EQ(v, 0.f);
      break;
    }
  const auto truth = nlohmann::json::parse(TruthJson(*s));
  EXPECT_EQ(truth["participants"][2]["noise"], "webcam");
  EXPECT_EQ(TruthJson(*MakePreset(o)), TruthJson(*s)) << "deterministic";
}

TEST(Scenario, BadScenariosAreClearErrors) {
  const std::string base = R"({"duration_s": 5, "participants": [{"id": "A", "face": "a.png"}, {"id": "B", "face": "b.png"}], "events": [)";
  struct Case {
    std::string json, words;
  };
  const Case cases[] = {
      {base + R"({"participant": "A", "aus": [13], "onset_s": 1, "apex_s": 1.2, "offset_s": 2}]})", "unknown AU 13"},
      {base + R"({"participant": "A", "aus": [12], "onset_s": 2, "apex_s": 1.2, "offset_s": 1}]})", "onset <= apex <= offset"},
      {base + R"({"participant": "Z", "aus": [12], "onset_s": 1, "apex_s": 1.2, "offset_s": 2}]})", "unknown participant"},
      {R"({"duration_s": -5, "participants": [{"id": "A", "face": "a"}, {"id": "B", "face": "b"}]})", "duration_s must be > 0"},
      {R"({"duration_s": 5, "participants": [{"id": "A", "face": "a"}]})", "2 to 4 participants"},
      {R"({"participants": []})", "missing or malformed"},
      {"{not json", "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto s = ParseScenario(c.json, "bad.json");
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_EQ(s.status().message().rfind("bad.json: ", 0), 0u) << s.status().message();
    EXPECT_NE(s.status().message().find(c.words), std::string::npos) << s.status().message();
  }
  PresetOptions o = Dyad(1);
  o.preset = "triad";
  EXPECT_FALSE(MakePreset(o).ok());
  o = Dyad(1, 0.05);
  EXPECT_FALSE(MakePreset(o).ok());
}

}  // namespace
}  // namespace mimicry::synth

namespace mimicry::synth {
namespace {

PresetOptions Audience(uint64_t seed, int viewers, double pa = 0.7, double pb = 0.3) {
  PresetOptions o;
  o.preset = "audience";
  o.seed = seed;
  o.viewers = viewers;
  o.mirror_probability = pa;
  o.mirror_probability_b = pb;
  o.duration_s = 60;
  o.faces = {"stimulus.png", "v1.png", "v2.png", "v3.png"};
  return o;
}

TEST(Scenario, AudiencePresetPlantsGroupMirroringAtTheLag) {
  const auto a = MakePreset(Audience(3, 20)), b = MakePreset(Audience(3, 20));
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(TruthJson(*a), TruthJson(*b));  // deterministic
  const Scenario& s = *a;
  ASSERT_EQ(s.participants.size(), 21u);
  EXPECT_EQ(s.participants[0].id, "S");
  EXPECT_EQ(s.participants[0].role, "stimulus");
  EXPECT_EQ(s.participants[1].id, "V01");
  EXPECT_EQ(s.participants[20].id, "V20");
  EXPECT_EQ(s.participants[1].face, "v1.png");
  EXPECT_EQ(s.participants[4].face, "v1.png");  // photos are cycled
  std::map<int, Event> by_id;
  for (const auto& e : s.events) by_id[e.id] = e;
  std::map<std::string, int> answered;
  int actor = 0;
  for (const auto& e : s.events) actor += e.participant == 0 && e.kind != EventKind::kBlink;
  for (const auto& ans : s.answers) {
    const Event& q = by_id.at(ans.answers);
    const Event& r = by_id.at(ans.event);
    EXPECT_EQ(q.participant, 0);  // only the stimulus is answered
    EXPECT_GE(r.participant, 1);
    EXPECT_NEAR(r.onset_s - q.onset_s, 0.6, 0.1 + 1e-9);
    answered[s.participants[static_cast<size_t>(r.participant)].group]++;
  }
  for (size_t v = 1; v <= 20; ++v) {
    EXPECT_EQ(s.participants[v].group, v <= 10 ? "A" : "B");
    EXPECT_GE(s.participants[v].offset_s, 0.5);
    EXPECT_LE(s.participants[v].offset_s, 3.0);
  }
  const double fa = static_cast<double>(answered["A"]) / (actor * 10), fb = static_cast<double>(answered["B"]) / (actor * 10);
  EXPECT_NEAR(fa, 0.7, 0.12);
  EXPECT_NEAR(fb, 0.3, 0.12);
  // truth.json carries what an audience analysis must recover.
  const auto j = nlohmann::json::parse(TruthJson(s));
  EXPECT_EQ(j["mirroring"]["from"], "S");
  EXPECT_NEAR(j["mirroring"]["mirror_probability"].get<double>(), 0.5, 1e-9);
  EXPECT_EQ(j["mirroring"]["lag_s"], 0.6);
  EXPECT_EQ(j["mirroring"]["stimulus_events"], actor);
  EXPECT_NEAR(j["groups"]["A"]["fraction_answered"].get<double>(), fa, 1e-3);
  EXPECT_NEAR(j["mirroring"]["fraction_answered"].get<double>(), (fa + fb) / 2, 1e-3);
  EXPECT_EQ(j["participants"][0]["video"], "stimulus.mp4");
  EXPECT_EQ(j["participants"][3]["video"], "viewers/V03.mp4");
  EXPECT_EQ(j["participants"][3]["offset_s"], s.participants[3].offset_s);
}

TEST(Scenario, AudiencePresetRejectsBadOptions) {
  auto o = Audience(1, 0);
  auto r = MakePreset(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--viewers"), std::string::npos);
  o = Audience(1, 5, 1.5);
  r = MakePreset(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--mirror-probability"), std::string::npos);
  o = Audience(1, 5);
  o.faces = {"only.png"};
  r = MakePreset(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("two face photos"), std::string::npos);
}

}  // namespace
}  // namespace mimicry::synth
