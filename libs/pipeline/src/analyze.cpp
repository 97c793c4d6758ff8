#include "mimicry/pipeline/analyze.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "mimicry/core/csv.h"
#include "mimicry/face/detector.h"
#include "mimicry/face/expression.h"
#include "mimicry/schema/feature_table.h"
#include "mimicry/io/series_table.h"
#include "mimicry/io/frame_source.h"
#include "mimicry/micro/features.h"
#include "mimicry/pipeline/synth.h"
#include "mimicry/report/report.h"
#include "mimicry/stats/correlation.h"
#include "mimicry/stats/descriptive.h"
#include "mimicry/stats/tests.h"
#include "mimicry/sync/pair.h"
#include "mimicry/sync/pseudo.h"
#include "inputs.h"
#include "verdict.h"

namespace mimicry::pipeline {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

struct Participant {
  std::string id, source, format;
  int face_id = 0;
  int64_t frames = 0;
  double offset_s = 0;
  const TimeSeries* raw = nullptr;
  double median_x = 0, median_size = kNaN;
  double first_s = 0, last_s = 0;  // its first and last frame (input clock)
  int64_t k0 = 0;        // its first sample on the session grid
  series::Uniform u;     // raw intensities on the grid from k0 (+ derived channels)
  series::Uniform prep;  // prepared (outliers, baseline, scaling, smoothing) for correlations
  std::vector<sync::ExprEvent> events;        // on the input clock
  std::vector<sync::ExprEvent> micro_events;  // spotted micro-expressions (libs/micro), as events
  double valid_fraction = 0;
  double mid_t_s = kNaN, mid_face_x = kNaN;  // the middle valid sample (input clock) and its face x
  // Series inputs: the values exactly on the grid from k0 (doubles, for rMEA's ccf); false
  // in on_grid when some sample falls between grid points.
  std::vector<double> grid;
  bool on_grid = true;
  // With --rmea: grid preprocessed as rMEA does (MEAsmooth, MEAscale over the whole series),
  // once per participant for its pair and every pseudo-pair.
  std::vector<double> rmea_series;
  size_t n() const { return u.size(); }
  int64_t k1() const { return k0 + static_cast<int64_t>(u.size()); }
};

// The participants of one session on one grid: sample k is at t0 + k / rate_hz; each
// participant covers its own recording's span of it.
struct Session {
  std::vector<schema::FeatureTable> tables;
  std::vector<io::SeriesTable> series_tables;  // series inputs (AnalyzeOptions::series)
  bool series = false;
  std::vector<Participant> ps;
  double t0 = 0;  // the earliest start, input clock
  size_t n = 0;   // samples to the latest end
  std::vector<std::string> warnings;  // for the terminal and summary.json
};

std::string Fmt(double v, int digits = 4) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : std::string(); }

// ---- Options ------------------------------------------------------------------------------

Status CheckWindow(const sync::WlccOptions& w, const char* window, const char* step, const char* lag) {
  auto bad = [](const char* opt, const std::string& what) { return InvalidArgument(std::string(opt) + ": " + what); };
  if (!(w.window_s > 0) || !std::isfinite(w.window_s)) return bad(window, fmt::format("must be > 0, got {}", w.window_s));
  if (!(w.step_s > 0) || !std::isfinite(w.step_s)) return bad(step, fmt::format("must be > 0, got {}", w.step_s));
  if (!(w.step_s <= w.window_s)) return bad(step, fmt::format("must not exceed {} ({} s), got {}", window, w.window_s, w.step_s));
  if (!(w.max_lag_s > 0) || !std::isfinite(w.max_lag_s)) return bad(lag, fmt::format("must be > 0, got {}", w.max_lag_s));
  if (!(w.max_lag_s < w.window_s))
    return bad(lag, fmt::format("must be less than {} ({} s), got {}", window, w.window_s, w.max_lag_s));
  return Status::Ok();
}

Status ValidateOptions(const AnalyzeOptions& o) {
  if (o.series.enabled) {
    if (!(o.rate_hz == 0 || (o.rate_hz >= 0.1 && o.rate_hz <= 1000)))
      return InvalidArgument(fmt::format("--rate: series are analysed at 0.1..1000 Hz (or their own rate), got {}", o.rate_hz));
    if (!std::isfinite(o.series.rate_hz) || o.series.rate_hz < 0)
      return InvalidArgument(std::isfinite(o.series.rate_hz)
                                 ? fmt::format("--series-rate: must be a positive number of Hz, got {}", o.series.rate_hz)
                                 : std::string("--series-rate: must be a positive, finite number of Hz"));
  } else if (!(o.rate_hz >= 5 && o.rate_hz <= 240)) {
    return InvalidArgument(fmt::format("--rate: must be 5..240 Hz, got {}", o.rate_hz));
  }
  if (o.rmea.enabled && !(o.rmea.smooth_s >= 0 && std::isfinite(o.rmea.smooth_s)))
    return InvalidArgument(fmt::format("--rmea-smooth: must be >= 0 s, got {}", o.rmea.smooth_s));
  if (!(o.max_gap_s >= 0)) return InvalidArgument(fmt::format("--max-gap: must be >= 0, got {}", o.max_gap_s));
  MIMICRY_RETURN_IF_ERROR(CheckWindow(o.mimicry_wlcc, "--window", "--step", "--max-lag"));
  MIMICRY_RETURN_IF_ERROR(CheckWindow(o.session_wlcc, "--session-window", "--session-step", "--session-max-lag"));
  if (o.surrogates != 0 && o.surrogates < 99)
    return InvalidArgument(fmt::format("--surrogates: must be 0 (no tests) or >= 99 (p down to 0.01), got {}", o.surrogates));
  if (o.surrogates > 100000) return InvalidArgument(fmt::format("--surrogates: at most 100000, got {}", o.surrogates));
  if (!(o.min_shift_s >= 0)) return InvalidArgument(fmt::format("--min-shift: must be >= 0, got {}", o.min_shift_s));
  if (!(o.block_s >= 0)) return InvalidArgument(fmt::format("--block: must be >= 0 (0 = default), got {}", o.block_s));
  if (!(o.match.min_latency_s >= 0))
    return InvalidArgument(fmt::format("--answer-min: must be >= 0, got {}", o.match.min_latency_s));
  if (!(o.match.max_latency_s > o.match.min_latency_s))
    return InvalidArgument(fmt::format("--answer-max: must be greater than --answer-min ({} s), got {}", o.match.min_latency_s,
                                       o.match.max_latency_s));
  if (!(o.events.threshold >= 0 && o.events.threshold <= 5))
    return InvalidArgument(fmt::format("--event-threshold: must be 0..5 (AU intensity), got {}", o.events.threshold));
  if (!(o.prepare.smooth_s >= 0)) return InvalidArgument(fmt::format("--smooth: must be >= 0, got {}", o.prepare.smooth_s));
  if (!(o.prepare.outlier_sd >= 0)) return InvalidArgument(fmt::format("--outlier-sd: must be >= 0, got {}", o.prepare.outlier_sd));
  return Status::Ok();
}

sync::PairOptions PairOptionsFor(const AnalyzeOptions& o, uint64_t seed) {
  sync::PairOptions po;
  po.mimicry_wlcc = o.mimicry_wlcc;
  po.session_wlcc = o.session_wlcc;
  po.coupling.window_s = o.mimicry_wlcc.window_s;
  po.coupling.max_lag_s = o.mimicry_wlcc.max_lag_s;
  po.coupling.surrogates = o.surrogates;
  po.coupling.seed = seed;
  po.coupling.kind = o.correlation_surrogate;
  po.coupling.block_s = o.block_s;
  po.coupling.min_shift_s = o.min_shift_s;
  po.mimicry.match = o.match;
  po.mimicry.surrogates = o.surrogates;
  po.mimicry.seed = seed;
  po.mimicry.kind = o.event_surrogate;
  po.mimicry.block_s = o.block_s;
  po.mimicry.min_shift_s = o.min_shift_s;
  po.chance_surrogates = o.surrogates > 0 ? std::min(o.chance_surrogates, o.surrogates) : 0;
  po.lagmap_step_s = 0.1;
  return po;
}

// Whether a channel enters the pooled synchrony and leader curve.
bool PooledFor(const AnalyzeOptions& o, const std::string& ch) {
  if (o.series.enabled) return true;
  const bool motion = ch == "me_head" || ch == "me_body";
  switch (o.channels) {
    case AnalyzeOptions::Channels::kMotion: return motion;
    case AnalyzeOptions::Channels::kBoth: return motion || internal::Pooled(ch);
    case AnalyzeOptions::Channels::kFaces: break;
  }
  return internal::Pooled(ch);
}

// The extraction options analyze uses for videos: motion energy when it is coupled.
ExtractOptions ExtractFor(const AnalyzeOptions& o) {
  ExtractOptions e = o.extract;
  if (o.channels != AnalyzeOptions::Channels::kFaces) e.motion_energy = true;
  return e;
}

// ---- Loading --------------------------------------------------------------------------------

// Micro-expressions spotted in a participant's recording as `mimicry micro` spots them
// (micro::SpotFeatureSeries: its frames, AUs, appearance change and head pose), as expression
// events on the session clock (the recording's times + offset_s) within [t0_s, t1_s): the
// primary action is the first action (priority order) of whose AUs one rose at the apex.
std::vector<sync::ExprEvent> MicroEvents(const TimeSeries& raw, double offset_s, double t0_s, double t1_s) {
  std::vector<sync::ExprEvent> out;
  for (micro::Interval x : micro::SpotFeatureSeries(raw, {})) {
    if (x.kind != micro::Kind::kMicro) continue;
    x.onset_s += offset_s, x.apex_s += offset_s, x.offset_s += offset_s;
    if (x.onset_s < t0_s || x.offset_s >= t1_s) continue;
    int action = -1;
    for (size_t a = 0; a < sync::Actions().size() && action < 0; ++a)
      for (int code : sync::Actions()[a].aus)
        if (code != 0 && std::find(x.aus.begin(), x.aus.end(), code) != x.aus.end()) action = static_cast<int>(a);
    if (action < 0) continue;
    sync::ExprEvent e;
    e.onset_s = x.onset_s;
    e.apex_s = x.apex_s;
    e.offset_s = x.offset_s;
    e.intensity = static_cast<float>(x.intensity);
    e.action = action;
    e.actions = {action};
    out.push_back(e);
  }
  return out;
}


