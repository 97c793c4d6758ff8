// VideoWriter: BGR frames with explicit timestamps -> a video file (MPEG-4 Part 2 in
// the container the file name implies: .mp4, .avi, .mkv). Timestamps are kept as given
// (to 1/30000 s), so 29.97 fps and variable frame rates come out exactly; the nominal
// rate is only a hint to players. The encoder (FFmpeg's native mpeg4) is LGPL.
#pragma once

#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "mimicry/core/status.h"
#include "mimicry/core/timestamp.h"

namespace mimicry::io {

struct VideoWriterOptions {
  std::string path;          // output file; its extension picks the container
  int width = 0, height = 0; // frame size (even numbers)
  int fps_num = 30, fps_den = 1;  // nominal rate, e.g. 30000/1001
  int quality = 3;           // MPEG-4 quantiser 2 (best) .. 31 (worst)
};

class VideoWriter {
 public:
  // Errors: InvalidArgument (odd or zero size, bad rate or quality), OutputError (the file
  // cannot be created).
  static Result<std::unique_ptr<VideoWriter>> Open(const VideoWriterOptions& options);
  ~VideoWriter();
  // Frames must come in increasing time, at least 1/30000 s apart, with the opened size.
  Status Write(const cv::Mat& bgr, Timestamp pts);
  // Flushes and finishes the file. Called by the destructor if not called.
  Status Close();

 private:
  struct Impl;
  explicit VideoWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mimicry::io
