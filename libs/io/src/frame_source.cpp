#include "mimicry/io/frame_source.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <system_error>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "av_decoder.h"

namespace mimicry::io {
namespace fs = std::filesystem;

const char* SourceKindName(SourceKind k) {
  switch (k) {
    case SourceKind::kVideo: return "video";
    case SourceKind::kImageSequence: return "image_sequence";
    case SourceKind::kImage: return "image";
  }
  return "unknown";
}

namespace {

bool IsImagePath(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const char* kExts[] = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"};
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* e) { return ext == e; });
}

// "img2.png" < "img10.png": digit runs compare by value.
bool NaturalLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      std::string na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

bool InWindow(const FrameSourceOptions& o, Timestamp t, bool* past_end) {
  *past_end = o.end_s > 0 && t.seconds() >= o.end_s;
  return !*past_end && t.seconds() >= o.start_s;
}

void Rotate(cv::Mat& m, int deg) {
  if (deg == 90) cv::rotate(m, m, cv::ROTATE_90_CLOCKWISE);
  else if (deg == 180) cv::rotate(m, m, cv::ROTATE_180);
  else if (deg == 270) cv::rotate(m, m, cv::ROTATE_90_COUNTERCLOCKWISE);
}

class VideoSource final : public FrameSource {
 public:
  VideoSource(FrameSourceOptions o, std::unique_ptr<AvDecoder> dec, SourceInfo info)
      : opt_(std::move(o)), dec_(std::move(dec)), info_(std::move(info)) {}
  const SourceInfo& info() const override { return info_; }

  Result<bool> Next(Frame& frame) override {
    while (true) {
      if (done_) return false;
      Timestamp t;
      // Rotated frames are turned in BGR (rotating I420 planes is not worth the code).
      auto r = dec_->Next(frame.bgr, frame.gray, frame.yuv420, t, info_.rotation_applied);
      info_.decode_errors = dec_->decode_errors();
      if (!r.ok()) {
        done_ = true;
        return r.status();
      }
      if (!*r) return Finish();
      const int64_t index = next_index_++;
      ++decoded_;
      // A frame with a repeated or backwards timestamp (broken muxing) keeps its place,
      // 1 us after the previous one, so that time stays strictly increasing.
      last_pts_ = (have_last_ && t <= last_pts_) ? last_pts_ + Timestamp::FromMicros(1) : t;
      have_last_ = true;
      bool past_end = false;
      if (!InWindow(opt_, last_pts_, &past_end)) {
        if (past_end) {
          done_ = true;
          stopped_by_end_ = true;
          return false;
        }
        continue;
      }
      if (info_.rotation_applied) {
        Rotate(frame.bgr, info_.rotation_deg);
        Rotate(frame.gray, info_.rotation_deg);
        frame.yuv420.release();
      }
      frame.pts = last_pts_;
      frame.index = index;
      return true;
    }
  }

 private:
  Result<bool> Finish() {
    done_ = true;
    if (decoded_ == 0)
      return Status(StatusCode::kInvalidInput, info_.path + ": no decodable video frames");
    // A stream that stops well short of the frame count or duration its container
    // declares is truncated (a cut download, an interrupted recording). 2% slack for
    // containers whose counts are estimates.
    if (stopped_by_end_) return false;
    const bool short_count = info_.declared_frames > 0 &&
                             decoded_ < static_cast<int64_t>(0.98 * static_cast<double>(info_.declared_frames)) - 1;
    const double frame_s = info_.nominal_fps > 0 ? 1.0 / info_.nominal_fps : 0.04;
    const bool short_time = info_.declared_frames == 0 && info_.declared_duration_s > 0 &&
                            last_pts_.seconds() + frame_s < 0.98 * info_.declared_duration_s - frame_s;
    if (short_count || short_time) {
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    ": truncated video: decoded %lld of %lld declared frames (stream ends at %.2f s of %.2f s)",
                    static_cast<long long>(decoded_), static_cast<long long>(info_.declared_frames),
                    last_pts_.seconds(), info_.declared_duration_s);
      return Status(StatusCode::kTruncated, info_.path + buf);
    }
    return false;
  }

  FrameSourceOptions opt_;
  std::unique_ptr<AvDecoder> dec_;
  SourceInfo info_;
  int64_t next_index_ = 0;
  int64_t decoded_ = 0;
  Timestamp last_pts_;
  bool have_last_ = false;
  bool done_ = false;
  bool stopped_by_end_ = false;
};

// Decodes one image file (through FFmpeg's image demuxers) into BGR and grey.
Status DecodeImage(const fs::path& p, cv::Mat& bgr, cv::Mat& gray) {
  std::error_code ec;
  if (fs::file_size(p, ec) == 0 || ec) return InvalidInput(p.string() + ": empty or unreadable image file");
  auto dec = AvDecoder::Open(p.string());
  if (!dec.ok()) return InvalidInput(p.string() + ": cannot decode image");
  Timestamp t;
  cv::Mat yuv;
  auto r = (*dec)->Next(bgr, gray, yuv, t, true);
  if (!r.ok() || !*r) return InvalidInput(p.string() + ": cannot decode image");
  return Status::Ok();
}

class ImageListSource final : public FrameSource {
 public:
  ImageListSource(FrameSourceOptions o, std::vector<fs::path> files, SourceInfo info, cv::Mat first,
                  cv::Mat first_gray)
      : opt_(std::move(o)), files_(std::move(files)), info_(std::move(info)), first_(std::move(first)),
        first_gray_(std::move(first_gray)) {}
  const SourceInfo& info() const override { return info_; }

