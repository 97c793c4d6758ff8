#include "mimicry/synth/scenario.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "mimicry/stats/random.h"

namespace mimicry::synth {
namespace {

// Scenario draws from the one generator (stats::Rng, splitmix64): the same seed gives the
// same scenario on every platform and compiler.
class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
  double Uniform(double a, double b) { return a + (b - a) * g_.Uniform(); }
  // A gap between spontaneous expressions averaging (lo + hi) / 2: uniform in [lo, hi]
  // (regular timing), or at least 1.5 s plus a gamma(2) amount (irregular: CV about 0.7).
  double Gap(double lo, double hi, bool irregular) {
    if (!irregular) return Uniform(lo, hi);
    const double scale = ((lo + hi) / 2 - 1.5) / 2;
    return 1.5 - scale * (std::log(1 - Uniform(0, 1)) + std::log(1 - Uniform(0, 1)));
  }
  bool Chance(double p) { return Uniform(0, 1) < p; }
  size_t Pick(size_t n) { return static_cast<size_t>(Uniform(0, static_cast<double>(n))) % n; }

 private:
  stats::Rng g_;
};

// Expression repertoire for spontaneous events: (AUs, affect class).
struct Action {
  std::vector<int> aus;
  const char* affect;
};
const Action kRepertoire[] = {
    {{6, 12}, "positive"},  {{12}, "positive"},   {{1, 2}, "surprise"},
    {{4}, "negative"},      {{1, 2, 25, 26}, "surprise"}, {{15}, "negative"},
};

float Shape(const Event& e, double t) {
  if (t <= e.onset_s || t >= e.offset_s) return 0.f;
  auto smooth = [](double x) { return x * x * (3 - 2 * x); };
  const double v = t <= e.apex_s ? smooth((t - e.onset_s) / std::max(1e-6, e.apex_s - e.onset_s))
                                 : smooth((e.offset_s - t) / std::max(1e-6, e.offset_s - e.apex_s));
  return static_cast<float>(e.intensity * v);
}

constexpr size_t kMaxViewers = 500;

std::string fmt_viewer(int k) {
  char b[16];
  std::snprintf(b, sizeof b, "V%02d", k);
  return b;
}

Status Validate(const Scenario& s, const std::string& src) {
  if (!(s.duration_s > 0)) return InvalidArgument(src + ": duration_s must be > 0");
  if (s.fps_num <= 0 || s.fps_den <= 0) return InvalidArgument(src + ": fps must be > 0");
  const size_t max_participants = s.preset == "audience" ? kMaxViewers + 1 : 4;
  if (s.participants.size() < 2 || s.participants.size() > max_participants)
    return InvalidArgument(src + ": 2 to " + std::to_string(max_participants) + " participants, got " +
                           std::to_string(s.participants.size()));
  for (const auto& p : s.participants)
    if (!(p.offset_s >= 0 && p.offset_s < 3600)) return InvalidArgument(src + ": participant " + p.id + ": offset_s must be 0..3600");
  if (s.noise != "none" && s.noise != "low" && s.noise != "webcam")
    return InvalidArgument(src + ": noise must be none, low or webcam, got '" + s.noise + "'");
  for (const auto& p : s.participants)
    if (!p.noise.empty() && p.noise != "none" && p.noise != "low" && p.noise != "webcam")
      return InvalidArgument(src + ": participant " + p.id + ": noise must be none, low or webcam");
  for (const auto& e : s.events) {
    const std::string where = src + ": event " + std::to_string(e.id);
    if (e.aus.empty() && e.kind != EventKind::kNod) return InvalidArgument(where + ": needs at least one AU");
    if (e.participant < 0 || e.participant >= static_cast<int>(s.participants.size()))
      return InvalidArgument(where + ": unknown participant");
    for (int au : e.aus)
      if (AuIndex(au) < 0) return InvalidArgument(where + ": unknown AU " + std::to_string(au));
    if (!(e.onset_s <= e.apex_s && e.apex_s <= e.offset_s && e.onset_s < e.offset_s))
      return InvalidArgument(where + ": needs onset <= apex <= offset");
    if (!(e.intensity >= 0 && e.intensity <= 5)) return InvalidArgument(where + ": intensity must be 0..5");
  }
  return Status::Ok();
}


Event MakeEvent(Rng& rng, int id, int who, std::vector<int> aus, double onset) {
  Event e;
  e.id = id;
  e.participant = who;
  e.aus = std::move(aus);
  e.onset_s = onset;
  e.apex_s = onset + rng.Uniform(0.4, 0.8);
  e.offset_s = e.apex_s + rng.Uniform(0.8, 1.6);
  e.intensity = static_cast<float>(rng.Uniform(2.5, 4.5));
  return e;
}

}  // namespace

