// A subcommand and the options its parse fills, as the simulator's and
// calibrate's commands declare them. CLI11 binds an option to its variable
// by reference and calls the command's callback after the parse, so the
// options live in a shared_ptr that the callback holds: as long as the app.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace stacksim::cli {

template <typename Options>
struct Command {
  CLI::App* app;                     // declare the options here
  std::shared_ptr<Options> options;  // the variables they fill
};

// `parent`'s subcommand `name`, whose callback stores `run(options)` (its
// exit status; bad input thrown as InputError is main's exit 2) in
// `exit_code`.
template <typename Options, typename Run>
Command<Options> add_command(CLI::App& parent, const std::string& name,
                             const std::string& description, Run run, int& exit_code) {
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(name, description);
  app->callback([options, run, &exit_code] { exit_code = run(*options); });
  return {app, options};
}

}  // namespace stacksim::cli
