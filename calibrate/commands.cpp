#include <CLI/CLI.hpp>

#include "sim/cli/commands.hpp"

namespace stacksim::calibrate {
void add_calibrate_commands(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("calibrate", "Fit a model file from live runs (not yet built)");
  cmd->callback([&exit_code] { exit_code = 1; });
}
}  // namespace stacksim::calibrate
