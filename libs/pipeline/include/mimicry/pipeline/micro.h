// micro: spotting micro- and macro-expressions in recordings (libs/micro on the extracted
// action units). Output columns: docs/micro.md.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/micro/spot.h"
#include "mimicry/pipeline/extract.h"

namespace mimicry::pipeline {

struct MicroOptions {
  std::vector<std::string> inputs;  // videos (extracted, cached beside the output) or feature CSVs
  std::string output_csv;           // one row per interval (required)
  micro::SpotOptions spot;
  ExtractOptions extract;           // for video inputs
  bool include_blinks = true;       // blink rows (kind "blink"); never counted as micro
};

struct MicroResult {
  int micro = 0, macro = 0, blinks = 0;
  double seconds = 0;   // face-time analysed (sum over faces of their tracked span)
  double wall_s = 0;
};

// Errors: InvalidArgument (no input or output), the inputs' errors (NotFound,
// InvalidInput, NoFace, ModelMissing), OutputError.
Result<MicroResult> RunMicro(const MicroOptions& options, const std::function<void(const std::string&, double)>& progress = {});

}  // namespace mimicry::pipeline
