// `stacksim sim`: load a model and scenarios, apply --set overrides, run
// every configuration x stack x replication over the cores, print.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "common/input_error.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/model_options.hpp"
#include "sim/experiment/experiment.hpp"
#include "sim/experiment/report.hpp"
#include "sim/scenario/host_profile.hpp"
#include "sim/scenario/model_io.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim::cli {

namespace {
struct SimOptions {
  ModelChoice model;
  std::vector<std::string> scenarios;
  std::vector<std::string> stacks;
  std::vector<std::string> settings;
  std::string format = "table";
  unsigned threads = 0;
};

int run_sim(const SimOptions& o) {
  const Model model = o.model.load();
  nlohmann::json documents = nlohmann::json::array();
  for (const std::string& path : o.scenarios) {
    Scenario scenario = load_scenario(path);
    for (const std::string& kv : o.settings) apply_setting(scenario, kv);
    if (!o.stacks.empty()) scenario.stacks = o.stacks;
    check_scenario(scenario);
    check_against_model(scenario, model);
    const auto results = run_experiment(model, scenario, o.threads);
    if (o.format == "json") {
      documents.push_back(report_json(model, scenario, results));
    } else if (o.format == "csv") {
      print_csv(std::cout, model, results);
    } else {
      print_table(std::cout, model, results);
    }
  }
  if (o.format == "json")
    std::cout << (documents.size() == 1 ? documents[0] : documents).dump(2) << "\n";
  return 0;
}
}  // namespace

void add_sim_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<SimOptions>();
  auto* cmd = app.add_subcommand(
      "sim", "Simulate stacks under a scenario: throughput, latency tails, #DB, and why");
  add_model_options(*cmd, opts->model, "Model file (models/*.json)");
  cmd->add_option("--scenario", opts->scenarios, "Scenario file(s) (scenarios/*.json)")->required();
  cmd->add_option("--stack", opts->stacks, "Only these stacks (repeatable)");
  cmd->add_option("--set", opts->settings,
                  "Override a knob, KEY=VALUE (repeatable): cores, workers, workers.sync, "
                  "workers.greenlet, workers.coroutine, clients, sessions, delay_ms, requests, "
                  "warmup_requests, replications, seed, db_access, app_pool_size, ...");
  cmd->add_option("--format", opts->format, "Output format")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  cmd->add_option("--threads", opts->threads, "Simulation threads (0: one per core)");
  cmd->callback([opts, &exit_code] { exit_code = run_sim(*opts); });
}

}  // namespace stacksim::cli
