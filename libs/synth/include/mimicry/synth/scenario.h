// Scenarios for synthetic ground truth: who shows which action units when, who answers
// whom (strict: the same AUs; broad: another action of the same affect), head motion and
// image degradations. Deterministic: the same seed gives the same scenario, byte for byte.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/synth/face_rig.h"

namespace mimicry::synth {

enum class EventKind { kMacro, kMicro, kBlink, kNod };
const char* EventKindName(EventKind k);

struct Event {
  int id = 0;
  int participant = 0;      // index into Scenario::participants
  std::vector<int> aus;     // FACS codes, e.g. {6, 12}
  double onset_s = 0, apex_s = 0, offset_s = 0;
  float intensity = 3;      // 0..5 at the apex; a nod: its amplitude, 2 degrees per unit
  EventKind kind = EventKind::kMacro;
};

struct Answer {
  int event = 0;            // the answering event's id
  int answers = 0;          // the id of the event it answers
  std::string mode;         // "strict" or "broad"
  double lag_s = 0;         // answer onset - answered onset
};

struct Participant {
  std::string id;           // "A", "B", ...
  std::string face;         // photo path
  std::string noise;        // degradation level for this participant; empty = the scenario's
  // Audience preset: "stimulus" (the on-screen actor) or "viewer"; empty otherwise.
  std::string role;
  std::string group;        // viewers: their group (creative), e.g. "A" or "B"
  double mirror_probability = 0;  // viewers: chance of answering each stimulus event
  // Where scenario time 0 falls in this participant's own recording (s, >= 0): the
  // recording starts offset_s before the scenario and runs offset_s longer. A viewer's
  // webcam starts before the stimulus plays.
  double offset_s = 0;
};

struct Scenario {
  std::string preset;       // "dyad", "null", "demo", "micro", "audience" or "custom"
  uint64_t seed = 1;
  double duration_s = 60;
  int fps_num = 30, fps_den = 1;
  bool variable_frame_rate = false;  // frame intervals jitter +-30% around 1/fps
  std::string noise = "webcam";      // "none", "low", "webcam"
  double head_motion_deg = 8;        // amplitude of smooth head motion (pitch, yaw; roll half)
  std::vector<Participant> participants;
  std::vector<Event> events;
  std::vector<Answer> answers;
  // For the mirroring presets: who mirrors whom, with what probability and lag.
  std::string mirror_from, mirror_to;
  double mirror_probability = 0, mirror_lag_s = 0;
};

struct PresetOptions {
  // "dyad" (B mirrors A), "null" (independent), "demo" (a dyad in which A also answers
  // 30% of B's own events: mimicry both ways, A leading more), or "micro" (a spotting
  // set: three faces at the noise levels none, low and webcam, each with 12 micro- and 12
  // macro-expressions, blinks and nods between them; at least 100 s; needs 3 faces).
  std::string preset = "dyad";
  double lag_s = 0.6;            // dyad: B answers A this much later (+-0.1 s jitter)
  std::string mode = "mixed";    // dyad: "strict", "broad" or "mixed"
  uint64_t seed = 1;
  double duration_s = 60;
  int fps_num = 30, fps_den = 1;
  bool variable_frame_rate = false;
  std::string noise = "webcam";
  std::vector<std::string> faces;  // photo per participant (A, B); audience: stimulus, then viewers (cycled)
  // "audience": one on-screen actor (participant "S", the stimulus) with expression events
  // every 4-6.5 s, and `viewers` viewers (V01, V02, ...) whose webcams start 0.5-3 s before
  // the stimulus (Participant::offset_s). The first half of the viewers are group "A", who
  // answer each stimulus event with probability `mirror_probability`, the rest group "B",
  // with `mirror_probability_b`; answers come lag_s (+-0.1 s) later, strict or broad as
  // `mode` says. Viewers also have spontaneous events of their own, and blinks.
  // dyad, null, demo: spontaneous expressions at irregular times (gaps of at least 1.5 s
  // plus a gamma(2) amount, the same mean as the regular gaps; first one anywhere in the
  // first gap; the last 3 s left free) instead of regular ones (uniform gaps, first one
  // at 1-2 s / 3-6 s, the last 5 s free). Real people are not metronomes.
  bool irregular = false;
  int viewers = 20;
  double mirror_probability = 0.7;
  double mirror_probability_b = 0.3;
};

// Errors: InvalidArgument naming the parameter (unknown preset or mode, bad lag,
// duration, fps, noise level, fewer than 2 faces).
Result<Scenario> MakePreset(const PresetOptions& options);

// Reads a scenario from JSON text (format in docs/synth.md). Errors: InvalidArgument
// naming `source` and the field (unknown AU, negative duration, onset after offset, ...).
Result<Scenario> ParseScenario(const std::string& json_text, const std::string& source);

// The broad-congruence partner actions: the AUs of another action of the same affect.
std::vector<int> BroadCounterpart(const std::vector<int>& aus);

// What each participant shows at time t (AU intensities; head rotation), from the events
// (overlapping events take the maximum per AU) and the seeded smooth head motion.
Expression ExpressionAt(const Scenario& s, int participant, double t);

// truth.json text (every event and answer, parameters).
std::string TruthJson(const Scenario& s);

}  // namespace mimicry::synth
