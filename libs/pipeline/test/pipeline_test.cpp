#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "mimicry/schema/feature_table.h"
#include "mimicry/pipeline/extract.h"
#include "test_util.h"

namespace mimicry::pipeline {
namespace {
namespace fs = std::filesystem;
using namespace mimicry::testing;  // NOLINT


std::vector<double> FfprobePts(const std::string& path) {
  int rc = 0;
  std::istringstream in(Capture("ffprobe -v error -select_streams v:0 -show_entries frame=best_effort_timestamp_time -of csv=p=0 '" +
                                path + "'", &rc));
  std::vector<double> pts;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) pts.push_back(std::stod(line));
  return pts;
}

TEST(Extract, RealClipAllFramesWithFaceAndTruePts) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  TempDir dir;
  ExtractOptions o;
  o.input.path = kReal;
  o.output_csv = dir / "real.csv";
  auto r = RunExtract(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->frames, 842);
  EXPECT_EQ(r->faces, 1);
  const double frac = static_cast<double>(r->frames_with_face) / static_cast<double>(r->frames);
  std::printf("[ figures ] %s: %.1f%% frames with success=1, %.0f fps in-process\n", kReal.c_str(), 100 * frac, r->fps);
  EXPECT_GE(frac, 0.98);

  const Csv csv = ReadCsv(o.output_csv);
  EXPECT_EQ(csv.header[0], "frame");
  EXPECT_EQ(csv.header[2], "timestamp");
  EXPECT_EQ(csv.header[10], "pose_Rz");
  EXPECT_EQ(csv.header[11 + 135], "y_67");
  EXPECT_EQ(csv.header[11 + 136], "AU01_r");
  EXPECT_EQ(csv.header.back(), "mot_chin");
  ASSERT_EQ(csv.rows.size(), 842u);
  // Region-wise appearance change: from the first second on, a non-negative value on
  // every frame with a face.
  int with_motion = 0, after_1s = 0;
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    if (csv.Num(i, "success") != 1 || csv.Num(i, "timestamp") < 1.05) continue;
    ++after_1s;
    bool ok = true;
    for (const char* m : {"mot_brow_r", "mot_brow_l", "mot_glabella", "mot_eye_r", "mot_eye_l", "mot_nose", "mot_mouth", "mot_chin"})
      ok = ok && csv.Num(i, m) >= 0;
    with_motion += ok;
  }
  EXPECT_EQ(with_motion, after_1s);
  EXPECT_GT(after_1s, 780);
  const auto pts = FfprobePts(kReal);
  ASSERT_EQ(pts.size(), 842u);
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    EXPECT_EQ(csv.Num(i, "frame"), static_cast<double>(i + 1));
    EXPECT_NEAR(csv.Num(i, "timestamp"), pts[i], 1e-6) << i;
  }
  // Sidecar metadata.
  std::ifstream mj(dir / "real.meta.json");
  const auto j = nlohmann::json::parse(mj);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["result"]["frames"], 842);
  EXPECT_EQ(j["source"]["timestamps"], "container PTS");
  EXPECT_EQ(j["options"]["detector"], "blazeface");
  EXPECT_TRUE(j["models"]["landmarks"].get<std::string>().find("dlib") != std::string::npos);
}