// Inputs -> participants (one per recording, or the faces of one recording, left to right).
Status NamesAndOffsets(const AnalyzeOptions& o, Session& session);

// Series inputs -> participants: every column of every file.
Status ReadSeriesParticipants(const AnalyzeOptions& o, Session& session) {
  session.series = true;
  std::vector<std::string> files = o.inputs;
  if (!o.series.picks.empty()) {
    files.clear();
    for (const auto& pk : o.series.picks)
      if (std::find(files.begin(), files.end(), pk.file) == files.end()) files.push_back(pk.file);
  }
  for (const auto& in : files) {
    auto t = io::ReadSeriesTable(in, {.rate_hz = o.series.rate_hz, .columns = o.series.picks.empty() ? o.series.columns
                                                                                                    : std::vector<std::string>{}});
    if (!t.ok()) return t.status();
    session.series_tables.push_back(std::move(t).value());
  }
  const double rate = session.series_tables[0].rate_hz;
  for (const auto& t : session.series_tables)
    if (std::abs(t.rate_hz - rate) > 1e-6 * rate)
      return InvalidInput(fmt::format("{}: its rows are {} Hz apart, {}'s {} Hz; give every series at one rate", t.path, t.rate_hz,
                                      session.series_tables[0].path, rate));
  if (!o.series.picks.empty()) {
    for (const auto& pk : o.series.picks) {
      const auto& t = *std::find_if(session.series_tables.begin(), session.series_tables.end(),
                                    [&](const io::SeriesTable& x) { return x.path == pk.file; });
      int k = -1;
      const std::string want = pk.column.empty() ? pk.id : pk.column;
      for (size_t c = 0; c < t.names.size(); ++c)
        if (t.names[c] == want) k = static_cast<int>(c);
      double num = 0;
      if (k < 0 && ParseNumber(want, num) && num >= 1 && num <= static_cast<double>(t.names.size()) && num == std::floor(num))
        k = static_cast<int>(num) - 1;
      if (k < 0 && pk.column.empty() && t.names.size() == 1) k = 0;
      if (k < 0) {
        std::string have;
        for (const auto& n : t.names) have += (have.empty() ? "" : ", ") + n;
        return InvalidInput(t.path + ": no participant column '" + want + "' for " + pk.id + " (columns: " + have +
                            "); name it in the sessions table's column `column`");
      }
      Participant p;
      p.source = t.path;
      p.format = t.format == "mea" ? "series (MEA text)" : "series (CSV)";
      p.face_id = k;
      p.raw = &t.series[static_cast<size_t>(k)];
      p.frames = static_cast<int64_t>(p.raw->size());
      p.id = pk.id;
      session.ps.push_back(p);
    }
  }
  for (const auto& t : session.series_tables)
    for (size_t k = 0; k < t.series.size() && o.series.picks.empty(); ++k) {
      Participant p;
      p.source = t.path;
      p.format = t.format == "mea" ? "series (MEA text)" : "series (CSV)";
      p.face_id = static_cast<int>(k);
      p.raw = &t.series[k];
      p.frames = static_cast<int64_t>(t.series[k].size());
      const std::string stem = fs::path(t.path).stem().string();
      p.id = session.series_tables.size() == 1 ? t.names[k] : t.series.size() == 1 ? stem : stem + "." + t.names[k];
      session.ps.push_back(p);
    }
  if (session.ps.size() < 2)
    return InvalidInput(o.inputs[0] + ": one participant column; give a file with two or more columns, or one file per participant");
  return Status::Ok();
}

Status ReadParticipants(const AnalyzeOptions& o, const AnalyzeProgress& progress, Session& session) {
  auto& tables = session.tables;
  auto& ps = session.ps;
  if (o.series.enabled) {
    MIMICRY_RETURN_IF_ERROR(ReadSeriesParticipants(o, session));
    return NamesAndOffsets(o, session);
  }
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    if (progress) progress("reading", static_cast<double>(i) / static_cast<double>(o.inputs.size()));
    auto t = internal::LoadInput(o.inputs[i], o.out_dir, ExtractFor(o), "", progress);
    if (!t.ok()) return t.status();
    tables.push_back(std::move(t).value());
  }
  if (tables.size() == 1) {
    const auto& t = tables[0];
    size_t top = 0;
    for (const auto& [id, s] : t.faces) top = std::max(top, s.size());
    std::string dropped;
    for (const auto& [id, s] : t.faces) {
      if (static_cast<int64_t>(s.size()) * 100 < static_cast<int64_t>(top) * o.min_faces_fraction_pct) {
        dropped += fmt::format("{}face {} ({} frames, {:.1f}-{:.1f} s)", dropped.empty() ? "" : ", ", id, s.size(),
                               s.time(0).seconds(), s.time(s.size() - 1).seconds());
        continue;
      }
      Participant p;
      p.source = o.inputs[0];
      p.format = t.format;
      p.face_id = id;
      p.raw = &s;
      p.frames = static_cast<int64_t>(s.size());
      std::vector<double> xs;
      const int cx = s.ChannelIndex("face_x");
      for (size_t i = 0; i < s.size(); ++i)
        if (std::isfinite(s.value(i, static_cast<size_t>(cx)))) xs.push_back(s.value(i, static_cast<size_t>(cx)));
      p.median_x = xs.empty() ? static_cast<double>(id) : stats::Median(xs);
      std::vector<double> sz;
      const int cs = s.ChannelIndex("face_size");
      for (size_t i = 0; cs >= 0 && i < s.size(); ++i)
        if (std::isfinite(s.value(i, static_cast<size_t>(cs)))) sz.push_back(s.value(i, static_cast<size_t>(cs)));
      p.median_size = sz.empty() ? kNaN : stats::Median(sz);
      p.first_s = s.time(0).seconds();
      p.last_s = s.time(s.size() - 1).seconds();
      ps.push_back(p);
    }
    std::sort(ps.begin(), ps.end(), [](const Participant& a, const Participant& b) { return a.median_x < b.median_x; });
    for (size_t i = 0; i < ps.size(); ++i) ps[i].id = "P" + std::to_string(i + 1);
    if (!dropped.empty())
      session.warnings.push_back(fmt::format(
          "{}: left out {}: fewer than {}% of the top face's frames. If these are one person whose face ID split, try "
          "extract --detector blazeface-back (small or distant faces), or analyse the recording in cuts",
          o.inputs[0], dropped, o.min_faces_fraction_pct));
    // Identities that multiplied: two faces at the same place (within a face width) that are
    // hardly ever seen at the same time are most likely one person whose track was lost.
    for (size_t i = 0; i < ps.size(); ++i)
      for (size_t k = i + 1; k < ps.size(); ++k) {
        const Participant &a = ps[i], &b = ps[k];
        const double width = std::max(a.median_size, b.median_size);
        const double overlap = std::min(a.last_s, b.last_s) - std::max(a.first_s, b.first_s);
        const double shorter = std::min(a.last_s - a.first_s, b.last_s - b.first_s);
        if (std::isfinite(width) && std::abs(a.median_x - b.median_x) < width && overlap < 0.2 * shorter)
          session.warnings.push_back(fmt::format(
              "{}: {} and {} sit at the same place but are seen at different times ({:.1f}-{:.1f} s, {:.1f}-{:.1f} s): probably one "
              "person whose face ID split; for small or turned faces try extract --detector blazeface-back, or analyse a cut",
              o.inputs[0], a.id, b.id, a.first_s, a.last_s, b.first_s, b.last_s));
      }
    if (ps.size() < 2)
      return InvalidArgument(o.inputs[0] + ": one recording needs two or more faces to analyse (found " +
                             std::to_string(t.faces.size()) + "); give one recording per participant");
  } else {
    for (size_t i = 0; i < tables.size(); ++i) {
      int id = 0;
      const TimeSeries* best = internal::MainFace(tables[i], &id);
      if (best == nullptr || best->empty()) return InvalidInput(o.inputs[i] + ": no frames with a face");
      Participant p;
      p.source = o.inputs[i];
      p.format = tables[i].format;
      p.face_id = id;
      p.raw = best;
      p.frames = static_cast<int64_t>(best->size());
      p.id = fs::path(o.inputs[i]).stem().string();
      ps.push_back(p);
    }
    // Intensities of different extractors are not on one scale (docs/analyze.md, Inputs).
    std::map<std::string, std::vector<std::string>> by_format;
    for (const auto& p : ps) by_format[p.format].push_back(fs::path(p.source).filename().string());
    if (by_format.size() > 1) {
      std::string list;
      for (const auto& [f, files] : by_format) {
        list += (list.empty() ? "" : "; ") + f + ": ";
        for (size_t k = 0; k < files.size(); ++k) list += (k ? ", " : "") + files[k];
      }
      session.warnings.push_back("the inputs come from different extractors (" + list +
                                 "): their AU intensities are not on one scale, so events and answer counts compare unlike "
                                 "things; extract every recording with the same tool where you can");
    }
  }
  return NamesAndOffsets(o, session);
}

