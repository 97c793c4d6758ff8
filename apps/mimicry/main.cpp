// mimicry: the command line. It only turns argv into Options and a stage's result into
// output and an exit code; all work happens in the libraries. One file per subcommand
// (cmd_*.cpp); the shared pieces are in cli.h.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "cli.h"

namespace {
std::string JoinArgv(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i) s += ' ';
    s += argv[i];
  }
  return s;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace mimicry::app;
  // OpenCV's own log lines would break the one-line-error rule; our messages say what
  // failed. (libs/io silences FFmpeg's log the same way.)
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);

  CLI::App app{"mimicry: facial mimicry, emotional contagion and nonverbal synchrony from video"};
  app.set_version_flag("--version", std::string("mimicry ") + MIMICRY_VERSION);
  app.require_subcommand(1);
  const std::string command_line = JoinArgv(argc, argv);
  const std::vector<Command> commands = {AddExtract(app, command_line),  AddSynth(app),        AddAnalyze(app, command_line),
                                         AddAudience(app, command_line), AddMicro(app),        AddEvalSpotting(app),
                                         AddReport(app),                 AddDemo(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "mimicry: error: %s (see --help)\n", e.what());
    return kExitUsage;
  }
  for (const auto& c : commands)
    if (*c.sub) return c.run();
  return kExitUsage;
}