// OpenFace 2.0's head pose on the same footage is the peer to agree with (not ground truth).
// The table RunExtract hands over in memory is exactly what reading its CSV gives: every
// face, time and value (NaN where the cell is empty), for the offline and the online
// neutral, motion energy, no AUs, and several faces with untrusted frames among them.
TEST(Extract, InMemoryTableIsTheCsvReadBack) {
  if (!fs::exists(kMulti)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  TempDir dir;
  struct Case {
    const char* name;
    std::string input;
    bool online, energy;
  };
  const Case cases[] = {{"offline+energy", kReal, false, true},
                        {"online", kReal, true, false},
                        {"multi", kMulti, false, true}};
  for (const auto& c : cases) {
    ExtractOptions o;
    o.input.path = c.input;
    o.input.end_s = 8;
    o.output_csv = dir / (std::string(c.name) + ".csv");
    o.baseline_mode = c.online ? ExtractOptions::Baseline::kOnline : ExtractOptions::Baseline::kOffline;
    o.motion_energy = c.energy;
    schema::FeatureTable mem;
    auto r = RunExtract(o, {}, &mem);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status().message();
    auto disk = schema::ReadFeatureCsv(o.output_csv);
    ASSERT_TRUE(disk.ok()) << disk.status().message();
    EXPECT_EQ(mem.rows, disk->rows) << c.name;
    EXPECT_EQ(mem.format, disk->format) << c.name;
    ASSERT_EQ(mem.faces.size(), disk->faces.size()) << c.name;
    size_t values = 0, finite = 0;
    for (const auto& [id, s] : disk->faces) {
      ASSERT_TRUE(mem.faces.count(id)) << c.name << " face " << id;
      const TimeSeries& m = mem.faces.at(id);
      ASSERT_EQ(m.size(), s.size()) << c.name << " face " << id;
      ASSERT_EQ(m.num_channels(), s.num_channels());
      for (size_t i = 0; i < s.size(); ++i) {
        ASSERT_EQ(m.time(i).us, s.time(i).us) << c.name << " face " << id << " row " << i;
        for (size_t k = 0; k < s.num_channels(); ++k) {
          const double a = m.value(i, k), b = s.value(i, k);
          ++values;
          finite += std::isfinite(b);
          if (std::isnan(b)) EXPECT_TRUE(std::isnan(a)) << c.name << " " << s.header().channels[k] << " row " << i;
          else ASSERT_EQ(a, b) << c.name << " " << s.header().channels[k] << " row " << i;
        }
      }
    }
    EXPECT_GT(finite, values / 2) << c.name << ": the comparison is not of empty cells only";
  }
  // Without action units there is no feature table (its reader needs the AU columns).
  ExtractOptions o;
  o.input.path = kReal;
  o.output_csv = dir / "no-aus.csv";
  o.action_units = false;
  schema::FeatureTable mem;
  const auto r = RunExtract(o, {}, &mem);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(Extract, HeadPoseAndLandmarksAgreeWithOpenFace) {
  const std::string of_path = kShared + "/media/openface/2015-10-15-15-14.csv";
  if (!fs::exists(kReal) || !fs::exists(of_path)) GTEST_SKIP() << "../shared absent";
  TempDir dir;
  ExtractOptions o;
  o.input.path = kReal;
  o.output_csv = dir / "real.csv";
  ASSERT_TRUE(RunExtract(o).ok());
  const Csv ours = ReadCsv(o.output_csv);
  Csv of = ReadCsv(of_path);
  for (auto& h : of.header) h.erase(0, h.find_first_not_of(' '));
  ASSERT_EQ(ours.rows.size(), of.rows.size());
  double nme = 0;
  for (size_t i = 0; i < ours.rows.size(); ++i) {
    const double iod = std::hypot(of.Num(i, "x_36") - of.Num(i, "x_45"), of.Num(i, "y_36") - of.Num(i, "y_45"));
    double e = 0;
    for (int k = 0; k < 68; ++k)
      e += std::hypot(ours.Num(i, "x_" + std::to_string(k)) - of.Num(i, "x_" + std::to_string(k)),
                      ours.Num(i, "y_" + std::to_string(k)) - of.Num(i, "y_" + std::to_string(k)));
    nme += e / 68 / iod;
  }
  nme /= static_cast<double>(ours.rows.size());
  std::map<std::string, double> r;
  for (const std::string c : {"pose_Rx", "pose_Ry", "pose_Rz", "pose_Tx", "pose_Ty", "pose_Tz"}) {
    std::vector<double> a, b;
    for (size_t i = 0; i < ours.rows.size(); ++i) {
      a.push_back(ours.Num(i, c));
      b.push_back(of.Num(i, c));
    }
    r[c] = Pearson(a, b);
  }
  std::printf("[ figures ] vs OpenFace: landmark NME %.4f; r(Rx) %.3f r(Ry) %.3f r(Rz) %.3f r(Tx) %.3f r(Ty) %.3f r(Tz) %.3f\n",
              nme, r["pose_Rx"], r["pose_Ry"], r["pose_Rz"], r["pose_Tx"], r["pose_Ty"], r["pose_Tz"]);
  // Measured: NME 0.022, r = 0.97 0.995 0.71 0.997 0.999 0.83.
  EXPECT_LT(nme, 0.035);
  EXPECT_GT(r["pose_Rx"], 0.9);
  EXPECT_GT(r["pose_Ry"], 0.95);
  EXPECT_GT(r["pose_Rz"], 0.6);
  EXPECT_GT(r["pose_Tx"], 0.95);
  EXPECT_GT(r["pose_Tz"], 0.7);
}

// Three people: the seated man in front, two standing behind who walk, lean and pass
// behind him. Each keeps one face_id for the whole clip.
TEST(Extract, MultiFaceIdsStayStable) {
  if (!fs::exists(kMulti)) GTEST_SKIP() << "../shared absent";
  TempDir dir;
  ExtractOptions o;
  o.input.path = kMulti;
  o.output_csv = dir / "multi.csv";
  o.detector = face::DetectorKind::kBlazeFaceBack;  // faces 45-65 px wide
  auto r = RunExtract(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Csv csv = ReadCsv(o.output_csv);
  std::map<int, int> frames_ok;
  std::map<int, std::pair<double, double>> first_pos, last_pos;
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    const int id = static_cast<int>(csv.Num(i, "face_id"));
    if (id < 0 || csv.Num(i, "success") != 1) continue;
    ++frames_ok[id];
    const std::pair<double, double> p{csv.Num(i, "x_30"), csv.Num(i, "y_30")};
    if (!first_pos.count(id)) first_pos[id] = p;
    last_pos[id] = p;
  }
  std::printf("[ figures ] multi_face.avi: %zu ids;", frames_ok.size());
  for (auto& [id, n] : frames_ok) std::printf(" id %d: %d frames", id, n);
  std::printf("\n");
  // Every ID other than the three people is at most a short-lived stray.
  int people = 0;
  for (auto& [id, n] : frames_ok) people += n >= 0.95 * 702 ? 1 : 0;
  EXPECT_EQ(people, 3);
  EXPECT_LE(frames_ok.size(), 4u);
  // At the start: the left standing man (x < 260, y < 160), the seated man (the largest,
  // low in the frame), the right standing man (x > 450). At the end they are in the same
  // regions, under the same IDs.
  auto role = [](std::pair<double, double> p) { return p.first < 260 && p.second < 180 ? 0 : p.first > 440 ? 2 : 1; };
  std::set<int> roles;
  for (auto& [id, n] : frames_ok) {
    if (n < 0.95 * 702) continue;
    EXPECT_EQ(role(first_pos[id]), role(last_pos[id])) << "face " << id << " changed person";
    roles.insert(role(first_pos[id]));
  }
  EXPECT_EQ(roles.size(), 3u);
  // Mid-clip checkpoints, read off the frames by eye (nose tip, +-45 px): at frame 450 the
  // left man is a blur at the far left and the right man stands behind the seated man's
  // left shoulder; at 530 the left man crouches and the right man leans in beside the
  // seated man. The IDs must follow them there.
  std::map<int, int> id_of_role;
  for (auto& [id, n] : frames_ok)
    if (n >= 0.95 * 702) id_of_role[role(first_pos[id])] = id;
  const std::map<int, std::vector<std::tuple<int, double, double>>> checkpoints = {
      {450, {{0, 95, 175}, {2, 335, 100}, {1, 380, 228}}},
      {530, {{0, 185, 242}, {2, 285, 226}, {1, 380, 225}}}};
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    const int frame = static_cast<int>(csv.Num(i, "frame"));
    if (!checkpoints.count(frame)) continue;
    for (const auto& [r, x, y] : checkpoints.at(frame))
      if (static_cast<int>(csv.Num(i, "face_id")) == id_of_role[r]) {
        EXPECT_NEAR(csv.Num(i, "x_30"), x, 45) << "frame " << frame << " role " << r;
        EXPECT_NEAR(csv.Num(i, "y_30"), y, 45) << "frame " << frame << " role " << r;
      }
  }
}

TEST(Extract, MaxFacesKeepsTheStrongest) {
  if (!fs::exists(kMulti)) GTEST_SKIP() << "../shared absent";
  TempDir dir;
  ExtractOptions o;
  o.input.path = kMulti;
  o.input.end_s = 5;
  o.output_csv = dir / "one.csv";
  o.detector = face::DetectorKind::kBlazeFaceBack;
  o.tracker.max_faces = 1;
  auto r = RunExtract(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Csv csv = ReadCsv(o.output_csv);
  std::set<int> ids;
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    ids.insert(static_cast<int>(csv.Num(i, "face_id")));
    // Only the seated man, in the middle of the frame, is tracked.
    if (csv.Num(i, "success") == 1) {
      EXPECT_NEAR(csv.Num(i, "x_30"), 370, 90);
    }
  }
  EXPECT_EQ(ids, std::set<int>{0});
  EXPECT_EQ(csv.rows.size(), static_cast<size_t>(r->frames));  // one row per frame
}

TEST(Extract, VideoWithoutAFaceWritesSuccessZeroRows) {
  TempDir dir;
  ASSERT_EQ(std::system(("ffmpeg -v error -y -f lavfi -i testsrc=size=320x240:rate=25 -t 1 -pix_fmt yuv420p " + dir / "noface.mp4").c_str()), 0);
  ExtractOptions o;
  o.input.path = dir / "noface.mp4";
  o.output_csv = dir / "noface.csv";
  auto r = RunExtract(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->frames, 25);
  EXPECT_EQ(r->frames_with_face, 0);
  const Csv csv = ReadCsv(o.output_csv);
  ASSERT_EQ(csv.rows.size(), 25u);
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    EXPECT_EQ(csv.Num(i, "face_id"), -1);
    EXPECT_EQ(csv.Num(i, "success"), 0);
    EXPECT_EQ(csv.rows[i].size(), csv.header.size());
    EXPECT_EQ(csv.rows[i][static_cast<size_t>(csv.Col("x_0"))], "");  // not a made-up 0
    EXPECT_NEAR(csv.Num(i, "timestamp"), i / 25.0, 1e-6);
  }
}

