#include "mimicry/pipeline/analyze.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mimicry/core/csv.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "mimicry/face/detector.h"
#include "mimicry/face/expression.h"
#include "mimicry/io/feature_table.h"
#include "mimicry/io/frame_source.h"
#include "mimicry/micro/spot.h"
#include "mimicry/report/report.h"
#include "mimicry/pipeline/synth.h"
#include "inputs.h"

namespace mimicry::pipeline {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

// Channels pooled for synchrony and leadership: the expressive AUs (not AU45) and smile.
bool Expressive(const std::string& c) { return c != "AU45" && c != "valence" && c != "head_nod" && c != "head_shake"; }

struct Participant {
  std::string id, source, format;
  int face_id = 0;
  int64_t frames = 0;
  double offset_s = 0;
  const TimeSeries* raw = nullptr;
  double median_x = 0;
  series::Uniform u;     // raw intensities on the common clock (+ derived channels)
  series::Uniform prep;  // prepared (outliers, baseline, scaling, smoothing) for correlations
  std::vector<sync::ExprEvent> events;
  std::vector<sync::ExprEvent> micro_events;  // spotted micro-expressions (libs/micro), as events
  double valid_fraction = 0;
  double mid_t_s = kNaN, mid_face_x = kNaN;  // the middle valid sample (input clock) and its face x
};

// The coupling test's options as analyze sets them (mimicry-scale window and lags).
sync::CouplingOptions CouplingFor(const AnalyzeOptions& o, int surrogates, uint64_t seed) {
  sync::CouplingOptions co;
  co.window_s = o.mimicry_wlcc.window_s;
  co.max_lag_s = o.mimicry_wlcc.max_lag_s;
  co.min_shift_s = o.min_shift_s;
  co.surrogates = surrogates;
  co.seed = seed;
  co.kind = o.correlation_surrogate;
  return co;
}

// The expressive channels of two participants (prepared), first `len` samples each.
void PooledSpans(const Participant& a, const Participant& b, size_t len, std::vector<std::span<const float>>& xs,
                 std::vector<std::span<const float>>& ys) {
  const auto names = internal::ChannelNames();
  for (size_t c = 0; c < names.size(); ++c) {
    if (!Expressive(names[c])) continue;
    xs.emplace_back(a.prep.data[c].data(), len);
    ys.emplace_back(b.prep.data[c].data(), len);
  }
}

double Median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string Fmt(double v, int digits = 4) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : std::string(); }

constexpr double kRapportSpanS = 20;
constexpr double kLagMapStepS = 0.1;  // lag resolution of lagmap.csv

// Two-sided 95% quantile of Student's t with df degrees of freedom (df >= 1; interpolated).
double TQuantile975(double df) {
  static const double t[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228};
  if (df < 1) df = 1;
  if (df <= 10) {
    const int i = static_cast<int>(std::floor(df));
    const double f = df - i;
    return i >= 10 ? t[9] : t[i - 1] + f * (t[i] - t[i - 1]);
  }
  return 1.96 + 2.4 / df;  // within 0.01 of the exact value for df > 10
}

struct ChannelResult {
  sync::WlccResult mimicry, session;
  sync::CouplingResult coupling;
};

// Rapport (heuristic, docs/analyze.md#rapport): per mimicry window, 100 x (0.4 smile
// synchrony + 0.3 valence synchrony + 0.3 mimicry), each part 0..1.
struct Rapport {
  std::vector<double> t_s, value;
  std::vector<double> local, local_lo, local_hi;  // local mean over +-kRapportSpanS/2 and its 95% CI
  double session = kNaN, lo = kNaN, hi = kNaN;
};

