// `stacksim sim`: load a model and scenarios, apply --set overrides, run
// every configuration x stack x replication over the cores, print. With
// --out, run only one shard's points (--shard K/N, or the batch scheduler's
// environment) and write them as JSON lines; `stacksim merge` prints the
// merged shards exactly as `stacksim sim` prints the whole run.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "common/input_error.hpp"
#include "common/progress.hpp"
#include "sim/cli/command.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/model_options.hpp"
#include "sim/experiment/experiment.hpp"
#include "sim/experiment/report.hpp"
#include "sim/experiment/shard.hpp"
#include "sim/scenario/json_fields.hpp"
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
  std::string shard;                     // "K/N"
  int shard_count = 0;                   // N for JOB_COMPLETION_INDEX
  std::string out;                       // the shard's JSON lines
  std::vector<std::string> shard_files;  // merge's inputs
  bool quiet = false;                    // no progress line
  StoppingRule stopping;                 // --precision, --max-replications
  bool precision_given = false;
  bool max_replications_given = false;
};

// --precision asks every configuration x stack for its own replications,
// which a shard of replications cannot decide alone: refused with --out.
void check_stopping(const SimOptions& o, const std::vector<Scenario>& scenarios) {
  if (o.max_replications_given && !o.precision_given)
    throw InputError("--max-replications: only with --precision");
  if (!o.precision_given) return;
  if (!o.out.empty() || !o.shard.empty() || o.shard_count != 0)
    throw InputError(
        "--precision: not with --out/--shard (a shard holds replications, not "
        "whole points); run the sweep unsharded");
  for (const Scenario& sc : scenarios)
    check_stopping_rule(o.stopping, sc.replications, "--precision", "--max-replications");
}

std::vector<Scenario> load_scenarios(const SimOptions& o, const Model& model) {
  std::vector<Scenario> out;
  for (const std::string& path : o.scenarios) {
    Scenario scenario = load_scenario(path);
    for (const std::string& kv : o.settings) apply_setting(scenario, kv);
    if (!o.stacks.empty()) scenario.stacks = o.stacks;
    check_scenario(scenario);
    check_against_model(scenario, model);
    out.push_back(std::move(scenario));
  }
  return out;
}

void print_results(const std::string& format, const Model& model,
                   const std::vector<Scenario>& scenarios,
                   const std::vector<std::vector<ConfigurationResult>>& results) {
  nlohmann::json documents = nlohmann::json::array();
  for (std::size_t s = 0; s < scenarios.size(); ++s) {
    if (format == "json") {
      documents.push_back(report_json(model, scenarios[s], results[s]));
    } else if (format == "csv") {
      print_csv(std::cout, model, results[s]);
    } else {
      print_table(std::cout, model, results[s]);
    }
  }
  if (format == "json")
    std::cout << (documents.size() == 1 ? documents[0] : documents).dump(2) << "\n";
}

int run_shard(const SimOptions& o, const Model& model, std::vector<Scenario> scenarios) {
  std::optional<ShardSpec> spec;
  if (!o.shard.empty()) spec = parse_shard_spec(o.shard);
  if (!spec) spec = shard_from_environment(o.shard_count);
  const Sweep sweep(model, std::move(scenarios));
  std::string lines;
  {
    Progress progress("simulated runs", 0, !o.quiet && stderr_is_terminal());
    lines = sweep.run_shard(spec.value_or(ShardSpec{}), o.threads, &progress);
  }
  json_fields::write_text_atomically(o.out, lines, "--out");
  return 0;
}

int run_sim(const SimOptions& o) {
  if (!o.shard.empty()) parse_shard_spec(o.shard);
  if (o.out.empty() && (!o.shard.empty() || o.shard_count != 0))
    throw InputError("--shard: a shard's points need --out FILE.jsonl");
  const Model model = o.model.load();
  std::vector<Scenario> scenarios = load_scenarios(o, model);
  check_stopping(o, scenarios);
  if (!o.out.empty()) return run_shard(o, model, std::move(scenarios));
  std::vector<std::vector<ConfigurationResult>> results;
  {
    Progress progress("simulated runs", 0, !o.quiet && stderr_is_terminal());
    for (const Scenario& scenario : scenarios)
      results.push_back(run_experiment(model, scenario, o.threads, &progress, o.stopping));
  }
  print_results(o.format, model, scenarios, results);
  return 0;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int run_merge(const SimOptions& o) {
  const Model model = o.model.load();
  const Sweep sweep(model, load_scenarios(o, model));
  std::vector<std::string> texts;
  for (const std::string& path : o.shard_files) texts.push_back(read_file(path));
  print_results(o.format, model, sweep.scenarios(), sweep.merge(texts, o.shard_files));
  return 0;
}

// The options `sim` and `merge` share: what to run and how to print it.
void add_run_options(CLI::App& cmd, SimOptions& o) {
  add_model_options(cmd, o.model, "Model file (models/*.json)");
  cmd.add_option("--scenario", o.scenarios, "Scenario file(s) (scenarios/*.json)")->required();
  cmd.add_option("--stack", o.stacks, "Only these stacks (repeatable)");
  cmd.add_option("--set", o.settings,
                 "Override a knob, KEY=VALUE (repeatable): cores, workers, workers.sync, "
                 "workers.greenlet, workers.coroutine, clients, sessions, delay_ms, requests, "
                 "warmup_requests, replications, seed, db_access, app_pool_size, ...");
  cmd.add_option("--format", o.format, "Output format")
      ->check(CLI::IsMember({"table", "json", "csv"}));
}
}  // namespace

void add_sim_command(CLI::App& app, int& exit_code) {
  auto [cmd, opts] = add_command<SimOptions>(
      app, "sim", "Simulate stacks under a scenario: throughput, latency tails, #DB, and why",
      run_sim, exit_code);
  add_run_options(*cmd, *opts);
  add_threads_and_quiet(*cmd, opts->threads, opts->quiet);
  cmd->add_option("--precision", opts->stopping.precision,
                  "Sequential stopping: add replications to each configuration x stack until "
                  "its throughput's 95% half-width is within this share of the mean, in (0, 1); "
                  "the scenario's replications (>= 2) come first")
      ->each([opts](const std::string&) { opts->precision_given = true; });
  cmd->add_option("--max-replications", opts->stopping.max_replications,
                  "The most replications --precision may run per point (default 50)")
      ->each([opts](const std::string&) { opts->max_replications_given = true; });
  cmd->add_option("--out", opts->out,
                  "Write one shard's points as JSON lines to this file (for stacksim merge)");
  cmd->add_option("--shard", opts->shard,
                  "K/N: with --out, run only shard K (0-based) of N; else from SLURM_ARRAY_TASK_ID "
                  "and SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX, or all points");
  cmd->add_option("--shard-count", opts->shard_count,
                  "N for JOB_COMPLETION_INDEX (else STACKSIM_SHARD_COUNT)");
}

void add_merge_command(CLI::App& app, int& exit_code) {
  auto [cmd, opts] = add_command<SimOptions>(
      app, "merge", "Merge `sim --out` shards and print what the unsharded `sim` run prints",
      run_merge, exit_code);
  cmd->add_option("shards", opts->shard_files, "Shard files (JSON lines)")->required();
  add_run_options(*cmd, *opts);
}

}  // namespace stacksim::cli
