#include "mimicry/pipeline/audience.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <numeric>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mimicry/audience/curves.h"
#include "mimicry/audience/isc.h"
#include "mimicry/audience/mirroring.h"
#include "mimicry/core/csv.h"

#include "inputs.h"
#include "mimicry/face/expression.h"
#include "mimicry/face/facs.h"
#include "mimicry/io/frame_source.h"
#include "mimicry/pipeline/analyze.h"
#include "mimicry/report/report.h"
#include "mimicry/stats/correlation.h"
#include "mimicry/stats/descriptive.h"
#include "mimicry/stats/distributions.h"
#include "mimicry/stats/models.h"
#include "mimicry/stats/random.h"
#include "mimicry/stats/tests.h"
#include "mimicry/sync/xcorr.h"

namespace mimicry::pipeline {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

json Num(double v, int digits = 4) {
  if (!std::isfinite(v)) return nullptr;
  const double s = std::pow(10.0, digits);
  return std::round(v * s) / s;
}
std::string Fmt(double v, int digits = 4) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : std::string(); }



std::string TimeCode(double s) {
  const int m = static_cast<int>(s / 60);
  return fmt::format("{}:{:04.1f}", m, s - 60 * m);
}

// ---- Per viewer -------------------------------------------------------------------------

constexpr std::array<const char*, 8> kExpressions = {"smile", "happiness", "sadness", "surprise", "fear", "anger", "disgust", "contempt"};
constexpr size_t kNumExpr = kExpressions.size();

struct Viewer {
  ManifestRow row;
  std::string error;          // non-empty: skipped
  bool manifest_error = false;  // the row itself is wrong (abort the run)
  double recording_s = 0;     // length of the recording read
  std::vector<std::array<float, kNumExpr>> expr;  // per sample (stimulus clock); NaN = no face
  std::vector<float> expressiveness, valence;
  std::vector<uint8_t> valid, attentive;
  std::vector<sync::ExprEvent> events;
  // Per second of the stimulus: the median of each expression (NaN: < half the second valid).
  std::vector<std::array<double, kNumExpr>> sec;
  std::vector<double> sec_express, sec_valence;
  std::vector<uint8_t> sec_attentive;  // attentive in >= half of the second
};

// Expressions, attention and events of one viewer on the stimulus clock (n samples).
void Describe(const TimeSeries& raw, double offset_s, size_t n, const AudienceOptions& o, Viewer& v) {
  const series::Uniform u = internal::Derive(raw, -offset_s, 0, n, o.rate_hz, o.max_gap_s);
  series::ResampleOptions ro;
  ro.rate_hz = o.rate_hz;
  ro.max_gap_s = o.max_gap_s;
  const series::Uniform pose = series::Resample(raw, -offset_s, 0, n, ro);
  const int rx = pose.ChannelIndex("pose_Rx"), ry = pose.ChannelIndex("pose_Ry");
  std::vector<double> px, py;
  for (size_t i = 0; i < n; i += 3) {
    if (rx >= 0 && std::isfinite(pose.data[static_cast<size_t>(rx)][i])) px.push_back(pose.data[static_cast<size_t>(rx)][i]);
    if (ry >= 0 && std::isfinite(pose.data[static_cast<size_t>(ry)][i])) py.push_back(pose.data[static_cast<size_t>(ry)][i]);
  }
  const double mx = stats::Median(px), my = stats::Median(py);
  v.expr.assign(n, {});
  v.expressiveness.assign(n, kNaNf);
  v.valence.assign(n, kNaNf);
  v.valid.assign(n, 0);
  v.attentive.assign(n, 0);
  const size_t i12 = static_cast<size_t>(face::AuIndex(12));
  const internal::SideChannels sides = internal::SideChannelsOf(pose);
  for (size_t i = 0; i < n; ++i) {
    face::AuIntensities a;
    bool ok = true;
    for (int k = 0; k < face::kNumAus && ok; ++k) {
      const float x = u.data[static_cast<size_t>(k)][i];
      ok = std::isfinite(x);
      a.r[static_cast<size_t>(k)] = x;
    }
    if (!ok) {
      v.expr[i].fill(kNaNf);
      continue;
    }
    internal::SidesOf(pose, sides, i, a);  // pose: every raw channel resampled, the sided AUs among them
    const face::Emotions e = face::EmotionsFromAus(a);
    v.expr[i][0] = a.r[i12];
    for (size_t k = 0; k < 7; ++k) v.expr[i][k + 1] = e.score[k];
    v.expressiveness[i] = e.expressiveness;
    v.valence[i] = e.valence;
    v.valid[i] = 1;
    // Attention: head within limits of the viewer's own typical pose (the camera need not
    // sit on the screen's axis).
    const float pp = rx >= 0 ? pose.data[static_cast<size_t>(rx)][i] : kNaNf, yy = ry >= 0 ? pose.data[static_cast<size_t>(ry)][i] : kNaNf;
    const bool turned = std::isfinite(pp) && std::isfinite(yy) && std::isfinite(mx) && std::isfinite(my) &&
                        (std::abs(yy - my) * 180 / M_PI > o.attention_max_yaw_deg || std::abs(pp - mx) * 180 / M_PI > o.attention_max_pitch_deg);
    v.attentive[i] = turned ? 0 : 1;
  }
  std::vector<std::span<const float>> aus;
  for (int k = 0; k < face::kNumAus; ++k) aus.emplace_back(u.data[static_cast<size_t>(k)]);
  v.events = sync::DetectEvents(aus, 0, o.rate_hz, o.events);
  // Per-second medians.
  const size_t per = static_cast<size_t>(std::lround(o.rate_hz));
  const size_t secs = n / per;
  v.sec.assign(secs, {});
  v.sec_express.assign(secs, kNaN);
  v.sec_valence.assign(secs, kNaN);
  v.sec_attentive.assign(secs, 0);
  for (size_t s = 0; s < secs; ++s) {
    std::vector<double> col, ex, va;
    int att = 0;
    for (size_t i = s * per; i < (s + 1) * per; ++i) {
      att += v.attentive[i] && v.valid[i];
      if (v.valid[i]) ex.push_back(v.expressiveness[i]), va.push_back(v.valence[i]);
    }
    v.sec_attentive[s] = att * 2 >= static_cast<int>(per);
    const bool enough = ex.size() * 2 >= per;
    for (size_t k = 0; k < kNumExpr; ++k) {
      col.clear();
      for (size_t i = s * per; i < (s + 1) * per; ++i)
        if (v.valid[i]) col.push_back(v.expr[i][k]);
      v.sec[s][k] = enough ? stats::Median(col) : kNaN;
    }
    v.sec_express[s] = enough ? stats::Median(ex) : kNaN;
    v.sec_valence[s] = enough ? stats::Median(va) : kNaN;
  }
}