Rapport ComputeRapport(const ChannelResult& smile, const ChannelResult& valence, const std::vector<double>& answer_times,
                       const sync::WlccOptions& w, uint64_t seed) {
  Rapport r;
  const auto& ws = smile.mimicry.windows;
  for (size_t k = 0; k < ws.size(); ++k) {
    const double s = std::isfinite(ws[k].peak_r) ? std::max(0.0, static_cast<double>(ws[k].peak_r)) : kNaN;
    const double v = k < valence.mimicry.windows.size() && std::isfinite(valence.mimicry.windows[k].peak_r)
                         ? std::max(0.0, static_cast<double>(valence.mimicry.windows[k].peak_r))
                         : 0.0;
    int answers = 0;
    for (double t : answer_times) answers += (t >= ws[k].t_s && t < ws[k].t_s + w.window_s) ? 1 : 0;
    const double per_min = answers * 60.0 / w.window_s;
    const double m = per_min / (per_min + 2.0);  // 2 answers/min -> 0.5
    r.t_s.push_back(ws[k].t_s);
    r.value.push_back(std::isfinite(s) ? 100.0 * (0.4 * s + 0.3 * v + 0.3 * m) : kNaN);
  }
  std::vector<double> valid;
  for (double x : r.value)
    if (std::isfinite(x)) valid.push_back(x);
  if (valid.empty()) return r;
  double sum = 0;
  for (double x : valid) sum += x;
  r.session = sum / static_cast<double>(valid.size());
  // Moving-block bootstrap over windows (blocks as long as one window, since windows overlap).
  const size_t block = std::max<size_t>(1, static_cast<size_t>(std::lround(w.window_s / w.step_s)));
  sync::Rng rng(seed ^ 0x5EEDull);
  std::vector<double> means;
  const size_t nb = (valid.size() + block - 1) / block;
  for (int b = 0; b < 1000; ++b) {
    double s = 0;
    size_t cnt = 0;
    for (size_t j = 0; j < nb; ++j) {
      const size_t start = static_cast<size_t>(rng.Int(0, static_cast<int64_t>(valid.size() - 1)));
      for (size_t q = 0; q < block && cnt < valid.size(); ++q, ++cnt) s += valid[(start + q) % valid.size()];
    }
    means.push_back(s / static_cast<double>(cnt));
  }
  std::sort(means.begin(), means.end());
  r.lo = means[25];
  r.hi = means[974];
  // Over time: the mean of the windows within +-10 s, with a t interval whose sample size is
  // the number of non-overlapping windows in that span (overlapping windows are not
  // independent, so counting them all would make the band too narrow).
  const int h = static_cast<int>(std::lround(kRapportSpanS / 2 / w.step_s));
  for (size_t k = 0; k < r.value.size(); ++k) {
    double s = 0, ss = 0;
    int cnt = 0;
    for (int q = -h; q <= h; ++q) {
      const int64_t i = static_cast<int64_t>(k) + q;
      if (i < 0 || i >= static_cast<int64_t>(r.value.size()) || !std::isfinite(r.value[static_cast<size_t>(i)])) continue;
      s += r.value[static_cast<size_t>(i)];
      ss += r.value[static_cast<size_t>(i)] * r.value[static_cast<size_t>(i)];
      ++cnt;
    }
    const double n_eff = static_cast<double>(cnt) / static_cast<double>(block);
    if (cnt < 2 || n_eff < 3) {  // too few independent windows for an interval
      r.local.push_back(cnt > 0 ? s / cnt : kNaN);
      r.local_lo.push_back(kNaN);
      r.local_hi.push_back(kNaN);
      continue;
    }
    const double m = s / cnt, sd = std::sqrt(std::max(0.0, (ss - s * s / cnt) / (cnt - 1)));
    const double half = TQuantile975(n_eff - 1) * sd / std::sqrt(n_eff);
    r.local.push_back(m);
    r.local_lo.push_back(std::max(0.0, m - half));
    r.local_hi.push_back(std::min(100.0, m + half));
  }
  return r;
}

}  // namespace

