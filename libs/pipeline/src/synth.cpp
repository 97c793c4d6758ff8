#include "mimicry/pipeline/synth.h"

#include "mimicry/pipeline/analyze.h"

#include <array>
#include <chrono>
#include <limits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <random>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "mimicry/face/detector.h"
#include "mimicry/face/landmarks.h"
#include "mimicry/schema/feature_table.h"
#include "mimicry/io/frame_source.h"
#include "mimicry/io/video_writer.h"
#include "mimicry/pipeline/extract.h"
#include "mimicry/core/csv.h"
#include "inputs.h"
#include "mimicry/synth/face_rig.h"

#ifndef MIMICRY_DEFAULT_ASSETS_DIR
#define MIMICRY_DEFAULT_ASSETS_DIR ""
#endif

namespace mimicry::pipeline {
namespace fs = std::filesystem;

std::string DefaultAssetsDir() {
  return FindDataDir("MIMICRY_ASSETS_DIR", "assets", "astronaut.png", MIMICRY_DEFAULT_ASSETS_DIR);
}

std::vector<std::string> DefaultFaces(const std::string& preset) {
  const std::string a = DefaultAssetsDir();
  std::vector<std::string> f = {a + "/astronaut.png", a + "/faces/Tom_Cruise_avp_2014_4.jpg", a + "/faces/2008_002506.jpg"};
  if (preset != "audience") return f;
  for (const char* x : {"2008_001009.jpg", "2008_001322.jpg", "2008_002470.jpg", "2009_004587.jpg", "bald_guys.jpg"})
    f.push_back(a + "/faces/" + x);
  for (int k = 1; k <= 6; ++k) f.push_back(a + "/faceapi/sample" + std::to_string(k) + ".jpg");
  return f;
}

namespace {

constexpr int kW = 640, kH = 480;
constexpr float kFaceWidth = 190.f;  // px: a webcam close-up, like the shared real clip

// Reads a photo and frames its largest face as a 640x480 webcam close-up.
Result<cv::Mat> FramePhoto(const std::string& path, face::FaceDetector& det) {
  io::Frame f;
  auto src = io::FrameSource::Open({.path = path});
  if (!src.ok()) return Status(StatusCode::kInvalidInput, src.status().message());
  auto got = (*src)->Next(f);
  if (!got.ok() || !*got) return InvalidInput(path + ": cannot read the photo");
  io::EnsureBgr(f);
  auto dets = det.Detect(f.bgr);
  if (!dets.ok()) return dets.status();
  if (dets->empty()) return InvalidInput(path + ": no face found in the photo");
  const auto& d = *std::max_element(dets->begin(), dets->end(),
                                    [](const auto& a, const auto& b) { return a.box.area() < b.box.area(); });
  const double scale = kFaceWidth / d.box.width;
  cv::Mat scaled;
  cv::resize(f.bgr, scaled, cv::Size(), scale, scale, scale < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
  const cv::Point2d c((d.box.x + d.box.width / 2) * scale, (d.box.y + d.box.height / 2) * scale);
  const int x0 = static_cast<int>(std::lround(c.x - kW / 2.0)), y0 = static_cast<int>(std::lround(c.y - kH * 0.45));
  cv::Mat padded;
  const int pad = std::max(kW, kH);
  // Replicated edges, not reflected ones: a reflection would copy the face into the frame
  // and give the detector extra (static) faces.
  cv::copyMakeBorder(scaled, padded, pad, pad, pad, pad, cv::BORDER_REPLICATE);
  cv::Mat framed = padded(cv::Rect(x0 + pad, y0 + pad, kW, kH)).clone();
  // Other faces of a group photo would be static extra participants: blur them away, as a
  // video call's background blur would (every face but the one nearest the framing centre).
  auto others = det.Detect(framed);
  if (others.ok() && others->size() > 1) {
    const cv::Point2f centre(kW / 2.f, kH * 0.45f);
    auto dist = [&](const face::Detection& x) {
      return cv::norm(cv::Point2f(x.box.x + x.box.width / 2, x.box.y + x.box.height / 2) - centre);
    };
    const auto main_face = std::min_element(others->begin(), others->end(),
                                            [&](const auto& a, const auto& b) { return dist(a) < dist(b); });
    for (auto it = others->begin(); it != others->end(); ++it) {
      if (it == main_face) continue;
      cv::Rect r(cv::Point(static_cast<int>(it->box.x - 0.4f * it->box.width), static_cast<int>(it->box.y - 0.4f * it->box.height)),
                 cv::Size(static_cast<int>(1.8f * it->box.width), static_cast<int>(1.8f * it->box.height)));
      r &= cv::Rect(0, 0, kW, kH);
      if (r.area() == 0) continue;
      cv::Mat roi = framed(r);
      cv::GaussianBlur(roi, roi, cv::Size(0, 0), std::max(8.0, r.width / 6.0));
    }
  }
  return framed;
}

struct Noise {
  double sigma, drift;
  int quality;
};
Noise NoiseFor(const std::string& level) {
  if (level == "none") return {0, 0, 2};
  if (level == "low") return {1.5, 0.03, 3};
  return {3.0, 0.06, 5};  // "webcam"
}

}  // namespace

Result<SynthSummary> RunSynth(const SynthOptions& o, const SynthProgressFn& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  const synth::Scenario& s = o.scenario;
  auto models = LoadFaceModels(o.models_dir, {});
  if (!models.ok()) return models.status();
  auto det = models->detector->CreateDetector();
  if (!det.ok()) return det.status();

  // One rig per photo (rigs are immutable; participants sharing a photo share its rig).
  std::vector<std::shared_ptr<const synth::FaceRig>> rigs;
  std::map<std::string, std::shared_ptr<const synth::FaceRig>> by_photo;
  for (const auto& p : s.participants) {
    if (auto it = by_photo.find(p.face); it != by_photo.end()) {
      rigs.push_back(it->second);
      continue;
    }
    auto photo = FramePhoto(p.face, **det);
    if (!photo.ok()) return photo.status();
    auto rig = synth::FaceRig::Create(*photo, p.face, *models->detector, models->landmarks);
    if (!rig.ok()) return rig.status();
    rigs.push_back(*rig);
    by_photo[p.face] = *rig;
  }
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) return OutputError(o.out_dir + ": cannot create folder: " + ec.message());
  const Noise noise = NoiseFor(s.noise);
  const size_t n = s.participants.size();
  // Per-participant degradation (the micro preset sets one level per face).
  std::vector<Noise> noises;
  for (const auto& p : s.participants) noises.push_back(NoiseFor(p.noise.empty() ? s.noise : p.noise));
  // Where each participant's video goes: DIR/<id>.mp4; the audience preset writes
  // DIR/stimulus.mp4 and DIR/viewers/<id>.mp4 (and no gallery view).
  const bool audience = s.preset == "audience";
  std::vector<std::string> files;
  for (const auto& p : s.participants)
    files.push_back(!audience ? p.id + ".mp4" : p.role == "stimulus" ? "stimulus.mp4" : "viewers/" + p.id + ".mp4");
  if (audience) {
    fs::create_directories(fs::path(o.out_dir) / "viewers", ec);
    if (ec) return OutputError(o.out_dir + "/viewers: cannot create folder: " + ec.message());
  }
  std::vector<std::unique_ptr<io::VideoWriter>> writers;
  for (size_t q = 0; q < n; ++q) {
    auto w = io::VideoWriter::Open({.path = (fs::path(o.out_dir) / files[q]).string(), .width = kW, .height = kH,
                                    .fps_num = s.fps_num, .fps_den = s.fps_den, .quality = noises[q].quality});
    if (!w.ok()) return w.status();
    writers.push_back(std::move(w).value());
  }
  const int cw = n == 2 ? 2 * kW : 2 * kW, ch = n == 2 ? kH : 2 * kH;
  std::unique_ptr<io::VideoWriter> call;
  if (!audience) {
    auto c = io::VideoWriter::Open({.path = (fs::path(o.out_dir) / "call.mp4").string(), .width = cw, .height = ch,
                                    .fps_num = s.fps_num, .fps_den = s.fps_den, .quality = noise.quality});
    if (!c.ok()) return c.status();
    call = std::move(c).value();
  }
  std::ofstream curves(fs::path(o.out_dir) / "curves.csv");
  curves << "participant,timestamp";
  for (int au : synth::kAuCodes) curves << fmt::format(",AU{:02d}", au);
  curves << ",pose_Rx,pose_Ry,pose_Rz\n";

