// The live runner's subcommands of the `stacksim` binary (cli/main.cpp):
// `stacksim live ...` (run, sweep, stacks) and `stacksim host probe`.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace stacksim::live {
void add_live_commands(CLI::App& app, int& exit_code);
void add_host_commands(CLI::App& app, int& exit_code);

// A command that only gathers subcommands (`live`, `host`, `calibrate`): one
// of them must be named.
CLI::App* add_command_group(CLI::App& app, const std::string& name, const std::string& description);
}  // namespace stacksim::live
