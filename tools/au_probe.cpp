// au_probe OURS.csv OPENFACE.csv FACE_ID [decorrelate]
// Research probe for the action-unit issue (not part of the product): reads a `mimicry
// extract` CSV and OpenFace 2.0's CSV of the same video, computes candidate geometric
// features in the pose-free canonical frame (PoseEstimator::Canonicalize), optionally
// removes each landmark coordinate's linear dependence on sin(pitch) and sin(yaw) (a
// per-person depth correction), and prints the Pearson r of every feature with every
// OpenFace AU whose intensity varies (SD > 0.2), and with head pitch and yaw.
// Findings are in docs/au_research.md.
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "mimicry/face/landmarks.h"
#include "mimicry/face/pose.h"
using namespace mimicry::face;
struct Csv {
  std::vector<std::string> h;
  std::vector<std::vector<double>> r;
  int c(const std::string& n) const {
    for (size_t i = 0; i < h.size(); ++i)
      if (h[i] == n) return i;
    return -1;
  }
};
Csv Read(const std::string& p) {
  Csv c;
  std::ifstream in(p);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, ',')) {
      x.erase(0, x.find_first_not_of(' '));
      cells.push_back(x);
    }
    if (first) {
      c.h = cells;
      first = false;
      continue;
    }
    std::vector<double> v;
    for (auto& s : cells) v.push_back(s.empty() ? NAN : atof(s.c_str()));
    c.r.push_back(v);
  }
  return c;
}
double P(const std::vector<double>& a, const std::vector<double>& b) {
  double ma = 0, mb = 0;
  int n = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::isfinite(a[i]) && std::isfinite(b[i])) {
      ma += a[i];
      mb += b[i];
      ++n;
    }
  ma /= n;
  mb /= n;
  double s = 0, sa = 0, sb = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::isfinite(a[i]) && std::isfinite(b[i])) {
      s += (a[i] - ma) * (b[i] - mb);
      sa += (a[i] - ma) * (a[i] - ma);
      sb += (b[i] - mb) * (b[i] - mb);
    }
  return s / std::sqrt(sa * sb);
}
int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: au_probe OURS.csv OPENFACE.csv FACE_ID [decorrelate]\n");
    return 2;
  }
  auto lmr = LoadErtModel({std::string(MIMICRY_MODELS_DIR) + "/shape_predictor_68_face_landmarks.ert"});
  if (!lmr.ok()) {
    fprintf(stderr, "%s\n", lmr.status().message().c_str());
    return 4;
  }
  auto lm = *lmr;
  PoseEstimator pe(BuildGenericFace3D(lm->MeanShape()), Intrinsics::FromFrameSize(640, 480));
  Csv ours = Read(argv[1]), of = Read(argv[2]);
  int want_id = atoi(argv[3]);
  const bool decorrelate = argc > 4;
  std::map<int, size_t> ofrow;
  for (size_t i = 0; i < of.r.size(); ++i) ofrow[(int)of.r[i][of.c("frame")]] = i;
  std::map<std::string, std::vector<double>> F, A;
  const char* aus[] = {"AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12",
                       "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU45"};
  std::vector<double> pitch, yaw;
  std::vector<std::array<cv::Point2f, 68>> canon;
  std::vector<size_t> ofidx;
  for (auto& row : ours.r) {
    if ((int)row[ours.c("face_id")] != want_id) continue;
    int fr = (int)row[ours.c("frame")];
    if (!ofrow.count(fr)) continue;
    Landmarks L;
    for (int k = 0; k < 68; ++k)
      L[k] = {(float)row[ours.c("x_" + std::to_string(k))], (float)row[ours.c("y_" + std::to_string(k))]};
    HeadPose hp;
    hp.t_mm = {row[ours.c("pose_Tx")], row[ours.c("pose_Ty")], row[ours.c("pose_Tz")]};
    hp.r_rad = {row[ours.c("pose_Rx")], row[ours.c("pose_Ry")], row[ours.c("pose_Rz")]};
    canon.push_back(pe.Canonicalize(L, hp));
    ofidx.push_back(ofrow[fr]);
    pitch.push_back(hp.r_rad[0]);
    yaw.push_back(hp.r_rad[1]);
  }
  if (decorrelate) {
    // Per landmark coordinate: least squares on [1, sin(pitch), sin(yaw)], remove the pose terms
    // (a per-person depth correction: a wrong depth shows as a slope against the rotation).
    const size_t n = canon.size();
    for (int k = 0; k < 68; ++k)
      for (int axis = 0; axis < 2; ++axis) {
        cv::Matx33d AtA = cv::Matx33d::zeros();
        cv::Vec3d Atb(0, 0, 0);
        for (size_t i = 0; i < n; ++i) {
          cv::Vec3d a(1, std::sin(pitch[i]), std::sin(yaw[i]));
          double v = axis ? canon[i][k].y : canon[i][k].x;
          AtA += a * a.t();
          Atb += a * v;
        }
        cv::Vec3d w = AtA.inv() * Atb;
        for (size_t i = 0; i < n; ++i) {
          double corr = w[1] * std::sin(pitch[i]) + w[2] * std::sin(yaw[i]);
          if (axis)
            canon[i][k].y -= corr;
          else
            canon[i][k].x -= corr;
        }
      }
  }
  for (size_t i = 0; i < canon.size(); ++i) {
    const auto& c = canon[i];
    const size_t ofr = ofidx[i];
    auto mid = [&](int a, int b) { return (c[a] + c[b]) * 0.5f; };
    auto dy = [&](cv::Point2f a, cv::Point2f b) { return (double)(b.y - a.y); };
    F["mouth_width"].push_back(cv::norm(c[54] - c[48]));
    F["corner_raise"].push_back(-(dy(mid(51, 57), mid(48, 54))));
    F["lip_gap"].push_back(dy(c[62], c[66]));
    F["jaw_drop"].push_back(dy(c[27], c[8]));
    F["eye_open"].push_back((dy(c[37], c[41]) + dy(c[38], c[40]) + dy(c[43], c[47]) + dy(c[44], c[46])) / 4);
    F["inner_brow"].push_back(dy(mid(21, 22), mid(39, 42)));
    F["outer_brow"].push_back(dy(mid(17, 26), mid(36, 45)));
    F["brow_gap"].push_back(c[22].x - c[21].x);
    F["nose_upperlip"].push_back(dy(c[33], c[51]));
    F["lip_thick"].push_back(dy(c[51], c[62]) + dy(c[66], c[57]));
    F["chin_lower"].push_back(dy(c[57], c[8]));
    F["brow_nose"].push_back(dy(mid(21, 22), c[33]));
    for (auto a : aus) {
      int k = of.c(std::string(a) + "_r");
      A[a].push_back(k >= 0 ? of.r[ofr][k] : NAN);
    }
    A["pitch_OF"].push_back(of.r[ofr][of.c("pose_Rx")]);
    A["yaw_OF"].push_back(of.r[ofr][of.c("pose_Ry")]);
  }
  printf("%-14s", "feature");
  for (auto a : aus) {
    double m = 0, s = 0;
    int n = 0;
    for (double v : A[a])
      if (std::isfinite(v)) {
        m += v;
        ++n;
      }
    m /= n;
    for (double v : A[a])
      if (std::isfinite(v)) s += (v - m) * (v - m);
    s = std::sqrt(s / n);
    if (s > 0.2) printf(" %5s", a + 2);
  }
  printf(" pitch  yaw\n");
  for (auto& [name, v] : F) {
    printf("%-14s", name.c_str());
    for (auto a : aus) {
      double m = 0, s = 0;
      int n = 0;
      for (double x : A[a])
        if (std::isfinite(x)) {
          m += x;
          ++n;
        }
      m /= n;
      for (double x : A[a])
        if (std::isfinite(x)) s += (x - m) * (x - m);
      s = std::sqrt(s / n);
      if (s > 0.2) printf(" %5.2f", P(v, A[a]));
    }
    printf(" %5.2f %5.2f\n", P(v, pitch), P(v, yaw));
  }
  printf("OF AUs vs pitch: ");
  for (auto a : aus) {
    printf("%s %.2f ", a, P(A[a], A["pitch_OF"]));
  }
  printf("\n");
}