Status NamesAndOffsets(const AnalyzeOptions& o, Session& session) {
  auto& ps = session.ps;
  for (const auto& [id, file] : o.names) {
    auto it = std::find_if(ps.begin(), ps.end(), [&](const Participant& p) { return p.source == file || p.id == file; });
    if (it == ps.end()) return InvalidArgument("--name " + id + "=" + file + ": no such input (or participant id)");
    it->id = id;
  }
  std::set<std::string> ids;
  for (const auto& p : ps)
    if (!ids.insert(p.id).second) return InvalidArgument("two participants are named '" + p.id + "'; use --name ID=FILE");
  for (const auto& [id, off] : o.offsets_s) {
    auto it = std::find_if(ps.begin(), ps.end(), [&](const Participant& p) { return p.id == id; });
    if (it == ps.end()) return InvalidArgument("--offset " + id + ": no participant with this id");
    it->offset_s = off;
  }
  return Status::Ok();
}

double StartS(const Participant& p) { return p.raw->time(0).seconds() + p.offset_s; }
double EndS(const Participant& p) { return p.raw->time(p.raw->size() - 1).seconds() + p.offset_s; }

std::string Spans(const std::vector<const Participant*>& ps) {
  std::string which;
  for (const Participant* p : ps)
    which += fmt::format("{}{} [{:.2f}, {:.2f}] s", which.empty() ? "" : ", ", p->id, StartS(*p), EndS(*p));
  return which;
}

// A series participant on the grid: its one channel resampled (gaps stay gaps) and
// prepared; no events. The values exactly on grid points are kept as doubles for rMEA.
void PrepareSeries(const AnalyzeOptions& o, double pt0, size_t n, Participant& p) {
  series::ResampleOptions ro;
  ro.rate_hz = o.rate_hz;
  ro.max_gap_s = o.max_gap_s;
  p.u = series::Resample(*p.raw, p.offset_s, pt0, n, ro);
  p.valid_fraction = p.u.ValidFraction(0);
  p.prep = p.u;
  series::Prepare(p.prep, o.prepare);
  p.grid.assign(n, kNaN);
  for (size_t i = 0; i < p.raw->size(); ++i) {
    const double k = (p.raw->time(i).seconds() + p.offset_s - pt0) * o.rate_hz;
    const double kr = std::round(k);
    if (std::abs(k - kr) > 1e-3) {
      p.on_grid = false;
      continue;
    }
    if (kr >= 0 && kr < static_cast<double>(n)) p.grid[static_cast<size_t>(kr)] = p.raw->value(i, 0);
  }
  if (o.rmea.enabled) {
    p.rmea_series = p.grid;
    if (o.rmea.smooth_s > 0) p.rmea_series = sync::RmeaSmooth(p.rmea_series, o.rate_hz, o.rmea.smooth_s);
    if (o.rmea.scale) p.rmea_series = sync::RmeaScale(p.rmea_series);
  }
  sync::EventOptions eo = o.events;
  eo.threshold = o.series.event_threshold;
  p.events = sync::DetectSeriesEvents(p.u.data[0], pt0, o.rate_hz, eo);
  p.mid_t_s = p.raw->time(p.raw->size() / 2).seconds();
  p.raw = nullptr;
}

// The session grid, each participant's channels on it, prepared, with its events.
Status PrepareSession(const AnalyzeOptions& o, const AnalyzeProgress& progress, Session& session) {
  auto& ps = session.ps;
  double t0 = 1e300, t1 = -1e300;
  for (const auto& p : ps) t0 = std::min(t0, StartS(p)), t1 = std::max(t1, EndS(p));
  // Every pair must share at least one mimicry window.
  for (size_t a = 0; a < ps.size(); ++a)
    for (size_t b = a + 1; b < ps.size(); ++b)
      if (!(std::min(EndS(ps[a]), EndS(ps[b])) - std::max(StartS(ps[a]), StartS(ps[b])) >= o.mimicry_wlcc.window_s))
        return InvalidInput(fmt::format("the recordings do not overlap in time ({}); use --offset ID=SECONDS",
                                        Spans({&ps[a], &ps[b]})));
  session.t0 = t0;
  session.n = static_cast<size_t>(std::floor((t1 - t0) * o.rate_hz + 1e-9)) + 1;
  if (progress) progress("resampling", 0);
  for (auto& p : ps) {
    p.k0 = static_cast<int64_t>(std::ceil((StartS(p) - t0) * o.rate_hz - 1e-9));
    const int64_t k1 = static_cast<int64_t>(std::floor((EndS(p) - t0) * o.rate_hz + 1e-9)) + 1;
    const double pt0 = t0 + static_cast<double>(p.k0) / o.rate_hz;
    const size_t pn = static_cast<size_t>(std::max<int64_t>(1, k1 - p.k0));
    if (session.series) {
      PrepareSeries(o, pt0, pn, p);
      if (p.valid_fraction == 0) return InvalidInput(p.source + ": participant " + p.id + " has no values");
      continue;
    }
    p.u = internal::Derive(*p.raw, p.offset_s, pt0, pn, o.rate_hz, o.max_gap_s);
    p.valid_fraction = p.u.ValidFraction(static_cast<size_t>(face::AuIndex(12)));
    if (o.channels != AnalyzeOptions::Channels::kFaces) {
      // Motion energy beside the face channels (resampled the same way; gaps stay gaps).
      series::ResampleOptions ro;
      ro.rate_hz = o.rate_hz;
      ro.max_gap_s = o.max_gap_s;
      const series::Uniform all = series::Resample(*p.raw, p.offset_s, pt0, pn, ro);
      for (const char* ch : {"me_head", "me_body", "me_total"}) {
        const int c = all.ChannelIndex(ch);
        p.u.channels.push_back(ch);
        p.u.data.push_back(c >= 0 ? all.data[static_cast<size_t>(c)] : std::vector<float>(pn, kNaNf));
      }
      if (p.u.ValidFraction(p.u.channels.size() - 1) == 0)
        return InvalidInput(p.source + ": participant " + p.id +
                            " has no motion energy (--channels motion): extract the video with --motion-energy, or give the video");
    }
    if (p.valid_fraction == 0) return InvalidInput(p.source + ": participant " + p.id + " has no usable frames");
    p.prep = p.u;
    series::Prepare(p.prep, o.prepare);
    std::vector<std::span<const float>> aus;
    for (int k = 0; k < face::kNumAus; ++k) aus.emplace_back(p.u.data[static_cast<size_t>(k)]);
    p.events = sync::DetectEvents(aus, pt0, o.rate_hz, o.events);
    p.micro_events = MicroEvents(*p.raw, p.offset_s, pt0, pt0 + static_cast<double>(pn) / o.rate_hz);
    const size_t mid = p.raw->size() / 2;
    p.mid_t_s = p.raw->time(mid).seconds();
    const auto& ch = p.raw->header().channels;
    for (size_t c = 0; c < ch.size(); ++c)
      if (ch[c] == "face_x") p.mid_face_x = p.raw->value(mid, c);
    p.raw = nullptr;  // the tables may move with the session
  }
  return Status::Ok();
}

// Reads and prepares; with series inputs and rate_hz = 0 the clock becomes their rate (o
// is updated).
Result<Session> LoadSession(AnalyzeOptions& o, const AnalyzeProgress& progress) {
  Session session;
  MIMICRY_RETURN_IF_ERROR(ReadParticipants(o, progress, session));
  if (session.series && o.rate_hz == 0) o.rate_hz = session.series_tables[0].rate_hz;
  if (session.series && !(o.rate_hz >= 0.1 && o.rate_hz <= 1000))
    return InvalidArgument(fmt::format("--rate: series are analysed at 0.1..1000 Hz, got {}", o.rate_hz));
  if (o.rmea.enabled && !session.series) return InvalidArgument("--rmea: needs series inputs (--series-rate or --series)");
  MIMICRY_RETURN_IF_ERROR(PrepareSession(o, progress, session));
  return session;
}

// ---- One pair -------------------------------------------------------------------------------

struct PairRun {
  size_t ia = 0, ib = 0;
  int64_t k0 = 0, k1 = 0;  // the shared samples on the session grid
  sync::PairResult r;
  std::optional<sync::RmeaCcfResult> rmea;  // AnalyzeOptions::rmea
};

std::vector<sync::ExprEvent> Inside(const std::vector<sync::ExprEvent>& ev, double t0, double t1) {
  std::vector<sync::ExprEvent> out;
  for (const auto& e : ev)
    if (e.onset_s >= t0 && e.onset_s < t1) out.push_back(e);
  return out;
}

PairRun RunPair(const Session& s, size_t ia, size_t ib, const AnalyzeOptions& o, uint64_t seed) {
  const Participant& A = s.ps[ia];
  const Participant& B = s.ps[ib];
  PairRun run;
  run.ia = ia;
  run.ib = ib;
  run.k0 = std::max(A.k0, B.k0);
  run.k1 = std::min(A.k1(), B.k1());
  const size_t len = static_cast<size_t>(run.k1 - run.k0);
  sync::PairInput in;
  in.names = A.u.channels;
  in.rate_hz = o.rate_hz;
  in.t0_s = s.t0 + static_cast<double>(run.k0) / o.rate_hz;
  for (size_t c = 0; c < in.names.size(); ++c) {
    in.a.emplace_back(A.prep.data[c].data() + (run.k0 - A.k0), len);
    in.b.emplace_back(B.prep.data[c].data() + (run.k0 - B.k0), len);
    in.pooled.push_back(PooledFor(o, in.names[c]) ? 1 : 0);
    if (in.names[c] == "smile") in.smile = static_cast<int>(c);
    if (in.names[c] == "valence") in.valence = static_cast<int>(c);
  }
  const double t1 = in.t0_s + static_cast<double>(len) / o.rate_hz;
  in.a_events = Inside(A.events, in.t0_s, t1);
  in.b_events = Inside(B.events, in.t0_s, t1);
  in.a_micro = Inside(A.micro_events, in.t0_s, t1);
  in.b_micro = Inside(B.micro_events, in.t0_s, t1);
  run.r = sync::AnalyzePair(in, PairOptionsFor(o, seed));
  return run;
}

