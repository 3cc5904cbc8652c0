// Calibration's subcommands of the `stacksim` binary (cli/main.cpp):
// `stacksim calibrate ...` and `stacksim validate`.
#pragma once

namespace CLI {
class App;
}

namespace stacksim::calibrate {
void add_calibrate_commands(CLI::App& app, int& exit_code);
}
