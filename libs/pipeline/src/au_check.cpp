#include "mimicry/pipeline/au_check.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "mimicry/core/csv.h"
#include "mimicry/face/au.h"
#include "mimicry/face/landmarks.h"
#include "mimicry/face/pose.h"
#include "mimicry/pipeline/extract.h"
#include "mimicry/pipeline/synth.h"
#include "mimicry/synth/scenario.h"

namespace mimicry::pipeline {
namespace {
namespace fs = std::filesystem;

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int Col(const std::string& n) const { return FindColumn(header, n); }
  double Num(size_t r, int c) const {
    double v = NAN;
    if (c >= 0 && static_cast<size_t>(c) < rows[r].size()) ParseNumber(rows[r][static_cast<size_t>(c)], v);
    return v;
  }
};

Result<Table> Read(const fs::path& p) {
  Table t;
  std::ifstream in(p);
  if (!in) return InvalidInput(p.string() + ": cannot read");
  CsvReader csv(in, p.string());
  if (!csv.Read(t.header) && !csv.status().ok()) return csv.status();
  std::vector<std::string> row;
  while (csv.Read(row)) {
    t.rows.push_back(row);
  }
  if (!csv.status().ok()) return csv.status();
  return t;
}

std::string AuCol(int code, const char* suffix) {
  char b[16];
  std::snprintf(b, sizeof b, "AU%02d%s", code, suffix);
  return b;
}

constexpr double kLead = 2.0, kStep = 2.4, kRise = 0.5, kFall = 1.1;  // s

}  // namespace

std::vector<AuCheckCondition> AuCheckConditions() {
  std::vector<AuCheckCondition> c;
  for (int code : face::kAuCodes) c.push_back({"AU" + std::to_string(code), {code}});
  c.push_back({"happiness 6+12", {6, 12}});
  c.push_back({"sadness 1+4+15", {1, 4, 15}});
  c.push_back({"surprise 1+2+5+26", {1, 2, 5, 26}});
  c.push_back({"fear 1+2+4+5+7+20+26", {1, 2, 4, 5, 7, 20, 26}});
  c.push_back({"anger 4+5+7+23", {4, 5, 7, 23}});
  c.push_back({"disgust 9+15+17", {9, 15, 17}});
  c.push_back({"contempt 12+14", {12, 14}});
  c.push_back({"mouth open 25+26", {25, 26}});
  c.push_back({"smile, lips apart 12+25", {12, 25}});
  return c;
}