  Result<bool> Next(Frame& frame) override {
    while (next_ < files_.size()) {
      const size_t i = next_++;
      const Timestamp t = info_.kind == SourceKind::kImage
                              ? Timestamp{}
                              : Timestamp::FromSeconds(static_cast<double>(i) / opt_.sequence_fps);
      bool past_end = false;
      if (!InWindow(opt_, t, &past_end)) {
        if (past_end) return false;
        continue;
      }
      cv::Mat img, gray;
      if (i == 0 && !first_.empty()) {
        img = first_;
        gray = first_gray_;
      } else if (!DecodeImage(files_[i], img, gray).ok()) {
        return Status(StatusCode::kInvalidInput, files_[i].string() + ": cannot decode image (frame " +
                                                     std::to_string(i) + " of the sequence " + info_.path + ")");
      }
      first_.release();
      first_gray_.release();
      if (img.cols != info_.width || img.rows != info_.height)
        return Status(StatusCode::kInvalidInput,
                      files_[i].string() + ": image is " + std::to_string(img.cols) + "x" +
                          std::to_string(img.rows) + ", the sequence is " + std::to_string(info_.width) + "x" +
                          std::to_string(info_.height));
      frame.bgr = img;
      frame.gray = gray;
      frame.yuv420.release();
      frame.pts = t;
      frame.index = static_cast<int64_t>(i);
      return true;
    }
    return false;
  }

 private:
  FrameSourceOptions opt_;
  std::vector<fs::path> files_;
  SourceInfo info_;
  cv::Mat first_, first_gray_;
  size_t next_ = 0;
};

Result<std::unique_ptr<FrameSource>> OpenImages(const FrameSourceOptions& o, std::vector<fs::path> files,
                                                SourceKind kind) {
  cv::Mat first, first_gray;
  MIMICRY_RETURN_IF_ERROR(DecodeImage(files[0], first, first_gray));
  SourceInfo info;
  info.path = o.path;
  info.kind = kind;
  info.width = first.cols;
  info.height = first.rows;
  info.nominal_fps = kind == SourceKind::kImage ? 0.0 : o.sequence_fps;
  info.declared_frames = static_cast<int64_t>(files.size());
  info.declared_duration_s = kind == SourceKind::kImage ? 0.0 : static_cast<double>(files.size()) / o.sequence_fps;
  info.codec = files[0].extension().string();
  return std::unique_ptr<FrameSource>(
      new ImageListSource(o, std::move(files), std::move(info), std::move(first), std::move(first_gray)));
}

}  // namespace

void EnsureBgr(Frame& frame) {
  if (frame.bgr.empty() && !frame.yuv420.empty()) cv::cvtColor(frame.yuv420, frame.bgr, cv::COLOR_YUV2BGR_I420);
}

Result<std::unique_ptr<FrameSource>> FrameSource::Open(const FrameSourceOptions& o) {
  if (o.path.empty()) return InvalidArgument("input: no path given");
  if (o.start_s < 0) return InvalidArgument(o.path + ": --start must be >= 0");
  if (o.end_s > 0 && o.end_s <= o.start_s) return InvalidArgument(o.path + ": --end must be after --start");
  if (!(o.sequence_fps > 0)) return InvalidArgument(o.path + ": image-sequence fps must be > 0");
  std::error_code ec;
  const fs::path p(o.path);
  const auto st = fs::status(p, ec);
  if (ec || !fs::exists(st)) return NotFound(o.path + ": no such file or folder");

  if (fs::is_directory(st)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(p, ec))
      if (e.is_regular_file() && IsImagePath(e.path())) files.push_back(e.path());
    if (ec) return InvalidInput(o.path + ": cannot list folder: " + ec.message());
    if (files.empty()) return InvalidInput(o.path + ": folder holds no images (.jpg .png .bmp .tif .webp ...)");
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return NaturalLess(a.filename().string(), b.filename().string()); });
    return OpenImages(o, std::move(files), SourceKind::kImageSequence);
  }

  const auto size = fs::file_size(p, ec);
  if (ec) return InvalidInput(o.path + ": cannot read file: " + ec.message());
  if (size == 0) return InvalidInput(o.path + ": empty file (0 bytes)");
  if (IsImagePath(p)) return OpenImages(o, {p}, SourceKind::kImage);

  auto dec = AvDecoder::Open(o.path);
  if (!dec.ok()) return dec.status();
  const AvStreamInfo& a = (*dec)->info();
  SourceInfo info;
  info.path = o.path;
  info.kind = SourceKind::kVideo;
  info.rotation_deg = a.rotation_deg;
  info.rotation_applied = o.apply_rotation && a.rotation_deg != 0;
  const bool swap = info.rotation_applied && (a.rotation_deg == 90 || a.rotation_deg == 270);
  info.width = swap ? a.height : a.width;
  info.height = swap ? a.width : a.height;
  info.nominal_fps = a.nominal_fps;
  info.declared_frames = a.declared_frames;
  info.declared_duration_s = a.declared_duration_s;
  info.codec = a.codec;
  return std::unique_ptr<FrameSource>(new VideoSource(o, std::move(dec).value(), std::move(info)));
}

}  // namespace mimicry::io