TEST(Extract, UnwritableOutputIsAnOutputError) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent";
  // The output's folder is created when missing; under a regular file it cannot be.
  TempDir dir;
  std::ofstream(dir / "file") << "x";
  ExtractOptions o;
  o.input.path = kReal;
  o.output_csv = dir / "file/sub/out.csv";
  auto r = RunExtract(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutputError);
  EXPECT_NE(r.status().message().find(dir / "file/sub/out.csv" + ": cannot create its folder"), std::string::npos)
      << r.status().message();
}

// --- The command line: one-line errors naming the file, documented exit codes ---------------

struct Cli {
  int code;
  std::string err;
};

Cli RunCli(const std::string& args) {
  int rc = 0;
  const std::string err = Capture(kBin + " " + args + " 2>&1 >/dev/null", &rc);
  return {rc, err};
}

void ExpectOneLineError(const Cli& c, int code, const std::string& path, const std::string& words) {
  EXPECT_EQ(c.code, code) << c.err;
  EXPECT_EQ(std::count(c.err.begin(), c.err.end(), '\n'), 1) << c.err;
  EXPECT_EQ(c.err.rfind("mimicry: error: " + path, 0), 0u) << c.err;
  EXPECT_NE(c.err.find(words), std::string::npos) << c.err;
}