Result<AuCheckResult> RunAuCheck(const AuCheckOptions& o) {
  if (!(o.intensity > 0 && o.intensity <= 5)) return InvalidArgument("au check: intensity must be in (0, 5]");
  if (!(o.head_motion_deg >= 0 && o.head_motion_deg <= 20)) return InvalidArgument("au check: head motion must be 0..20 degrees");
  if (o.work_dir.empty()) return InvalidArgument("au check: no work folder");
  std::vector<std::string> faces = o.faces;
  if (faces.empty()) faces = DefaultFaces("dyad");
  if (faces.size() > 16) return InvalidArgument("au check: at most 16 faces");
  AuCheckResult res;
  res.conditions = o.conditions.empty() ? AuCheckConditions() : o.conditions;
  res.faces = static_cast<int>(faces.size());
  const auto& conds = res.conditions;
  const fs::path out = o.work_dir;
  nlohmann::json sc = {{"duration_s", kLead + kStep * static_cast<double>(conds.size()) + 1.0},
                       {"noise", "low"}, {"head_motion_deg", o.head_motion_deg}, {"seed", o.seed}};
  std::vector<std::string> pids;
  for (size_t p = 0; p < faces.size(); ++p) {
    pids.push_back(std::string(1, static_cast<char>('A' + p)));
    sc["participants"].push_back({{"id", pids.back()}, {"face", faces[p]}});
    for (size_t k = 0; k < conds.size(); ++k) {
      const double t = kLead + kStep * static_cast<double>(k);
      sc["events"].push_back({{"participant", pids.back()}, {"aus", conds[k].aus}, {"onset_s", t},
                              {"apex_s", t + kRise}, {"offset_s", t + kRise + kFall}, {"intensity", o.intensity}});
    }
  }
  std::error_code ec;
  fs::create_directories(out, ec);
  if (!o.reuse || !fs::exists(out / "video/curves.csv")) {
    auto s = synth::ParseScenario(sc.dump(), "au check");
    if (!s.ok()) return s.status();
    auto r = RunSynth({*s, (out / "video").string()});
    if (!r.ok()) return r.status();
  }
  for (const auto& id : pids) {
    const fs::path csv = out / (id + ".csv");
    if (o.reuse && fs::exists(csv)) continue;
    ExtractOptions e;
    e.input.path = (out / "video" / (id + ".mp4")).string();
    e.output_csv = csv.string();
    e.write_au_features = true;
    auto r = RunExtract(e);
    if (!r.ok()) return r.status();
  }
  // The model that scores features against the true neutral.
  auto lm = face::LoadErtModel({DefaultModelsDir() + "/shape_predictor_68_face_landmarks.ert"});
  if (!lm.ok()) return lm.status();
  auto model = face::AuModel::Create(face::BuildGenericFace3D((*lm)->MeanShape()));
  if (!model.ok()) return model.status();
  auto curves = Read(out / "video/curves.csv");
  if (!curves.ok()) return curves.status();
  const int c_part = curves->Col("participant"), c_time = curves->Col("timestamp");
  std::vector<int> c_truth;
  for (int code : face::kAuCodes) c_truth.push_back(curves->Col(AuCol(code, "")));
  const size_t nc = conds.size(), na = face::kAuCodes.size();
  res.mean.assign(nc, {});
  res.worst.assign(nc, {});
  res.mean_true_neutral.assign(nc, {});
  res.worst_true_neutral.assign(nc, {});
  res.pose_shift_deg.assign(nc, {});
  res.seen.assign(nc, face::AuFeatures{});
  for (int k = 0; k < face::kNumAus; ++k) res.drawn[static_cast<size_t>(k)] = model->FieldResponse(k);
  for (const auto& id : pids) {
    auto ours = Read(out / (id + ".csv"));
    if (!ours.ok()) return ours.status();
    std::vector<size_t> truth_rows;
    for (size_t i = 0; i < curves->rows.size(); ++i)
      if (curves->rows[i][static_cast<size_t>(c_part)] == id) truth_rows.push_back(i);
    if (truth_rows.size() != ours->rows.size())
      return InvalidInput(id + ".csv: " + std::to_string(ours->rows.size()) + " rows, the truth has " +
                          std::to_string(truth_rows.size()));
    const size_t n = ours->rows.size();
    std::vector<face::AuFeatures> feats(n);
    std::vector<face::HeadPose> poses(n);
    std::vector<int> fcol, acol;
    for (const char* name : face::AuFeatureNames()) fcol.push_back(ours->Col(std::string("feat_") + name));
    for (int code : face::kAuCodes) acol.push_back(ours->Col(AuCol(code, "_r")));
    const int prx = ours->Col("pose_Rx"), pry = ours->Col("pose_Ry"), prz = ours->Col("pose_Rz");
    std::vector<face::AuFeatures> neutral_f;
    std::vector<face::HeadPose> neutral_p;
    cv::Vec3d pose0(0, 0, 0);
    for (size_t i = 0; i < n; ++i) {
      for (int j = 0; j < face::kNumAuFeatures; ++j)
        feats[i][static_cast<size_t>(j)] = static_cast<float>(ours->Num(i, fcol[static_cast<size_t>(j)]));
      poses[i].r_rad = {ours->Num(i, prx), ours->Num(i, pry), ours->Num(i, prz)};
      double total = 0;
      for (int c : c_truth) total += curves->Num(truth_rows[i], c);
      if (total < 1e-6) {
        neutral_f.push_back(feats[i]);
        neutral_p.push_back(poses[i]);
        pose0 += poses[i].r_rad;
      }
    }
    if (neutral_f.empty()) return InvalidInput(id + ": no neutral frames");
    pose0 *= 1.0 / static_cast<double>(neutral_f.size());
    const face::AuBaseline truth_base = face::FitAuBaseline(neutral_f, neutral_p);
    for (size_t k = 0; k < nc; ++k) {
      const int first = face::AuIndex(conds[k].aus[0]);
      const double t0 = kLead + kStep * static_cast<double>(k), t1 = t0 + kRise + kFall;
      std::array<double, face::kNumAus> s0{}, s1{};
      cv::Vec3d ps(0, 0, 0);
      face::AuFeatures fs{};
      int m = 0;
      for (size_t i = 0; i < n; ++i) {
        const double t = curves->Num(truth_rows[i], c_time);
        if (t < t0 || t > t1 || curves->Num(truth_rows[i], c_truth[static_cast<size_t>(first)]) < 0.9 * o.intensity) continue;
        const face::AuIntensities a = model->Score(feats[i], poses[i], truth_base);
        for (size_t j = 0; j < na; ++j) {
          s0[j] += ours->Num(i, acol[j]);
          s1[j] += a.r[j];
        }
        ps += poses[i].r_rad - pose0;
        const face::AuFeatures g = truth_base.Decorrelate(feats[i], poses[i]);
        for (int j = 0; j < face::kNumAuFeatures; ++j) fs[static_cast<size_t>(j)] += g[static_cast<size_t>(j)] - truth_base.neutral[static_cast<size_t>(j)];
        ++m;
      }
      if (m == 0) return InvalidInput(id + ": no apex frames for " + conds[k].name);
      const double nf = static_cast<double>(faces.size());
      for (size_t j = 0; j < na; ++j) {
        const double v0 = s0[j] / m, v1 = s1[j] / m;
        res.mean[k][j] += v0 / nf;
        res.mean_true_neutral[k][j] += v1 / nf;
        res.worst[k][j] = std::max(res.worst[k][j], v0);
        res.worst_true_neutral[k][j] = std::max(res.worst_true_neutral[k][j], v1);
      }
      for (int j = 0; j < face::kNumAuFeatures; ++j)
        res.seen[k][static_cast<size_t>(j)] += fs[static_cast<size_t>(j)] / static_cast<float>(m) / static_cast<float>(nf);
      for (int a = 0; a < 3; ++a)
        res.pose_shift_deg[k][static_cast<size_t>(a)] =
            std::max(res.pose_shift_deg[k][static_cast<size_t>(a)], std::abs(ps[a] / m) * 180 / M_PI);
    }
  }
  return res;
}

}  // namespace mimicry::pipeline
