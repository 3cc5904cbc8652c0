// The model a command simulates, as `sim`, `crossover`, `tune` and `validate`
// all take it: a model file (--model), carried to another host's profile
// (--host) and with other CPU corrections (--corrections) if asked; how
// simulations run (--threads, --quiet); and the scenario crossover and tune
// start from and where their output goes.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "common/progress.hpp"
#include "sim/scenario/config.hpp"

namespace CLI {
class App;
}

namespace stacksim::cli {

struct ModelChoice {
  std::string model;
  std::string host;         // a host profile to carry the model to
  std::string corrections;  // the CPU corrections to use instead of the model's
  Model load() const;
};

// The scenario a map-making command (crossover, tune) starts from:
// --scenario, each --set in order, then --replications.
struct ScenarioChoice {
  std::string file;
  std::vector<std::string> settings;  // KEY=VALUE
  std::string replications;           // empty: the scenario's
  // Loaded, overridden and checked, against `model` too.
  Scenario load(const Model& model) const;
};
// Adds --scenario (required) and --set with their help, and --replications
// with `replications_help`.
void add_scenario_options(CLI::App& cmd, ScenarioChoice& choice, const std::string& scenario_help,
                          const std::string& replications_help);

// How a map-making command (crossover, tune) runs and prints: --format
// table|json|csv, --threads, --quiet, --out.
struct OutputChoice {
  std::string format = "table";
  std::string out;  // empty: stdout
  unsigned threads = 0;
  bool quiet = false;
  // The progress line's switch: on a terminal, unless --quiet.
  bool progress() const;
  // `run()` with the progress line, named `unit`, on spec.progress while it runs.
  template <typename Spec, typename Run>
  auto run_with_progress(const std::string& unit, Spec& spec, Run run) const {
    Progress line(unit, 0, progress());
    spec.progress = &line;
    auto result = run();
    spec.progress = nullptr;
    return result;
  }
  // One result's writers, one per --format.
  struct Writers {
    std::function<void(std::ostream&)> table, json, csv;
  };
  // The result as --format asks, to stdout or atomically to --out.
  void print(const Writers& writers) const;
};
void add_output_options(CLI::App& cmd, OutputChoice& choice);

// --threads and --quiet, as every command that runs simulations in parallel
// takes them (sim, crossover, tune, calibrate table).
void add_threads_and_quiet(CLI::App& cmd, unsigned& threads, bool& quiet);

// Adds --model (required, with `model_help`), --host and --corrections.
void add_model_options(CLI::App& cmd, ModelChoice& choice, const std::string& model_help);

}  // namespace stacksim::cli