const char* EventKindName(EventKind k) {
  switch (k) {
    case EventKind::kMacro: return "macro";
    case EventKind::kMicro: return "micro";
    case EventKind::kBlink: return "blink";
    case EventKind::kNod: return "nod";
  }
  return "?";
}

std::vector<int> BroadCounterpart(const std::vector<int>& aus) {
  const std::set<int> a(aus.begin(), aus.end());
  if (a.count(12)) return {6, 25};   // smile -> cheek raise with parted lips (positive)
  if (a.count(4)) return {23, 17};   // frown -> lip press (negative)
  if (a.count(15)) return {4};       // lip corners down -> brow lowerer (negative)
  if (a.count(1) || a.count(2)) return {5, 25, 26};  // brow flash -> eyes widen, mouth opens (surprise)
  return aus;
}

namespace {

// The spotting set: per face, alternating macro (1-3 s) and micro (1/25-1/2 s)
// expressions from the repertoire, 2.2-3.2 s apart, with a blink or a nod in each gap.
Result<Scenario> MakeMicro(const PresetOptions& o) {
  if (o.faces.size() < 3) return InvalidArgument("--preset micro: three face photos are needed");
  Scenario s;
  s.preset = "micro";
  s.seed = o.seed;
  s.duration_s = std::max(o.duration_s, 100.0);
  s.fps_num = o.fps_num;
  s.fps_den = o.fps_den;
  s.variable_frame_rate = o.variable_frame_rate;
  s.noise = "webcam";
  s.head_motion_deg = 3;  // still heads: nods are events here
  const char* levels[3] = {"none", "low", "webcam"};
  for (int p = 0; p < 3; ++p) s.participants.push_back({std::string(1, static_cast<char>('A' + p)), o.faces[static_cast<size_t>(p)], levels[p]});
  Rng rng(o.seed * 31 + 7);
  int id = 0;
  for (int p = 0; p < 3; ++p) {
    int micro = 0, macro = 0;
    double t = rng.Uniform(1.0, 1.5);
    while ((micro < 12 || macro < 12) && t < s.duration_s - 3.5) {
      const bool is_micro = micro < 12 && (macro >= 12 || (micro + macro) % 2 == 1);
      const Action& act = kRepertoire[rng.Pick(std::size(kRepertoire))];
      Event e;
      e.id = id++;
      e.participant = p;
      e.aus = act.aus;
      e.onset_s = t;
      const double dur = is_micro ? rng.Uniform(1.0 / 25, 0.5) : rng.Uniform(1.0, 3.0);
      e.apex_s = t + dur * rng.Uniform(0.3, 0.5);
      e.offset_s = t + dur;
      e.intensity = static_cast<float>(rng.Uniform(is_micro ? 2.0 : 2.5, is_micro ? 4.0 : 4.5));
      e.kind = is_micro ? EventKind::kMicro : EventKind::kMacro;
      s.events.push_back(e);
      (is_micro ? micro : macro)++;
      // In the gap: a blink (AU45) or a nod, clear of the expressions.
      const double gap = rng.Uniform(2.2, 3.2);
      Event g;
      g.id = id++;
      g.participant = p;
      g.onset_s = e.offset_s + 0.5 + rng.Uniform(0.0, 0.4);
      if (rng.Chance(0.5)) {
        g.aus = {45};
        g.kind = EventKind::kBlink;
        const double d = rng.Uniform(0.15, 0.3);
        g.apex_s = g.onset_s + 0.4 * d;
        g.offset_s = g.onset_s + d;
        g.intensity = 5;
      } else {
        g.kind = EventKind::kNod;
        g.apex_s = g.onset_s + 0.25;
        g.offset_s = g.onset_s + 1.0;
        g.intensity = static_cast<float>(rng.Uniform(1.5, 3.0));  // 3-6 degrees
      }
      s.events.push_back(g);
      t = std::max(e.offset_s, g.offset_s) + gap - 1.5;
    }
    if (micro < 12 || macro < 12) return InvalidArgument("--preset micro: --duration too short for 12 micro and 12 macro events per face");
  }
  std::sort(s.events.begin(), s.events.end(), [](const Event& x, const Event& y) { return x.id < y.id; });
  MIMICRY_RETURN_IF_ERROR(Validate(s, "preset micro"));
  return s;
}

// The scenario fields every preset takes from its options as they are.
Scenario FromPreset(const PresetOptions& o) {
  Scenario s;
  s.preset = o.preset;
  s.seed = o.seed;
  s.duration_s = o.duration_s;
  s.fps_num = o.fps_num;
  s.fps_den = o.fps_den;
  s.variable_frame_rate = o.variable_frame_rate;
  s.noise = o.noise;
  return s;
}

// --mode and --lag, as the mirroring presets (dyad, demo, audience) use them.
Status CheckModeAndLag(const PresetOptions& o) {
  if (o.mode != "strict" && o.mode != "broad" && o.mode != "mixed") return InvalidArgument("--mode: must be strict, broad or mixed");
  if (!(o.lag_s >= 0.2 && o.lag_s <= 2.9)) return InvalidArgument("--lag: must be within 0.2..2.9 s");
  return Status::Ok();
}

// Blinks every 2.5-5 s, 0.15-0.3 s long, for participant p.
void AddBlinks(Scenario& s, Rng& rng, int& id, int p) {
  for (double t = rng.Uniform(0.5, 2.0); t < s.duration_s - 0.5; t += rng.Uniform(2.5, 5.0)) {
    Event b;
    b.id = id++;
    b.participant = p;
    b.aus = {45};
    b.kind = EventKind::kBlink;
    b.onset_s = t;
    const double d = rng.Uniform(0.15, 0.3);
    b.apex_s = t + d * 0.4;
    b.offset_s = t + d;
    b.intensity = 5;
    s.events.push_back(b);
  }
}

Result<Scenario> MakeAudience(const PresetOptions& o) {
  if (o.viewers < 1 || o.viewers > static_cast<int>(kMaxViewers))
    return InvalidArgument("--viewers: must be 1.." + std::to_string(kMaxViewers));
  for (double p : {o.mirror_probability, o.mirror_probability_b})
    if (!(p >= 0 && p <= 1)) return InvalidArgument("--mirror-probability: must be within 0..1");
  if (o.faces.size() < 2) return InvalidArgument("--preset audience: at least two face photos are needed");
  Scenario s = FromPreset(o);
  s.mirror_from = "S";
  s.mirror_to = "viewers";
  s.mirror_lag_s = o.lag_s;
  Rng rng(o.seed * 977 + 13);
  s.participants.push_back({"S", o.faces[0], "none", "stimulus", "", 0, 0});  // produced footage: clean
  const int half = (o.viewers + 1) / 2;
  for (int v = 0; v < o.viewers; ++v) {
    Participant p;
    p.id = fmt_viewer(v + 1);
    p.face = o.faces[1 + static_cast<size_t>(v) % (o.faces.size() - 1)];
    p.role = "viewer";
    p.group = v < half ? "A" : "B";
    p.mirror_probability = v < half ? o.mirror_probability : o.mirror_probability_b;
    p.offset_s = std::round(rng.Uniform(0.5, 3.0) * 1000) / 1000;
    s.participants.push_back(p);
  }
  s.mirror_probability = 0;
  for (size_t v = 1; v < s.participants.size(); ++v) s.mirror_probability += s.participants[v].mirror_probability;
  s.mirror_probability /= o.viewers;
  int id = 0;
  std::vector<Event> actor;
  for (double t = rng.Uniform(1.0, 2.0); t < o.duration_s - 4.0; t += rng.Uniform(4.0, 6.5)) {
    const Action& act = kRepertoire[rng.Pick(std::size(kRepertoire))];
    actor.push_back(MakeEvent(rng, id++, 0, act.aus, t));
  }
  s.events = actor;
  AddBlinks(s, rng, id, 0);
  for (int v = 1; v <= o.viewers; ++v) {
    const Participant& p = s.participants[static_cast<size_t>(v)];
    for (const Event& a : actor) {
      const bool answer = rng.Chance(p.mirror_probability);
      const double lag = o.lag_s + rng.Uniform(-0.1, 0.1);
      const bool broad = o.mode == "broad" || (o.mode == "mixed" && rng.Chance(0.5));
      if (!answer) continue;
      Event b = MakeEvent(rng, id++, v, broad ? BroadCounterpart(a.aus) : a.aus, a.onset_s + lag);
      b.intensity = static_cast<float>(rng.Uniform(2.0, 4.0));  // viewers react less than actors act
      s.events.push_back(b);
      s.answers.push_back({b.id, a.id, broad ? "broad" : "strict", b.onset_s - a.onset_s});
    }
    // Spontaneous events of the viewer (every 9-14 s), clear of the actor's events so
    // that they answer nothing by construction.
    for (double t = rng.Uniform(3.0, 8.0); t < o.duration_s - 4.0; t += rng.Uniform(9.0, 14.0)) {
      const bool near = std::any_of(actor.begin(), actor.end(), [&](const Event& a) { return t > a.onset_s - 1.0 && t < a.onset_s + 3.5; });
      if (near) continue;
      const Action& act = kRepertoire[rng.Pick(std::size(kRepertoire))];
      s.events.push_back(MakeEvent(rng, id++, v, act.aus, t));
    }
    AddBlinks(s, rng, id, v);
  }
  std::sort(s.events.begin(), s.events.end(), [](const Event& x, const Event& y) { return x.id < y.id; });
  MIMICRY_RETURN_IF_ERROR(Validate(s, "preset audience"));
  return s;
}

}  // namespace

