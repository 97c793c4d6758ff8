// Direct libavformat/libavcodec decoding (private to libs/io). Used instead of OpenCV's
// videoio: it gives us the real PTS and rotation side data, converts straight to BGR and
// grey, and avoids loading ~240 shared libraries at start-up (0.2 s per process).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "mimicry/core/status.h"
#include "mimicry/core/timestamp.h"

namespace mimicry::io {

struct AvStreamInfo {
  int width = 0, height = 0;
  double nominal_fps = 0;
  int64_t declared_frames = 0;
  double declared_duration_s = 0;
  int rotation_deg = 0;  // clockwise rotation needed to show the frame upright
  std::string codec;
};

class AvDecoder {
 public:
  // Errors: InvalidInput with "<path>: ..." messages.
  static Result<std::unique_ptr<AvDecoder>> Open(const std::string& path);
  ~AvDecoder();
  const AvStreamInfo& info() const;
  // Decodes the next frame (presentation order). false at the end of the stream.
  // pts: best-effort presentation timestamp relative to the stream's start time.
  // Limited-range YUV 4:2:0 frames come as `yuv` (I420) and `gray` with `bgr` left empty
  // unless `want_bgr`; other formats fill `bgr` and `gray`.
  Result<bool> Next(cv::Mat& bgr, cv::Mat& gray, cv::Mat& yuv, Timestamp& pts, bool want_bgr);
  int64_t decode_errors() const;
  int64_t estimated_timestamps() const;  // frames without any container timestamp

 private:
  struct Impl;
  explicit AvDecoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mimicry::io
