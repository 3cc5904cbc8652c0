// The simulator's subcommands of the `stacksim` binary (cli/main.cpp):
// `stacksim sim`, `stacksim merge`, `stacksim crossover`, `stacksim tune` and
// `stacksim qn`. A command's callback
// stores its exit status in `exit_code`; bad input is thrown as stacksim::InputError and main turns
// it into exit status 2.
#pragma once

namespace CLI {
class App;
}

namespace stacksim::cli {
void add_sim_command(CLI::App& app, int& exit_code);
void add_merge_command(CLI::App& app, int& exit_code);
void add_crossover_command(CLI::App& app, int& exit_code);
void add_qn_command(CLI::App& app, int& exit_code);
void add_tune_command(CLI::App& app, int& exit_code);
}  // namespace stacksim::cli