Result<Scenario> MakePreset(const PresetOptions& o) {
  if (o.preset == "micro") return MakeMicro(o);
  if (o.preset == "audience") {
    MIMICRY_RETURN_IF_ERROR(CheckModeAndLag(o));
    if (!(o.duration_s >= 10)) return InvalidArgument("--duration: the audience preset needs at least 10 s");
    return MakeAudience(o);
  }
  if (o.preset != "dyad" && o.preset != "null" && o.preset != "demo")
    return InvalidArgument("--preset: unknown preset '" + o.preset + "' (dyad, null, demo, micro, audience)");
  MIMICRY_RETURN_IF_ERROR(CheckModeAndLag(o));
  if (o.faces.size() < 2) return InvalidArgument("synth: two face photos are needed");
  Scenario s = FromPreset(o);
  s.participants = {{"A", o.faces[0]}, {"B", o.faces[1]}};
  const bool mirrors = o.preset == "dyad" || o.preset == "demo";
  if (mirrors) {
    s.mirror_from = "A";
    s.mirror_to = "B";
    s.mirror_probability = o.preset == "demo" ? 0.9 : 0.7;
    s.mirror_lag_s = o.lag_s;
  }
  Rng rng(o.seed);
  int id = 0;
  // A's spontaneous events, 4-6.5 s apart.
  std::vector<Event> a_events;
  // (demo: 3.5-5 s apart, a clear effect: B answers 90% of them.)
  const double a_lo = o.preset == "demo" ? 3.5 : 4.0, a_hi = o.preset == "demo" ? 5.0 : 6.5;
  const bool irr = o.irregular;
  const double last = o.duration_s - (irr ? 3.0 : 5.0);
  for (double t = irr ? rng.Uniform(0, a_hi) : rng.Uniform(1.0, 2.0); t < last; t += rng.Gap(a_lo, a_hi, irr)) {
    const Action& act = kRepertoire[rng.Pick(std::size(kRepertoire))];
    a_events.push_back(MakeEvent(rng, id++, 0, act.aus, t));
  }
  s.events = a_events;
  // B's answers (dyad), then B's own spontaneous events in the gaps.
  for (const Event& a : a_events) {
    const bool answer = mirrors && rng.Chance(s.mirror_probability);
    const double lag = o.lag_s + rng.Uniform(-0.1, 0.1);
    const bool broad = o.mode == "broad" || (o.mode == "mixed" && rng.Chance(0.5));
    if (!answer) continue;
    Event b = MakeEvent(rng, id++, 1, broad ? BroadCounterpart(a.aus) : a.aus, a.onset_s + lag);
    s.events.push_back(b);
    s.answers.push_back({b.id, a.id, broad ? "broad" : "strict", b.onset_s - a.onset_s});
  }
  // (demo: B's own events are tried every 2-4 s, so that A has some to answer.)
  const double b_lo = o.preset == "demo" ? 2.0 : 9.0, b_hi = o.preset == "demo" ? 4.0 : 14.0;
  for (double t = irr ? rng.Uniform(0, b_hi) : rng.Uniform(3.0, 6.0); t < last; t += rng.Gap(b_lo, b_hi, irr)) {
    // Spontaneous events of B answer nothing; keep them clear of A's events so that they
    // do not count as answers by chance (the null preset has chance coincidences anyway).
    const bool near_a = std::any_of(a_events.begin(), a_events.end(),
                                    [&](const Event& a) { return t > a.onset_s - 1.0 && t < a.onset_s + 3.5; });
    if (mirrors && near_a) continue;
    const Action& act = kRepertoire[rng.Pick(std::size(kRepertoire))];
    const Event b = MakeEvent(rng, id++, 1, act.aus, t);
    s.events.push_back(b);
    // demo: mimicry both ways, A leading more: A answers B's own events with p = 0.3.
    if (o.preset == "demo" && rng.Chance(0.25)) {
      const bool broad = rng.Chance(0.5);
      const Event a = MakeEvent(rng, id++, 0, broad ? BroadCounterpart(b.aus) : b.aus, b.onset_s + o.lag_s + rng.Uniform(-0.1, 0.1));
      s.events.push_back(a);
      s.answers.push_back({a.id, b.id, broad ? "broad" : "strict", a.onset_s - b.onset_s});
    }
  }
  // Blinks for both, every 2.5-5 s, 0.15-0.3 s long.
  for (int p = 0; p < 2; ++p) AddBlinks(s, rng, id, p);
  std::sort(s.events.begin(), s.events.end(), [](const Event& x, const Event& y) { return x.id < y.id; });
  MIMICRY_RETURN_IF_ERROR(Validate(s, "preset " + o.preset));
  return s;
}

