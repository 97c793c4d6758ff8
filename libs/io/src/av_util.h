// Small FFmpeg helpers shared by the decoder and the writer (private to libs/io).
#pragma once

#include <string>

extern "C" {
#include <libavutil/error.h>
}

namespace mimicry::io {

// FFmpeg's text for an error code.
inline std::string AvError(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

}  // namespace mimicry::io
