#pragma once

#include <string>

namespace mimicry::app {
// Progress on stderr: one self-overwriting line with frames, fps and ETA. Silent when
// stderr is not a terminal or when quiet is set.
class Progress {
 public:
  explicit Progress(bool quiet);
  void Update(long long frames, double pts_s, double duration_s, double elapsed_s);
  // A named stage of a longer job: "<stage>  42.0%  ETA 12 s" (the ETA from this stage's
  // own elapsed time).
  void Stage(const std::string& stage, double fraction, double stage_elapsed_s);
  void Finish();
 private:
  bool enabled_;
  bool drawn_ = false;
};
}  // namespace mimicry::app