// Micro-expressions spotted in a participant's AUs on the common clock (micro::Spot), as
// expression events: the primary action is the first action (priority order) of whose
// AUs one rose at the apex.
std::vector<sync::ExprEvent> MicroEvents(const series::Uniform& u, double t0, double rate_hz) {
  const size_t n = u.size();
  std::vector<double> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = t0 + static_cast<double>(i) / rate_hz;
  std::vector<std::vector<float>> aus;
  for (int k = 0; k < face::kNumAus; ++k) aus.push_back(u.data[static_cast<size_t>(k)]);
  std::vector<sync::ExprEvent> out;
  for (const auto& x : micro::Spot(t, aus, {}, {}, {})) {
    if (x.kind != micro::Kind::kMicro) continue;
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

// The participants of one session on their shared clock, prepared, with their events.
struct Session {
  std::vector<io::FeatureTable> tables;
  std::vector<Participant> ps;
  double t0 = 0;
  size_t n = 0;
};

Result<Session> LoadSession(const AnalyzeOptions& o, const AnalyzeProgress& progress) {
  auto report = [&](const char* stage, double f) {
    if (progress) progress(stage, f);
  };
  Session session;
  auto& tables = session.tables;
  auto& ps = session.ps;
  // 1. Inputs -> participants.
    for (size_t i = 0; i < o.inputs.size(); ++i) {
    report("reading", static_cast<double>(i) / static_cast<double>(o.inputs.size()));
    auto t = internal::LoadInput(o.inputs[i], o.out_dir, o.extract, "", progress);
    if (!t.ok()) return t.status();
    tables.push_back(std::move(t).value());
  }
  auto frames_of = [](const TimeSeries& s) { return static_cast<int64_t>(s.size()); };
  if (tables.size() == 1) {
    const auto& t = tables[0];
    int64_t top = 0;
    for (const auto& [id, s] : t.faces) top = std::max(top, frames_of(s));
    for (const auto& [id, s] : t.faces) {
      if (frames_of(s) * 100 < top * o.min_faces_fraction_pct) continue;
      Participant p;
      p.source = o.inputs[0];
      p.format = t.format;
      p.face_id = id;
      p.raw = &s;
      p.frames = frames_of(s);
      std::vector<double> xs;
      const int cx = s.ChannelIndex("face_x");
      for (size_t i = 0; i < s.size(); ++i)
        if (std::isfinite(s.value(i, static_cast<size_t>(cx)))) xs.push_back(s.value(i, static_cast<size_t>(cx)));
      p.median_x = xs.empty() ? static_cast<double>(id) : Median(xs);
      ps.push_back(p);
    }
    std::sort(ps.begin(), ps.end(), [](const Participant& a, const Participant& b) { return a.median_x < b.median_x; });
    for (size_t i = 0; i < ps.size(); ++i) ps[i].id = "P" + std::to_string(i + 1);
    if (ps.size() < 2)
      return InvalidArgument(o.inputs[0] + ": one recording needs two or more faces to analyse (found " +
                             std::to_string(t.faces.size()) + "); give one recording per participant");
  } else {
    for (size_t i = 0; i < tables.size(); ++i) {
      const auto& t = tables[i];
      // The participant is the face tracked longest; among faces tracked almost as long
      // (>= 90%), the largest (the nearest to the camera).
      size_t most = 0;
      for (const auto& [id, s] : t.faces) most = std::max(most, s.size());
      const TimeSeries* best = nullptr;
      int best_id = 0;
      double best_size = -1;
      for (const auto& [id, s] : t.faces) {
        if (s.size() * 10 < most * 9) continue;
        std::vector<double> sz;
        const int cs = s.ChannelIndex("face_size");
        for (size_t k = 0; k < s.size(); k += 10)
          if (std::isfinite(s.value(k, static_cast<size_t>(cs)))) sz.push_back(s.value(k, static_cast<size_t>(cs)));
        const double med = sz.empty() ? 0.0 : Median(sz);
        if (best == nullptr || med > best_size) best = &s, best_id = id, best_size = med;
      }
      if (best == nullptr || best->empty()) return InvalidInput(o.inputs[i] + ": no frames with a face");
      Participant p;
      p.source = o.inputs[i];
      p.format = t.format;
      p.face_id = best_id;
      p.raw = best;
      p.frames = frames_of(*best);
      p.id = fs::path(o.inputs[i]).stem().string();
      ps.push_back(p);
    }
  }
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

  // 2. One clock over the time all participants share.
  double t0 = -1e300, t1 = 1e300;
  for (const auto& p : ps) {
    t0 = std::max(t0, p.raw->time(0).seconds() + p.offset_s);
    t1 = std::min(t1, p.raw->time(p.raw->size() - 1).seconds() + p.offset_s);
  }
  if (!(t1 - t0 >= o.mimicry_wlcc.window_s)) {
    std::string which;
    for (const auto& p : ps)
      which += fmt::format("{}{} [{:.2f}, {:.2f}] s", which.empty() ? "" : ", ", p.id, p.raw->time(0).seconds() + p.offset_s,
                           p.raw->time(p.raw->size() - 1).seconds() + p.offset_s);
    return InvalidInput("the recordings do not overlap in time (" + which + "); use --offset ID=SECONDS");
  }
  const size_t n = static_cast<size_t>(std::floor((t1 - t0) * o.rate_hz)) + 1;
  report("resampling", 0);
  for (auto& p : ps) {
    p.u = internal::Derive(*p.raw, p.offset_s, t0, n, o.rate_hz, o.max_gap_s);
    p.valid_fraction = p.u.ValidFraction(static_cast<size_t>(face::AuIndex(12)));
    if (p.valid_fraction == 0)
      return InvalidInput(p.source + ": participant " + p.id + " has no usable frames in the shared time span");
    p.prep = p.u;
    series::Prepare(p.prep, o.prepare);
    std::vector<std::span<const float>> aus;
    for (int k = 0; k < face::kNumAus; ++k) aus.emplace_back(p.u.data[static_cast<size_t>(k)]);
    p.events = sync::DetectEvents(aus, t0, o.rate_hz, o.events);
    p.micro_events = MicroEvents(p.u, t0, o.rate_hz);
  }
  for (auto& p : ps) {
    const size_t mid = p.raw->size() / 2;
    p.mid_t_s = p.raw->time(mid).seconds();
    const auto& ch = p.raw->header().channels;
    for (size_t c = 0; c < ch.size(); ++c)
      if (ch[c] == "face_x") p.mid_face_x = p.raw->value(mid, c);
    p.raw = nullptr;  // the tables may move with the session
  }
  session.t0 = t0;
  session.n = n;
  return session;
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

Result<AnalyzeResult> RunSessions(const AnalyzeOptions& o, const AnalyzeProgress& progress);

Result<AnalyzeResult> RunAnalyze(const AnalyzeOptions& o, const AnalyzeProgress& progress) {
  const auto t_start = Clock::now();
  auto report = [&](const char* stage, double f) {
    if (progress) progress(stage, f);
  };
  if (!o.sessions.empty()) return RunSessions(o, progress);
  if (o.inputs.empty()) return InvalidArgument("analyze: no input given");
  if (o.out_dir.empty()) return InvalidArgument("analyze: no output folder given (-o)");
  if (!(o.rate_hz > 0)) return InvalidArgument("--rate must be > 0");
  if (o.surrogates < 0) return InvalidArgument("--surrogates must be >= 0");
  std::error_code ec;
  fs::create_directories(fs::path(o.out_dir) / "features", ec);
  if (ec) return OutputError(o.out_dir + ": cannot create: " + ec.message());

  auto loaded = LoadSession(o, progress);
  if (!loaded.ok()) return loaded.status();
  std::vector<Participant>& ps = loaded->ps;
  const double t0 = loaded->t0;
  const size_t n = loaded->n;
  const auto names = internal::ChannelNames();

  // 3. Pairs.
  nlohmann::json jpairs = nlohmann::json::array();
  std::string windows_csv = "a,b,level,channel,t_start_s,peak_r,peak_z,peak_lag_s\n";
  std::string pairs_csv = "a,b,channel,windows,peak_r_mean,peak_r_sd,peak_lag_mean_s,peak_lag_sd_s,coupling_peak,coupling_lag_s,p,q\n";
  std::string events_csv = "participant,event,onset_s,apex_s,offset_s,intensity,action,affect,actions,answer_to,answer_event,mode,latency_s\n";
  std::string rapport_csv = "a,b,t_start_s,rapport,local_mean,local_lo95,local_hi95\n";
  std::string lagmap_csv = "a,b,t_start_s,lag_s,r\n";
  std::string text;
  struct Answer {
    std::string to, mode;
    int event = -1;
    double latency = kNaN;
  };
  std::vector<std::vector<Answer>> answers(ps.size());
  for (size_t i = 0; i < ps.size(); ++i) answers[i].resize(ps[i].events.size());
  double group_sum = 0;
  int pair_count = 0;
  const int total_pairs = static_cast<int>(ps.size() * (ps.size() - 1) / 2);
  for (size_t ia = 0; ia < ps.size(); ++ia)
    for (size_t ib = ia + 1; ib < ps.size(); ++ib) {
      const Participant& A = ps[ia];
      const Participant& B = ps[ib];
      report("pairs", static_cast<double>(pair_count) / total_pairs);
      // Per channel: WLCC at both scales and the single-channel coupling test, on two threads.
      std::vector<ChannelResult> ch(names.size());
      auto work = [&](size_t first, size_t stride) {
        for (size_t c = first; c < names.size(); c += stride) {
          const auto& x = A.prep.data[c];
          const auto& y = B.prep.data[c];
          sync::WlccOptions mw = o.mimicry_wlcc;
          if (Expressive(names[c])) mw.profile_stride = std::max(1, static_cast<int>(std::lround(o.rate_hz * kLagMapStepS)));
          ch[c].mimicry = sync::Wlcc(x, y, o.rate_hz, mw);
          ch[c].session = sync::Wlcc(x, y, o.rate_hz, o.session_wlcc);
          ch[c].coupling = sync::Coupling({x}, {y}, o.rate_hz, CouplingFor(o, o.surrogates, o.seed + c));
        }
      };
      std::thread helper(work, 1, 2);
      work(0, 2);
      helper.join();
      // Pooled synchrony and leadership over the expressive channels.
      std::vector<std::span<const float>> xs, ys;
      PooledSpans(A, B, n, xs, ys);
      double zsum = 0, lsum = 0;
      int zc = 0;
      for (size_t c = 0; c < names.size(); ++c)
        if (Expressive(names[c]) && ch[c].mimicry.valid > 0) {
          zsum += ch[c].mimicry.peak_z_mean;
          lsum += ch[c].mimicry.lag_mean_s;
          ++zc;
        }
      const sync::CouplingResult pooled = sync::Coupling(xs, ys, o.rate_hz, CouplingFor(o, o.surrogates, o.seed));
      const size_t c_val = static_cast<size_t>(face::kNumAus) + 1, c_smile = static_cast<size_t>(face::kNumAus);
      const sync::CouplingResult& val = ch[c_val].coupling;
      // Event-based mimicry.
      sync::MimicryOptions mo;
      mo.match = o.match;
      mo.surrogates = o.surrogates;
      mo.seed = o.seed;
      mo.kind = o.event_surrogate;
      mo.min_shift_s = o.min_shift_s;
      const sync::MimicryResult mim = sync::Mimicry(A.events, B.events, t0, static_cast<double>(n) / o.rate_hz, mo);
      // Micro-mimicry: micro-expressions answered by the partner's micro-expressions.
      const sync::MimicryResult micro_mim = sync::Mimicry(A.micro_events, B.micro_events, t0, static_cast<double>(n) / o.rate_hz, mo);
      std::vector<double> answer_times;
      for (const auto& m : mim.ab) {
        answers[ib][static_cast<size_t>(m.to)] = {A.id, m.strict ? "strict" : "broad", m.from, m.latency_s};
        answer_times.push_back(B.events[static_cast<size_t>(m.to)].onset_s - t0);
      }
      for (const auto& m : mim.ba) {
        answers[ia][static_cast<size_t>(m.to)] = {B.id, m.strict ? "strict" : "broad", m.from, m.latency_s};
        answer_times.push_back(A.events[static_cast<size_t>(m.to)].onset_s - t0);
      }
      const Rapport rap = ComputeRapport(ch[c_smile], ch[c_val], answer_times, o.mimicry_wlcc, o.seed);
      for (size_t k = 0; k < rap.t_s.size(); ++k)
        rapport_csv += fmt::format("{},{},{:.3f},{},{},{},{}\n", A.id, B.id, rap.t_s[k], Fmt(rap.value[k], 2), Fmt(rap.local[k], 2),
                                   Fmt(rap.local_lo[k], 2), Fmt(rap.local_hi[k], 2));
      // Time x lag map: per window and lag, r averaged over the expressive channels (as
      // Fisher z, back-transformed).
      {
        const sync::WlccResult* first = nullptr;
        for (size_t c = 0; c < names.size(); ++c)
          if (Expressive(names[c]) && !ch[c].mimicry.profile_lags_s.empty()) first = &ch[c].mimicry;
        if (first != nullptr) {
          const size_t nl = first->profile_lags_s.size(), nw = first->windows.size();
          for (size_t k = 0; k < nw; ++k)
            for (size_t l = 0; l < nl; ++l) {
              double zs = 0;
              int zc = 0;
              for (size_t c = 0; c < names.size(); ++c) {
                if (!Expressive(names[c]) || ch[c].mimicry.profile.size() != nw * nl) continue;
                const float v = ch[c].mimicry.profile[k * nl + l];
                if (std::isfinite(v)) zs += sync::FisherZ(v), ++zc;
              }
              lagmap_csv += fmt::format("{},{},{:.3f},{:.3f},{}\n", A.id, B.id, first->windows[k].t_s, first->profile_lags_s[l],
                                        zc > 0 ? Fmt(std::tanh(zs / zc)) : std::string());
            }
        }
        for (auto& c : ch) {
          c.mimicry.profile = {};
          c.mimicry.profile_lags_s = {};
        }
      }

      // Per-channel rows with BH across channels.
      std::vector<double> pv;
      for (const auto& c : ch) pv.push_back(c.coupling.ok ? c.coupling.peak_p : 1.0);
      const std::vector<double> q = sync::BenjaminiHochberg(pv);
      nlohmann::json jch = nlohmann::json::object();
      for (size_t c = 0; c < names.size(); ++c) {
        const auto& r = ch[c];
        pairs_csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", A.id, B.id, names[c], r.mimicry.valid,
                                 Fmt(r.mimicry.peak_r_mean), Fmt(r.mimicry.peak_r_sd), Fmt(r.mimicry.lag_mean_s),
                                 Fmt(r.mimicry.lag_sd_s), r.coupling.ok ? Fmt(r.coupling.observed.peak) : "",
                                 r.coupling.ok ? Fmt(r.coupling.observed.lag_s) : "", r.coupling.ok ? Fmt(r.coupling.peak_p) : "",
                                 r.coupling.ok ? Fmt(q[c]) : "");
        jch[names[c]] = {{"peak_r_mean", Num(r.mimicry.peak_r_mean)}, {"peak_lag_mean_s", Num(r.mimicry.lag_mean_s)},
                         {"coupling_lag_s", r.coupling.ok ? Num(r.coupling.observed.lag_s) : nlohmann::json(nullptr)},
                         {"p", r.coupling.ok ? Num(r.coupling.peak_p) : nlohmann::json(nullptr)},
                         {"q", r.coupling.ok ? Num(q[c]) : nlohmann::json(nullptr)}};
        for (const auto* level : {&r.mimicry, &r.session})
          for (const auto& w : level->windows)
            windows_csv += fmt::format("{},{},{},{},{:.3f},{},{},{}\n", A.id, B.id, level == &r.mimicry ? "mimicry" : "session",
                                       names[c], w.t_s, Fmt(w.peak_r),
                                       std::isfinite(w.peak_r) ? Fmt(sync::FisherZ(w.peak_r)) : std::string(),
                                       Fmt(w.peak_lag_s, 3));
      }
      const double minutes = static_cast<double>(n) / o.rate_hz / 60.0;
      auto stat = [&](const sync::MimicryStat& s) {
        return nlohmann::json{{"events", s.events},      {"count", s.count},
                              {"rate_per_min", s.count / minutes},
                              {"expected", Num(s.expected)}, {"index", Num(s.index)},
                              {"p", Num(s.p)},           {"median_latency_s", Num(s.median_latency_s)}};
      };
      const double lag_cc = pooled.ok ? pooled.observed.lag_s : kNaN;
      const bool a_leads = pooled.ok && lag_cc >= 0;
      // The lag: the follower's answer latency (onset to onset, median), over the answers
      // whose latency lies within +-0.5 s of the coupling lag, when there are at least
      // three (strict answers first: a broad match is likelier a coincidence); else the
      // coupling lag. Cross-correlation measures the lag between the expressions' centres
      // of mass, which drifts from the onset latency when answers last longer or shorter
      // than what they answer; answers far from the coupling lag are mostly coincidences.
      std::vector<double> lat, lat_all;
      for (const auto& m : a_leads ? mim.ab : mim.ba) {
        if (!pooled.ok || std::abs(m.latency_s - std::abs(lag_cc)) > 0.5) continue;
        lat_all.push_back(m.latency_s);
        if (m.strict) lat.push_back(m.latency_s);
      }
      if (lat.size() < 3) lat = lat_all;
      const bool from_events = lat.size() >= 3;
      const double lag = from_events ? (a_leads ? 1 : -1) * Median(lat) : lag_cc;
      const std::string leader = !pooled.ok ? "" : (a_leads ? A.id : B.id), follower = a_leads ? B.id : A.id;
      const double ev_ab = mim.strict_ab.count + mim.broad_ab.count - mim.strict_ab.expected - mim.broad_ab.expected;
      const double ev_ba = mim.strict_ba.count + mim.broad_ba.count - mim.strict_ba.expected - mim.broad_ba.expected;
      const double sync_r = zc > 0 ? std::tanh(zsum / zc) : kNaN;
      nlohmann::json jp = {
          {"a", A.id},
          {"b", B.id},
          {"synchrony",
           {{"peak_r_mean", Num(sync_r)},
            {"peak_lag_mean_s", zc > 0 ? Num(lsum / zc) : nlohmann::json(nullptr)},
            {"coupling_peak", pooled.ok ? Num(pooled.observed.peak) : nlohmann::json(nullptr)},
            {"z", pooled.ok ? Num(pooled.peak_z) : nlohmann::json(nullptr)},
            {"p", pooled.ok ? Num(pooled.peak_p) : nlohmann::json(nullptr)},
            {"channels", pooled.channels}}},
          {"leader",
           {{"id", pooled.ok ? nlohmann::json(leader) : nlohmann::json(nullptr)},
            {"follower", pooled.ok ? nlohmann::json(follower) : nlohmann::json(nullptr)},
            {"lag_s", pooled.ok ? Num(std::abs(lag)) : nlohmann::json(nullptr)},
            {"lag_source", from_events ? "answer latency" : "coupling"},
            {"coupling_lag_s", pooled.ok ? Num(std::abs(lag_cc)) : nlohmann::json(nullptr)},
            {"p", pooled.ok ? Num(pooled.lead_p) : nlohmann::json(nullptr)},
            {"from_events",
             {{"id", !std::isfinite(mim.direction_p) ? nlohmann::json(nullptr) : nlohmann::json(ev_ab >= ev_ba ? A.id : B.id)},
              {"excess_a_to_b", Num(ev_ab)},
              {"excess_b_to_a", Num(ev_ba)},
              {"p", Num(mim.direction_p)}}}}},
          {"mimicry",
           {{"strict", {{"a_to_b", stat(mim.strict_ab)}, {"b_to_a", stat(mim.strict_ba)}}},
            {"broad", {{"a_to_b", stat(mim.broad_ab)}, {"b_to_a", stat(mim.broad_ba)}}}}},
          {"contagion",
           {{"channel", "valence"},
            {"ok", val.ok},
            {"leader", val.ok ? nlohmann::json(val.observed.lag_s >= 0 ? A.id : B.id) : nlohmann::json(nullptr)},
            {"lag_s", val.ok ? Num(std::abs(val.observed.lag_s)) : nlohmann::json(nullptr)},
            {"coupling_peak", val.ok ? Num(val.observed.peak) : nlohmann::json(nullptr)},
            {"p", val.ok ? Num(val.peak_p) : nlohmann::json(nullptr)},
            {"direction_p", val.ok ? Num(val.lead_p) : nlohmann::json(nullptr)}}},
          {"rapport", {{"index", Num(rap.session)}, {"ci95", {Num(rap.lo), Num(rap.hi)}}, {"heuristic", true}}},
          {"micro_mimicry",
           {{"strict", {{"a_to_b", stat(micro_mim.strict_ab)}, {"b_to_a", stat(micro_mim.strict_ba)}}},
            {"broad", {{"a_to_b", stat(micro_mim.broad_ab)}, {"b_to_a", stat(micro_mim.broad_ba)}}},
            {"note", "micro-expressions (libs/micro, experimental spotter) answered by the partner's micro-expressions"}}},
          {"channels", jch}};
      jpairs.push_back(jp);
      if (std::isfinite(sync_r)) group_sum += sync_r;
      ++pair_count;
      text += fmt::format(
          "    {} & {}: synchrony r {:.2f} (p {}), leader {} by {:.2f} s (p {}); mimicry {}->{}: {} strict + {} broad "
          "(chance {:.1f} + {:.1f}), {}->{}: {} + {} (chance {:.1f} + {:.1f}); rapport {:.0f} [{:.0f}, {:.0f}] "
          "(heuristic)\n",
          A.id, B.id, sync_r, pooled.ok ? fmt::format("{:.3f}", pooled.peak_p) : "NA", pooled.ok ? leader : "NA",
          std::abs(lag), pooled.ok ? fmt::format("{:.3f}", pooled.lead_p) : "NA", A.id, B.id, mim.strict_ab.count,
          mim.broad_ab.count, mim.strict_ab.expected, mim.broad_ab.expected, B.id, A.id, mim.strict_ba.count,
          mim.broad_ba.count, mim.strict_ba.expected, mim.broad_ba.expected, rap.session, rap.lo, rap.hi);
    }

  // 4. Outputs.
  nlohmann::json jparts = nlohmann::json::array();
  for (size_t i = 0; i < ps.size(); ++i) {
    const auto& p = ps[i];
    jparts.push_back({{"id", p.id}, {"source", p.source}, {"format", p.format}, {"face_id", p.face_id},
                      {"frames", p.frames}, {"valid_fraction", p.valid_fraction}, {"offset_s", p.offset_s},
                      {"events", p.events.size()}, {"micro_events", p.micro_events.size()}});
    for (size_t e = 0; e < p.events.size(); ++e) {
      const auto& ev = p.events[e];
      std::string acts;
      for (int a : ev.actions) acts += std::string(acts.empty() ? "" : "+") + sync::Actions()[static_cast<size_t>(a)].name;
      const Answer& an = answers[i][e];
      events_csv += fmt::format("{},{},{:.3f},{:.3f},{:.3f},{:.2f},{},{},{},{},{},{},{}\n", p.id, e, ev.onset_s - t0,
                                ev.apex_s - t0, ev.offset_s - t0, ev.intensity, sync::Actions()[static_cast<size_t>(ev.action)].name,
                                sync::Actions()[static_cast<size_t>(ev.action)].affect, acts, an.to,
                                an.event >= 0 ? std::to_string(an.event) : "", an.mode, Fmt(an.latency, 3));
    }
    std::string f = "timestamp";
    for (const auto& c : p.u.channels) f += "," + c;
    f += "\n";
    for (size_t k = 0; k < n; ++k) {
      f += fmt::format("{:.6f}", static_cast<double>(k) / o.rate_hz);
      for (const auto& c : p.u.data) f += std::isfinite(c[k]) ? fmt::format(",{:.4f}", c[k]) : std::string(",");
      f += "\n";
    }
    std::ofstream(fs::path(o.out_dir) / "features" / (p.id + ".csv")) << f;
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t_start).count();
  nlohmann::json j;
  j["version"] = MIMICRY_VERSION;
  j["tool"] = "mimicry analyze";
  j["command_line"] = o.command_line;
  j["clock"] = {{"t0_s", t0}, {"duration_s", static_cast<double>(n) / o.rate_hz}, {"rate_hz", o.rate_hz}, {"samples", n},
                {"note", "times in the output files are seconds from t0_s on the shared clock"}};
  j["participants"] = jparts;
  j["pairs"] = jpairs;
  if (ps.size() > 2) j["group"] = {{"synchrony_index", Num(pair_count ? group_sum / pair_count : kNaN)}, {"pairs", pair_count}};
  j["parameters"] = {
      {"rate_hz", o.rate_hz},
      {"max_gap_s", o.max_gap_s},
      {"prepare",
       {{"outlier_sd", o.prepare.outlier_sd}, {"subtract_baseline", o.prepare.subtract_baseline},
        {"standardize", o.prepare.standardize}, {"smooth_s", o.prepare.smooth_s}}},
      {"mimicry_window", {{"window_s", o.mimicry_wlcc.window_s}, {"step_s", o.mimicry_wlcc.step_s}, {"max_lag_s", o.mimicry_wlcc.max_lag_s}, {"max_missing", o.mimicry_wlcc.max_missing}}},
      {"session_window", {{"window_s", o.session_wlcc.window_s}, {"step_s", o.session_wlcc.step_s}, {"max_lag_s", o.session_wlcc.max_lag_s}, {"max_missing", o.session_wlcc.max_missing}}},
      {"surrogates", o.surrogates},
      {"seed", o.seed},
      {"correlation_surrogate", o.correlation_surrogate == sync::SurrogateKind::kCircularShift ? "circular" : "phase"},
      {"event_surrogate", o.event_surrogate == sync::EventSurrogate::kCircularShift ? "circular" : "segment"},
      {"min_shift_s", o.min_shift_s},
      {"events",
       {{"threshold", o.events.threshold}, {"noise_k", o.events.noise_k}, {"min_duration_s", o.events.min_duration_s},
        {"smooth_s", o.events.smooth_s}, {"merge_s", o.events.merge_s}, {"onset_fraction", o.events.onset_fraction}}},
      {"answer_latency_s", {o.match.min_latency_s, o.match.max_latency_s}},
      {"lag_convention", "lag_s > 0: the follower acts lag_s seconds after the leader"}};
  j["wall_s"] = wall;
  const fs::path dir(o.out_dir);
  auto write = [](const fs::path& p, const std::string& s) { return internal::WriteText(p.string(), s); };
  MIMICRY_RETURN_IF_ERROR(write(dir / "summary.json", j.dump(2) + "\n"));
  MIMICRY_RETURN_IF_ERROR(write(dir / "windows.csv", windows_csv));
  MIMICRY_RETURN_IF_ERROR(write(dir / "pairs.csv", pairs_csv));
  MIMICRY_RETURN_IF_ERROR(write(dir / "events.csv", events_csv));
  MIMICRY_RETURN_IF_ERROR(write(dir / "rapport.csv", rapport_csv));
  MIMICRY_RETURN_IF_ERROR(write(dir / "lagmap.csv", lagmap_csv));
  AnalyzeResult r;
  if (o.write_report) {
    report("report", 0);
    report::ReportOptions ro;
    ro.analysis_dir = o.out_dir;
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
  r.pairs = pair_count;
  r.wall_s = wall;
  std::string head;
  for (const auto& p : ps)
    head += fmt::format("    {}: {} ({} frames, {:.0f}% of the shared {:.1f} s with a face, {} events)\n", p.id, p.source,
                        p.frames, 100 * p.valid_fraction, static_cast<double>(n) / o.rate_hz, p.events.size());
  r.text = "  participants\n" + head + "  pairs\n" + text;
  return r;
}


std::string DefaultChartLibrary() { return (fs::path(DefaultAssetsDir()) / "echarts.min.js").string(); }

Result<std::vector<AnalyzeOptions::SessionInput>> ReadSessionsCsv(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + ": no such file");
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return InvalidInput(path + ": empty file");
  auto split = [](const std::string& l) {
    std::vector<std::string> c;
    std::stringstream ss(l);
    for (std::string x; std::getline(ss, x, ',');) {
      const size_t b = x.find_first_not_of(" \t\r"), e = x.find_last_not_of(" \t\r");
      c.push_back(b == std::string::npos ? "" : x.substr(b, e - b + 1));
    }
    return c;
  };
  const auto h = split(line);
  auto col = [&](const char* n) { return FindColumn(h, n); };
  const int cs = col("session"), cp = col("participant"), cf = col("file"), co = col("offset_s");
  if (cs < 0 || cp < 0 || cf < 0) return InvalidInput(path + ": needs the columns session, participant, file");
  std::vector<AnalyzeOptions::SessionInput> out;
  int no = 1;
  while (std::getline(in, line)) {
    ++no;
    if (line.empty() || line == "\r") continue;
    const auto c = split(line);
    auto at = [&](int k) { return k >= 0 && static_cast<size_t>(k) < c.size() ? c[static_cast<size_t>(k)] : std::string(); };
    AnalyzeOptions::SessionInput si{at(cs), at(cp), at(cf), 0};
    if (si.session.empty() || si.participant.empty() || si.file.empty())
      return InvalidInput(path + ": line " + std::to_string(no) + ": empty session, participant or file");
    if (fs::path(si.file).is_relative()) si.file = (fs::path(path).parent_path() / si.file).string();
    if (!at(co).empty()) {
      char* end = nullptr;
      si.offset_s = std::strtod(at(co).c_str(), &end);
      if (end == nullptr || *end != '\0') return InvalidInput(path + ": line " + std::to_string(no) + ": bad offset_s");
    }
    out.push_back(si);
  }
  if (out.empty()) return InvalidInput(path + ": no sessions listed");
  return out;
}

namespace {

struct LightStat {
  double peak = kNaN;       // pooled coupling peak (synchrony)
  int answers_ab = 0;       // b answering a (strict + broad)
  int answers_ba = 0;
};

// Observed statistics of a (possibly pseudo) pair, without surrogates: the first `len`
// samples of each, events on a's clock.
LightStat Light(const Participant& a, double ta0, const Participant& b, double tb0, size_t len, const AnalyzeOptions& o) {
  LightStat st;
  std::vector<std::span<const float>> xs, ys;
  PooledSpans(a, b, len, xs, ys);
  const auto c = sync::Coupling(xs, ys, o.rate_hz, CouplingFor(o, 0, o.seed));
  if (c.ok) st.peak = c.observed.peak;
  const double end = ta0 + static_cast<double>(len) / o.rate_hz;
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
  return st;
}

}  // namespace

Result<AnalyzeResult> RunSessions(const AnalyzeOptions& o, const AnalyzeProgress& progress) {
  const auto t_start = Clock::now();
  std::vector<std::string> order;
  std::map<std::string, std::vector<AnalyzeOptions::SessionInput>> by;
  for (const auto& si : o.sessions) {
    if (!by.count(si.session)) order.push_back(si.session);
    by[si.session].push_back(si);
  }
  struct Loaded {
    std::string name;
    Session s;
  };
  std::vector<Loaded> all;
  std::string text;
  for (size_t k = 0; k < order.size(); ++k) {
    AnalyzeOptions sub = o;
    sub.sessions.clear();
    sub.inputs.clear();
    sub.names.clear();
    sub.offsets_s.clear();
    for (const auto& si : by[order[k]]) {
      sub.inputs.push_back(si.file);
      sub.names[si.participant] = si.file;
      if (si.offset_s != 0) sub.offsets_s[si.participant] = si.offset_s;
    }
    if (sub.inputs.size() < 2)
      return InvalidArgument("session " + order[k] + ": needs two or more participants (one file each)");
    sub.out_dir = (fs::path(o.out_dir) / order[k]).string();
    if (progress) progress("session " + order[k], static_cast<double>(k) / static_cast<double>(order.size()));
    auto r = RunAnalyze(sub);
    if (!r.ok()) return r.status();
    text += "  session " + order[k] + "\n" + r->text;
    auto s = LoadSession(sub, {});
    if (!s.ok()) return s.status();
    all.push_back({order[k], std::move(s).value()});
  }
  // Pseudo-pairs: for each session's pair of roles (X, Y), X of this session with Y of every
  // other session, and Y of this session with X of every other one.
  auto find = [](const Session& s, const std::string& id) -> const Participant* {
    for (const auto& p : s.ps)
      if (p.id == id) return &p;
    return nullptr;
  };
  nlohmann::json jp = nlohmann::json::array();
  int pseudo_total = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const Session& si = all[i].s;
    for (size_t x = 0; x < si.ps.size(); ++x)
      for (size_t y = x + 1; y < si.ps.size(); ++y) {
        const Participant& X = si.ps[x];
        const Participant& Y = si.ps[y];
        const LightStat obs = Light(X, si.t0, Y, si.t0, si.n, o);
        std::vector<LightStat> null;
        for (size_t j = 0; j < all.size(); ++j) {
          if (j == i) continue;
          const Session& sj = all[j].s;
          if (const Participant* Yj = find(sj, Y.id))
            null.push_back(Light(X, si.t0, *Yj, sj.t0, std::min(si.n, sj.n), o));
          if (const Participant* Xj = find(sj, X.id))
            null.push_back(Light(*Xj, sj.t0, Y, si.t0, std::min(si.n, sj.n), o));
        }
        pseudo_total += static_cast<int>(null.size());
        auto test = [&](auto get, double observed) {
          int k = 0, m = 0;
          double sum = 0;
          for (const auto& s : null) {
            const double v = get(s);
            if (!std::isfinite(v)) continue;
            ++m;
            sum += v;
            k += v >= observed ? 1 : 0;
          }
          return nlohmann::json{{"observed", Num(observed)},
                                {"pseudo_mean", m ? Num(sum / m) : nlohmann::json(nullptr)},
                                {"pseudo_pairs", m},
                                {"p", m && std::isfinite(observed) ? Num((k + 1.0) / (m + 1.0)) : nlohmann::json(nullptr)}};
        };
        jp.push_back({{"session", all[i].name},
                      {"a", X.id},
                      {"b", Y.id},
                      {"synchrony", test([](const LightStat& s) { return s.peak; }, obs.peak)},
                      {"mimicry_a_to_b", test([](const LightStat& s) { return static_cast<double>(s.answers_ab); }, obs.answers_ab)},
                      {"mimicry_b_to_a", test([](const LightStat& s) { return static_cast<double>(s.answers_ba); }, obs.answers_ba)}});
        const auto& last = jp.back();
        text += fmt::format("  pseudo-pairs, session {} {} & {}: synchrony p {}, answers {}->{} p {}, {}->{} p {} ({} pseudo-pairs)\n",
                            all[i].name, X.id, Y.id, last["synchrony"]["p"].dump(), X.id, Y.id,
                            last["mimicry_a_to_b"]["p"].dump(), Y.id, X.id, last["mimicry_b_to_a"]["p"].dump(), null.size());
      }
  }
  nlohmann::json j;
  j["version"] = MIMICRY_VERSION;
  j["tool"] = "mimicry analyze --sessions";
  j["command_line"] = o.command_line;
  j["sessions"] = order;
  j["pairs"] = jp;
  j["method"] = "pseudo-pairs: one role's participant from one session with the other role's from another "
                "(roles = participant ids), each pair's first min(length) samples on its own clock; "
                "p = (#{pseudo >= observed} + 1) / (#pseudo + 1)";
  const fs::path out = fs::path(o.out_dir) / "sessions.json";
  std::ofstream f(out);
  f << j.dump(2) << "\n";
  f.close();
  if (!f) return OutputError(out.string() + ": cannot write");
  AnalyzeResult r;
  r.summary_json = out.string();
  r.text = text;
  r.participants = static_cast<int>(o.sessions.size());
  r.pairs = static_cast<int>(jp.size());
  r.wall_s = std::chrono::duration<double>(Clock::now() - t_start).count();
  (void)pseudo_total;
  return r;
}

}  // namespace mimicry::pipeline
