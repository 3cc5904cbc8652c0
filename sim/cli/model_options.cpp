#include "sim/cli/model_options.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <sstream>

#include "common/progress.hpp"
#include "sim/scenario/host_profile.hpp"
#include "sim/scenario/json_fields.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim::cli {

bool OutputChoice::progress() const {
  return !quiet && stderr_is_terminal();
}

void OutputChoice::print(const Writers& writers) const {
  std::ostringstream text;
  if (format == "json") {
    writers.json(text);
  } else if (format == "csv") {
    writers.csv(text);
  } else {
    writers.table(text);
  }
  if (out.empty()) {
    std::cout << text.str();
  } else {
    json_fields::write_text_atomically(out, text.str(), "--out");
  }
}

void add_output_options(CLI::App& cmd, OutputChoice& choice) {
  cmd.add_option("--format", choice.format, "Output format")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  add_threads_and_quiet(cmd, choice.threads, choice.quiet);
  cmd.add_option("--out", choice.out, "Write here (atomically) instead of stdout");
}

void add_threads_and_quiet(CLI::App& cmd, unsigned& threads, bool& quiet) {
  cmd.add_option("--threads", threads, "Simulation threads (0: one per core)");
  cmd.add_flag("--quiet", quiet,
               "No progress line on stderr (there is none when it is not a terminal)");
}

Scenario ScenarioChoice::load(const Model& model) const {
  Scenario scenario = load_scenario(file);
  for (const std::string& kv : settings) apply_setting(scenario, kv);
  if (!replications.empty()) apply_setting(scenario, "replications", replications);
  check_scenario(scenario);
  check_against_model(scenario, model);
  return scenario;
}

void add_scenario_options(CLI::App& cmd, ScenarioChoice& choice, const std::string& scenario_help,
                          const std::string& replications_help) {
  cmd.add_option("--scenario", choice.file, scenario_help)->required();
  cmd.add_option("--set", choice.settings,
                 "Override a knob of the scenario, KEY=VALUE (repeatable)");
  cmd.add_option("--replications", choice.replications, replications_help);
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
