#pragma once
#include <string>
namespace mimicry::app {
// Progress on stderr: one self-overwriting line with frames, fps and ETA. Silent when
// stderr is not a terminal or when quiet is set.
class Progress {
 public:
  explicit Progress(bool quiet);
  void Update(long long frames, double pts_s, double duration_s, double elapsed_s);
  void Finish();
 private:
  bool enabled_;
  bool drawn_ = false;
};
}  // namespace mimicry::app