TEST(Cli, BadInputsGiveOneLineErrorsAndExitCodes) {
  ASSERT_TRUE(fs::exists(kBin)) << kBin;
  TempDir dir;
  ExpectOneLineError(RunCli("extract /nonexistent/a.mp4 -o " + dir / "a.csv"), 3, "/nonexistent/a.mp4", "no such file");
  std::ofstream(dir / "zero.mp4").close();
  ExpectOneLineError(RunCli("extract " + dir / "zero.mp4" + " -o " + dir / "z.csv"), 3, dir / "zero.mp4", "empty file");
  std::ofstream(dir / "text.mp4") << "not a video\n";
  ExpectOneLineError(RunCli("extract " + dir / "text.mp4" + " -o " + dir / "t.csv"), 3, dir / "text.mp4",
                     "not a readable video");
  ExpectOneLineError(RunCli("extract " + kReal + " -o " + dir / "m.csv --models-dir /nonexistent/models"), 4,
                     "/nonexistent/models", "setup.sh");
  if (fs::exists(kReal)) {
    std::ifstream in(kReal, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(dir / "cut.avi", std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size() / 3));
    ExpectOneLineError(RunCli("extract " + dir / "cut.avi" + " -o " + dir / "c.csv -q"), 3, dir / "cut.avi", "truncated");
  }
  // Usage errors.
  EXPECT_EQ(RunCli("extract").code, 2);
  EXPECT_EQ(RunCli("extract x.mp4 -o y.csv --detector yolo").code, 2);
  EXPECT_EQ(RunCli("frobnicate").code, 2);
}

