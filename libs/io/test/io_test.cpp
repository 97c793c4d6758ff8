#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "mimicry/io/frame_source.h"
#include "mimicry/io/video_writer.h"

namespace mimicry::io {
namespace {
namespace fs = std::filesystem;

const std::string kShared = MIMICRY_SHARED_DIR;
const std::string kReal = kShared + "/media/real/2015-10-15-15-14.avi";

std::string Run(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  return out;
}

// ffprobe's presentation timestamps of every frame, in seconds.
std::vector<double> FfprobePts(const std::string& path) {
  std::vector<double> pts;
  std::istringstream in(Run("ffprobe -v error -select_streams v:0 -show_entries frame=best_effort_timestamp_time "
                            "-of csv=p=0 '" + path + "'"));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) pts.push_back(std::stod(line));
  return pts;
}

struct Read {
  std::vector<Frame> frames;
  Status status;
};

Read ReadAll(const FrameSourceOptions& o, bool keep_pixels = false) {
  Read r;
  auto src = FrameSource::Open(o);
  if (!src.ok()) {
    r.status = src.status();
    return r;
  }
  while (true) {
    Frame f;
    auto more = (*src)->Next(f);
    if (!more.ok()) {
      r.status = more.status();
      break;
    }
    if (!*more) break;
    EnsureBgr(f);
    if (!keep_pixels) {
      EXPECT_FALSE(f.bgr.empty());
      EXPECT_EQ(f.gray.size(), f.bgr.size());
      f.bgr.release();
      f.gray.release();
    }
    r.frames.push_back(f);
  }
  return r;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/mimicry_io_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (fs::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void Ffmpeg(const std::string& args) {
  ASSERT_EQ(std::system(("ffmpeg -v error -y " + args).c_str()), 0) << args;
}

TEST(FrameSource, RealVideoTimestampsAreTheContainersPts) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  auto r = ReadAll({.path = kReal});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  const auto pts = FfprobePts(kReal);
  ASSERT_EQ(r.frames.size(), 842u);
  ASSERT_EQ(pts.size(), r.frames.size());
  for (size_t i = 0; i < pts.size(); ++i) {
    EXPECT_NEAR(r.frames[i].pts.seconds(), pts[i], 1e-6) << i;
    EXPECT_EQ(r.frames[i].index, static_cast<int64_t>(i));
  }
  auto src = FrameSource::Open({.path = kReal});
  EXPECT_EQ((*src)->info().width, 640);
  EXPECT_EQ((*src)->info().height, 480);
  EXPECT_EQ((*src)->info().declared_frames, 842);
  EXPECT_EQ((*src)->info().codec, "mpeg4");
}

TEST(FrameSource, NtscAndVariableFrameRateComeOutAsTheContainerSays) {
  TempDir dir;
  // 29.97 fps H.264 with B-frames (decode order differs from presentation order).
  Ffmpeg("-f lavfi -i testsrc=size=160x120:rate=30000/1001 -t 4 -c:v libx264 -bf 2 -pix_fmt yuv420p " + dir / "ntsc.mp4");
  // Variable frame rate: 30 frames 1/30 s apart, then 20 frames 0.1 s apart.
  Ffmpeg("-f lavfi -i testsrc=size=160x120:rate=30 -frames:v 50 -vf \"setpts='if(lt(N,30),N/30,1+(N-30)/10)/TB'\" "
         "-fps_mode passthrough -c:v libx264 -pix_fmt yuv420p " + dir / "vfr.mp4");
  for (const std::string name : {"ntsc.mp4", "vfr.mp4"}) {
    auto r = ReadAll({.path = dir / name});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    const auto pts = FfprobePts(dir / name);
    ASSERT_EQ(r.frames.size(), pts.size()) << name;
    const double t0 = pts.front();
    for (size_t i = 0; i < pts.size(); ++i) EXPECT_NEAR(r.frames[i].pts.seconds(), pts[i] - t0, 2e-6) << name << " " << i;
  }
  auto ntsc = ReadAll({.path = dir / "ntsc.mp4"});
  ASSERT_GT(ntsc.frames.size(), 100u);
  // Frame 100 of 30000/1001 fps is at 3.336667 s, not 100/30 = 3.333 s.
  EXPECT_NEAR(ntsc.frames[100].pts.seconds(), 100 * 1001.0 / 30000.0, 1e-4);
  auto vfr = ReadAll({.path = dir / "vfr.mp4"});
  ASSERT_EQ(vfr.frames.size(), 50u);
  EXPECT_NEAR(vfr.frames[29].pts.seconds(), 29 / 30.0, 1e-3);
  EXPECT_NEAR(vfr.frames[30].pts.seconds(), 1.0, 1e-3);
  EXPECT_NEAR(vfr.frames[49].pts.seconds(), 2.9, 1e-3);
}

TEST(FrameSource, StartAndEndSelectByTimestamp) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent";
  auto r = ReadAll({.path = kReal, .start_s = 10.0, .end_s = 12.0});
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.frames.size(), 60u);
  EXPECT_NEAR(r.frames.front().pts.seconds(), 10.0, 1e-6);
  EXPECT_EQ(r.frames.front().index, 300);
  EXPECT_LT(r.frames.back().pts.seconds(), 12.0);
  EXPECT_FALSE(FrameSource::Open({.path = kReal, .start_s = 5, .end_s = 4}).ok());
}

