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

// The face a viewer's recording is about: tracked longest; among faces tracked almost as
// long (>= 90%), the largest.
const TimeSeries* MainFace(const io::FeatureTable& t) {
  size_t most = 0;
  for (const auto& [id, s] : t.faces) most = std::max(most, s.size());
  const TimeSeries* best = nullptr;
  double best_size = -1;
  for (const auto& [id, s] : t.faces) {
    if (s.size() * 10 < most * 9 || s.empty()) continue;
    std::vector<double> sz;
    const int cs = s.ChannelIndex("face_size");
    for (size_t k = 0; cs >= 0 && k < s.size(); k += 10) sz.push_back(s.value(k, static_cast<size_t>(cs)));
    const double med = stats::Median(sz);
    if (best == nullptr || (std::isfinite(med) ? med : 0) > best_size) best = &s, best_size = std::isfinite(med) ? med : 0;
  }
  return best;
}

double LastTime(const io::FeatureTable& t) {
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
  // Offsets beyond a video's declared length are manifest errors, found before any work.
  for (const auto& r : *rows) {
    if (fs::path(r.file).extension() == ".csv") continue;
    auto src = io::FrameSource::Open({.path = r.file});
    if (!src.ok()) continue;  // unreadable: reported and skipped below
    const double d = (*src)->info().declared_duration_s;
    if (d > 0 && r.offset_s >= d)
      return InvalidInput(o.manifest + ": line " + std::to_string(r.line) + " (viewer " + r.viewer_id + "): offset_s " +
                          fmt::format("{:g}", r.offset_s) + " is beyond the recording (" + fmt::format("{:.1f}", d) + " s)");
  }

  // 1. The stimulus and its faces.
  report("extracting the stimulus", 0);
  auto stim_table = internal::LoadInput(o.stimulus, o.out_dir, o.extract, "stimulus", [&](const std::string&, double f) {
    report("extracting the stimulus", f);
  });
  double duration = 0;
  std::vector<std::pair<std::string, const TimeSeries*>> faces;
  if (!stim_table.ok() && stim_table.status().code() != StatusCode::kNoFace) return stim_table.status();
  if (stim_table.ok()) {
    duration = LastTime(*stim_table);
    int64_t top = 0;
    for (const auto& [id, s] : stim_table->faces) top = std::max<int64_t>(top, static_cast<int64_t>(s.size()));
    std::vector<std::pair<double, const TimeSeries*>> by_x;
    for (const auto& [id, s] : stim_table->faces) {
      if (static_cast<int64_t>(s.size()) * 100 < top * o.min_faces_fraction_pct) continue;
      std::vector<double> xs;
      const int cx = s.ChannelIndex("face_x");
      for (size_t i = 0; cx >= 0 && i < s.size(); i += 5) xs.push_back(s.value(i, static_cast<size_t>(cx)));
      by_x.push_back({stats::Median(xs), &s});
    }
    std::sort(by_x.begin(), by_x.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < by_x.size(); ++i) faces.push_back({"F" + std::to_string(i + 1), by_x[i].second});
  } else {
    auto src = io::FrameSource::Open({.path = o.stimulus});
    if (src.ok()) duration = (*src)->info().declared_duration_s;
  }
  if (!(duration > 1)) return InvalidInput(o.stimulus + ": the stimulus is shorter than a second or has no readable length");
  const size_t n = static_cast<size_t>(std::floor(duration * o.rate_hz)) + 1;
  const size_t per = static_cast<size_t>(std::lround(o.rate_hz));
  const size_t secs = n / per;
  std::vector<StimEvent> stim;
  json jfaces = json::array();
  for (const auto& [id, s] : faces) {
    const series::Uniform u = internal::Derive(*s, 0, 0, n, o.rate_hz, o.max_gap_s);
    std::vector<std::span<const float>> aus;
    for (int k = 0; k < face::kNumAus; ++k) aus.emplace_back(u.data[static_cast<size_t>(k)]);
    sync::EventOptions se = o.events;
    se.threshold = std::max(se.threshold, o.stimulus_event_threshold);
    const auto ev = sync::DetectEvents(aus, 0, o.rate_hz, se);
    for (const auto& e : ev) stim.push_back({e, id});
    jfaces.push_back({{"id", id}, {"frames", s->size()}, {"events", ev.size()}});
  }
  std::sort(stim.begin(), stim.end(), [](const StimEvent& a, const StimEvent& b) { return a.e.onset_s < b.e.onset_s; });
  std::vector<sync::ExprEvent> stim_events;
  for (const auto& s : stim) stim_events.push_back(s.e);

  // 2. Viewers, in parallel; each extraction is cached in OUT/extract/<viewer_id>.csv.
  std::vector<Viewer> viewers(rows->size());
  for (size_t i = 0; i < rows->size(); ++i) viewers[i].row = (*rows)[i];
  std::atomic<size_t> next{0}, done{0};
  std::mutex mu;
  const int jobs = std::max(1, o.jobs > 0 ? o.jobs : static_cast<int>(std::thread::hardware_concurrency()));
  auto worker = [&]() {
    for (size_t i; (i = next++) < viewers.size();) {
      Viewer& v = viewers[i];
      auto t = internal::LoadInput(v.row.file, o.out_dir, o.extract, v.row.viewer_id, {});
      if (!t.ok()) {
        v.error = t.status().message();
      } else if (const TimeSeries* f = MainFace(*t); f == nullptr) {
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
      report("viewers", static_cast<double>(d) / static_cast<double>(viewers.size()));
    }
  };
  std::vector<std::thread> pool;
  for (int j = 1; j < jobs; ++j) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  for (const auto& v : viewers)
    if (v.manifest_error) return InvalidInput(v.error);
  std::vector<Viewer*> ok;
  json skipped = json::array();
  std::string warnings;
  for (auto& v : viewers) {
    if (v.error.empty()) ok.push_back(&v);
    else {
      skipped.push_back({{"viewer_id", v.row.viewer_id}, {"file", v.row.file}, {"error", v.error}});
      warnings += "  skipped   " + v.row.viewer_id + ": " + v.error + "\n";
    }
  }
  if (ok.empty()) return InvalidInput(o.manifest + ": no viewer could be analysed (" + (viewers.empty() ? "" : viewers[0].error) + ")");
  report("statistics", 0);

  // Groups: exactly two non-empty groups make an A/B comparison.
  std::vector<std::string> groups;
  for (auto* v : ok)
    if (!v->row.group.empty() && std::find(groups.begin(), groups.end(), v->row.group) == groups.end()) groups.push_back(v->row.group);
  std::sort(groups.begin(), groups.end());
  auto group_index = [&](const Viewer& v) {
    for (size_t g = 0; g < groups.size(); ++g)
      if (groups[g] == v.row.group) return static_cast<int>(g);
    return -1;
  };

  // 3. Mirroring of the on-screen faces.
  const size_t nv = ok.size(), ns = stim.size();
  std::vector<std::vector<int>> answered_by(nv);
  std::vector<std::vector<uint8_t>> eligible(nv);
  std::vector<std::vector<sync::Match>> matches(nv);
  for (size_t k = 0; k < nv; ++k) {
    matches[k] = sync::MatchEvents(stim_events, ok[k]->events, o.match);
    answered_by[k] = audience::AnsweredBy(stim_events, ok[k]->events, o.match);
    eligible[k] = audience::Eligible(stim_events, ok[k]->valid, o.rate_hz, o.match);
  }
  // The viewers of each group (-1: all).
  auto fraction = [&](const std::vector<std::vector<int>>& ab, int group) {
    std::vector<uint8_t> in;
    if (group >= 0)
      for (size_t k = 0; k < nv; ++k) in.push_back(group_index(*ok[k]) == group);
    return audience::FractionAnswered(ab, eligible, in);
  };
  const int ng = static_cast<int>(groups.size());
  std::vector<double> observed(static_cast<size_t>(ng) + 1);
  for (int g = -1; g < ng; ++g) observed[static_cast<size_t>(g + 1)] = fraction(answered_by, g);
  std::vector<std::vector<double>> null(static_cast<size_t>(ng) + 1);
  {
    std::vector<std::vector<sync::ExprEvent>> events;
    for (auto* v : ok) events.push_back(v->events);
    audience::ShiftedAnswers(stim_events, events, o.match, {duration, o.min_shift_s, o.surrogates, o.seed},
                             [&](const std::vector<std::vector<int>>& sab) {
                               for (int g = -1; g < ng; ++g) null[static_cast<size_t>(g + 1)].push_back(fraction(sab, g));
                             });
  }
  auto mirror_json = [&](int g) {
    const double obs = observed[static_cast<size_t>(g + 1)];
    const auto& nl = null[static_cast<size_t>(g + 1)];
    std::vector<double> lat;
    int eligible_pairs = 0;
    for (size_t k = 0; k < nv; ++k) {
      if (g >= 0 && group_index(*ok[k]) != g) continue;
      for (size_t j = 0; j < ns; ++j) eligible_pairs += eligible[k][j];
      for (const auto& m : matches[k])
        if (eligible[k][static_cast<size_t>(m.from)]) lat.push_back(m.latency_s);
    }
    int strict = 0;
    for (size_t k = 0; k < nv; ++k)
      if (g < 0 || group_index(*ok[k]) == g)
        for (const auto& m : matches[k]) strict += m.strict && eligible[k][static_cast<size_t>(m.from)];
    const double expct = nl.empty() ? kNaN : stats::Mean(nl);
    return json{{"fraction_answered", Num(obs)},
                {"expected_by_chance", Num(expct)},
                // Answered = mirrored, or else answered by chance: P = f + (1 - f) c, so the
                // share mirrored is f = (P - c) / (1 - c).
                {"mirroring_fraction", expct < 1 ? Num(std::max(0.0, (obs - expct) / (1 - expct))) : json(nullptr)},
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
  std::string events_csv = "event,face,onset_s,apex_s,offset_s,time_code,action,affect,intensity,eligible,answered,strict,fraction_answered,median_latency_s\n";
  std::vector<std::pair<double, size_t>> rank;
  json jevents = json::array();
  for (size_t j = 0; j < ns; ++j) {
    int e = 0, a = 0, st = 0;
    std::vector<double> lat;
    for (size_t k = 0; k < nv; ++k) {
      if (!eligible[k][j]) continue;
      ++e;
      for (const auto& m : matches[k])
        if (static_cast<size_t>(m.from) == j) ++a, st += m.strict, lat.push_back(m.latency_s);
    }
    const double f = e > 0 ? static_cast<double>(a) / e : kNaN;
    const auto& ev = stim[j].e;
    const auto& act = sync::Actions()[static_cast<size_t>(ev.action)];
    events_csv += fmt::format("{},{},{:.3f},{:.3f},{:.3f},{},{},{},{:.2f},{},{},{},{},{}\n", j, stim[j].face, ev.onset_s, ev.apex_s,
                              ev.offset_s, TimeCode(ev.onset_s), act.name, act.affect, ev.intensity, e, a, st, Fmt(f, 3),
                              Fmt(stats::Median(lat), 3));
    jevents.push_back({{"event", j}, {"face", stim[j].face}, {"onset_s", Num(ev.onset_s, 3)}, {"offset_s", Num(ev.offset_s, 3)},
                       {"action", act.name}, {"affect", act.affect}, {"fraction_answered", Num(f, 3)}, {"answered", a}, {"eligible", e}});
    if (std::isfinite(f)) rank.push_back({f, j});
  }
  std::stable_sort(rank.begin(), rank.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  json moments = json::array();
  for (size_t r = 0; r < std::min<size_t>(5, rank.size()); ++r) {
    const size_t j = rank[r].second;
    moments.push_back({{"time_code", TimeCode(stim[j].e.onset_s)}, {"onset_s", Num(stim[j].e.onset_s, 3)}, {"face", stim[j].face},
                       {"action", sync::Actions()[static_cast<size_t>(stim[j].e.action)].name}, {"fraction_answered", Num(rank[r].first, 3)}});
  }
  mirroring["events"] = jevents;
  mirroring["most_mirrored"] = moments;
  if (ng > 0) {
    json by = json::object();
    for (int g = 0; g < ng; ++g) by[groups[static_cast<size_t>(g)]] = mirror_json(g);
    mirroring["by_group"] = by;
  }

  // 4. Per-second audience curves.
  std::string ps_csv = "t_s,viewers,attention_pct,retention_pct,mirroring_pct";
  for (const char* e : kExpressions) ps_csv += fmt::format(",pct_{0},mean_{0},lo95_{0},hi95_{0}", e);
  ps_csv += ",expressiveness_mean,valence_mean\n";
  // Retention: a viewer is lost from the first time they are inattentive (or without a
  // face) for 3 s in a row, and counted as lost from then on.
  std::vector<size_t> lost_at(nv, secs);
  for (size_t k = 0; k < nv; ++k) lost_at[k] = audience::LostAt(ok[k]->sec_attentive, 3);
  std::vector<double> happy_mean(secs, kNaN), happy_pct(secs, kNaN);
  json jsec = json::array();
  for (size_t s = 0; s < secs; ++s) {
    int valid = 0, att = 0, kept = 0, mirror = 0, elig = 0;
    for (size_t k = 0; k < nv; ++k) {
      valid += std::isfinite(ok[k]->sec[s][0]);
      att += ok[k]->sec_attentive[s];
      kept += lost_at[k] > s;
      bool any_valid = false;
      for (size_t i = s * per; i < (s + 1) * per; ++i) any_valid = any_valid || ok[k]->valid[i];
      elig += any_valid;
      for (const auto& m : matches[k]) {
        const double t = ok[k]->events[static_cast<size_t>(m.to)].onset_s;
        if (t >= static_cast<double>(s) && t < static_cast<double>(s + 1)) {
          ++mirror;
          break;
        }
      }
    }
    std::string row = fmt::format("{},{},{},{},{}", s, valid, Fmt(100.0 * att / nv, 1), Fmt(100.0 * kept / nv, 1),
                                  elig > 0 ? Fmt(100.0 * mirror / elig, 1) : "");
    for (size_t e = 0; e < kNumExpr; ++e) {
      std::vector<double> vals;
      int show = 0;
      const double thr = e == 0 ? o.smile_threshold : o.emotion_threshold;
      for (size_t k = 0; k < nv; ++k)
        if (std::isfinite(ok[k]->sec[s][e])) vals.push_back(ok[k]->sec[s][e]), show += ok[k]->sec[s][e] >= thr;
      const stats::MeanInterval mi = stats::MeanWithInterval(vals);
      const double pct = vals.empty() ? kNaN : 100.0 * show / static_cast<double>(vals.size());
      row += fmt::format(",{},{},{},{}", Fmt(pct, 1), Fmt(mi.mean, 3), Fmt(mi.lo95, 3), Fmt(mi.hi95, 3));
      if (e == 1) happy_mean[s] = mi.mean, happy_pct[s] = pct;
    }
    std::vector<double> ex, va;
    for (size_t k = 0; k < nv; ++k) ex.push_back(ok[k]->sec_express[s]), va.push_back(ok[k]->sec_valence[s]);
    row += fmt::format(",{},{}\n", Fmt(stats::Mean(ex), 3), Fmt(stats::Mean(va), 3));
    ps_csv += row;
  }
  // Peaks and troughs of the happiness curve (local extremes at least 3 s apart), and the
  // peak-end score: (highest second + mean of the last 3 s) / 2 of the mean happiness.
  auto extremes = [&](bool peaks) {
    json out = json::array();
    for (size_t s : audience::Extremes(happy_mean, peaks, 3, 3))
      out.push_back({{"t_s", s}, {"time_code", TimeCode(static_cast<double>(s))}, {"happiness_mean", Num(happy_mean[s], 3)},
                     {"happiness_pct", Num(happy_pct[s], 1)}});
    return out;
  };
  const audience::PeakEnd pe = audience::PeakEndOf(happy_mean, 3);
  const json peak_end = {{"score", Num(pe.score, 3)}, {"peak", Num(pe.peak, 3)}, {"end", Num(pe.end, 3)},
                         {"curve", "happiness (0-1), mean over viewers of each second's median"}};

  // 5. Leave-one-out lagged inter-subject correlation of the smile (AU12) at 10 Hz.
  const size_t dec = std::max<size_t>(1, static_cast<size_t>(std::lround(o.rate_hz / 10)));
  const size_t m10 = n / dec;
  std::vector<std::vector<double>> sm(nv, std::vector<double>(m10, kNaN));
  for (size_t k = 0; k < nv; ++k)
    for (size_t i = 0; i < m10; ++i) {
      double s = 0;
      int c = 0;
      for (size_t q = i * dec; q < (i + 1) * dec; ++q)
        if (ok[k]->valid[q]) s += ok[k]->expr[q][0], ++c;
      if (c > 0) sm[k][i] = s / c;
    }
  audience::IscOptions io;
  io.rate_hz = o.rate_hz / static_cast<double>(dec);  // ~10 Hz
  io.max_lag_s = o.isc_max_lag_s;
  io.min_shift_s = o.min_shift_s;
  io.surrogates = std::min(o.surrogates, 200);  // each costs viewers x (2 lags + 1) correlations
  io.seed = o.seed ^ 0x15Cull;
  const audience::IscResult isc = audience::LaggedIsc(sm, io);
  const std::vector<double>& isc_v = isc.per_viewer;
  const json jisc = {{"channel", "AU12 (smile) at 10 Hz"},
                     {"mean_r", Num(isc.mean_r, 3)},
                     {"max_lag_s", o.isc_max_lag_s},
                     {"null_mean_r", isc.null.empty() ? json(nullptr) : Num(isc.null_mean, 3)},
                     {"p", isc.null.empty() ? json(nullptr) : Num(isc.p)},
                     {"surrogates", isc.null.size()}};

  // 6. Per viewer.
  std::set<std::string> outcome_names;
  for (auto* v : ok)
    for (const auto& [k, x] : v->row.outcomes) outcome_names.insert(k);
  const std::vector<std::string> metric_names = {"fraction_answered", "happiness_mean", "smile_pct", "expressiveness_mean",
                                                 "attention_pct", "isc_r", "peak_end"};
  std::vector<std::vector<double>> metric(metric_names.size(), std::vector<double>(nv, kNaN));
  std::string pv_csv = "viewer_id,group,file,offset_s,recording_s,valid_pct,events,eligible,answered,strict";
  for (const auto& m : metric_names) pv_csv += "," + m;
  pv_csv += ",median_latency_s";
  for (const auto& oc : outcome_names) pv_csv += "," + CsvField(oc);
  pv_csv += "\n";
  double viewer_seconds = 0;
  for (size_t k = 0; k < nv; ++k) {
    const Viewer& v = *ok[k];
    viewer_seconds += v.recording_s;
    int e = 0, a = 0, st = 0;
    std::vector<double> lat;
    for (size_t j = 0; j < ns; ++j) e += eligible[k][j];
    for (const auto& m : matches[k])
      if (eligible[k][static_cast<size_t>(m.from)]) ++a, st += m.strict, lat.push_back(m.latency_s);
    std::vector<double> hap, ex, smile_on;
    int att = 0, valid = 0;
    for (size_t s = 0; s < secs; ++s) {
      hap.push_back(v.sec[s][1]);
      ex.push_back(v.sec_express[s]);
      if (std::isfinite(v.sec[s][0])) smile_on.push_back(v.sec[s][0] >= o.smile_threshold ? 100.0 : 0.0);
      att += v.sec_attentive[s];
    }
    for (uint8_t x : v.valid) valid += x;
    const double vals[] = {e > 0 ? static_cast<double>(a) / e : kNaN, stats::Mean(hap), stats::Mean(smile_on), stats::Mean(ex),
                           secs ? 100.0 * att / static_cast<double>(secs) : kNaN, isc_v[k], audience::PeakEndOf(hap, 3).score};
    for (size_t m = 0; m < metric_names.size(); ++m) metric[m][k] = vals[m];
    pv_csv += fmt::format("{},{},{},{:.3f},{:.2f},{:.1f},{},{},{},{}", CsvField(v.row.viewer_id), CsvField(v.row.group), CsvField(v.row.file), v.row.offset_s,
                          v.recording_s, 100.0 * valid / static_cast<double>(n), v.events.size(), e, a, st);
    for (double x : vals) pv_csv += "," + Fmt(x, 4);
    pv_csv += "," + Fmt(stats::Median(lat), 3);
    for (const auto& oc : outcome_names) {
      auto it = v.row.outcomes.find(oc);
      pv_csv += "," + (it == v.row.outcomes.end() ? std::string() : Fmt(it->second, 4));
    }
    pv_csv += "\n";
  }

  // Every viewer event, on the stimulus clock, with the stimulus event it answers.
  std::string ve_csv = "viewer_id,event,onset_s,apex_s,offset_s,intensity,action,affect,actions,answers_event,mode,latency_s\n";
  for (size_t k = 0; k < nv; ++k) {
    const auto& evs = ok[k]->events;
    for (size_t e = 0; e < evs.size(); ++e) {
      const sync::Match* m = nullptr;
      for (const auto& x : matches[k])
        if (static_cast<size_t>(x.to) == e) m = &x;
      std::string acts;
      for (int a : evs[e].actions) acts += std::string(acts.empty() ? "" : "+") + sync::Actions()[static_cast<size_t>(a)].name;
      const auto& act = sync::Actions()[static_cast<size_t>(evs[e].action)];
      ve_csv += fmt::format("{},{},{:.3f},{:.3f},{:.3f},{:.2f},{},{},{},{},{},{}\n", CsvField(ok[k]->row.viewer_id), e, evs[e].onset_s,
                            evs[e].apex_s, evs[e].offset_s, evs[e].intensity, act.name, act.affect, acts,
                            m ? std::to_string(m->from) : "", m ? (m->strict ? "strict" : "broad") : "", m ? Fmt(m->latency_s, 3) : "");
    }
  }

  // 7. A/B: two groups compared on every per-viewer metric.
  json ab = nullptr;
  if (ng == 2) {
    std::vector<int> gi;
    for (auto* v : ok) gi.push_back(group_index(*v));
    json metrics = json::object();
    for (size_t m = 0; m < metric_names.size(); ++m) {
      const stats::GroupComparison st = stats::CompareMeans(metric[m], gi, std::max(1, o.permutations), o.seed + m);
      metrics[metric_names[m]] = {{"mean_a", Num(st.mean_a)}, {"mean_b", Num(st.mean_b)}, {"difference", Num(st.diff)},
                                  {"hedges_g", Num(st.g, 3)}, {"p", Num(st.p)}, {"n_a", st.n_a}, {"n_b", st.n_b}};
    }
    ab = {{"a", groups[0]}, {"b", groups[1]}, {"metrics", metrics},
          {"test", "two-sided permutation test of the difference of means (a - b), " + std::to_string(o.permutations) +
                       " permutations; effect size Hedges' g"}};
  }

  // 8. Outcomes: Spearman per metric, and a cross-validated model from all metrics.
  json outcomes = json::object();
  for (const auto& oc : outcome_names) {
    std::vector<size_t> rows_ok;
    for (size_t k = 0; k < nv; ++k) {
      auto it = ok[k]->row.outcomes.find(oc);
      bool complete = it != ok[k]->row.outcomes.end() && std::isfinite(it->second);
      for (size_t m = 0; m < metric_names.size() && complete; ++m) complete = std::isfinite(metric[m][k]);
      if (complete) rows_ok.push_back(k);
    }
    json jo = {{"viewers", rows_ok.size()}};
    if (rows_ok.size() < 6) {
      jo["note"] = "fewer than 6 viewers with this outcome and every metric";
      outcomes[oc] = jo;
      continue;
    }
    std::vector<double> y;
    for (size_t k : rows_ok) y.push_back(ok[k]->row.outcomes.at(oc));
    const bool binary = std::all_of(y.begin(), y.end(), [](double x) { return x == 0 || x == 1; });
    json sp = json::object();
    for (size_t m = 0; m < metric_names.size(); ++m) {
      std::vector<double> x;
      for (size_t k : rows_ok) x.push_back(metric[m][k]);
      // Permutation p of |rho| (ranks of y shuffled), --permutations of them.
      const stats::CorrelationTest t = stats::SpearmanPermutationTest(x, y, std::max(1, o.permutations), o.seed + 101 + m);
      sp[metric_names[m]] = {{"rho", Num(t.rho, 3)}, {"p", Num(t.p)}};
    }
    std::vector<double> X;  // rows_ok x metrics, row-major
    for (size_t k : rows_ok)
      for (size_t m = 0; m < metric_names.size(); ++m) X.push_back(metric[m][k]);
    stats::CrossValidationOptions cv;
    cv.folds = static_cast<int>(std::min<size_t>(5, rows_ok.size()));
    cv.binary = binary;
    cv.seed = o.seed;
    const int folds = cv.folds;
    const auto pred = stats::CrossValidatedPredictions(X, rows_ok.size(), metric_names.size(), y, cv);
    json model = {{"kind", binary ? "logistic regression (ridge, lambda 1)" : "ridge regression (lambda 1)"},
                  {"features", metric_names}, {"folds", folds}};
    if (binary) {
      model["out_of_fold_auc"] = Num(stats::Auc(pred, y), 3);
    } else {
      const double my = stats::Mean(y);
      double ss_res = 0, ss_tot = 0;
      for (size_t i = 0; i < y.size(); ++i)
        if (std::isfinite(pred[i])) ss_res += std::pow(y[i] - pred[i], 2), ss_tot += std::pow(y[i] - my, 2);
      model["out_of_fold_r2"] = Num(ss_tot > 0 ? 1 - ss_res / ss_tot : kNaN, 3);
      model["out_of_fold_r"] = Num(stats::Pearson(pred, y), 3);
    }
    jo["spearman"] = sp;
    jo["model"] = model;
    outcomes[oc] = jo;
  }

  // 9. Outputs.
  const double wall = std::chrono::duration<double>(Clock::now() - t_start).count();
  json j;
  j["version"] = MIMICRY_VERSION;
  j["tool"] = "mimicry audience";
  j["command_line"] = o.command_line;
  j["stimulus"] = {{"file", o.stimulus}, {"duration_s", Num(duration, 3)}, {"seconds", secs}};
  j["stimulus_faces"] = jfaces;
  j["viewers"] = {{"analysed", nv}, {"skipped", skipped}, {"groups", groups}, {"viewer_seconds", Num(viewer_seconds, 1)}};
  j["mirroring"] = mirroring;
  j["peak_end"] = peak_end;
  j["peaks"] = extremes(true);
  j["troughs"] = extremes(false);
  j["isc"] = jisc;
  if (!ab.is_null()) j["ab"] = ab;
  j["outcomes"] = outcomes;
  j["parameters"] = {{"rate_hz", o.rate_hz},
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
  j["wall_s"] = Num(wall, 2);
  const fs::path dir(o.out_dir);
  // Each output is kept as written, for the report (nothing is read back).
  internal::OutputFiles written(o.out_dir);
  MIMICRY_RETURN_IF_ERROR(written.Write("audience.json", j.dump(2) + "\n"));
  MIMICRY_RETURN_IF_ERROR(written.Write("per_second.csv", ps_csv));
  MIMICRY_RETURN_IF_ERROR(written.Write("per_viewer.csv", pv_csv));
  MIMICRY_RETURN_IF_ERROR(written.Write("stimulus_events.csv", events_csv));
  MIMICRY_RETURN_IF_ERROR(written.Write("viewer_events.csv", ve_csv));
  AudienceResult r;
  r.audience_json = (dir / "audience.json").string();
  r.viewers = static_cast<int>(nv);
  r.skipped = static_cast<int>(viewers.size() - nv);
  r.stimulus_faces = static_cast<int>(faces.size());
  r.viewer_seconds = viewer_seconds;
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
  const auto& mj = j["mirroring"];
  auto num = [](const json& x, int d) { return x.is_number() ? fmt::format("{:.{}f}", x.get<double>(), d) : std::string("NA"); };
  r.text = fmt::format("  stimulus  {} ({:.1f} s, {} face(s), {} expression events)\n", o.stimulus, duration, faces.size(), ns) +
           fmt::format("  viewers   {} analysed, {} skipped, {:.0f} viewer-seconds\n", nv, r.skipped, viewer_seconds) + warnings +
           fmt::format("  mirroring {} of eligible (viewer, event) pairs answered, {} by chance (p {}), median latency {} s\n",
                       num(mj["fraction_answered"], 2), num(mj["expected_by_chance"], 2), num(mj["p"], 3), num(mj["median_latency_s"], 2));
  if (mj.contains("by_group"))
    for (const auto& [g, x] : mj["by_group"].items())
      r.text += fmt::format("            group {}: {} answered ({} by chance)\n", g, num(x["fraction_answered"], 2), num(x["expected_by_chance"], 2));
  r.text += fmt::format("            chance-corrected: {} of the pairs mirrored\n", num(mj["mirroring_fraction"], 2));
  r.text += fmt::format("  happiness peak-end {} (peak {}, end {}); ISC r {} (p {})\n", num(peak_end["score"], 2), num(peak_end["peak"], 2),
                        num(peak_end["end"], 2), num(jisc["mean_r"], 2), num(jisc["p"], 3));
  if (!ab.is_null()) {
    const auto& fa = ab["metrics"]["fraction_answered"];
    r.text += fmt::format("  A/B       {} vs {}: mirroring {} vs {} (g {}, p {})\n", groups[0], groups[1], num(fa["mean_a"], 2),
                          num(fa["mean_b"], 2), num(fa["hedges_g"], 2), num(fa["p"], 3));
  }
  return r;
}

}  // namespace mimicry::pipeline
