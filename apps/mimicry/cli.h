// The command line's shared pieces: exit codes, the one-line error, option checks, progress
// and the options several subcommands share. Each subcommand lives in its own file
// (cmd_<name>.cpp) and only turns its argv into Options, calls one pipeline function and
// prints the result.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "mimicry/core/status.h"
#include "mimicry/pipeline/extract.h"
#include "progress.h"

namespace mimicry::app {

// Exit codes (docs/cli.md).
enum Exit {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,
  kExitInput = 3,
  kExitModel = 4,
  kExitOutput = 5,
  kExitNoFace = 6,
};

// The exit code for a status's kind.
int ExitFor(const Status& s);
// Prints "mimicry: error: <message>" on stderr and returns ExitFor(s).
int Fail(const Status& s);

// Numeric checks with a plain message ("--rate: must be > 0, got -1"); CLI11's own
// PositiveNumber / NonNegativeNumber print the range up to DBL_MAX written out in full.
const CLI::Validator& Positive();
const CLI::Validator& NonNegative();

// Progress of a run made of named stages: each stage's own elapsed time feeds its ETA.
// `bar` must outlive the returned function.
std::function<void(const std::string&, double)> StageProgress(Progress& bar);

// -q,--quiet with the given help text.
void AddQuiet(CLI::App* sub, bool& quiet, const std::string& help = "No progress and no summary");

// The face options of a subcommand that extracts video inputs on the way (analyze, audience,
// micro): --detector NAME (kept in `detector`, applied by ApplyDetector) and --models-dir.
void AddVideoInputOptions(CLI::App* sub, std::string& detector, pipeline::ExtractOptions& extract);
// Sets extract.detector from its name; InvalidArgument for an unknown one.
Status ApplyDetector(const std::string& detector, pipeline::ExtractOptions& extract);

// A subcommand: its CLI11 node and what runs when it was chosen (returns the exit code).
struct Command {
  CLI::App* sub = nullptr;
  std::function<int()> run;
};

// One per subcommand (cmd_<name>.cpp). `command_line` is the whole argv, recorded in the
// outputs' metadata.
Command AddExtract(CLI::App& app, const std::string& command_line);
Command AddSynth(CLI::App& app);
Command AddAnalyze(CLI::App& app, const std::string& command_line);
Command AddAudience(CLI::App& app, const std::string& command_line);
Command AddMicro(CLI::App& app);
Command AddEvalSpotting(CLI::App& app);
Command AddReport(CLI::App& app);
Command AddDemo(CLI::App& app);

}  // namespace mimicry::app
