// The live runner's subcommands of the `stacksim` binary (cli/main.cpp):
// `stacksim live ...` (run, sweep, stacks) and `stacksim host probe`.
#pragma once

namespace CLI {
class App;
}

namespace stacksim::live {
void add_live_commands(CLI::App& app, int& exit_code);
void add_host_commands(CLI::App& app, int& exit_code);
}  // namespace stacksim::live