  // Frame times: k * den/num, or jittered +-30% for the variable-rate option (seeded).
  // Each recording runs from its own time 0 to duration + offset_s; scenario time = own
  // time - offset_s (the audience's webcams start before the stimulus).
  const double period = static_cast<double>(s.fps_den) / s.fps_num;
  cv::RNG jitter(s.seed * 2654435761ull + 17);
  SynthSummary sum;
  double t = 0, end_s = s.duration_s;
  for (const auto& p : s.participants) end_s = std::max(end_s, s.duration_s + p.offset_s);
  const int64_t total = static_cast<int64_t>(end_s / period);
  std::vector<cv::Mat> frames(n);
  std::vector<Status> write_status(n);
  std::vector<std::string> curve_rows(n);
  // Sensor noise: a bank of 8 seeded noise images per participant, one picked per frame
  // (drawing fresh Gaussian noise for every frame cost more than rendering the face).
  constexpr int kBank = 8;
  std::vector<std::vector<cv::Mat>> bank(n);
  for (size_t p = 0; p < n; ++p)
    if (noises[p].sigma > 0)
      for (int b = 0; b < kBank; ++b) {
        cv::Mat nz(kH, kW, CV_16SC3);
        cv::RNG rng(s.seed * 1000003ull + p * 131 + static_cast<uint64_t>(b));
        rng.fill(nz, cv::RNG::NORMAL, 0, noises[p].sigma);
        bank[p].push_back(nz);
      }
  for (int64_t k = 0; t < end_s; ++k) {
    const Timestamp ts = Timestamp::FromSeconds(t);
    cv::parallel_for_(cv::Range(0, static_cast<int>(n)), [&](const cv::Range& r) {
      for (int p = r.start; p < r.end; ++p) {
        const auto& part = s.participants[static_cast<size_t>(p)];
        curve_rows[static_cast<size_t>(p)].clear();
        if (ts.seconds() >= s.duration_s + part.offset_s) continue;  // this recording has ended
        const double scenario_t = ts.seconds() - part.offset_s;
        const synth::Expression e = synth::ExpressionAt(s, p, scenario_t);
        cv::Mat img = rigs[static_cast<size_t>(p)]->Render(e).bgr;
        const Noise& nz = noises[static_cast<size_t>(p)];
        if (nz.sigma > 0) {
          // Lighting drift (slow gain change) and sensor noise.
          const double gain = 1.0 + nz.drift * std::sin(2 * CV_PI * ts.seconds() / 23.0 + p);
          cv::Mat f;
          img.convertTo(f, CV_16SC3, gain);
          f += bank[static_cast<size_t>(p)][static_cast<size_t>((k * 5 + p) % kBank)];
          f.convertTo(img, CV_8UC3);
        }
        write_status[static_cast<size_t>(p)] = writers[static_cast<size_t>(p)]->Write(img, ts);
        frames[static_cast<size_t>(p)] = img;
        std::string& row = curve_rows[static_cast<size_t>(p)];
        row = part.id + fmt::format(",{:.6f}", ts.seconds());
        for (float v : e.au) row += fmt::format(",{:.3f}", v);
        row += fmt::format(",{:.5f},{:.5f},{:.5f}\n", e.head_rad[0], e.head_rad[1], e.head_rad[2]);
      }
    });
    cv::Mat grid;
    if (call) grid = cv::Mat(ch, cw, CV_8UC3, cv::Scalar::all(0));
    for (size_t p = 0; p < n; ++p) {
      if (curve_rows[p].empty()) continue;
      MIMICRY_RETURN_IF_ERROR(write_status[p]);
      if (call) frames[p].copyTo(grid(cv::Rect(static_cast<int>(p % 2) * kW, static_cast<int>(p / 2) * kH, kW, kH)));
      curves << curve_rows[p];
    }
    if (call) MIMICRY_RETURN_IF_ERROR(call->Write(grid, ts));
    ++sum.frames;
    if (progress && k % 15 == 0)
      progress(k, total, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    const double step = s.variable_frame_rate ? period * jitter.uniform(0.7, 1.3) : period;
    t = s.variable_frame_rate ? t + step : static_cast<double>(k + 1) * period;
  }
  for (auto& w : writers) MIMICRY_RETURN_IF_ERROR(w->Close());
  if (call) MIMICRY_RETURN_IF_ERROR(call->Close());
  if (audience) {
    // manifest.csv: what `mimicry audience` reads (paths relative to DIR).
    std::string m = "viewer_id,file,offset_s,group\n";
    for (size_t q = 0; q < n; ++q)
      if (s.participants[q].role == "viewer")
        m += fmt::format("{},{},{:.3f},{}\n", s.participants[q].id, files[q], s.participants[q].offset_s, s.participants[q].group);
    std::ofstream mf(fs::path(o.out_dir) / "manifest.csv");
    mf << m;
    if (!mf) return OutputError(o.out_dir + "/manifest.csv: write failed");
  }
  curves.close();
  if (!curves) return OutputError(o.out_dir + "/curves.csv: write failed");
  std::ofstream truth(fs::path(o.out_dir) / "truth.json");
  truth << synth::TruthJson(s);
  if (!truth) return OutputError(o.out_dir + "/truth.json: write failed");
  for (const auto& e : s.events) sum.events += e.kind != synth::EventKind::kBlink;
  sum.answers = static_cast<int>(s.answers.size());
  sum.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

FeatureNoise CalibrationNoise() {
  FeatureNoise n;
  n.sd = 0.4;
  n.ar = 0.5;
  n.drift_sd = 0.3;
  n.onset = 0.8;
  n.onset_tau_s = 2;
  return n;
}

Result<TimeSeries> CalibrationParticipant(const std::string& preset, uint64_t seed, int participant, double duration_s,
                                          const FeatureNoise& noise) {
  synth::PresetOptions p;
  p.irregular = true;
  p.preset = preset;
  p.seed = seed;
  p.duration_s = duration_s;
  p.lag_s = 0.6;
  p.faces = {"a.png", "b.png"};  // not read: no rendering
  auto s = synth::MakePreset(p);
  if (!s.ok()) return s.status();
  return ScenarioFeatures(*s, participant, noise, seed * 1000003 + static_cast<uint64_t>(participant));
}

Result<TimeSeries> ScenarioFeatures(const synth::Scenario& s, int participant, const FeatureNoise& fn, uint64_t seed) {
  auto ts = TimeSeries::Create(schema::FeatureHeader());
  if (!ts.ok()) return ts.status();
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, fn.sd > 0 ? fn.sd : 1);
  const double period = static_cast<double>(s.fps_den) / s.fps_num;
  std::uniform_real_distribution<double> jitter(-0.3, 0.3);
  // Drift and onset from a stream of their own, so that the measurement noise of a seed is
  // the same with or without them.
  std::mt19937_64 slow(seed ^ 0xD21F7ull);
  std::uniform_real_distribution<double> u01(0, 1);
  constexpr int kSines = 3;
  std::array<std::array<double, 3 * kSines>, synth::kAuCodes.size()> drift{};
  std::array<double, synth::kAuCodes.size()> onset{};
  for (size_t k = 0; k < drift.size(); ++k) {
    for (int j = 0; j < kSines; ++j) {
      drift[k][3 * j] = 0.01 + 0.09 * u01(slow);      // Hz: 10-100 s periods
      drift[k][3 * j + 1] = 2 * CV_PI * u01(slow);    // phase
      drift[k][3 * j + 2] = 0.5 + u01(slow);          // relative amplitude
    }
    double norm = 0;
    for (int j = 0; j < kSines; ++j) norm += 0.5 * drift[k][3 * j + 2] * drift[k][3 * j + 2];
    for (int j = 0; j < kSines; ++j) drift[k][3 * j + 2] *= fn.drift_sd / std::sqrt(norm);
    onset[k] = fn.onset * u01(slow);
  }
  std::array<double, synth::kAuCodes.size()> ar{};
  const double innovation = std::sqrt(std::max(0.0, 1 - fn.ar * fn.ar));
  double t = 0;
  const double offset = s.participants[static_cast<size_t>(participant)].offset_s;  // the recording's own clock
  std::vector<double> row(ts->num_channels(), std::numeric_limits<double>::quiet_NaN());
  for (int64_t i = 0; t < s.duration_s + offset; ++i) {
    const synth::Expression e = synth::ExpressionAt(s, participant, t - offset);
    for (size_t k = 0; k < e.au.size(); ++k) {
      double v = e.au[k];
      if (fn.sd > 0) {
        ar[k] = fn.ar * ar[k] + innovation * noise(rng);
        v += ar[k];
      }
      for (int j = 0; j < kSines && fn.drift_sd > 0; ++j)
        v += drift[k][3 * j + 2] * std::sin(2 * CV_PI * drift[k][3 * j] * t + drift[k][3 * j + 1]);
      if (fn.onset > 0) v += onset[k] * std::exp(-t / fn.onset_tau_s);
      row[k] = std::clamp(v, 0.0, 5.0);
    }
    for (int k = 0; k < 3; ++k) row[e.au.size() + static_cast<size_t>(k)] = e.head_rad[static_cast<size_t>(k)];
    MIMICRY_RETURN_IF_ERROR(ts->Append(Timestamp::FromSeconds(t), row));
    t += s.variable_frame_rate ? period * (1 + jitter(rng)) : period;
  }
  return ts;
}

Status WriteScenarioFeatureCsv(const synth::Scenario& s, int participant, const std::string& path, double noise_sd,
                               uint64_t seed) {
  FeatureNoise fn;
  fn.sd = noise_sd;
  auto ts = ScenarioFeatures(s, participant, fn, seed);
  if (!ts.ok()) return ts.status();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return OutputError(path + ": cannot write");
  std::string buf = "frame,face_id,timestamp,success";
  for (int au : synth::kAuCodes) buf += fmt::format(",AU{:02d}_r", au);
  buf += ",pose_Rx,pose_Ry,pose_Rz\n";
  const size_t na = synth::kAuCodes.size();
  for (size_t i = 0; i < ts->size(); ++i) {
    fmt::format_to(std::back_inserter(buf), "{},0,{:.6f},1", i + 1, ts->time(i).seconds());
    for (size_t k = 0; k < na; ++k) fmt::format_to(std::back_inserter(buf), ",{:.3f}", ts->value(i, k));
    fmt::format_to(std::back_inserter(buf), ",{:.5f},{:.5f},{:.5f}\n", ts->value(i, na), ts->value(i, na + 1), ts->value(i, na + 2));
    if (buf.size() > (1 << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), f);
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  const bool ok = std::ferror(f) == 0;
  std::fclose(f);
  return ok ? Status::Ok() : OutputError(path + ": write failed");
}

Status WriteScenarioFeatures(const synth::Scenario& s, const std::string& out_dir, double noise_sd) {
  const bool audience = s.preset == "audience";
  std::error_code ec;
  fs::create_directories(fs::path(out_dir) / (audience ? "viewers" : ""), ec);
  if (ec || !fs::is_directory(out_dir)) return OutputError(out_dir + ": cannot create the folder");
  std::string manifest = "viewer_id,file,offset_s,group\n";
  for (size_t p = 0; p < s.participants.size(); ++p) {
    const auto& part = s.participants[p];
    const std::string rel = !audience ? part.id + ".csv" : part.role == "stimulus" ? "stimulus.csv" : "viewers/" + part.id + ".csv";
    if (part.role == "viewer")
      manifest += CsvField(part.id) + "," + CsvField(rel) + "," + fmt::format("{:.3f}", part.offset_s) + "," + CsvField(part.group) + "\n";
    // Distinct noise per seed and participant.
    auto st = WriteScenarioFeatureCsv(s, static_cast<int>(p), out_dir + "/" + rel, noise_sd, s.seed * 1000003 + p);
    if (!st.ok()) return st;
  }
  if (auto st = internal::WriteText(out_dir + "/truth.json", synth::TruthJson(s)); !st.ok()) return st;
  if (audience) return internal::WriteText(out_dir + "/manifest.csv", manifest);
  return Status::Ok();
}

Result<synth::Scenario> ReadScenarioFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound(path + ": no such file");
  std::stringstream text;
  text << in.rdbuf();
  return synth::ParseScenario(text.str(), path);
}

Result<DemoSummary> RunDemo(const DemoOptions& o, const SynthProgressFn& progress) {
  const std::string assets = o.assets_dir.empty() ? DefaultAssetsDir() : o.assets_dir;
  synth::PresetOptions p;
  p.preset = "demo";
  p.seed = o.seed;
  p.lag_s = 0.6;
  p.faces = {assets + "/astronaut.png", assets + "/faces/Tom_Cruise_avp_2014_4.jpg"};
  auto s = synth::MakePreset(p);
  if (!s.ok()) return s.status();
  auto made = RunSynth({*s, o.out_dir, o.models_dir}, progress);
  if (!made.ok()) return made.status();
  DemoSummary d;
  d.call_video = (fs::path(o.out_dir) / "call.mp4").string();
  d.truth_json = (fs::path(o.out_dir) / "truth.json").string();
  d.features_csv = (fs::path(o.out_dir) / "call.csv").string();
  d.synth_s = made->wall_s;
  d.events = made->events;
  d.planted_lag_s = s->mirror_lag_s;
  std::map<int, int> who;
  for (const auto& e : s->events) who[e.id] = e.participant;
  for (const auto& a : s->answers) (who[a.answers] == 0 ? d.answers_a_to_b : d.answers_b_to_a)++;
  ExtractOptions e;
  e.input.path = d.call_video;
  e.output_csv = d.features_csv;
  e.models_dir = o.models_dir;
  e.tracker.max_faces = 2;
  e.command_line = "mimicry demo";
  auto x = RunExtract(e);
  if (!x.ok()) return x.status();
  d.frames = x->frames;
  d.frames_with_face = x->frames_with_face;
  d.faces = x->faces;
  d.extract_s = x->wall_s;
  // The analysis, as a user would run it on the call: P1 (left, A) and P2 (right, B).
  AnalyzeOptions a;
  a.inputs = {d.features_csv};
  a.out_dir = (fs::path(o.out_dir) / "analysis").string();
  a.seed = o.seed;
  a.command_line = "mimicry demo";
  auto r = RunAnalyze(a);
  if (!r.ok()) return r.status();
  d.analysis_json = r->summary_json;
  if (!r->found.empty()) {
    const sync::PairResult& f = r->found.front().result;
    const sync::LeaderVerdict& L = f.leader;
    auto fp = [](double v) { return std::isfinite(v) ? (v < 0.001 ? std::string("< 0.001") : fmt::format("{:.3f}", v)) : "not tested"; };
    const std::string found_leader =
        !L.tested ? "not tested: " + L.not_tested
                  : L.leader < 0 ? "none" : fmt::format("{} (p {})", L.leader == 0 ? "P1 = A" : "P2 = B", fp(L.p));
    const std::string found_lag = L.tested && std::isfinite(L.lag_s) ? fmt::format("{:.2f} s", L.lag_s) : "-";
    auto answers = [&](const sync::MimicryStat& st, const sync::MimicryStat& b) {
      return fmt::format("{} (chance {:.1f}; strict p {}, broad p {})", st.count + b.count, st.expected + b.expected, fp(st.p), fp(b.p));
    };
    d.comparison = fmt::format(
        "  planted vs found\n"
        "    leader          {:<23} {}\n"
        "    follower's lag  {:<23} {}\n"
        "    B answered A    {:<23} {}\n"
        "    A answered B    {:<23} {}\n",
        "A", found_leader, fmt::format("{:.2f} s", s->mirror_lag_s), found_lag, d.answers_a_to_b, answers(f.events.strict_ab, f.events.broad_ab),
        d.answers_b_to_a, answers(f.events.strict_ba, f.events.broad_ba));
  }
  d.analysis_text = r->text;
  d.report_html = r->report_html;
  d.analyze_s = r->wall_s;
  return d;
}

}  // namespace mimicry::pipeline