Result<Scenario> ParseScenario(const std::string& text, const std::string& src) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    return InvalidArgument(src + ": not valid JSON");
  }
  Scenario s;
  s.preset = "custom";
  try {
    s.seed = j.value("seed", uint64_t{1});
    s.duration_s = j.at("duration_s").get<double>();
    s.fps_num = j.value("fps_num", 30);
    s.fps_den = j.value("fps_den", 1);
    s.variable_frame_rate = j.value("variable_frame_rate", false);
    s.noise = j.value("noise", std::string("webcam"));
    s.head_motion_deg = j.value("head_motion_deg", 8.0);
    for (const auto& p : j.at("participants"))
      s.participants.push_back({p.at("id"), p.at("face"), p.value("noise", std::string())});
    int id = 0;
    for (const auto& e : j.value("events", nlohmann::json::array())) {
      Event ev;
      ev.id = id++;
      const std::string who = e.at("participant");
      ev.participant = -1;
      for (size_t i = 0; i < s.participants.size(); ++i)
        if (s.participants[i].id == who) ev.participant = static_cast<int>(i);
      const bool is_nod = e.value("kind", std::string()) == "nod";
      ev.aus = is_nod ? std::vector<int>{} : e.at("aus").get<std::vector<int>>();
      ev.onset_s = e.at("onset_s");
      ev.apex_s = e.at("apex_s");
      ev.offset_s = e.at("offset_s");
      ev.intensity = e.value("intensity", 3.0f);
      const double dur = ev.offset_s - ev.onset_s;
      ev.kind = is_nod ? EventKind::kNod
                : ev.aus == std::vector<int>{45} ? EventKind::kBlink
                : dur < 0.5 ? EventKind::kMicro : EventKind::kMacro;
      s.events.push_back(ev);
    }
  } catch (const std::exception& e) {
    return InvalidArgument(src + ": missing or malformed field (" + std::string(e.what()) + ")");
  }
  MIMICRY_RETURN_IF_ERROR(Validate(s, src));
  return s;
}

