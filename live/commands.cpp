#include <CLI/CLI.hpp>

#include "sim/cli/commands.hpp"

namespace stacksim::live {
void add_live_commands(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("live", "Run the real stack on this machine and measure it");
  cmd->callback([&exit_code] { exit_code = 1; });
}
}  // namespace stacksim::live
