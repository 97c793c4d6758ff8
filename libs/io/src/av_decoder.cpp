#include "av_decoder.h"
#include "av_util.h"

#include <cmath>
#include <cstring>

#include <opencv2/imgproc.hpp>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

namespace mimicry::io {

struct AvDecoder::Impl {
  std::string path;
  AVFormatContext* fmt = nullptr;
  AVCodecContext* dec = nullptr;
  AVPacket* pkt = nullptr;
  AVFrame* frame = nullptr;
  SwsContext* sws_bgr = nullptr;
  SwsContext* sws_gray = nullptr;
  int stream = -1;
  AVRational tb{1, 1};
  int64_t start = 0;
  bool flushing = false;
  bool done = false;
  int64_t errors = 0;
  int64_t estimated = 0;
  int64_t last_us = INT64_MIN;
  int64_t frame_us = 33333;  // nominal frame duration, only for frames without any timestamp
  AvStreamInfo info;

  ~Impl() {
    sws_freeContext(sws_bgr);
    sws_freeContext(sws_gray);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
  }

  Status Open() {
    int err = avformat_open_input(&fmt, path.c_str(), nullptr, nullptr);
    if (err < 0) return InvalidInput(path + ": not a readable video or image (FFmpeg: " + AvError(err) + ")");
    err = avformat_find_stream_info(fmt, nullptr);
    if (err < 0) return InvalidInput(path + ": cannot read stream info (FFmpeg: " + AvError(err) + ")");
    const AVCodec* codec = nullptr;
    stream = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (stream < 0 || codec == nullptr) return InvalidInput(path + ": no decodable video stream");
    AVStream* st = fmt->streams[stream];
    dec = avcodec_alloc_context3(codec);
    if (dec == nullptr) return Internal("out of memory");
    avcodec_parameters_to_context(dec, st->codecpar);
    dec->thread_count = 0;
    err = avcodec_open2(dec, codec, nullptr);
    if (err < 0) return InvalidInput(path + ": cannot open the " + codec->name + " decoder (FFmpeg: " + AvError(err) + ")");
    if (st->codecpar->width <= 0 || st->codecpar->height <= 0) return InvalidInput(path + ": video stream has no frame size");
    pkt = av_packet_alloc();
    frame = av_frame_alloc();
    tb = st->time_base;
    start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    info.width = st->codecpar->width;
    info.height = st->codecpar->height;
    info.codec = codec->name;
    const AVRational fr = av_guess_frame_rate(fmt, st, nullptr);
    info.nominal_fps = (fr.num > 0 && fr.den > 0) ? av_q2d(fr) : 0;
    if (info.nominal_fps > 0) frame_us = std::llround(1e6 / info.nominal_fps);
    info.declared_frames = st->nb_frames > 0 ? st->nb_frames : 0;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
      info.declared_duration_s = static_cast<double>(st->duration) * av_q2d(tb);
    else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
      info.declared_duration_s = static_cast<double>(fmt->duration) / AV_TIME_BASE;
    if (const uint8_t* m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, nullptr)) {
      // av_display_rotation_get: counter-clockwise degrees; we store the clockwise turn.
      const double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(m));
      if (std::isfinite(ccw)) info.rotation_deg = ((static_cast<int>(std::lround(-ccw / 90.0)) * 90) % 360 + 360) % 360;
    }
    return Status::Ok();
  }

  // Feeds packets until the decoder yields a frame. false at the end.
  Result<bool> Receive() {
    while (true) {
      int err = avcodec_receive_frame(dec, frame);
      if (err == 0) return true;
      if (err == AVERROR_EOF) return false;
      if (err != AVERROR(EAGAIN)) return InvalidInput(path + ": decoding failed (FFmpeg: " + AvError(err) + ")");
      if (flushing) return false;
      err = av_read_frame(fmt, pkt);
      if (err < 0) {
        // End of file (or a read error on a cut file): drain the decoder.
        flushing = true;
        avcodec_send_packet(dec, nullptr);
        continue;
      }
      if (pkt->stream_index == stream) {
        if (avcodec_send_packet(dec, pkt) < 0) ++errors;
      }
      av_packet_unref(pkt);
    }
  }

  Result<bool> Next(cv::Mat& bgr, cv::Mat& gray, cv::Mat& yuv, Timestamp& t, bool want_bgr) {
    if (done) return false;
    auto r = Receive();
    if (!r.ok()) return r.status();
    if (!*r) {
      done = true;
      return false;
    }
    int64_t ts = frame->best_effort_timestamp;
    int64_t us;
    if (ts == AV_NOPTS_VALUE) {
      ++estimated;
      us = last_us == INT64_MIN ? 0 : last_us + frame_us;
    } else {
      us = av_rescale_q(ts - start, tb, AVRational{1, 1000000});
    }
    last_us = us;
    t = Timestamp::FromMicros(us);
    const int w = frame->width, h = frame->height;
    const auto src_fmt = static_cast<AVPixelFormat>(frame->format);
    if (src_fmt == AV_PIX_FMT_YUV420P && (frame->color_range != AVCOL_RANGE_JPEG) && w % 2 == 0 && h % 2 == 0) {
      // The common case (limited-range 4:2:0): keep the planes; grey is the Y plane
      // itself, and BGR (OpenCV's SIMD conversion, ~5x faster than swscale's generic
      // path here) is made only when asked for.
      yuv.create(h * 3 / 2, w, CV_8UC1);
      for (int y = 0; y < h; ++y) std::memcpy(yuv.ptr(y), frame->data[0] + y * frame->linesize[0], w);
      for (int y = 0; y < h / 2; ++y) {
        std::memcpy(yuv.ptr(h) + y * (w / 2), frame->data[1] + y * frame->linesize[1], w / 2);
        std::memcpy(yuv.ptr(h) + (h / 2) * (w / 2) + y * (w / 2), frame->data[2] + y * frame->linesize[2], w / 2);
      }
      gray = yuv.rowRange(0, h);
      if (want_bgr) cv::cvtColor(yuv, bgr, cv::COLOR_YUV2BGR_I420);
      else bgr.release();
      av_frame_unref(frame);
      return true;
    }
    yuv.release();
    bgr.create(h, w, CV_8UC3);
    gray.create(h, w, CV_8UC1);
    // swscale's fast YUV -> BGR converters work on pixel pairs and leave the last column of
    // an odd-width frame unwritten (uninitialised memory, different on every run: seen on
    // a 565-pixel-wide JPEG). Its full-chroma path writes every pixel.
    const int bgr_flags = SWS_BILINEAR | (w % 2 != 0 ? SWS_FULL_CHR_H_INT | SWS_ACCURATE_RND : 0);
    sws_bgr = sws_getCachedContext(sws_bgr, w, h, src_fmt, w, h, AV_PIX_FMT_BGR24, bgr_flags, nullptr, nullptr, nullptr);
    sws_gray = sws_getCachedContext(sws_gray, w, h, src_fmt, w, h, AV_PIX_FMT_GRAY8, SWS_BILINEAR, nullptr, nullptr, nullptr);
    if (sws_bgr == nullptr || sws_gray == nullptr) return InvalidInput(path + ": unsupported pixel format");
    uint8_t* dst_bgr[] = {bgr.data, nullptr, nullptr, nullptr};
    int stride_bgr[] = {static_cast<int>(bgr.step), 0, 0, 0};
    sws_scale(sws_bgr, frame->data, frame->linesize, 0, h, dst_bgr, stride_bgr);
    uint8_t* dst_gray[] = {gray.data, nullptr, nullptr, nullptr};
    int stride_gray[] = {static_cast<int>(gray.step), 0, 0, 0};
    sws_scale(sws_gray, frame->data, frame->linesize, 0, h, dst_gray, stride_gray);
    av_frame_unref(frame);
    return true;
  }
};

Result<std::unique_ptr<AvDecoder>> AvDecoder::Open(const std::string& path) {
  av_log_set_level(AV_LOG_QUIET);  // our errors name the file and the problem
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  MIMICRY_RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<AvDecoder>(new AvDecoder(std::move(impl)));
}

AvDecoder::AvDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AvDecoder::~AvDecoder() = default;
const AvStreamInfo& AvDecoder::info() const { return impl_->info; }
Result<bool> AvDecoder::Next(cv::Mat& bgr, cv::Mat& gray, cv::Mat& yuv, Timestamp& pts, bool want_bgr) {
  return impl_->Next(bgr, gray, yuv, pts, want_bgr);
}
int64_t AvDecoder::decode_errors() const { return impl_->errors; }
int64_t AvDecoder::estimated_timestamps() const { return impl_->estimated; }

}  // namespace mimicry::io
