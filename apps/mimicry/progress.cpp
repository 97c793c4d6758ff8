#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace mimicry::app {

Progress::Progress(bool quiet) : enabled_(!quiet && isatty(STDERR_FILENO) == 1) {}

void Progress::Update(long long frames, double pts_s, double duration_s, double elapsed_s) {
  if (!enabled_) return;
  const double fps = elapsed_s > 0 ? static_cast<double>(frames) / elapsed_s : 0;
  if (duration_s > 0 && pts_s > 0) {
    const double frac = pts_s / duration_s;
    const double eta = frac > 0 ? elapsed_s * (1 - frac) / frac : 0;
    std::fprintf(stderr, "\r%5.1f%%  %lld frames  %.0f fps  ETA %.0f s   ", 100 * frac, frames, fps, eta > 0 ? eta : 0);
  } else {
    std::fprintf(stderr, "\r%lld frames  %.0f fps   ", frames, fps);
  }
  drawn_ = true;
}

void Progress::Stage(const std::string& stage, double fraction, double stage_elapsed_s) {
  if (!enabled_) return;
  const double eta = fraction > 0.01 ? stage_elapsed_s * (1 - fraction) / fraction : 0;
  std::fprintf(stderr, "\r\033[K%s  %5.1f%%", stage.c_str(), 100 * fraction);
  if (eta > 0) std::fprintf(stderr, "  ETA %.0f s", eta);
  drawn_ = true;
}

void Progress::Finish() {
  if (enabled_ && drawn_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace mimicry::app