Expression ExpressionAt(const Scenario& s, int participant, double t) {
  Expression x;
  double nod = 0;
  for (const auto& e : s.events) {
    if (e.participant != participant || t <= e.onset_s || t >= e.offset_s) continue;
    if (e.kind == EventKind::kNod) {
      // Two down-up cycles (2 Hz) under a half-sine envelope; 2 degrees per unit.
      const double u = (t - e.onset_s) / (e.offset_s - e.onset_s);
      nod += 2.0 * e.intensity * CV_PI / 180.0 * std::sin(CV_PI * u) * std::sin(2 * CV_PI * 2.0 * (t - e.onset_s));
      continue;
    }
    const float v = Shape(e, t);
    for (int au : e.aus) {
      auto& slot = x.au[static_cast<size_t>(AuIndex(au))];
      slot = std::max(slot, v);
    }
  }
  // Smooth head motion: per participant and axis, four sinusoids with frequencies
  // (0.05-0.45 Hz) and phases drawn from the seed and the participant, so that two
  // participants' motions are independent (shared frequencies would couple them at a lag).
  Rng rng(s.seed * 7919 + static_cast<uint64_t>(participant) + 1);
  const double amp = s.head_motion_deg * CV_PI / 180.0;
  for (int axis = 0; axis < 3; ++axis) {
    double v = 0;
    for (int k = 0; k < 4; ++k) {
      const double f = rng.Uniform(0.05, 0.45), phase = rng.Uniform(0, 2 * CV_PI);
      v += std::sin(2 * CV_PI * f * t + phase) / 4;
    }
    x.head_rad[axis] = (axis == 2 ? 0.5 : 1.0) * amp * v;
  }
  x.head_rad[0] += nod;
  return x;
}