TEST(FrameSource, RotationMetadataIsAppliedOrReported) {
  TempDir dir;
  Ffmpeg("-f lavfi -i testsrc=size=160x120:rate=10 -t 1 -c:v libx264 -pix_fmt yuv420p " + dir / "plain.mp4");
  Ffmpeg("-i " + dir / "plain.mp4" + " -c copy -metadata:s:v:0 rotate=90 " + dir / "rot.mp4");
  // FFmpeg's own player-style auto-rotation is the reference for the upright frame.
  Ffmpeg("-i " + dir / "rot.mp4" + " -frames:v 1 " + dir / "upright.png");
  const cv::Mat upright = cv::imread(dir / "upright.png");
  ASSERT_EQ(upright.cols, 120);
  auto src = FrameSource::Open({.path = dir / "rot.mp4"});
  ASSERT_TRUE(src.ok()) << src.status().message();
  // "rotate=90" stores a display matrix of 90 degrees counter-clockwise: shown upright
  // after a 270-degree clockwise turn.
  EXPECT_EQ((*src)->info().rotation_deg, 270);
  EXPECT_TRUE((*src)->info().rotation_applied);
  EXPECT_EQ((*src)->info().width, 120);
  EXPECT_EQ((*src)->info().height, 160);
  Frame f;
  ASSERT_TRUE(*(*src)->Next(f));
  EnsureBgr(f);
  ASSERT_EQ(f.bgr.size(), upright.size());
  EXPECT_LT(cv::norm(f.bgr, upright, cv::NORM_L1) / static_cast<double>(f.bgr.total() * 3), 4.0)
      << "our upright frame differs from FFmpeg's";
  auto raw = FrameSource::Open({.path = dir / "rot.mp4", .apply_rotation = false});
  ASSERT_TRUE(*(*raw)->Next(f));
  EnsureBgr(f);
  EXPECT_EQ(f.bgr.cols, 160);
}

TEST(FrameSource, ImageSequenceAndSingleImage) {
  const std::string seq = kShared + "/media/real/image_sequence";
  if (!fs::exists(seq)) GTEST_SKIP() << "../shared absent";
  auto r = ReadAll({.path = seq, .sequence_fps = 10});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.frames.size(), 30u);
  EXPECT_NEAR(r.frames[29].pts.seconds(), 2.9, 1e-6);
  auto one = ReadAll({.path = seq + "/001.jpg"});
  ASSERT_TRUE(one.status.ok());
  ASSERT_EQ(one.frames.size(), 1u);
  EXPECT_EQ(one.frames[0].pts.us, 0);
}

// An odd-width JPEG (yuvj420p, as photos often are): every pixel is decoded, the last column
// too (swscale's fast converter used to leave it as uninitialised memory).
TEST(FrameSource, OddWidthImagesDecodeEveryColumn) {
  // glibc fills new allocations with 0x5a from here on, so an unwritten pixel shows.
  mallopt(M_PERTURB, 0xa5);
  TempDir dir;
  Ffmpeg("-f lavfi -i \"color=c=0x5080b0:s=566x801,format=rgb24,crop=565:800:0:0\" -frames:v 1 -pix_fmt yuvj420p " + dir / "odd.jpg");
  for (int run = 0; run < 2; ++run) {
    auto src = FrameSource::Open({.path = dir / "odd.jpg"});
    ASSERT_TRUE(src.ok()) << src.status().message();
    Frame f;
    auto got = (*src)->Next(f);
    ASSERT_TRUE(got.ok() && *got);
    EnsureBgr(f);
    ASSERT_EQ(f.bgr.cols, 565);
    ASSERT_EQ(f.bgr.rows, 800);
    for (int y = 0; y < f.bgr.rows; ++y) {
      const auto first = f.bgr.at<cv::Vec3b>(y, 0), last = f.bgr.at<cv::Vec3b>(y, 564);
      for (int c = 0; c < 3; ++c) ASSERT_NEAR(last[c], first[c], 6) << "row " << y << " channel " << c;
    }
    // A flat colour: B ~ 0xb0, G ~ 0x80, R ~ 0x50.
    const auto mid = f.bgr.at<cv::Vec3b>(400, 564);
    EXPECT_NEAR(mid[0], 0xb0, 8);
    EXPECT_NEAR(mid[1], 0x80, 8);
    EXPECT_NEAR(mid[2], 0x50, 8);
  }
  mallopt(M_PERTURB, 0);
}

// --- Bad input: one clear error naming the file -------------------------------------------

void ExpectError(const Status& s, StatusCode code, const std::string& path, const std::string& words) {
  EXPECT_EQ(s.code(), code) << s.message();
  EXPECT_EQ(s.message().rfind(path, 0), 0u) << "message must start with the path: " << s.message();
  EXPECT_NE(s.message().find(words), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos) << "one line";
}

