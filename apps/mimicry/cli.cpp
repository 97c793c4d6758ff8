#include "cli.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace mimicry::app {

int ExitFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument: return kExitUsage;
    case StatusCode::kNotFound:
    case StatusCode::kInvalidInput:
    case StatusCode::kTruncated: return kExitInput;
    case StatusCode::kModelMissing: return kExitModel;
    case StatusCode::kOutputError: return kExitOutput;
    case StatusCode::kNoFace: return kExitNoFace;
    case StatusCode::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "mimicry: error: %s\n", s.message().c_str());
  return ExitFor(s);
}

namespace {
CLI::Validator NumberCheck(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](std::string& in) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(in.c_str(), &end);
        if (end == in.c_str() || *end != '\0' || !std::isfinite(v)) return "must be a number, got " + in;
        if (allow_zero ? v < 0 : v <= 0) return std::string(allow_zero ? "must be >= 0" : "must be > 0") + ", got " + in;
        return {};
      },
      allow_zero ? "NONNEGATIVE" : "POSITIVE");
}
}  // namespace

const CLI::Validator& Positive() {
  static const CLI::Validator v = NumberCheck(false);
  return v;
}
const CLI::Validator& NonNegative() {
  static const CLI::Validator v = NumberCheck(true);
  return v;
}

std::function<void(const std::string&, double)> StageProgress(Progress& bar) {
  auto stage = std::make_shared<std::string>();
  auto t0 = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  return [&bar, stage, t0](const std::string& s, double f) {
    if (s != *stage) {
      *stage = s;
      *t0 = std::chrono::steady_clock::now();
    }
    bar.Stage(s, f, std::chrono::duration<double>(std::chrono::steady_clock::now() - *t0).count());
  };
}

void AddQuiet(CLI::App* sub, bool& quiet, const std::string& help) { sub->add_flag("-q,--quiet", quiet, help); }

void AddVideoInputOptions(CLI::App* sub, std::string& detector, pipeline::ExtractOptions& extract) {
  sub->add_option("--detector", detector, "Video inputs: blazeface, blazeface-back or hog")->capture_default_str();
  sub->add_option("--models-dir", extract.models_dir, "Video inputs: folder with the model files");
}

Status ApplyDetector(const std::string& detector, pipeline::ExtractOptions& extract) {
  auto kind = face::ParseDetectorKind(detector);
  if (!kind.ok()) return kind.status();
  extract.detector = *kind;
  return Status::Ok();
}

}  // namespace mimicry::app
