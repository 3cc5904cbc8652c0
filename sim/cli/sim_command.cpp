#include <CLI/CLI.hpp>

#include "sim/cli/commands.hpp"

namespace stacksim::cli {
void add_sim_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("sim", "Simulate stacks under a scenario");
  cmd->callback([&exit_code] { exit_code = 1; });
}
}  // namespace stacksim::cli
