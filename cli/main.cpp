// stacksim: simulate, measure and calibrate Python web stacks. The one
// binary: each subsystem adds its own subcommands (sim/cli, live, calibrate).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "calibrate/commands.hpp"
#include "common/input_error.hpp"
#include "live/commands.hpp"
#include "sim/cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "stacksim: does an async or a sync Python server win on this stack, and why?\n"
      "Simulates, measures and calibrates ab -> nginx -> app server -> pgbouncer -> PostgreSQL."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show the help of every subcommand");
  int exit_code = 0;
  stacksim::cli::add_sim_command(app, exit_code);
  stacksim::cli::add_merge_command(app, exit_code);
  stacksim::cli::add_crossover_command(app, exit_code);
  stacksim::cli::add_tune_command(app, exit_code);
  stacksim::cli::add_qn_command(app, exit_code);
  stacksim::live::add_live_commands(app, exit_code);
  stacksim::live::add_host_commands(app, exit_code);
  stacksim::calibrate::add_calibrate_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : stacksim::kExitBadInput;
  } catch (const stacksim::InputError& e) {
    std::fprintf(stderr, "stacksim: error: %s\n", e.what());
    return stacksim::kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stacksim: internal error: %s\n", e.what());
    return 1;
  }
  return exit_code;
}