// rMEA's windowed cross-correlation of one pair on its shared span, each participant's
// whole series preprocessed first (as rMEA does).
Result<sync::RmeaCcfResult> PairRmea(const Session& s, const PairRun& run, const AnalyzeOptions& o) {
  const Participant& A = s.ps[run.ia];
  const Participant& B = s.ps[run.ib];
  for (const Participant* p : {&A, &B})
    if (!p->on_grid)
      return InvalidArgument(fmt::format("--rmea: {}'s samples ({}) are not on the {} Hz analysis clock; analyse at the series' own "
                                         "rate (leave --rate out) and give offsets in whole samples",
                                         p->id, p->source, o.rate_hz));
  auto span = [&](const Participant& p) {
    return std::span<const double>(p.rmea_series).subspan(static_cast<size_t>(run.k0 - p.k0), static_cast<size_t>(run.k1 - run.k0));
  };
  auto r = sync::RmeaCcf(span(A), span(B), o.rate_hz, o.rmea.ccf);
  if (!r.ok()) return InvalidArgument("--rmea: " + A.id + " and " + B.id + ": " + r.status().message());
  return r;
}

json RmeaJson(const sync::RmeaCcfResult& r, const Participant& A, const Participant& B, const AnalyzeOptions& o,
              const std::string& file) {
  return {{"s1", A.id},
          {"s2", B.id},
          {"windows", r.windows.size()},
          {"grand_average", Num(r.grand_average)},
          {"lag_zero", Num(r.lag_zero)},
          {"s1_lead", Num(r.s1_lead)},
          {"s2_lead", Num(r.s2_lead)},
          {"best_lag_median", Num(r.best_lag_median_s)},
          {"matrix", file},
          {"options",
           {{"lag_s", o.rmea.ccf.lag_s}, {"win_s", o.rmea.ccf.win_s}, {"inc_s", o.rmea.ccf.inc_s}, {"r2z", o.rmea.ccf.fisher_z},
            {"abs", o.rmea.ccf.abs}, {"smooth_s", o.rmea.smooth_s}, {"scale", o.rmea.scale}}},
          {"note", "rMEA 1.3.0's MEAccf conventions (docs/movement.md#rmea): positive lags = s2 follows s1; s1_lead = mean over "
                   "positive lags; grand_average = mean of the window x lag matrix"}};
}

std::string RmeaCsv(const sync::RmeaCcfResult& r, double t_off) {
  std::string csv = "window,t_start_s";
  for (double l : r.lags_s) csv += fmt::format(",lag_{}", l);
  csv += "\n";
  for (size_t w = 0; w < r.windows.size(); ++w) {
    csv += fmt::format("{},{:.3f}", w + 1, t_off + r.windows[w].start_s);
    for (size_t k = 0; k < r.lags_s.size(); ++k) {
      const double v = r.at(w, k);
      csv += std::isnan(v) ? std::string(",") : fmt::format(",{:.17g}", v);
    }
    csv += "\n";
  }
  return csv;
}

json MimicryStatJson(const sync::MimicryStat& s, double minutes) {
  return json{{"events", s.events},
              {"count", s.count},
              {"rate_per_min", minutes > 0 ? Num(s.count / minutes) : json(nullptr)},
              {"tested", s.tested},
              {"not_tested", s.tested ? json(nullptr) : json(s.not_tested)},
              {"expected", Num(s.expected)},
              {"chance", ChanceJson(s.chance)},
              {"index", Num(s.index)},
              {"p", Num(s.p)},
              {"verdict", Verdict(s.tested, s.p, s.not_tested)},
              {"median_latency_s", Num(s.median_latency_s)}};
}

json MimicryJson(const sync::MimicryResult& m, double minutes) {
  return json{{"strict", {{"a_to_b", MimicryStatJson(m.strict_ab, minutes)}, {"b_to_a", MimicryStatJson(m.strict_ba, minutes)}}},
              {"broad", {{"a_to_b", MimicryStatJson(m.broad_ab, minutes)}, {"b_to_a", MimicryStatJson(m.broad_ba, minutes)}}},
              {"surrogate", sync::EventSurrogateName(m.kind)},
              {"surrogates", m.surrogates},
              {"p_floor", Num(m.p_floor)}};
}

std::string Who(int leader, const std::string& a, const std::string& b) { return leader == 0 ? a : leader == 1 ? b : ""; }

json PairJson(const PairRun& run, const Participant& A, const Participant& B, double session_t0) {
  const sync::PairResult& r = run.r;
  const sync::CouplingResult& c = r.coupling;
  const double minutes = r.duration_s / 60.0;
  const auto& pooled = c.pooled;
  const std::string method = !c.tested ? ""
                             : c.kind == sync::SurrogateKind::kBlockBootstrap
                                 ? fmt::format("block bootstrap of {}'s time line (mean block {:.0f} s), {} surrogates", B.id,
                                               c.block_s, c.surrogates)
                                 : fmt::format("circular shifts of {}'s time line, {} surrogates, {:.0f} effectively different",
                                               B.id, c.surrogates, c.effective_shifts);
  json sync_j = {{"r", Num(pooled.observed.peak)},
                 {"lag_s", Num(pooled.observed.lag_s)},
                 {"tested", c.tested},
                 {"not_tested", c.tested ? json(nullptr) : json(c.not_tested)},
                 {"p", Num(pooled.peak_p)},
                 {"z", Num(pooled.peak_z)},
                 {"chance", ChanceJson(pooled.peak_chance)},
                 {"verdict", Verdict(c.tested, pooled.peak_p, c.not_tested)},
                 {"channels", c.channels_used},
                 {"surrogate", sync::SurrogateKindName(c.kind)},
                 {"surrogates", c.surrogates},
                 {"block_s", Num(c.block_s)},
                 {"effective_shifts", Num(c.effective_shifts)},
                 {"p_floor", Num(c.p_floor)},
                 {"method", method},
                 {"windowed_peak_r", Num(r.windowed_r)},
                 {"windowed_chance", ChanceJson(r.windowed_chance)}};
  const auto& L = r.leader;
  const std::string leader = Who(L.leader, A.id, B.id), follower = Who(L.leader < 0 ? -1 : 1 - L.leader, A.id, B.id);
  json lead_j = {{"id", leader.empty() ? json(nullptr) : json(leader)},
                 {"follower", follower.empty() ? json(nullptr) : json(follower)},
                 {"lag_s", Num(L.lag_s)},
                 {"lag_source", L.lag_from_events ? "answer latency" : "coupling"},
                 {"coupling_lag_s", Num(L.coupling_lag_s)},
                 {"tested", L.tested},
                 {"not_tested", L.tested ? json(nullptr) : json(L.not_tested)},
                 {"p", Num(L.p)},
                 {"chance_asym", ChanceJson(pooled.asym_chance)},
                 {"verdict", Verdict(L.tested, L.p, L.not_tested)},
                 {"from_events",
                  {{"id", L.events_leader < 0 ? json(nullptr) : json(Who(L.events_leader, A.id, B.id))},
                   {"excess_a_to_b", Num(L.excess_ab)},
                   {"excess_b_to_a", Num(L.excess_ba)},
                   {"p", Num(L.events_p)}}}};
  json cont_j;
  {
    int v = -1;
    for (size_t k = 0; k < r.mimicry.size(); ++k)
      if (A.u.channels[k] == "valence") v = static_cast<int>(k);
    const sync::CurveTest* t = v >= 0 ? &c.channels[static_cast<size_t>(v)] : nullptr;
    const bool ok = t != nullptr && t->ok;
    const bool tested = ok && std::isfinite(t->peak_p);
    const std::string why = !ok ? "the valence channel has too little data" : tested ? "" : c.not_tested;
    const double lag = ok ? t->observed.lag_s : kNaN;
    cont_j = {{"channel", "valence"},
              {"ok", ok},
              {"tested", tested},
              {"not_tested", tested ? json(nullptr) : json(why)},
              {"r", ok ? Num(t->observed.peak) : json(nullptr)},
              {"leader", !ok || std::abs(lag) < 0.5 / 30 ? json(nullptr) : json(lag > 0 ? A.id : B.id)},
              {"lag_s", ok ? Num(std::abs(lag)) : json(nullptr)},
              {"chance", ok ? ChanceJson(t->peak_chance) : ChanceJson({})},
              {"p", tested ? Num(t->peak_p) : json(nullptr)},
              {"direction_p", tested ? Num(t->lead_p) : json(nullptr)},
              {"verdict", Verdict(tested, tested ? t->peak_p : kNaN, why)}};
  }
  json ch_j = json::object();
  for (size_t k = 0; k < r.mimicry.size(); ++k) {
    const auto& t = c.channels[k];
    ch_j[A.u.channels[k]] = {{"peak_r_mean", Num(r.mimicry[k].peak_r_mean)},
                             {"peak_lag_mean_s", Num(r.mimicry[k].lag_mean_s)},
                             {"coupling_r", t.ok ? Num(t.observed.peak) : json(nullptr)},
                             {"coupling_lag_s", t.ok ? Num(t.observed.lag_s) : json(nullptr)},
                             {"p", Num(t.peak_p)},
                             {"q", Num(r.channel_q[k])}};
  }
  json micro_j = MimicryJson(r.micro, minutes);
  micro_j["note"] = "micro-expressions (libs/micro, experimental spotter) answered by the partner's micro-expressions";
  return json{{"a", A.id},
              {"b", B.id},
              {"span", {{"start_s", r.t0_s - session_t0}, {"duration_s", r.duration_s}}},
              {"synchrony", sync_j},
              {"leader", lead_j},
              {"mimicry", MimicryJson(r.events, minutes)},
              {"contagion", cont_j},
              {"rapport",
               {{"index", Num(r.rapport.session)},
                {"ci95", {Num(r.rapport.lo), Num(r.rapport.hi)}},
                {"chance", ChanceJson(r.rapport.chance)},
                {"heuristic", true}}},
              {"micro_mimicry", micro_j},
              {"chance_surrogates", r.chance_surrogates},
              {"channels", ch_j}};
}

