#include "mimicry/io/video_writer.h"

#include "av_util.h"

#include <cstring>

#include <opencv2/imgproc.hpp>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace mimicry::io {
namespace {
constexpr AVRational kTimeBase{1, 30000};  // exact for 15, 24, 25, 30, 60 and x/1.001 rates
}  // namespace

struct VideoWriter::Impl {
  VideoWriterOptions opt;
  AVFormatContext* fmt = nullptr;
  AVCodecContext* enc = nullptr;
  AVStream* st = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* pkt = nullptr;
  int64_t last_pts = INT64_MIN;
  bool open = false;
  cv::Mat yuv;

  ~Impl() {
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&enc);
    if (fmt != nullptr) {
      if (fmt->pb != nullptr) avio_closep(&fmt->pb);
      avformat_free_context(fmt);
    }
  }

  Status Drain() {
    while (true) {
      const int r = avcodec_receive_packet(enc, pkt);
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return Status::Ok();
      if (r < 0) return OutputError(opt.path + ": encoding failed (FFmpeg: " + AvError(r) + ")");
      av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
      pkt->stream_index = st->index;
      const int w = av_interleaved_write_frame(fmt, pkt);
      if (w < 0) return OutputError(opt.path + ": write failed (FFmpeg: " + AvError(w) + ")");
    }
  }
};

Result<std::unique_ptr<VideoWriter>> VideoWriter::Open(const VideoWriterOptions& o) {
  if (o.width <= 0 || o.height <= 0 || o.width % 2 || o.height % 2)
    return InvalidArgument(o.path + ": video size must be positive and even, got " + std::to_string(o.width) + "x" +
                           std::to_string(o.height));
  if (o.fps_num <= 0 || o.fps_den <= 0) return InvalidArgument(o.path + ": frame rate must be positive");
  if (o.quality < 2 || o.quality > 31) return InvalidArgument(o.path + ": quality must be 2..31");
  av_log_set_level(AV_LOG_QUIET);
  auto impl = std::make_unique<Impl>();
  impl->opt = o;
  int r = avformat_alloc_output_context2(&impl->fmt, nullptr, nullptr, o.path.c_str());
  if (r < 0 || impl->fmt == nullptr) return OutputError(o.path + ": unknown container for this file name");
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
  if (codec == nullptr) return Internal("FFmpeg has no MPEG-4 encoder");
  impl->st = avformat_new_stream(impl->fmt, nullptr);
  impl->enc = avcodec_alloc_context3(codec);
  AVCodecContext* c = impl->enc;
  c->width = o.width;
  c->height = o.height;
  c->pix_fmt = AV_PIX_FMT_YUV420P;
  c->time_base = kTimeBase;
  c->framerate = AVRational{o.fps_num, o.fps_den};
  c->gop_size = 30;
  c->max_b_frames = 0;
  c->flags |= AV_CODEC_FLAG_QSCALE;
  c->global_quality = FF_QP2LAMBDA * o.quality;
  if (impl->fmt->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  r = avcodec_open2(c, codec, nullptr);
  if (r < 0) return OutputError(o.path + ": cannot open the MPEG-4 encoder (FFmpeg: " + AvError(r) + ")");
  avcodec_parameters_from_context(impl->st->codecpar, c);
  impl->st->time_base = kTimeBase;
  impl->st->avg_frame_rate = c->framerate;
  r = avio_open(&impl->fmt->pb, o.path.c_str(), AVIO_FLAG_WRITE);
  if (r < 0) return OutputError(o.path + ": cannot create (" + AvError(r) + ")");
  r = avformat_write_header(impl->fmt, nullptr);
  if (r < 0) return OutputError(o.path + ": cannot write the header (FFmpeg: " + AvError(r) + ")");
  impl->frame = av_frame_alloc();
  impl->frame->format = c->pix_fmt;
  impl->frame->width = o.width;
  impl->frame->height = o.height;
  if (av_frame_get_buffer(impl->frame, 0) < 0) return Internal("out of memory");
  impl->pkt = av_packet_alloc();
  impl->open = true;
  return std::unique_ptr<VideoWriter>(new VideoWriter(std::move(impl)));
}

VideoWriter::VideoWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VideoWriter::~VideoWriter() { (void)Close(); }

Status VideoWriter::Write(const cv::Mat& bgr, Timestamp t) {
  Impl& m = *impl_;
  if (!m.open) return OutputError(m.opt.path + ": writer is closed");
  if (bgr.type() != CV_8UC3 || bgr.cols != m.opt.width || bgr.rows != m.opt.height)
    return InvalidArgument(m.opt.path + ": frame is not " + std::to_string(m.opt.width) + "x" +
                           std::to_string(m.opt.height) + " BGR");
  const int64_t pts = av_rescale_q(t.us, AVRational{1, 1000000}, kTimeBase);
  if (pts <= m.last_pts) return InvalidArgument(m.opt.path + ": timestamps must increase by at least 1/30000 s");
  m.last_pts = pts;
  cv::cvtColor(bgr, m.yuv, cv::COLOR_BGR2YUV_I420);
  if (av_frame_make_writable(m.frame) < 0) return Internal("frame not writable");
  const int w = m.opt.width, h = m.opt.height;
  for (int y = 0; y < h; ++y) std::memcpy(m.frame->data[0] + y * m.frame->linesize[0], m.yuv.ptr(y), w);
  const uint8_t* u = m.yuv.ptr(h);
  const uint8_t* v = u + (w / 2) * (h / 2);
  for (int y = 0; y < h / 2; ++y) {
    std::memcpy(m.frame->data[1] + y * m.frame->linesize[1], u + y * (w / 2), w / 2);
    std::memcpy(m.frame->data[2] + y * m.frame->linesize[2], v + y * (w / 2), w / 2);
  }
  m.frame->pts = pts;
  const int r = avcodec_send_frame(m.enc, m.frame);
  if (r < 0) return OutputError(m.opt.path + ": encoding failed (FFmpeg: " + AvError(r) + ")");
  return m.Drain();
}

Status VideoWriter::Close() {
  Impl& m = *impl_;
  if (!m.open) return Status::Ok();
  m.open = false;
  avcodec_send_frame(m.enc, nullptr);
  MIMICRY_RETURN_IF_ERROR(m.Drain());
  const int r = av_write_trailer(m.fmt);
  if (r < 0) return OutputError(m.opt.path + ": cannot finish the file (FFmpeg: " + AvError(r) + ")");
  avio_closep(&m.fmt->pb);
  return Status::Ok();
}

}  // namespace mimicry::io