double LastTime(const schema::FeatureTable& t) {
  double last = 0;
  for (const auto& [id, s] : t.faces)
    if (!s.empty()) last = std::max(last, s.time(s.size() - 1).seconds());
  return last;
}

// ---- Mirroring ----------------------------------------------------------------------------

struct StimEvent {
  sync::ExprEvent e;
  std::string face;
};

struct MirrorCount {
  int eligible = 0, answered = 0;
};

}  // namespace

Result<std::vector<ManifestRow>> ReadManifest(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + ": no such file");
  std::ifstream in(path);
  CsvReader csv(in, path);
  std::vector<std::string> h, c;
  if (!csv.Read(h)) return csv.status().ok() ? InvalidInput(path + ": empty file") : csv.status();
  auto col = [&](const char* n) { return FindColumn(h, n); };
  for (const char* need : {"viewer_id", "file", "offset_s"})
    if (col(need) < 0) return InvalidInput(path + ": line 1: missing column " + need + " (needs viewer_id, file, offset_s[, group])");
  const int cv = col("viewer_id"), cf = col("file"), co = col("offset_s"), cg = col("group");
  const fs::path base = fs::path(path).parent_path();
  std::vector<ManifestRow> rows;
  std::set<std::string> ids;
  while (csv.Read(c)) {
    const int no = csv.line();
    const std::string where = path + ": line " + std::to_string(no);
    if (c.size() != h.size())
      return InvalidInput(where + ": " + std::to_string(c.size()) + " fields, the header has " + std::to_string(h.size()));
    ManifestRow r;
    r.line = no;
    r.viewer_id = c[static_cast<size_t>(cv)];
    if (r.viewer_id.empty()) return InvalidInput(where + ": empty viewer_id");
    if (r.viewer_id.find_first_of("/\\|") != std::string::npos) return InvalidInput(where + ": viewer_id '" + r.viewer_id + "' contains / \\ or |");
    if (!ids.insert(r.viewer_id).second) return InvalidInput(where + ": viewer_id " + r.viewer_id + " appears twice");
    const std::string file = c[static_cast<size_t>(cf)];
    if (file.empty()) return InvalidInput(where + " (viewer " + r.viewer_id + "): empty file");
    r.file = fs::path(file).is_absolute() ? file : (base / file).string();
    if (!fs::exists(r.file, ec)) return NotFound(where + " (viewer " + r.viewer_id + "): " + r.file + ": no such file");
    if (!ParseNumber(c[static_cast<size_t>(co)], r.offset_s))
      return InvalidInput(where + " (viewer " + r.viewer_id + "): offset_s '" + c[static_cast<size_t>(co)] + "' is not a number");
    if (r.offset_s < 0)
      return InvalidInput(where + " (viewer " + r.viewer_id + "): offset_s must be >= 0 (where stimulus time 0 falls in the recording)");
    if (cg >= 0) r.group = c[static_cast<size_t>(cg)];
    for (size_t k = 0; k < h.size(); ++k) {
      if (static_cast<int>(k) == cv || static_cast<int>(k) == cf || static_cast<int>(k) == co || static_cast<int>(k) == cg) continue;
      double v = kNaN;
      if (!c[k].empty() && !ParseNumber(c[k], v))
        return InvalidInput(where + " (viewer " + r.viewer_id + "): outcome " + h[k] + " '" + c[k] + "' is not a number");
      r.outcomes[h[k]] = v;
    }
    rows.push_back(std::move(r));
  }
  if (!csv.status().ok()) return csv.status();
  if (rows.empty()) return InvalidInput(path + ": no viewers");
  return rows;
}