// ---- Tables ---------------------------------------------------------------------------------

struct Tables {
  std::string windows = "a,b,level,channel,t_start_s,peak_r,peak_z,peak_lag_s\n";
  std::string pairs =
      "a,b,channel,windows,peak_r_mean,peak_r_sd,peak_lag_mean_s,peak_lag_sd_s,coupling_r,coupling_lag_s,chance_mean,"
      "chance_lo95,chance_hi95,p,q\n";
  std::string rapport = "a,b,t_start_s,rapport,local_mean,local_lo95,local_hi95\n";
  std::string lagmap = "a,b,t_start_s,lag_s,r\n";
};

void AddPairTables(const PairRun& run, const Participant& A, const Participant& B, double session_t0, Tables& t) {
  const sync::PairResult& r = run.r;
  const double off = r.t0_s - session_t0;  // table times are seconds from the session's t0
  const std::string ids = CsvField(A.id) + "," + CsvField(B.id);  // names may hold commas
  for (size_t k = 0; k < r.rapport.t_s.size(); ++k)
    t.rapport += fmt::format("{},{:.3f},{},{},{},{}\n", ids, off + r.rapport.t_s[k], Fmt(r.rapport.value[k], 2),
                             Fmt(r.rapport.local[k], 2), Fmt(r.rapport.local_lo[k], 2), Fmt(r.rapport.local_hi[k], 2));
  const size_t nl = r.lagmap_lags_s.size();
  for (size_t w = 0; w < r.lagmap_t_s.size(); ++w)
    for (size_t l = 0; l < nl; ++l)
      t.lagmap += fmt::format("{},{:.3f},{:.3f},{}\n", ids, off + r.lagmap_t_s[w], r.lagmap_lags_s[l],
                              Fmt(r.lagmap_r[w * nl + l]));
  for (size_t c = 0; c < r.mimicry.size(); ++c) {
    const auto& m = r.mimicry[c];
    const auto& ct = r.coupling.channels[c];
    t.pairs += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", ids, A.u.channels[c], m.valid,
                           Fmt(m.peak_r_mean), Fmt(m.peak_r_sd), Fmt(m.lag_mean_s), Fmt(m.lag_sd_s),
                           ct.ok ? Fmt(ct.observed.peak) : "", ct.ok ? Fmt(ct.observed.lag_s) : "", Fmt(ct.peak_chance.mean),
                           Fmt(ct.peak_chance.lo95), Fmt(ct.peak_chance.hi95), Fmt(ct.peak_p), Fmt(r.channel_q[c]));
    for (const auto* level : {&r.mimicry[c], &r.session[c]})
      for (const auto& w : level->windows)
        t.windows += fmt::format("{},{},{},{:.3f},{},{},{}\n", ids, level == &r.mimicry[c] ? "mimicry" : "session",
                                 A.u.channels[c], off + w.t_s, Fmt(w.peak_r),
                                 std::isfinite(w.peak_r) ? Fmt(stats::FisherZ(w.peak_r)) : std::string(), Fmt(w.peak_lag_s, 3));
  }
}

struct Answer {
  std::string to, mode;
  int event = -1;
  double latency = kNaN;
};

std::string EventsCsv(const Session& s, const std::vector<std::vector<Answer>>& answers) {
  std::string csv = "participant,event,onset_s,apex_s,offset_s,intensity,action,affect,actions,answer_to,answer_event,mode,latency_s\n";
  for (size_t i = 0; i < s.ps.size(); ++i) {
    const auto& p = s.ps[i];
    for (size_t e = 0; e < p.events.size(); ++e) {
      const auto& ev = p.events[e];
      std::string acts;
      for (int a : ev.actions) acts += std::string(acts.empty() ? "" : "+") + sync::Actions()[static_cast<size_t>(a)].name;
      const Answer& an = answers[i][e];
      csv += fmt::format("{},{},{:.3f},{:.3f},{:.3f},{:.2f},{},{},{},{},{},{},{}\n", CsvField(p.id), e, ev.onset_s - s.t0, ev.apex_s - s.t0,
                         ev.offset_s - s.t0, ev.intensity, sync::Actions()[static_cast<size_t>(ev.action)].name,
                         sync::Actions()[static_cast<size_t>(ev.action)].affect, acts, an.to,
                         an.event >= 0 ? std::to_string(an.event) : "", an.mode, Fmt(an.latency, 3));
    }
  }
  return csv;
}

// Which of the participants' events each pair's matches refer to: the pair's event lists
// are the events inside its span, in order, so an index maps back by onset.
void RecordAnswers(const PairRun& run, const Session& s, std::vector<std::vector<Answer>>& answers) {
  const Participant& A = s.ps[run.ia];
  const Participant& B = s.ps[run.ib];
  const double t0 = run.r.t0_s, t1 = t0 + run.r.duration_s;
  auto index_of = [&](const Participant& p, int k) {
    int seen = -1;
    for (size_t e = 0; e < p.events.size(); ++e)
      if (p.events[e].onset_s >= t0 && p.events[e].onset_s < t1 && ++seen == k) return static_cast<int>(e);
    return -1;
  };
  for (const auto& m : run.r.events.ab) {
    const int to = index_of(B, m.to), from = index_of(A, m.from);
    if (to >= 0) answers[run.ib][static_cast<size_t>(to)] = {A.id, m.strict ? "strict" : "broad", from, m.latency_s};
  }
  for (const auto& m : run.r.events.ba) {
    const int to = index_of(A, m.to), from = index_of(B, m.from);
    if (to >= 0) answers[run.ia][static_cast<size_t>(to)] = {B.id, m.strict ? "strict" : "broad", from, m.latency_s};
  }
}

std::string FeaturesCsv(const Participant& p, double session_t0) {
  std::string f = "timestamp";
  for (const auto& c : p.u.channels) f += "," + c;
  f += "\n";
  for (size_t k = 0; k < p.n(); ++k) {
    f += fmt::format("{:.6f}", p.u.t0_s - session_t0 + static_cast<double>(k) / p.u.rate_hz);
    for (const auto& c : p.u.data) f += std::isfinite(c[k]) ? fmt::format(",{:.4f}", c[k]) : std::string(",");
    f += "\n";
  }
  return f;
}

json ParametersJson(const AnalyzeOptions& o) {
  auto win = [](const sync::WlccOptions& w) {
    return json{{"window_s", w.window_s}, {"step_s", w.step_s}, {"max_lag_s", w.max_lag_s}, {"max_missing", w.max_missing}};
  };
  return {{"rate_hz", o.rate_hz},
          {"series", o.series.enabled},
          {"max_gap_s", o.max_gap_s},
          {"prepare",
           {{"outlier_sd", o.prepare.outlier_sd}, {"subtract_baseline", o.prepare.subtract_baseline},
            {"standardize", o.prepare.standardize}, {"smooth_s", o.prepare.smooth_s}}},
          {"mimicry_window", win(o.mimicry_wlcc)},
          {"session_window", win(o.session_wlcc)},
          {"surrogates", o.surrogates},
          {"seed", o.seed},
          {"correlation_surrogate", sync::SurrogateKindName(o.correlation_surrogate)},
          {"event_surrogate", sync::EventSurrogateName(o.event_surrogate)},
          {"block_s", o.block_s > 0 ? o.block_s : sync::DefaultBlockS(o.mimicry_wlcc.max_lag_s)},
          {"min_shift_s", o.min_shift_s},
          {"chance_surrogates", o.chance_surrogates},
          {"pooled_channels", [&] {
             json a = json::array();
             if (o.series.enabled) return json::array({"series"});
             auto names = internal::ChannelNames();
             if (o.channels != AnalyzeOptions::Channels::kFaces) names.insert(names.end(), {"me_head", "me_body", "me_total"});
             for (const auto& c : names)
               if (PooledFor(o, c)) a.push_back(c);
             return a;
           }()},
          {"events",
           {{"threshold", o.events.threshold}, {"noise_k", o.events.noise_k}, {"min_duration_s", o.events.min_duration_s},
            {"smooth_s", o.events.smooth_s}, {"merge_s", o.events.merge_s}, {"onset_fraction", o.events.onset_fraction}}},
          {"answer_latency_s", {o.match.min_latency_s, o.match.max_latency_s}},
          {"lag_convention", "lag_s > 0: the follower acts lag_s seconds after the leader"}};
}

// The group: the mean of the pairs' synchrony r; its chance level from the pairs'
// surrogates taken index by index (each pair's k-th surrogate is an independent draw).
json GroupJson(const std::vector<PairRun>& runs) {
  double sum = 0;
  int k = 0;
  size_t nsur = SIZE_MAX;
  for (const auto& r : runs) {
    if (std::isfinite(r.r.coupling.pooled.observed.peak)) sum += r.r.coupling.pooled.observed.peak, ++k;
    nsur = std::min(nsur, r.r.coupling.pooled.null_peak.size());
  }
  std::vector<double> null;
  for (size_t s = 0; s < nsur && nsur != SIZE_MAX; ++s) {
    double m = 0;
    int c = 0;
    for (const auto& r : runs)
      if (std::isfinite(r.r.coupling.pooled.null_peak[s])) m += r.r.coupling.pooled.null_peak[s], ++c;
    null.push_back(c > 0 ? m / c : kNaN);
  }
  const double obs = k > 0 ? sum / k : kNaN;
  const bool tested = !null.empty() && std::isfinite(obs);
  const double p = tested ? stats::UpperP(obs, null) : kNaN;
  return {{"synchrony_index", Num(obs)},
          {"pairs", static_cast<int>(runs.size())},
          {"chance", ChanceJson(sync::ChanceOf(null))},
          {"p", Num(p)},
          {"tested", tested},
          {"verdict", Verdict(tested, p, "the pairs' synchrony was not tested")},
          {"note", "mean of the pairs' synchrony r; chance from the pairs' surrogates averaged index by index"}};
}