std::string TruthJson(const Scenario& s) {
  nlohmann::ordered_json j;
  j["preset"] = s.preset;
  j["seed"] = s.seed;
  j["duration_s"] = s.duration_s;
  j["fps"] = std::to_string(s.fps_num) + "/" + std::to_string(s.fps_den);
  j["variable_frame_rate"] = s.variable_frame_rate;
  j["noise"] = s.noise;
  j["head_motion_deg"] = s.head_motion_deg;
  const bool audience = s.preset == "audience";
  for (const auto& p : s.participants) {
    nlohmann::ordered_json jp = {{"id", p.id},
                                 {"face", p.face},
                                 {"video", !audience ? p.id + ".mp4" : p.role == "stimulus" ? "stimulus.mp4" : "viewers/" + p.id + ".mp4"},
                                 {"noise", p.noise.empty() ? s.noise : p.noise}};
    if (!p.role.empty()) jp["role"] = p.role;
    if (p.role == "viewer") {
      jp["group"] = p.group;
      jp["mirror_probability"] = p.mirror_probability;
    }
    if (p.offset_s != 0 || audience) jp["offset_s"] = p.offset_s;
    j["participants"].push_back(jp);
  }
  auto r3 = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  j["events"] = nlohmann::ordered_json::array();
  for (const auto& e : s.events)
    j["events"].push_back({{"id", e.id},
                           {"participant", s.participants[static_cast<size_t>(e.participant)].id},
                           {"aus", e.aus},
                           {"onset_s", r3(e.onset_s)},
                           {"apex_s", r3(e.apex_s)},
                           {"offset_s", r3(e.offset_s)},
                           {"intensity", r3(e.intensity)},
                           {"kind", EventKindName(e.kind)}});
  j["answers"] = nlohmann::ordered_json::array();
  for (const auto& a : s.answers)
    j["answers"].push_back({{"event", a.event}, {"answers", a.answers}, {"mode", a.mode}, {"lag_s", r3(a.lag_s)}});
  if (!s.mirror_from.empty())
    j["mirroring"] = {{"from", s.mirror_from}, {"to", s.mirror_to}, {"mirror_probability", r3(s.mirror_probability)},
                      {"lag_s", s.mirror_lag_s}};
  if (audience) {
    // The planted truth an audience analysis should recover: per group and overall, the
    // probability of answering and the share of (stimulus event, viewer) pairs answered.
    std::map<std::string, std::pair<double, int>> prob;  // group -> (sum p, viewers)
    for (const auto& p : s.participants)
      if (p.role == "viewer") prob[p.group].first += p.mirror_probability, prob[p.group].second++;
    int actor_events = 0;
    for (const auto& e : s.events) actor_events += e.participant == 0 && e.kind != EventKind::kBlink;
    std::map<std::string, int> answered;
    for (const auto& a : s.answers) {
      for (const auto& e : s.events)
        if (e.id == a.event) answered[s.participants[static_cast<size_t>(e.participant)].group]++;
    }
    int all_answers = 0, viewers = 0;
    for (const auto& [g, pv] : prob) {
      j["groups"][g] = {{"viewers", pv.second},
                        {"mirror_probability", r3(pv.first / pv.second)},
                        {"fraction_answered", actor_events > 0 ? r3(static_cast<double>(answered[g]) / (actor_events * pv.second)) : 0.0}};
      all_answers += answered[g];
      viewers += pv.second;
    }
    j["mirroring"]["stimulus_events"] = actor_events;
    j["mirroring"]["fraction_answered"] = actor_events > 0 ? r3(static_cast<double>(all_answers) / (actor_events * viewers)) : 0.0;
  }
  return j.dump(2) + "\n";
}

}  // namespace mimicry::synth
