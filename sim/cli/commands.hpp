// Each subsystem adds its own subcommands to the one `stacksim` binary.
// A command's callback stores its exit status in `exit_code`; bad input is
// thrown as stacksim::InputError and main turns it into exit status 2.
#pragma once

namespace CLI {
class App;
}

namespace stacksim::cli {
void add_sim_command(CLI::App& app, int& exit_code);
void add_qn_command(CLI::App& app, int& exit_code);
}  // namespace stacksim::cli

namespace stacksim::live {
void add_live_commands(CLI::App& app, int& exit_code);
void add_host_commands(CLI::App& app, int& exit_code);
}  // namespace stacksim::live

namespace stacksim::calibrate {
void add_calibrate_commands(CLI::App& app, int& exit_code);
}