// One small face crop (96 x 96 JPEG) of a participant recorded on video: the frame at the
// participant's middle valid sample, the detected face nearest to the participant's face
// position (gallery videos hold several). Empty when the input is not a video or no face
// is found there.
std::vector<unsigned char> Thumbnail(const Participant& p, const AnalyzeOptions& o) {
  if (!std::isfinite(p.mid_t_s) || fs::path(p.source).extension() == ".csv") return {};
  const double t = p.mid_t_s;
  auto src = io::FrameSource::Open({.path = p.source, .start_s = std::max(0.0, t - 0.001)});
  if (!src.ok()) return {};
  io::Frame f;
  auto got = (*src)->Next(f);
  if (!got.ok() || !*got) return {};
  io::EnsureBgr(f);
  face::DetectorOptions dopt;
  dopt.kind = o.extract.detector;
  dopt.min_score = o.extract.min_detection_score;
  auto models = LoadFaceModels(o.extract.models_dir, dopt);
  if (!models.ok()) return {};
  auto det = models->detector->CreateDetector();
  if (!det.ok()) return {};
  auto faces = (*det)->Detect(f.bgr);
  if (!faces.ok() || faces->empty()) return {};
  const double want_x = p.mid_face_x;
  const face::Detection* best = &faces->front();
  if (std::isfinite(want_x))
    for (const auto& d : *faces)
      if (std::abs(d.box.x + d.box.width / 2 - want_x) < std::abs(best->box.x + best->box.width / 2 - want_x)) best = &d;
  const float side = std::max(best->box.width, best->box.height) * 1.3f;
  cv::Rect box(cvRound(best->box.x + best->box.width / 2 - side / 2), cvRound(best->box.y + best->box.height / 2 - side / 2),
               cvRound(side), cvRound(side));
  box &= cv::Rect(0, 0, f.bgr.cols, f.bgr.rows);
  if (box.area() <= 0) return {};
  cv::Mat crop;
  cv::resize(f.bgr(box), crop, cv::Size(96, 96), 0, 0, cv::INTER_AREA);
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", crop, jpeg, {cv::IMWRITE_JPEG_QUALITY, 80});
  return jpeg;
}

Result<AnalyzeResult> AnalyzeLoaded(const AnalyzeOptions& o, const Session& s, const AnalyzeProgress& progress,
                                    Clock::time_point t_start);

}  // namespace

Result<AnalyzeResult> RunSessions(const AnalyzeOptions& o, const AnalyzeProgress& progress);

Result<sync::PairResult> AnalyzeSeriesPair(const TimeSeries& a, const TimeSeries& b, const AnalyzeOptions& o) {
  MIMICRY_RETURN_IF_ERROR(ValidateOptions(o));
  if (a.empty() || b.empty()) return InvalidInput("AnalyzeSeriesPair: an empty series");
  Session s;
  for (const TimeSeries* t : {&a, &b}) {
    Participant p;
    p.id = t == &a ? "A" : "B";
    p.raw = t;
    p.frames = static_cast<int64_t>(t->size());
    p.format = "mimicry";
    s.ps.push_back(std::move(p));
  }
  MIMICRY_RETURN_IF_ERROR(PrepareSession(o, {}, s));
  return RunPair(s, 0, 1, o, o.seed).r;
}

namespace {

// A reused folder keeps nothing of an earlier run but the extraction cache (keyed, see
// LoadInput): its tables, report and participants' features are removed first, so that a
// failed run or one with other participants leaves no stale results.
Status PrepareOutputFolder(const std::string& out_dir) {
  if (out_dir.empty()) return InvalidArgument("analyze: no output folder given (-o)");
  std::error_code ec;
  fs::create_directories(fs::path(out_dir) / "features", ec);
  if (ec) return OutputError(out_dir + ": cannot create: " + ec.message());
  for (const char* f : {"summary.json", "windows.csv", "pairs.csv", "events.csv", "rapport.csv", "lagmap.csv", "report.html"})
    fs::remove(fs::path(out_dir) / f, ec);
  for (const auto& e : fs::directory_iterator(fs::path(out_dir), ec))
    if (e.path().filename().string().rfind("ccf_matrix", 0) == 0 && e.path().extension() == ".csv") fs::remove(e.path(), ec);
  for (const auto& e : fs::directory_iterator(fs::path(out_dir) / "features", ec))
    if (e.path().extension() == ".csv") fs::remove(e.path(), ec);
  return Status::Ok();
}

}  // namespace

Result<AnalyzeResult> RunAnalyze(const AnalyzeOptions& given, const AnalyzeProgress& progress) {
  AnalyzeOptions o = given;  // the clock's rate may come from series inputs
  const auto t_start = Clock::now();
  MIMICRY_RETURN_IF_ERROR(ValidateOptions(o));
  if (!o.sessions.empty()) return RunSessions(o, progress);
  if (o.inputs.empty()) return InvalidArgument("analyze: no input given");
  MIMICRY_RETURN_IF_ERROR(PrepareOutputFolder(o.out_dir));
  auto loaded = LoadSession(o, progress);
  if (!loaded.ok()) return loaded.status();
  return AnalyzeLoaded(o, *loaded, progress, t_start);
}

namespace {

// The analysis of a loaded session (pairs, tables, summary, report) into o.out_dir.
Result<AnalyzeResult> AnalyzeLoaded(const AnalyzeOptions& o, const Session& s, const AnalyzeProgress& progress,
                                    Clock::time_point t_start) {
  auto report = [&](const char* stage, double f) {
    if (progress) progress(stage, f);
  };
  const auto& ps = s.ps;

  // Pairs, each on the span its two participants share.
  std::vector<PairRun> runs;
  const size_t total = ps.size() * (ps.size() - 1) / 2;
  for (size_t ia = 0; ia < ps.size(); ++ia)
    for (size_t ib = ia + 1; ib < ps.size(); ++ib) {
      report("pairs", static_cast<double>(runs.size()) / static_cast<double>(total));
      runs.push_back(RunPair(s, ia, ib, o, o.seed + 7919 * runs.size()));
      if (o.rmea.enabled) {
        auto rm = PairRmea(s, runs.back(), o);
        if (!rm.ok()) return rm.status();
        runs.back().rmea = std::move(rm).value();
      }
    }

  Tables tables;
  std::vector<std::vector<Answer>> answers(ps.size());
  for (size_t i = 0; i < ps.size(); ++i) answers[i].resize(ps[i].events.size());
  json jpairs = json::array();
  std::string text;
  for (const auto& run : runs) {
    const Participant& A = ps[run.ia];
    const Participant& B = ps[run.ib];
    AddPairTables(run, A, B, s.t0, tables);
    RecordAnswers(run, s, answers);
    jpairs.push_back(PairJson(run, A, B, s.t0));
    if (s.series) jpairs.back()["inputs"] = "series";
    text += PairText(jpairs.back());
    if (run.rmea) {
      const std::string file = runs.size() == 1 ? "ccf_matrix.csv" : "ccf_matrix_" + A.id + "_" + B.id + ".csv";
      jpairs.back()["rmea"] = RmeaJson(*run.rmea, A, B, o, file);
      const double t_off = s.t0 + static_cast<double>(run.k0) / o.rate_hz - s.t0;
      MIMICRY_RETURN_IF_ERROR(internal::WriteText((fs::path(o.out_dir) / file).string(), RmeaCsv(*run.rmea, t_off)));
      auto show = [](double v, int d) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, d) : std::string("-"); };
      text += fmt::format("    rMEA ccf   grand average {}, lag zero {}, {} lead {}, {} lead {}, median best lag {} s ({} windows; {})\n",
                          show(run.rmea->grand_average, 4), show(run.rmea->lag_zero, 4), A.id, show(run.rmea->s1_lead, 4), B.id,
                          show(run.rmea->s2_lead, 4), show(run.rmea->best_lag_median_s, 2), run.rmea->windows.size(), file);
    }
  }

  // Outputs. Each is kept as written, for the report (nothing is read back).
  const fs::path dir(o.out_dir);
  internal::OutputFiles written(o.out_dir);
  json jparts = json::array();
  for (const auto& p : ps) {
    jparts.push_back({{"id", p.id},
                      {"source", p.source},
                      {"format", p.format},
                      {"face_id", p.face_id},
                      {"frames", p.frames},
                      {"span", {{"start_s", p.u.t0_s - s.t0}, {"duration_s", static_cast<double>(p.n()) / o.rate_hz}}},
                      {"valid_fraction", p.valid_fraction},
                      {"offset_s", p.offset_s},
                      {"events", p.events.size()},
                      {"micro_events", p.micro_events.size()}});
    MIMICRY_RETURN_IF_ERROR(written.Write("features/" + p.id + ".csv", FeaturesCsv(p, s.t0)));
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t_start).count();
  json j;
  j["version"] = MIMICRY_VERSION;
  j["tool"] = "mimicry analyze";
  j["command_line"] = o.command_line;
  j["clock"] = {{"t0_s", s.t0},
                {"duration_s", static_cast<double>(s.n) / o.rate_hz},
                {"rate_hz", o.rate_hz},
                {"samples", s.n},
                {"note", "times in the output files are seconds from t0_s; each pair is analysed on the span it shares"}};
  j["participants"] = jparts;
  j["pairs"] = jpairs;
  if (ps.size() > 2) j["group"] = GroupJson(runs);
  j["parameters"] = ParametersJson(o);
  j["wall_s"] = wall;
  j["warnings"] = s.warnings;
  MIMICRY_RETURN_IF_ERROR(written.Write("summary.json", j.dump(2) + "\n"));
  MIMICRY_RETURN_IF_ERROR(written.Write("windows.csv", tables.windows));
  MIMICRY_RETURN_IF_ERROR(written.Write("pairs.csv", tables.pairs));
  MIMICRY_RETURN_IF_ERROR(written.Write("events.csv", EventsCsv(s, answers)));
  MIMICRY_RETURN_IF_ERROR(written.Write("rapport.csv", tables.rapport));
  MIMICRY_RETURN_IF_ERROR(written.Write("lagmap.csv", tables.lagmap));
  AnalyzeResult r;
  if (o.write_report) {
    report("report", 0);
    report::ReportOptions ro;
    ro.analysis_dir = o.out_dir;
    ro.files = written.Take();
    ro.chart_library_path = o.chart_library.empty() ? DefaultChartLibrary() : o.chart_library;
    if (o.thumbnails)
      for (const auto& p : ps)
        if (auto jpeg = Thumbnail(p, o); !jpeg.empty()) ro.thumbnails_jpeg[p.id] = std::move(jpeg);
    auto rep = report::WriteReport(ro);
    if (!rep.ok()) return rep.status();
    r.report_html = rep->path;
    r.report_bytes = rep->bytes;
    report("report", 1);
  }
  r.summary_json = (dir / "summary.json").string();
  r.participants = static_cast<int>(ps.size());
  r.pairs = static_cast<int>(runs.size());
  r.wall_s = wall;
  for (const auto& run : runs) r.found.push_back({ps[run.ia].id, ps[run.ib].id, run.r, run.rmea});
  std::string head;
  for (const auto& p : ps)
    head += s.series ? fmt::format("    {}: {} ({} samples, {:.0f}% of its {:.1f} s with a value, {})\n", p.id, p.source, p.frames,
                                   100 * p.valid_fraction, static_cast<double>(p.n()) / o.rate_hz, Plural(p.events.size(), "movement event"))
                     : fmt::format("    {}: {} ({} frames, {:.0f}% of its {:.1f} s with a face, {})\n", p.id, p.source, p.frames,
                                   100 * p.valid_fraction, static_cast<double>(p.n()) / o.rate_hz, Plural(p.events.size(), "event"));
  std::string warn;
  for (const auto& w : s.warnings) warn += "  warning   " + w + "\n";
  r.text = "  participants\n" + head + warn + "  pairs\n" + text;
  if (ps.size() > 2) r.text += GroupText(j["group"]);
  return r;
}

}  // namespace

