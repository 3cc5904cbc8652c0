#include <CLI/CLI.hpp>

#include "sim/cli/commands.hpp"

namespace stacksim::cli {
void add_qn_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("qn", "Solve a closed queueing network exactly (MVA) and by simulation");
  cmd->callback([&exit_code] { exit_code = 1; });
}
}  // namespace stacksim::cli