namespace {

// Offsets beyond a video's declared length are manifest errors, found before any work.
Status CheckOffsets(const AudienceOptions& o, const std::vector<ManifestRow>& rows) {
  for (const auto& r : rows) {
    if (fs::path(r.file).extension() == ".csv") continue;
    auto src = io::FrameSource::Open({.path = r.file});
    if (!src.ok()) continue;  // unreadable: reported and skipped later
    const double d = (*src)->info().declared_duration_s;
    if (d > 0 && r.offset_s >= d)
      return InvalidInput(o.manifest + ": line " + std::to_string(r.line) + " (viewer " + r.viewer_id + "): offset_s " +
                          fmt::format("{:g}", r.offset_s) + " is beyond the recording (" + fmt::format("{:.1f}", d) + " s)");
  }
  return Status::Ok();
}

// The stimulus: its length, its faces left to right (F1, F2, ...) and their events.
struct Stimulus {
  double duration = 0;
  size_t samples = 0;  // on the stimulus clock at rate_hz: floor(duration * rate_hz) + 1
  std::vector<std::pair<std::string, const TimeSeries*>> faces;
  std::vector<StimEvent> events;              // by onset
  std::vector<sync::ExprEvent> expr_events;   // the same, without the face
  json faces_json = json::array();
};

// The faces of the stimulus table (null: no face was found in the video) and their events.
Result<Stimulus> DescribeStimulus(const AudienceOptions& o, const schema::FeatureTable* table) {
  Stimulus st;
  if (table != nullptr) {
    st.duration = LastTime(*table);
    int64_t top = 0;
    for (const auto& [id, s] : table->faces) top = std::max<int64_t>(top, static_cast<int64_t>(s.size()));
    std::vector<std::pair<double, const TimeSeries*>> by_x;
    for (const auto& [id, s] : table->faces) {
      if (static_cast<int64_t>(s.size()) * 100 < top * o.min_faces_fraction_pct) continue;
      std::vector<double> xs;
      const int cx = s.ChannelIndex("face_x");
      for (size_t i = 0; cx >= 0 && i < s.size(); i += 5) xs.push_back(s.value(i, static_cast<size_t>(cx)));
      by_x.push_back({stats::Median(xs), &s});
    }
    std::sort(by_x.begin(), by_x.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < by_x.size(); ++i) st.faces.push_back({"F" + std::to_string(i + 1), by_x[i].second});
  } else {
    auto src = io::FrameSource::Open({.path = o.stimulus});
    if (src.ok()) st.duration = (*src)->info().declared_duration_s;
  }
  if (!(st.duration > 1)) return InvalidInput(o.stimulus + ": the stimulus is shorter than a second or has no readable length");
  st.samples = static_cast<size_t>(std::floor(st.duration * o.rate_hz)) + 1;
  const size_t n = st.samples;
  for (const auto& [id, s] : st.faces) {
    const series::Uniform u = internal::Derive(*s, 0, 0, n, o.rate_hz, o.max_gap_s);
    std::vector<std::span<const float>> aus;
    for (int k = 0; k < face::kNumAus; ++k) aus.emplace_back(u.data[static_cast<size_t>(k)]);
    sync::EventOptions se = o.events;
    se.threshold = std::max(se.threshold, o.stimulus_event_threshold);
    const auto ev = sync::DetectEvents(aus, 0, o.rate_hz, se);
    for (const auto& e : ev) st.events.push_back({e, id});
    st.faces_json.push_back({{"id", id}, {"frames", s->size()}, {"events", ev.size()}});
  }
  std::sort(st.events.begin(), st.events.end(), [](const StimEvent& a, const StimEvent& b) { return a.e.onset_s < b.e.onset_s; });
  for (const auto& e : st.events) st.expr_events.push_back(e.e);
  return st;
}

// Every viewer read (each extraction cached in OUT/extract/<viewer_id>.csv) and described on
// the stimulus clock (n samples), `jobs` at a time. A viewer that cannot be read gets an
// error (skipped); one whose offset lies beyond the recording, a manifest error.
void DescribeViewers(const AudienceOptions& o, size_t n, int jobs, std::vector<Viewer>& viewers,
                     const std::function<void(double)>& progress) {
  std::atomic<size_t> next{0}, done{0};
  std::mutex mu;
  auto worker = [&]() {
    for (size_t i; (i = next++) < viewers.size();) {
      Viewer& v = viewers[i];
      auto t = internal::LoadInput(v.row.file, o.out_dir, o.extract, v.row.viewer_id, {});
      if (!t.ok()) {
        v.error = t.status().message();
      } else if (const TimeSeries* f = internal::MainFace(*t); f == nullptr) {
        v.error = v.row.file + ": no face found";
      } else {
        v.recording_s = LastTime(*t);
        if (v.row.offset_s >= v.recording_s) {
          v.manifest_error = true;
          v.error = o.manifest + ": line " + std::to_string(v.row.line) + " (viewer " + v.row.viewer_id + "): offset_s " +
                    fmt::format("{:g}", v.row.offset_s) + " is beyond the recording (" + fmt::format("{:.1f}", v.recording_s) + " s)";
        } else {
          Describe(*f, v.row.offset_s, n, o, v);
        }
      }
      const size_t d = ++done;
      std::lock_guard<std::mutex> lock(mu);
      progress(static_cast<double>(d) / static_cast<double>(viewers.size()));
    }
  };
  std::vector<std::thread> pool;
  for (int j = 1; j < jobs; ++j) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
}

// What the statistics share: the analysed viewers, their groups and their answers to the
// stimulus events.
struct Study {
  const AudienceOptions& o;
  const Stimulus& stim;
  size_t n = 0, per = 0, secs = 0;  // samples, samples per second, whole seconds
  std::vector<Viewer*> ok;
  std::vector<std::string> groups;  // sorted; exactly two make an A/B comparison
  std::vector<int> group_of;        // per viewer in ok: index into groups, -1 = none
  std::vector<std::vector<sync::Match>> matches;
  std::vector<std::vector<int>> answered_by;
  std::vector<std::vector<uint8_t>> eligible;
  double viewer_seconds = 0;
};

void MatchViewers(Study& s) {
  for (auto* v : s.ok)
    if (!v->row.group.empty() && std::find(s.groups.begin(), s.groups.end(), v->row.group) == s.groups.end())
      s.groups.push_back(v->row.group);
  std::sort(s.groups.begin(), s.groups.end());
  for (auto* v : s.ok) {
    const auto it = std::find(s.groups.begin(), s.groups.end(), v->row.group);
    s.group_of.push_back(it == s.groups.end() ? -1 : static_cast<int>(it - s.groups.begin()));
    s.matches.push_back(sync::MatchEvents(s.stim.expr_events, v->events, s.o.match));
    s.answered_by.push_back(audience::AnswerIndex(s.matches.back(), s.stim.expr_events.size()));
    s.eligible.push_back(audience::Eligible(s.stim.expr_events, v->valid, s.o.rate_hz, s.o.match));
    s.viewer_seconds += v->recording_s;
  }
}

// Mirroring of the on-screen faces: overall, per group, per stimulus event (events_csv).
json MirroringJson(const Study& s, std::string& events_csv) {
  const auto& o = s.o;
  const size_t nv = s.ok.size(), ns = s.stim.events.size();
  const int ng = static_cast<int>(s.groups.size());
  auto fraction = [&](const std::vector<std::vector<int>>& ab, int group) {
    std::vector<uint8_t> in;
    if (group >= 0)
      for (size_t k = 0; k < nv; ++k) in.push_back(s.group_of[k] == group);
    return audience::FractionAnswered(ab, s.eligible, in);
  };
  std::vector<double> observed(static_cast<size_t>(ng) + 1);
  for (int g = -1; g < ng; ++g) observed[static_cast<size_t>(g + 1)] = fraction(s.answered_by, g);
  std::vector<std::vector<double>> null(static_cast<size_t>(ng) + 1);
  {
    std::vector<std::vector<sync::ExprEvent>> events;
    for (auto* v : s.ok) events.push_back(v->events);
    audience::ShiftedAnswers(s.stim.expr_events, events, o.match, {s.stim.duration, o.min_shift_s, o.surrogates, o.seed},
                             [&](const std::vector<std::vector<int>>& sab) {
                               for (int g = -1; g < ng; ++g) null[static_cast<size_t>(g + 1)].push_back(fraction(sab, g));
                             });
  }
  auto mirror_json = [&](int g) {
    const double obs = observed[static_cast<size_t>(g + 1)];
    const auto& nl = null[static_cast<size_t>(g + 1)];
    std::vector<double> lat;
    int eligible_pairs = 0, strict = 0;
    for (size_t k = 0; k < nv; ++k) {
      if (g >= 0 && s.group_of[k] != g) continue;
      for (size_t j = 0; j < ns; ++j) eligible_pairs += s.eligible[k][j];
      for (const auto& m : s.matches[k])
        if (s.eligible[k][static_cast<size_t>(m.from)]) lat.push_back(m.latency_s), strict += m.strict;
    }
    const double expct = nl.empty() ? kNaN : stats::Mean(nl);
    return json{{"fraction_answered", Num(obs)},
                {"expected_by_chance", Num(expct)},
                {"mirroring_fraction", Num(audience::ChanceCorrected(obs, expct))},
                {"p", Num(stats::UpperP(obs - 1e-12, nl))},
                {"median_latency_s", Num(stats::Median(lat), 3)},
                {"answers", lat.size()},
                {"strict_answers", strict},
                {"eligible_pairs", eligible_pairs}};
  };
  json mirroring = mirror_json(-1);
  mirroring["stimulus_events"] = ns;
  mirroring["surrogates"] = null[0].size();
  mirroring["surrogate"] = "each viewer's events shifted circularly by >= min_shift_s on the stimulus clock";
  // Per stimulus event: who answered; the most-mirrored moments.
  events_csv = "event,face,onset_s,apex_s,offset_s,time_code,action,affect,intensity,eligible,answered,strict,fraction_answered,median_latency_s\n";
  std::vector<std::pair<double, size_t>> rank;
  json jevents = json::array();
  for (size_t j = 0; j < ns; ++j) {
    int e = 0, a = 0, st = 0;
    std::vector<double> lat;
    for (size_t k = 0; k < nv; ++k) {
      if (!s.eligible[k][j]) continue;
      ++e;
      for (const auto& m : s.matches[k])
        if (static_cast<size_t>(m.from) == j) ++a, st += m.strict, lat.push_back(m.latency_s);
    }
    const double f = e > 0 ? static_cast<double>(a) / e : kNaN;
    const auto& se = s.stim.events[j];
    const auto& ev = se.e;
    const auto& act = sync::Actions()[static_cast<size_t>(ev.action)];
    events_csv += fmt::format("{},{},{:.3f},{:.3f},{:.3f},{},{},{},{:.2f},{},{},{},{},{}\n", j, se.face, ev.onset_s, ev.apex_s,
                              ev.offset_s, TimeCode(ev.onset_s), act.name, act.affect, ev.intensity, e, a, st, Fmt(f, 3),
                              Fmt(stats::Median(lat), 3));
    jevents.push_back({{"event", j}, {"face", se.face}, {"onset_s", Num(ev.onset_s, 3)}, {"offset_s", Num(ev.offset_s, 3)},
                       {"action", act.name}, {"affect", act.affect}, {"fraction_answered", Num(f, 3)}, {"answered", a}, {"eligible", e}});
    if (std::isfinite(f)) rank.push_back({f, j});
  }
  std::stable_sort(rank.begin(), rank.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  json moments = json::array();
  for (size_t r = 0; r < std::min<size_t>(5, rank.size()); ++r) {
    const auto& se = s.stim.events[rank[r].second];
    moments.push_back({{"time_code", TimeCode(se.e.onset_s)}, {"onset_s", Num(se.e.onset_s, 3)}, {"face", se.face},
                       {"action", sync::Actions()[static_cast<size_t>(se.e.action)].name}, {"fraction_answered", Num(rank[r].first, 3)}});
  }
  mirroring["events"] = jevents;
  mirroring["most_mirrored"] = moments;
  if (ng > 0) {
    json by = json::object();
    for (int g = 0; g < ng; ++g) by[s.groups[static_cast<size_t>(g)]] = mirror_json(g);
    mirroring["by_group"] = by;
  }
  return mirroring;
}

// The per-second audience curves (per_second.csv) and the happiness curve's peaks, troughs
// and peak-end score.
struct Curves {
  std::string csv;
  json peak_end, peaks, troughs;
};

Curves AudienceCurves(const Study& s) {
  const auto& o = s.o;
  const auto& ok = s.ok;
  const size_t nv = ok.size(), secs = s.secs, per = s.per;
  Curves c;
  c.csv = "t_s,viewers,attention_pct,retention_pct,mirroring_pct";
  for (const char* e : kExpressions) c.csv += fmt::format(",pct_{0},mean_{0},lo95_{0},hi95_{0}", e);
  c.csv += ",expressiveness_mean,valence_mean\n";
  // Retention: a viewer is lost from the first time they are inattentive (or without a
  // face) for 3 s in a row, and counted as lost from then on.
  std::vector<size_t> lost_at(nv, secs);
  for (size_t k = 0; k < nv; ++k) lost_at[k] = audience::LostAt(ok[k]->sec_attentive, 3);
  std::vector<double> happy_mean(secs, kNaN), happy_pct(secs, kNaN);
  for (size_t t = 0; t < secs; ++t) {
    int valid = 0, att = 0, kept = 0, mirror = 0, elig = 0;
    for (size_t k = 0; k < nv; ++k) {
      valid += std::isfinite(ok[k]->sec[t][0]);
      att += ok[k]->sec_attentive[t];
      kept += lost_at[k] > t;
      bool any_valid = false;
      for (size_t i = t * per; i < (t + 1) * per; ++i) any_valid = any_valid || ok[k]->valid[i];
      elig += any_valid;
      for (const auto& m : s.matches[k]) {
        const double at = ok[k]->events[static_cast<size_t>(m.to)].onset_s;
        if (at >= static_cast<double>(t) && at < static_cast<double>(t + 1)) {
          ++mirror;
          break;
        }
      }
    }
    std::string row = fmt::format("{},{},{},{},{}", t, valid, Fmt(100.0 * att / nv, 1), Fmt(100.0 * kept / nv, 1),
                                  elig > 0 ? Fmt(100.0 * mirror / elig, 1) : "");
    for (size_t e = 0; e < kNumExpr; ++e) {
      std::vector<double> vals;
      int show = 0;
      const double thr = e == 0 ? o.smile_threshold : o.emotion_threshold;
      for (size_t k = 0; k < nv; ++k)
        if (std::isfinite(ok[k]->sec[t][e])) vals.push_back(ok[k]->sec[t][e]), show += ok[k]->sec[t][e] >= thr;
      const stats::MeanInterval mi = stats::MeanWithInterval(vals);
      const double pct = vals.empty() ? kNaN : 100.0 * show / static_cast<double>(vals.size());
      row += fmt::format(",{},{},{},{}", Fmt(pct, 1), Fmt(mi.mean, 3), Fmt(mi.lo95, 3), Fmt(mi.hi95, 3));
      if (e == 1) happy_mean[t] = mi.mean, happy_pct[t] = pct;
    }
    std::vector<double> ex, va;
    for (size_t k = 0; k < nv; ++k) ex.push_back(ok[k]->sec_express[t]), va.push_back(ok[k]->sec_valence[t]);
    row += fmt::format(",{},{}\n", Fmt(stats::Mean(ex), 3), Fmt(stats::Mean(va), 3));
    c.csv += row;
  }
  // Peaks and troughs of the happiness curve (local extremes at least 3 s apart), and the
  // peak-end score: (highest second + mean of the last 3 s) / 2 of the mean happiness.
  auto extremes = [&](bool peaks) {
    json out = json::array();
    for (size_t t : audience::Extremes(happy_mean, peaks, 3, 3))
      out.push_back({{"t_s", t}, {"time_code", TimeCode(static_cast<double>(t))}, {"happiness_mean", Num(happy_mean[t], 3)},
                     {"happiness_pct", Num(happy_pct[t], 1)}});
    return out;
  };
  c.peaks = extremes(true);
  c.troughs = extremes(false);
  const audience::PeakEnd pe = audience::PeakEndOf(happy_mean, 3);
  c.peak_end = {{"score", Num(pe.score, 3)}, {"peak", Num(pe.peak, 3)}, {"end", Num(pe.end, 3)},
                {"curve", "happiness (0-1), mean over viewers of each second's median"}};
  return c;
}

// Leave-one-out lagged inter-subject correlation of the smile (AU12) at ~10 Hz.
audience::IscResult SmileIsc(const Study& s) {
  const auto& o = s.o;
  const size_t nv = s.ok.size();
  const size_t dec = std::max<size_t>(1, static_cast<size_t>(std::lround(o.rate_hz / 10)));
  const size_t m10 = s.n / dec;
  std::vector<std::vector<double>> sm(nv, std::vector<double>(m10, kNaN));
  for (size_t k = 0; k < nv; ++k)
    for (size_t i = 0; i < m10; ++i) {
      double sum = 0;
      int c = 0;
      for (size_t q = i * dec; q < (i + 1) * dec; ++q)
        if (s.ok[k]->valid[q]) sum += s.ok[k]->expr[q][0], ++c;
      if (c > 0) sm[k][i] = sum / c;
    }
  audience::IscOptions io;
  io.rate_hz = o.rate_hz / static_cast<double>(dec);
  io.max_lag_s = o.isc_max_lag_s;
  io.min_shift_s = o.min_shift_s;
  io.surrogates = std::min(o.surrogates, 200);  // each costs viewers x (2 lags + 1) correlations
  io.seed = o.seed ^ 0x15Cull;
  return audience::LaggedIsc(sm, io);
}

const std::vector<std::string> kMetricNames = {"fraction_answered", "happiness_mean", "smile_pct", "expressiveness_mean",
                                               "attention_pct", "isc_r", "peak_end"};

// Per viewer: the metrics (metric[m][k], kMetricNames) and per_viewer.csv.
std::string PerViewer(const Study& s, const std::vector<double>& isc_r, const std::set<std::string>& outcome_names,
                      std::vector<std::vector<double>>& metric) {
  const auto& o = s.o;
  const size_t nv = s.ok.size(), ns = s.stim.events.size(), secs = s.secs;
  metric.assign(kMetricNames.size(), std::vector<double>(nv, kNaN));
  std::string pv_csv = "viewer_id,group,file,offset_s,recording_s,valid_pct,events,eligible,answered,strict";
  for (const auto& m : kMetricNames) pv_csv += "," + m;
  pv_csv += ",median_latency_s";
  for (const auto& oc : outcome_names) pv_csv += "," + CsvField(oc);
  pv_csv += "\n";
  for (size_t k = 0; k < nv; ++k) {
    const Viewer& v = *s.ok[k];
    int e = 0, a = 0, st = 0;
    std::vector<double> lat;
    for (size_t j = 0; j < ns; ++j) e += s.eligible[k][j];
    for (const auto& m : s.matches[k])
      if (s.eligible[k][static_cast<size_t>(m.from)]) ++a, st += m.strict, lat.push_back(m.latency_s);
    std::vector<double> hap, ex, smile_on;
    int att = 0, valid = 0;
    for (size_t t = 0; t < secs; ++t) {
      hap.push_back(v.sec[t][1]);
      ex.push_back(v.sec_express[t]);
      if (std::isfinite(v.sec[t][0])) smile_on.push_back(v.sec[t][0] >= o.smile_threshold ? 100.0 : 0.0);
      att += v.sec_attentive[t];
    }
    for (uint8_t x : v.valid) valid += x;
    const double vals[] = {e > 0 ? static_cast<double>(a) / e : kNaN, stats::Mean(hap), stats::Mean(smile_on), stats::Mean(ex),
                           secs ? 100.0 * att / static_cast<double>(secs) : kNaN, isc_r[k], audience::PeakEndOf(hap, 3).score};
    for (size_t m = 0; m < kMetricNames.size(); ++m) metric[m][k] = vals[m];
    pv_csv += fmt::format("{},{},{},{:.3f},{:.2f},{:.1f},{},{},{},{}", CsvField(v.row.viewer_id), CsvField(v.row.group),
                          CsvField(v.row.file), v.row.offset_s, v.recording_s, 100.0 * valid / static_cast<double>(s.n),
                          v.events.size(), e, a, st);
    for (double x : vals) pv_csv += "," + Fmt(x, 4);
    pv_csv += "," + Fmt(stats::Median(lat), 3);
    for (const auto& oc : outcome_names) {
      auto it = v.row.outcomes.find(oc);
      pv_csv += "," + (it == v.row.outcomes.end() ? std::string() : Fmt(it->second, 4));
    }
    pv_csv += "\n";
  }
  return pv_csv;
}

// Every viewer event, on the stimulus clock, with the stimulus event it answers.
std::string ViewerEventsCsv(const Study& s) {
  std::string ve_csv = "viewer_id,event,onset_s,apex_s,offset_s,intensity,action,affect,actions,answers_event,mode,latency_s\n";
  for (size_t k = 0; k < s.ok.size(); ++k) {
    const auto& evs = s.ok[k]->events;
    for (size_t e = 0; e < evs.size(); ++e) {
      const sync::Match* m = nullptr;
      for (const auto& x : s.matches[k])
        if (static_cast<size_t>(x.to) == e) m = &x;
      std::string acts;
      for (int a : evs[e].actions) acts += std::string(acts.empty() ? "" : "+") + sync::Actions()[static_cast<size_t>(a)].name;
      const auto& act = sync::Actions()[static_cast<size_t>(evs[e].action)];
      ve_csv += fmt::format("{},{},{:.3f},{:.3f},{:.3f},{:.2f},{},{},{},{},{},{}\n", CsvField(s.ok[k]->row.viewer_id), e, evs[e].onset_s,
                            evs[e].apex_s, evs[e].offset_s, evs[e].intensity, act.name, act.affect, acts,
                            m ? std::to_string(m->from) : "", m ? (m->strict ? "strict" : "broad") : "", m ? Fmt(m->latency_s, 3) : "");
    }
  }
  return ve_csv;
}

// A/B: the two groups compared on every per-viewer metric (null without exactly two groups).
json AbJson(const Study& s, const std::vector<std::vector<double>>& metric) {
  if (s.groups.size() != 2) return nullptr;
  json metrics = json::object();
  for (size_t m = 0; m < kMetricNames.size(); ++m) {
    const stats::GroupComparison st = stats::CompareMeans(metric[m], s.group_of, std::max(1, s.o.permutations), s.o.seed + m);
    metrics[kMetricNames[m]] = {{"mean_a", Num(st.mean_a)}, {"mean_b", Num(st.mean_b)}, {"difference", Num(st.diff)},
                                {"hedges_g", Num(st.g, 3)}, {"p", Num(st.p)}, {"n_a", st.n_a}, {"n_b", st.n_b}};
  }
  return {{"a", s.groups[0]}, {"b", s.groups[1]}, {"metrics", metrics},
          {"test", "two-sided permutation test of the difference of means (a - b), " + std::to_string(s.o.permutations) +
                       " permutations; effect size Hedges' g"}};
}

// One outcome: Spearman per metric, and a cross-validated model from all metrics.
json OutcomeJson(const Study& s, const std::string& oc, const std::vector<std::vector<double>>& metric) {
  const auto& o = s.o;
  std::vector<size_t> rows_ok;
  for (size_t k = 0; k < s.ok.size(); ++k) {
    auto it = s.ok[k]->row.outcomes.find(oc);
    bool complete = it != s.ok[k]->row.outcomes.end() && std::isfinite(it->second);
    for (size_t m = 0; m < kMetricNames.size() && complete; ++m) complete = std::isfinite(metric[m][k]);
    if (complete) rows_ok.push_back(k);
  }
  json jo = {{"viewers", rows_ok.size()}};
  if (rows_ok.size() < 6) {
    jo["note"] = "fewer than 6 viewers with this outcome and every metric";
    return jo;
  }
  std::vector<double> y;
  for (size_t k : rows_ok) y.push_back(s.ok[k]->row.outcomes.at(oc));
  const bool binary = std::all_of(y.begin(), y.end(), [](double x) { return x == 0 || x == 1; });
  json sp = json::object();
  for (size_t m = 0; m < kMetricNames.size(); ++m) {
    std::vector<double> x;
    for (size_t k : rows_ok) x.push_back(metric[m][k]);
    // Permutation p of |rho| (ranks of y shuffled), --permutations of them.
    const stats::CorrelationTest t = stats::SpearmanPermutationTest(x, y, std::max(1, o.permutations), o.seed + 101 + m);
    sp[kMetricNames[m]] = {{"rho", Num(t.rho, 3)}, {"p", Num(t.p)}};
  }
  std::vector<double> X;  // rows_ok x metrics, row-major
  for (size_t k : rows_ok)
    for (size_t m = 0; m < kMetricNames.size(); ++m) X.push_back(metric[m][k]);
  stats::CrossValidationOptions cv;
  cv.folds = static_cast<int>(std::min<size_t>(5, rows_ok.size()));
  cv.binary = binary;
  cv.seed = o.seed;
  const auto pred = stats::CrossValidatedPredictions(X, rows_ok.size(), kMetricNames.size(), y, cv);
  json model = {{"kind", binary ? "logistic regression (ridge, lambda 1)" : "ridge regression (lambda 1)"},
                {"features", kMetricNames}, {"folds", cv.folds}};
  if (binary) {
    model["out_of_fold_auc"] = Num(stats::Auc(pred, y), 3);
  } else {
    model["out_of_fold_r2"] = Num(stats::OutOfSampleR2(pred, y), 3);
    model["out_of_fold_r"] = Num(stats::Pearson(pred, y), 3);
  }
  jo["spearman"] = sp;
  jo["model"] = model;
  return jo;
}

json ParametersJson(const AudienceOptions& o, int jobs) {
  return {{"rate_hz", o.rate_hz},
          {"max_gap_s", o.max_gap_s},
          {"smile_threshold", o.smile_threshold},
          {"emotion_threshold", o.emotion_threshold},
          {"attention_max_yaw_deg", o.attention_max_yaw_deg},
          {"attention_max_pitch_deg", o.attention_max_pitch_deg},
          {"answer_latency_s", {o.match.min_latency_s, o.match.max_latency_s}},
          {"surrogates", o.surrogates},
          {"min_shift_s", o.min_shift_s},
          {"permutations", o.permutations},
          {"isc_max_lag_s", o.isc_max_lag_s},
          {"seed", o.seed},
          {"jobs", jobs},
          {"events", {{"threshold", o.events.threshold}, {"noise_k", o.events.noise_k}, {"min_duration_s", o.events.min_duration_s}}}};
}

// The terminal summary of audience.json.
std::string SummaryText(const AudienceOptions& o, const Stimulus& stim, const json& j, const AudienceResult& r,
                        const std::string& warnings) {
  const auto& mj = j["mirroring"];
  const auto& pe = j["peak_end"];
  const auto& isc = j["isc"];
  auto num = [](const json& x, int d) { return x.is_number() ? fmt::format("{:.{}f}", x.get<double>(), d) : std::string("NA"); };
  std::string text =
      fmt::format("  stimulus  {} ({:.1f} s, {} face(s), {} expression events)\n", o.stimulus, stim.duration, r.stimulus_faces,
                  stim.events.size()) +
      fmt::format("  viewers   {} analysed, {} skipped, {:.0f} viewer-seconds\n", r.viewers, r.skipped, r.viewer_seconds) + warnings +
      fmt::format("  mirroring {} of eligible (viewer, event) pairs answered, {} by chance (p {}), median latency {} s\n",
                  num(mj["fraction_answered"], 2), num(mj["expected_by_chance"], 2), num(mj["p"], 3), num(mj["median_latency_s"], 2));
  if (mj.contains("by_group"))
    for (const auto& [g, x] : mj["by_group"].items())
      text += fmt::format("            group {}: {} answered ({} by chance)\n", g, num(x["fraction_answered"], 2), num(x["expected_by_chance"], 2));
  text += fmt::format("            chance-corrected: {} of the pairs mirrored\n", num(mj["mirroring_fraction"], 2));
  text += fmt::format("  happiness peak-end {} (peak {}, end {}); ISC r {} (p {})\n", num(pe["score"], 2), num(pe["peak"], 2),
                      num(pe["end"], 2), num(isc["mean_r"], 2), num(isc["p"], 3));
  if (j.contains("ab")) {
    const auto& ab = j["ab"];
    const auto& fa = ab["metrics"]["fraction_answered"];
    text += fmt::format("  A/B       {} vs {}: mirroring {} vs {} (g {}, p {})\n", ab["a"].get<std::string>(), ab["b"].get<std::string>(),
                        num(fa["mean_a"], 2), num(fa["mean_b"], 2), num(fa["hedges_g"], 2), num(fa["p"], 3));
  }
  return text;
}

}  // namespace

Result<AudienceResult> RunAudience(const AudienceOptions& o, const AudienceProgress& progress) {
  const auto t_start = Clock::now();
  auto report = [&](const std::string& stage, double f) {
    if (progress) progress(stage, f);
  };
  if (o.stimulus.empty()) return InvalidArgument("audience: no --stimulus given");
  if (o.manifest.empty()) return InvalidArgument("audience: no --manifest given");
  if (o.out_dir.empty()) return InvalidArgument("audience: no output folder given (-o)");
  if (!(o.rate_hz >= 5)) return InvalidArgument("--rate must be >= 5");
  auto rows = ReadManifest(o.manifest);
  if (!rows.ok()) return rows.status();
  std::error_code ec;
  fs::create_directories(fs::path(o.out_dir) / "extract", ec);
  if (ec) return OutputError(o.out_dir + ": cannot create: " + ec.message());
  MIMICRY_RETURN_IF_ERROR(CheckOffsets(o, *rows));

  // 1. The stimulus and its faces.
  report("extracting the stimulus", 0);
  auto stim_table = internal::LoadInput(o.stimulus, o.out_dir, o.extract, "stimulus", [&](const std::string&, double f) {
    report("extracting the stimulus", f);
  });
  if (!stim_table.ok() && stim_table.status().code() != StatusCode::kNoFace) return stim_table.status();
  auto stim = DescribeStimulus(o, stim_table.ok() ? &*stim_table : nullptr);
  if (!stim.ok()) return stim.status();
  const size_t n = stim->samples;

  // 2. Viewers, in parallel.
  std::vector<Viewer> viewers(rows->size());
  for (size_t i = 0; i < rows->size(); ++i) viewers[i].row = (*rows)[i];
  const int jobs = std::max(1, o.jobs > 0 ? o.jobs : static_cast<int>(std::thread::hardware_concurrency()));
  DescribeViewers(o, n, jobs, viewers, [&](double f) { report("viewers", f); });
  for (const auto& v : viewers)
    if (v.manifest_error) return InvalidInput(v.error);
  Study s{o, *stim};
  s.n = n;
  s.per = static_cast<size_t>(std::lround(o.rate_hz));
  s.secs = n / s.per;
  json skipped = json::array();
  std::string warnings;
  for (auto& v : viewers) {
    if (v.error.empty()) s.ok.push_back(&v);
    else {
      skipped.push_back({{"viewer_id", v.row.viewer_id}, {"file", v.row.file}, {"error", v.error}});
      warnings += "  skipped   " + v.row.viewer_id + ": " + v.error + "\n";
    }
  }
  if (s.ok.empty()) return InvalidInput(o.manifest + ": no viewer could be analysed (" + (viewers.empty() ? "" : viewers[0].error) + ")");
  report("statistics", 0);

  // 3.-8. Mirroring, curves, ISC, per viewer, A/B, outcomes.
  MatchViewers(s);
  std::string events_csv;
  const json mirroring = MirroringJson(s, events_csv);
  const Curves curves = AudienceCurves(s);
  const audience::IscResult isc = SmileIsc(s);
  std::set<std::string> outcome_names;
  for (auto* v : s.ok)
    for (const auto& [k, x] : v->row.outcomes) outcome_names.insert(k);
  std::vector<std::vector<double>> metric;
  const std::string pv_csv = PerViewer(s, isc.per_viewer, outcome_names, metric);
  const json ab = AbJson(s, metric);
  json outcomes = json::object();
  for (const auto& oc : outcome_names) outcomes[oc] = OutcomeJson(s, oc, metric);

  // 9. Outputs.
  const size_t nv = s.ok.size();
  json j;
  j["version"] = MIMICRY_VERSION;
  j["tool"] = "mimicry audience";
  j["command_line"] = o.command_line;
  j["stimulus"] = {{"file", o.stimulus}, {"duration_s", Num(stim->duration, 3)}, {"seconds", s.secs}};
  j["stimulus_faces"] = stim->faces_json;
  j["viewers"] = {{"analysed", nv}, {"skipped", skipped}, {"groups", s.groups}, {"viewer_seconds", Num(s.viewer_seconds, 1)}};
  j["mirroring"] = mirroring;
  j["peak_end"] = curves.peak_end;
  j["peaks"] = curves.peaks;
  j["troughs"] = curves.troughs;
  j["isc"] = {{"channel", "AU12 (smile) at 10 Hz"},
              {"mean_r", Num(isc.mean_r, 3)},
              {"max_lag_s", o.isc_max_lag_s},
              {"null_mean_r", isc.null.empty() ? json(nullptr) : Num(isc.null_mean, 3)},
              {"p", isc.null.empty() ? json(nullptr) : Num(isc.p)},
              {"surrogates", isc.null.size()}};
  if (!ab.is_null()) j["ab"] = ab;
  j["outcomes"] = outcomes;
  j["parameters"] = ParametersJson(o, jobs);
  j["wall_s"] = Num(std::chrono::duration<double>(Clock::now() - t_start).count(), 2);
  // Each output is kept as written, for the report (nothing is read back).
  internal::OutputFiles written(o.out_dir);
  MIMICRY_RETURN_IF_ERROR(written.Write("audience.json", j.dump(2) + "\n"));
  MIMICRY_RETURN_IF_ERROR(written.Write("per_second.csv", curves.csv));
  MIMICRY_RETURN_IF_ERROR(written.Write("per_viewer.csv", pv_csv));
  MIMICRY_RETURN_IF_ERROR(written.Write("stimulus_events.csv", events_csv));
  MIMICRY_RETURN_IF_ERROR(written.Write("viewer_events.csv", ViewerEventsCsv(s)));
  AudienceResult r;
  r.audience_json = (fs::path(o.out_dir) / "audience.json").string();
  r.viewers = static_cast<int>(nv);
  r.skipped = static_cast<int>(viewers.size() - nv);
  r.stimulus_faces = static_cast<int>(stim->faces.size());
  r.viewer_seconds = s.viewer_seconds;
  if (o.write_report) {
    report("report", 0);
    report::ReportOptions ro;
    ro.analysis_dir = o.out_dir;
    ro.files = written.Take();
    ro.chart_library_path = o.chart_library.empty() ? DefaultChartLibrary() : o.chart_library;
    auto rep = report::WriteReport(ro);
    if (!rep.ok()) return rep.status();
    r.report_html = rep->path;
  }
  r.wall_s = std::chrono::duration<double>(Clock::now() - t_start).count();
  r.text = SummaryText(o, *stim, j, r, warnings);
  return r;
}

}  // namespace mimicry::pipeline