std::string DefaultChartLibrary() { return (fs::path(DefaultAssetsDir()) / "echarts.min.js").string(); }

Result<std::vector<AnalyzeOptions::SessionInput>> ReadSessionsCsv(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + ": no such file");
  std::ifstream in(path);
  CsvReader csv(in, path);
  std::vector<std::string> h, c;
  if (!csv.Read(h)) return csv.status().ok() ? InvalidInput(path + ": empty file") : csv.status();
  auto col = [&](const char* n) { return FindColumn(h, n); };
  const int cs = col("session"), cp = col("participant"), cf = col("file"), co = col("offset_s"), cg = col("group"),
            cc = col("column");
  if (cs < 0 || cp < 0 || cf < 0) return InvalidInput(path + ": needs the columns session, participant, file");
  std::vector<AnalyzeOptions::SessionInput> out;
  while (csv.Read(c)) {
    const int no = csv.line();
    if (c.size() != h.size())
      return InvalidInput(path + ": line " + std::to_string(no) + ": " + std::to_string(c.size()) + " fields, the header has " +
                          std::to_string(h.size()));
    auto at = [&](int k) { return k >= 0 && static_cast<size_t>(k) < c.size() ? c[static_cast<size_t>(k)] : std::string(); };
    AnalyzeOptions::SessionInput si{at(cs), at(cp), at(cf), 0, at(cg), at(cc)};
    if (si.session.empty() || si.participant.empty() || si.file.empty())
      return InvalidInput(path + ": line " + std::to_string(no) + ": empty session, participant or file");
    if (fs::path(si.file).is_relative()) si.file = (fs::path(path).parent_path() / si.file).string();
    if (!at(co).empty()) {
      char* end = nullptr;
      si.offset_s = std::strtod(at(co).c_str(), &end);
      if (end == nullptr || *end != '\0' || !std::isfinite(si.offset_s))
        return InvalidInput(path + ": line " + std::to_string(no) + ": bad offset_s");
    }
    out.push_back(si);
  }
  if (!csv.status().ok()) return csv.status();
  if (out.empty()) return InvalidInput(path + ": no sessions listed");
  std::map<std::string, std::string> group_of;
  for (const auto& si : out) {
    auto [it, fresh] = group_of.emplace(si.session, si.group);
    if (!fresh && it->second != si.group)
      return InvalidInput(path + ": session " + si.session + " is in two groups ('" + it->second + "', '" + si.group + "')");
  }
  return out;
}

namespace {

struct LightStat {
  double peak = kNaN;       // pooled coupling peak (synchrony)
  int answers_ab = 0;       // b answering a (strict + broad)
  int answers_ba = 0;
  double rmea_grand = kNaN;          // with --rmea: rMEA's grand average
  std::vector<double> rmea_profile;  // ... and its lag profile (the matrix's column means)
};

using sync::LagProfile;
using DyadRecord = sync::DyadAgainstPseudo;

// sessions.json's "groups": per group of sessions (and "all"), the dyads against the
// pseudo-pairs (sync::SummarizeGroups; docs/movement.md#groups).
json GroupsJson(const std::vector<DyadRecord>& dyads, bool rmea) {
  json out = json::object();
  for (const auto& [g, s] : sync::SummarizeGroups(dyads)) {
    json jg = {{"dyads", s.dyads},
               {"synchrony",
                {{"mean", Num(s.mean)},
                 {"pseudo_mean", Num(s.pseudo_mean)},
                 {"pseudo_pairs", s.pseudo_pairs},
                 {"share_above_pseudo_mean", Num(s.share_above_pseudo_mean)},
                 {"share_above_pseudo_95", Num(s.share_above_pseudo_95)},
                 {"share_surrogate_p_below_05", Num(s.share_surrogate_p_below_05)},
                 {"cohens_d", Num(s.cohens_d)}}}};
    if (rmea)
      jg["rmea"] = {{"grand_average_mean", Num(s.rmea_mean)},
                    {"pseudo_grand_average_mean", Num(s.rmea_pseudo_mean)},
                    {"pseudo_pairs", s.rmea_pseudo_pairs},
                    {"cohens_d", Num(s.rmea_cohens_d)},
                    {"percent_lags_above_pseudo", Num(s.percent_lags_above_pseudo)}};
    out[g.empty() ? "all" : g] = jg;
  }
  return out;
}

// Observed statistics of a (possibly pseudo) pair, without surrogates: the first `len`
// samples of each participant's own span, b's events moved onto a's clock.
LightStat Light(const Participant& a, const Participant& b, size_t len, const AnalyzeOptions& o, bool rmea = true) {
  LightStat st;
  std::vector<std::span<const float>> xs, ys;
  for (size_t c = 0; c < a.u.channels.size(); ++c)
    if (PooledFor(o, a.u.channels[c])) {
      xs.emplace_back(a.prep.data[c].data(), len);
      ys.emplace_back(b.prep.data[c].data(), len);
    }
  sync::CouplingOptions co = PairOptionsFor(o, o.seed).coupling;
  co.surrogates = 0;
  const auto c = sync::Coupling(xs, ys, o.rate_hz, co);
  if (c.ok) st.peak = c.pooled.observed.peak;
  const double ta0 = a.u.t0_s, tb0 = b.u.t0_s, end = ta0 + static_cast<double>(len) / o.rate_hz;
  std::vector<sync::ExprEvent> ea, eb;
  for (const auto& e : a.events)
    if (e.offset_s < end) ea.push_back(e);
  for (auto e : b.events) {
    const double d = ta0 - tb0;
    e.onset_s += d;
    e.apex_s += d;
    e.offset_s += d;
    if (e.offset_s < end) eb.push_back(e);
  }
  st.answers_ab = static_cast<int>(sync::MatchEvents(ea, eb, o.match).size());
  st.answers_ba = static_cast<int>(sync::MatchEvents(eb, ea, o.match).size());
  if (o.rmea.enabled && rmea) {
    const size_t m = std::min({len, a.rmea_series.size(), b.rmea_series.size()});
    const std::span<const double> x(a.rmea_series.data(), m), y(b.rmea_series.data(), m);
    if (m == len)
      if (auto r = sync::RmeaCcf(x, y, o.rate_hz, o.rmea.ccf); r.ok()) {
        st.rmea_grand = r->grand_average;
        st.rmea_profile = LagProfile(*r);
      }
  }
  return st;
}

// One session of a --sessions study: its participants loaded once, and its own analysis.
struct LoadedSession {
  std::string name;
  Session s;
  std::vector<AnalyzeResult::Pair> found;  // the session's own analysis (surrogate p per pair)
};

// Every session analysed on its own into OUT/<session>/ (text gets each one's summary); the
// first session's clock rate becomes o.rate_hz, and every other must share it.
Result<std::vector<LoadedSession>> AnalyzeEachSession(AnalyzeOptions& o, const AnalyzeProgress& progress, std::string& text) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<AnalyzeOptions::SessionInput>> by;
  for (const auto& si : o.sessions) {
    if (!by.count(si.session)) order.push_back(si.session);
    by[si.session].push_back(si);
  }
  std::vector<LoadedSession> all;
  for (size_t k = 0; k < order.size(); ++k) {
    AnalyzeOptions sub = o;
    sub.sessions.clear();
    sub.inputs.clear();
    sub.names.clear();
    sub.offsets_s.clear();
    sub.series.picks.clear();
    for (const auto& si : by[order[k]]) {
      sub.inputs.push_back(si.file);
      if (o.series.enabled) sub.series.picks.push_back({si.file, si.column, si.participant});
      else sub.names[si.participant] = si.file;
      if (si.offset_s != 0) sub.offsets_s[si.participant] = si.offset_s;
    }
    if (sub.inputs.size() < 2)
      return InvalidArgument("session " + order[k] + ": needs two or more participants (one file each)");
    sub.out_dir = (fs::path(o.out_dir) / order[k]).string();
    if (progress) progress("session " + order[k], static_cast<double>(k) / static_cast<double>(order.size()));
    // Loaded once: the session's own analysis and its pseudo-pairs share it (its extraction
    // tables are not read back from the folder they were just written to).
    MIMICRY_RETURN_IF_ERROR(PrepareOutputFolder(sub.out_dir));
    auto s = LoadSession(sub, {});
    if (!s.ok()) return s.status();
    auto r = AnalyzeLoaded(sub, *s, {}, Clock::now());
    if (!r.ok()) return r.status();
    text += "  session " + order[k] + "\n" + r->text;
    if (k == 0) o.rate_hz = sub.rate_hz;
    if (sub.rate_hz != o.rate_hz)
      return InvalidInput(fmt::format("session {}: its series are {} Hz, session {}'s {} Hz; pseudo-pairs need one rate", order[k],
                                      sub.rate_hz, order[0], o.rate_hz));
    all.push_back({order[k], std::move(s).value(), {}});
    for (const auto& f : r->found) all.back().found.push_back(f);
  }
  return all;
}