TEST(BadInput, MissingFile) {
  auto r = ReadAll({.path = "/nonexistent/clip.mp4"});
  ExpectError(r.status, StatusCode::kNotFound, "/nonexistent/clip.mp4", "no such file");
}

TEST(BadInput, ZeroByteFile) {
  TempDir dir;
  std::ofstream(dir / "empty.mp4").close();
  ExpectError(ReadAll({.path = dir / "empty.mp4"}).status, StatusCode::kInvalidInput, dir / "empty.mp4", "empty file");
}

TEST(BadInput, TextFileRenamedMp4) {
  TempDir dir;
  std::ofstream(dir / "notes.mp4") << "these are meeting notes, not a video\n";
  ExpectError(ReadAll({.path = dir / "notes.mp4"}).status, StatusCode::kInvalidInput, dir / "notes.mp4",
              "not a readable video");
}

TEST(BadInput, TruncatedVideo) {
  if (!fs::exists(kReal)) GTEST_SKIP() << "../shared absent";
  TempDir dir;
  {
    std::ifstream in(kReal, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(dir / "cut.avi", std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size() * 4 / 10));
  }
  auto r = ReadAll({.path = dir / "cut.avi"});
  ExpectError(r.status, StatusCode::kTruncated, dir / "cut.avi", "truncated");
  EXPECT_GT(r.frames.size(), 200u);  // what was there was read
  EXPECT_LT(r.frames.size(), 400u);
}

TEST(BadInput, UnreadableImageInASequence) {
  const std::string seq = kShared + "/media/real/image_sequence";
  if (!fs::exists(seq)) GTEST_SKIP() << "../shared absent";
  TempDir dir;
  fs::copy_file(seq + "/001.jpg", dir / "001.jpg");
  fs::copy_file(seq + "/002.jpg", dir / "002.jpg");
  std::ofstream(dir / "003.jpg") << "garbage";
  auto r = ReadAll({.path = dir.path()});
  ExpectError(r.status, StatusCode::kInvalidInput, dir / "003.jpg", "cannot decode image");
  EXPECT_EQ(r.frames.size(), 2u);
}

TEST(BadInput, FolderWithoutImages) {
  TempDir dir;
  std::ofstream(dir / "readme.txt") << "x";
  ExpectError(ReadAll({.path = dir.path()}).status, StatusCode::kInvalidInput, dir.path(), "no images");
}

}  // namespace
}  // namespace mimicry::io

namespace mimicry::io {
namespace {

TEST(VideoWriter, TimestampsSurviveTheRoundTrip) {
  TempDir dir;
  // 29.97 fps for 40 frames, then a variable-rate stretch (0.1 s steps).
  std::vector<Timestamp> times;
  for (int i = 0; i < 40; ++i) times.push_back(Timestamp::FromSeconds(i * 1001.0 / 30000.0));
  for (int i = 1; i <= 10; ++i) times.push_back(times[39] + Timestamp::FromSeconds(0.1 * i));
  {
    auto w = VideoWriter::Open({.path = dir / "out.mp4", .width = 160, .height = 120, .fps_num = 30000, .fps_den = 1001});
    ASSERT_TRUE(w.ok()) << w.status().message();
    for (size_t i = 0; i < times.size(); ++i) {
      cv::Mat f(120, 160, CV_8UC3, cv::Scalar(static_cast<double>(i * 5 % 255), 80, 160));
      ASSERT_TRUE((*w)->Write(f, times[i]).ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
  }
  auto r = ReadAll({.path = dir / "out.mp4"}, true);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.frames.size(), times.size());
  for (size_t i = 0; i < times.size(); ++i) {
    EXPECT_NEAR(r.frames[i].pts.seconds(), times[i].seconds(), 40e-6) << i;
    EnsureBgr(r.frames[i]);
    EXPECT_NEAR(r.frames[i].bgr.at<cv::Vec3b>(60, 80)[0], static_cast<double>(i * 5 % 255), 6) << i;
  }
}

TEST(VideoWriter, BadArgumentsAreErrors) {
  EXPECT_EQ(VideoWriter::Open({.path = "/tmp/x.mp4", .width = 161, .height = 120}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VideoWriter::Open({.path = "/nonexistent/dir/x.mp4", .width = 160, .height = 120}).status().code(),
            StatusCode::kOutputError);
  TempDir dir;
  auto w = VideoWriter::Open({.path = dir / "a.mp4", .width = 160, .height = 120});
  ASSERT_TRUE(w.ok());
  const cv::Mat f(120, 160, CV_8UC3, cv::Scalar::all(0));
  ASSERT_TRUE((*w)->Write(f, Timestamp::FromSeconds(1)).ok());
  EXPECT_FALSE((*w)->Write(f, Timestamp::FromSeconds(1)).ok());            // not increasing
  EXPECT_FALSE((*w)->Write(cv::Mat(10, 10, CV_8UC3), Timestamp::FromSeconds(2)).ok());  // wrong size
}

}  // namespace
}  // namespace mimicry::io