TEST(Cli, NoFaceIsAWarningWithExitCode6AndACsv) {
  TempDir dir;
  ASSERT_EQ(std::system(("ffmpeg -v error -y -f lavfi -i testsrc=size=320x240:rate=25 -t 1 -pix_fmt yuv420p " + dir / "noface.mp4").c_str()), 0);
  const Cli c = RunCli("extract " + dir / "noface.mp4" + " -o " + dir / "n.csv");
  EXPECT_EQ(c.code, 6);
  EXPECT_EQ(c.err.rfind("mimicry: warning: " + dir / "noface.mp4" + ": no face found", 0), 0u) << c.err;
  EXPECT_TRUE(fs::exists(dir / "n.csv"));
  EXPECT_TRUE(fs::exists(dir / "n.meta.json"));
}

// extract -o into a folder that does not exist yet creates it; the table appears only when
// complete (no .part left); --start past the end is a clear error, not "no face in 0 frames".
TEST(Cli, ExtractCreatesItsFolderAndRejectsAStartPastTheEnd) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent";
  TempDir dir;
  const Cli c = RunCli("extract " + kReal + " -o " + dir / "new/sub/x.csv --quiet --end 1");
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(fs::exists(dir / "new/sub/x.csv"));
  EXPECT_TRUE(fs::exists(dir / "new/sub/x.meta.json"));
  EXPECT_FALSE(fs::exists(dir / "new/sub/x.csv.part"));
  const Cli s = RunCli("extract " + kReal + " -o " + dir / "s.csv --quiet --start 50");
  EXPECT_EQ(s.code, 2);
  EXPECT_EQ(s.err, "mimicry: error: " + kReal + ": --start 50 s is past the end of the video (28.1 s)\n");
  EXPECT_FALSE(fs::exists(dir / "s.csv"));
}

TEST(Cli, QuietAndNonTtyPrintNoProgress) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent";
  TempDir dir;
  const Cli c = RunCli("extract " + kReal + " -o " + dir / "q.csv --quiet --end 2");
  EXPECT_EQ(c.code, 0);
  EXPECT_EQ(c.err, "");
  // analyze: stderr is not a terminal here, so no progress (its summary goes to stdout).
  std::filesystem::copy_file(kReal, dir / "b.avi");
  const Cli b = RunCli("analyze " + kReal + " " + dir / "b.avi" + " -o " + dir / "an --surrogates 99");
  EXPECT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(b.err, "");
  // On a terminal (script(1) gives it one) the stages show with a percentage.
  int rc = 0;
  const std::string tty = Capture("script -qfc \"" + kBin + " analyze " + kReal + " " + dir / "b.avi" + " -o " +
                                      dir / "an2 --surrogates 99\" /dev/null", &rc);
  EXPECT_NE(tty.find("extracting b.avi"), std::string::npos) << tty.substr(0, 300);
  EXPECT_NE(tty.find("%"), std::string::npos);
}

}  // namespace
}  // namespace mimicry::pipeline