// Participants X and Y cut to their shared span, from its start; returns its length.
size_t SharedSpan(Participant& x, Participant& y, double rate_hz) {
  const int64_t k0 = std::max(x.k0, y.k0), k1 = std::min(x.k1(), y.k1());
  for (Participant* p : {&x, &y}) {
    const int64_t skip = k0 - p->k0;
    for (auto& c : p->prep.data) c.erase(c.begin(), c.begin() + skip);
    for (auto& c : p->u.data) c.erase(c.begin(), c.begin() + skip);
    if (!p->grid.empty()) p->grid.erase(p->grid.begin(), p->grid.begin() + skip);
    if (!p->rmea_series.empty()) p->rmea_series.erase(p->rmea_series.begin(), p->rmea_series.begin() + skip);
    p->u.t0_s += static_cast<double>(skip) / rate_hz;
  }
  return static_cast<size_t>(k1 - k0);
}

// The real pair X, Y of session i against its pseudo-pairs: X of this session with Y of every
// other session, and Y of this session with X of every other one. Fills rec (for the group
// summaries) and appends one line to text.
json PseudoPairJson(const AnalyzeOptions& o, const std::vector<LoadedSession>& all, size_t i, const Participant& X,
                    const Participant& Y, const std::string& group, DyadRecord& rec, std::string& text) {
  auto find = [](const Session& s, const std::string& id) -> const Participant* {
    for (const auto& p : s.ps)
      if (p.id == id) return &p;
    return nullptr;
  };
  Participant Xs = X, Ys = Y;
  const size_t span = SharedSpan(Xs, Ys, o.rate_hz);
  // The real pair's rMEA value comes from its session's own analysis (found below).
  const LightStat obs = Light(Xs, Ys, span, o, false);
  std::vector<LightStat> null;
  std::vector<std::string> keys;  // "<X's session>/<X>|<Y's session>/<Y>"
  for (size_t j = 0; j < all.size(); ++j) {
    if (j == i) continue;
    const Session& sj = all[j].s;
    if (const Participant* Yj = find(sj, Y.id)) {
      null.push_back(Light(X, *Yj, std::min(X.n(), Yj->n()), o));
      keys.push_back(all[i].name + "/" + X.id + "|" + all[j].name + "/" + Y.id);
    }
    if (const Participant* Xj = find(sj, X.id)) {
      null.push_back(Light(*Xj, Y, std::min(Xj->n(), Y.n()), o));
      keys.push_back(all[j].name + "/" + X.id + "|" + all[i].name + "/" + Y.id);
    }
  }
  auto test = [&](auto get, double observed) {
    std::vector<double> v;
    for (const auto& s : null) v.push_back(get(s));
    const sync::Chance c = sync::ChanceOf(v);
    return json{{"observed", Num(observed)},
                {"pseudo_mean", Num(c.mean)},
                {"pseudo_pairs", c.n},
                {"chance", ChanceJson(c)},
                {"p", Num(stats::UpperP(observed, v))}};
  };
  json pj = {{"session", all[i].name},
             {"group", group},
             {"a", X.id},
             {"b", Y.id},
             {"synchrony", test([](const LightStat& s) { return s.peak; }, obs.peak)}};
  pj["mimicry_a_to_b"] = test([](const LightStat& s) { return static_cast<double>(s.answers_ab); }, obs.answers_ab);
  pj["mimicry_b_to_a"] = test([](const LightStat& s) { return static_cast<double>(s.answers_ba); }, obs.answers_ba);
  rec.group = group;
  rec.observed = obs.peak;
  for (const auto& st : null)
    rec.pseudo.push_back(st.peak), rec.rmea_pseudo.push_back(st.rmea_grand), rec.rmea_pseudo_profiles.push_back(st.rmea_profile);
  rec.pseudo_keys = keys;
  for (const auto& f : all[i].found)
    if (f.a == X.id && f.b == Y.id) {
      rec.surrogate_p = f.result.coupling.pooled.peak_p;
      pj["synchrony"]["surrogate_p"] = Num(rec.surrogate_p);
      if (f.rmea) {
        rec.rmea_grand = f.rmea->grand_average;
        rec.rmea_profile = LagProfile(*f.rmea);
      }
    }
  if (o.rmea.enabled) pj["rmea_grand_average"] = test([](const LightStat& s) { return s.rmea_grand; }, rec.rmea_grand);
  auto pv = [](const json& t) { return FmtP(t["p"].is_number() ? t["p"].get<double>() : kNaN); };
  text += fmt::format("  pseudo-pairs, session {} {} & {}: synchrony {}, answers {}->{} {}, {}->{} {}{} ({})\n", all[i].name, X.id,
                      Y.id, pv(pj["synchrony"]), X.id, Y.id, pv(pj["mimicry_a_to_b"]), Y.id, X.id, pv(pj["mimicry_b_to_a"]),
                      o.rmea.enabled ? ", rMEA grand average " + pv(pj["rmea_grand_average"]) : "", Plural(null.size(), "pseudo-pair"));
  return pj;
}

// One line per group of sessions.json's "groups".
std::string GroupsText(const json& groups) {
  std::string text;
  auto f = [](const json& v, int d) { return v.is_number() ? fmt::format("{:.{}f}", v.get<double>(), d) : std::string("-"); };
  auto pct = [](const json& v) { return v.is_number() ? fmt::format("{:.0f}%", 100 * v.get<double>()) : std::string("-"); };
  for (const auto& [g, jg] : groups.items()) {
    const json& sy = jg["synchrony"];
    text += fmt::format("  group {}: {}, synchrony {} (pseudo-pairs {}), {} above their pseudo-pairs' mean, {} above their 95th "
                        "percentile, {} with surrogate p < 0.05, Cohen's d {}",
                        g, Plural(static_cast<size_t>(jg["dyads"].get<int>()), "dyad"), f(sy["mean"], 3), f(sy["pseudo_mean"], 3),
                        pct(sy["share_above_pseudo_mean"]), pct(sy["share_above_pseudo_95"]), pct(sy["share_surrogate_p_below_05"]),
                        f(sy["cohens_d"], 2));
    if (jg.contains("rmea"))
      text += fmt::format("; rMEA grand average {} (pseudo {}), d {}, {}% of lags above pseudo", f(jg["rmea"]["grand_average_mean"], 4),
                          f(jg["rmea"]["pseudo_grand_average_mean"], 4), f(jg["rmea"]["cohens_d"], 2),
                          f(jg["rmea"]["percent_lags_above_pseudo"], 0));
    text += "\n";
  }
  return text;
}

}  // namespace

Result<AnalyzeResult> RunSessions(const AnalyzeOptions& given, const AnalyzeProgress& progress) {
  AnalyzeOptions o = given;  // the clock's rate may come from series inputs
  const auto t_start = Clock::now();
  std::string text;
  auto loaded = AnalyzeEachSession(o, progress, text);
  if (!loaded.ok()) return loaded.status();
  const std::vector<LoadedSession>& all = *loaded;
  std::map<std::string, std::string> group_of;
  bool grouped = false;
  for (const auto& si : o.sessions) group_of[si.session] = si.group, grouped |= !si.group.empty();
  json jp = json::array();
  std::vector<DyadRecord> dyads;
  std::vector<std::string> order;
  for (size_t i = 0; i < all.size(); ++i) {
    order.push_back(all[i].name);
    const Session& si = all[i].s;
    for (size_t x = 0; x < si.ps.size(); ++x)
      for (size_t y = x + 1; y < si.ps.size(); ++y) {
        DyadRecord rec;
        jp.push_back(PseudoPairJson(o, all, i, si.ps[x], si.ps[y], group_of[all[i].name], rec, text));
        dyads.push_back(rec);
      }
  }
  json j;
  j["version"] = MIMICRY_VERSION;
  j["tool"] = "mimicry analyze --sessions";
  j["command_line"] = o.command_line;
  j["sessions"] = order;
  j["pairs"] = jp;
  if (grouped || o.rmea.enabled) {
    j["groups"] = GroupsJson(dyads, o.rmea.enabled);
    text += GroupsText(j["groups"]);
  }
  j["method"] = "pseudo-pairs: one role's participant from one session with the other role's from another "
                "(roles = participant ids), each pair's first min(length) samples on its own clock; "
                "p = (#{pseudo >= observed} + 1) / (#pseudo + 1)";
  const fs::path out = fs::path(o.out_dir) / "sessions.json";
  MIMICRY_RETURN_IF_ERROR(internal::WriteText(out.string(), j.dump(2) + "\n"));
  AnalyzeResult r;
  r.summary_json = out.string();
  r.text = text;
  r.participants = static_cast<int>(o.sessions.size());
  r.pairs = static_cast<int>(jp.size());
  r.wall_s = std::chrono::duration<double>(Clock::now() - t_start).count();
  return r;
}

}  // namespace mimicry::pipeline
