#include "sim/cli/model_options.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "common/progress.hpp"
#include "sim/scenario/host_profile.hpp"
#include "sim/scenario/json_fields.hpp"

namespace stacksim::cli {

bool OutputChoice::progress() const {
  return !quiet && stderr_is_terminal();
}

void OutputChoice::print(const std::string& text) const {
  if (out.empty()) {
    std::cout << text;
  } else {
    json_fields::write_text_atomically(out, text, "--out");
  }
}

void add_output_options(CLI::App& cmd, OutputChoice& choice) {
  cmd.add_option("--format", choice.format, "Output format")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  cmd.add_option("--threads", choice.threads, "Simulation threads (0: one per core)");
  cmd.add_flag("--quiet", choice.quiet,
               "No progress line on stderr (there is none when it is not a terminal)");
  cmd.add_option("--out", choice.out, "Write here (atomically) instead of stdout");
}

Model ModelChoice::load() const {
  return load_model_for(model, host, corrections);
}

void add_model_options(CLI::App& cmd, ModelChoice& choice, const std::string& model_help) {
  cmd.add_option("--model", choice.model, model_help)->required();
  cmd.add_option("--host", choice.host,
                 "Host profile (stacksim host probe): predict that host, carrying the model from "
                 "the profile it was fitted on (host.profile) by the ratio of each probed term");
  cmd.add_option("--corrections", choice.corrections,
                 "CPU corrections of processor sharing to use instead of the model's "
                 "host.corrections: none, all, or names from speed,wakeup_latency,imbalance,"
                 "background,idle_inflation,cold_cache separated by commas");
}

}  // namespace stacksim::cli
