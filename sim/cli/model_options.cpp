#include "sim/cli/model_options.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "sim/scenario/host_profile.hpp"
#include "sim/scenario/json_fields.hpp"

namespace stacksim::cli {

void print_or_write(const std::string& text, const std::string& out) {
  if (out.empty()) {
    std::cout << text;
  } else {
    json_fields::write_text_atomically(out, text, "--out");
  }
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
