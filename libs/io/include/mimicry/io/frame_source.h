// FrameSource: frames and their true presentation timestamps from a video file, an
// image-sequence folder or a single image, one frame at a time.
//
// Contract:
//  - Frames come in presentation order with strictly increasing `pts`. For video the
//    pts is the container's presentation timestamp of that frame (FFmpeg's
//    best-effort timestamp, read through libavformat directly), in microseconds from the stream's start; never
//    index / fps. Variable-frame-rate and 29.97 fps files come out as the container says.
//  - An image sequence has no clock: frame i of a folder gets i / sequence_fps (the only
//    place where a rate is assumed; it is recorded in the source info).
//  - Frames are streamed: the source holds one decoded frame at a time, so memory stays
//    flat however long the input is.
//  - Errors are returned, never thrown, with one-line messages that start with the path.
//  - One FrameSource per stream; it is not thread-safe. Different sources are independent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "mimicry/core/status.h"
#include "mimicry/core/timestamp.h"

namespace mimicry::io {

enum class SourceKind { kVideo, kImageSequence, kImage };
const char* SourceKindName(SourceKind k);

struct FrameSourceOptions {
  // A video file (anything FFmpeg reads), a folder of images (.jpg .jpeg .png .bmp .tif
  // .tiff .webp .pgm .ppm, taken in natural name order), or a single image.
  std::string path;
  // Only frames with start_s <= pts. Seconds on the input's own clock.
  double start_s = 0.0;
  // Only frames with pts < end_s; a value <= 0 means to the end.
  double end_s = 0.0;
  // Image sequences only: frames are placed at index / sequence_fps seconds.
  double sequence_fps = 30.0;
  // Rotate video frames upright according to the container's rotation metadata
  // (where OpenCV's FFmpeg backend exposes it).
  bool apply_rotation = true;
};

struct SourceInfo {
  std::string path;
  SourceKind kind = SourceKind::kVideo;
  int width = 0;                 // of delivered frames (after rotation)
  int height = 0;
  double nominal_fps = 0.0;      // container's declared rate; informative only
  int64_t declared_frames = 0;   // container's frame count, 0 when unknown
  double declared_duration_s = 0.0;  // declared_frames / nominal_fps when known, else 0
  int rotation_deg = 0;          // rotation metadata found (0, 90, 180, 270)
  bool rotation_applied = false; // frames were rotated upright
  std::string codec;             // FFmpeg's codec name (e.g. "mpeg4", "h264", "png")
  int64_t decode_errors = 0;     // damaged packets skipped so far (videos)
};

struct Frame {
  // 8-bit BGR. Empty when the frame came as limited-range YUV 4:2:0 (most video): then
  // call EnsureBgr() when colour is needed; the face stage needs it only on frames where
  // it runs the detector, so most frames skip the conversion.
  cv::Mat bgr;
  cv::Mat gray;         // 8-bit luma of the same frame (always set)
  cv::Mat yuv420;       // I420 planes (h*3/2 x w) when bgr is empty, else empty
  Timestamp pts;        // presentation timestamp
  int64_t index = 0;    // 0-based position in the input (counting skipped frames)
};

// Fills frame.bgr from frame.yuv420 if it is empty. Buffers are new per frame.
void EnsureBgr(Frame& frame);

class FrameSource {
 public:
  // Opens the input. Errors: NotFound (missing path), InvalidInput (empty file, not a
  // video or image FFmpeg/OpenCV can decode, folder without images), InvalidArgument
  // (bad start/end/fps).
  static Result<std::unique_ptr<FrameSource>> Open(const FrameSourceOptions& options);

  virtual ~FrameSource() = default;
  virtual const SourceInfo& info() const = 0;

  // Reads the next frame into `frame`. Returns true with a frame, false at the end.
  // Damaged packets in a video are skipped and counted (info().decode_errors).
  // Errors: InvalidInput (an image of a sequence that cannot be decoded), Truncated (a
  // video whose stream ends well before the frame count its container declares).
  virtual Result<bool> Next(Frame& frame) = 0;
};

}  // namespace mimicry::io
