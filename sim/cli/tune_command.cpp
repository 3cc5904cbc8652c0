// `stacksim tune`: parse the stacks, the goal and the knobs' ranges, tune
// each stack (sim/experiment/tune.hpp), print the choice as a table, JSON or
// CSV, to stdout or atomically to --out. Everything is checked before the
// first run; a goal no configuration reaches fails after the search, before
// a byte is written.
#include <CLI/CLI.hpp>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>

#include "common/input_error.hpp"
#include "common/progress.hpp"
#include "sim/cli/command.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/model_options.hpp"
#include "sim/experiment/tune.hpp"
#include "sim/experiment/tune_report.hpp"
#include "sim/scenario/json_fields.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim::cli {

namespace {

struct TuneOptions {
  ModelChoice model;
  ScenarioChoice scenario;
  std::vector<std::string> stacks, knobs;
  double p99_limit_ms = 0;
  double target_rps = 0;
  int refine_replications = 0;
  int points = 6;
  int alternatives = 3;
  OutputChoice output;
};

double number(const std::string& flag, const std::string& text) {
  return json_fields::parse_number_text(text, json_fields::Where{"", flag},
                                        std::numeric_limits<double>::lowest());
}

// --knob KNOB or KNOB=LO:HI, over the defaults (workers and sessions).
std::vector<TuneKnob> parse_knobs(const std::vector<std::string>& given, const Scenario& sc) {
  std::vector<TuneKnob> knobs = {default_tune_knob("workers", sc),
                                 default_tune_knob("sessions", sc)};
  for (const std::string& text : given) {
    const auto eq = text.find('=');
    const std::string name = text.substr(0, eq);
    const std::string flag = "--knob " + name;
    TuneKnob k;
    if (eq == std::string::npos) {
      k = default_tune_knob(name, sc);
    } else {
      const std::string range = text.substr(eq + 1);
      const auto colon = range.find(':');
      if (colon == std::string::npos)
        throw InputError(flag + ": expected " + name + "=LO:HI, got \"" + text.substr(0, 100) +
                         "\"");
      k = make_tune_knob(flag, name, number(flag, range.substr(0, colon)),
                         number(flag, range.substr(colon + 1)));
    }
    bool replaced = false;
    for (TuneKnob& have : knobs)
      if (have.knob == k.knob) have = k, replaced = true;
    if (!replaced) knobs.push_back(k);
  }
  return knobs;
}

TuneSpec build_spec(const TuneOptions& o, const Model& model) {
  TuneSpec spec;
  spec.scenario = o.scenario.load(model);
  spec.stacks = o.stacks.empty() ? stacks_of(spec.scenario, model) : o.stacks;
  spec.goal = o.target_rps != 0     ? TuneGoal::kLeastForThroughput
              : o.p99_limit_ms != 0 ? TuneGoal::kMaxThroughputUnderP99
                                    : TuneGoal::kMaxThroughput;
  spec.p99_limit_ms = o.p99_limit_ms;
  spec.target_rps = o.target_rps;
  if (o.p99_limit_ms < 0) throw InputError("--p99-limit: must be > 0");
  spec.knobs = parse_knobs(o.knobs, spec.scenario);
  spec.ladder_points = o.points;
  spec.refine_replications = o.refine_replications;
  if (o.refine_replications < 0 || o.refine_replications > 1000)
    throw InputError("--refine-replications: must be in [0, 1000] (0: twice --replications)");
  spec.alternatives = o.alternatives;
  spec.threads = o.output.threads;
  check_tune(model, spec);
  return spec;
}

int run_tune_command(const TuneOptions& o) {
  const Model model = o.model.load();
  TuneSpec spec = build_spec(o, model);
  const TuneResult result =
      o.output.run_with_progress("tune runs", spec, [&] { return run_tune(model, spec); });
  o.output.print({
      .table = [&](std::ostream& out) { print_tune_table(out, spec, result); },
      .json = [&](std::ostream& out) { out << tune_json(model, spec, result).dump(2) << "\n"; },
      .csv = [&](std::ostream& out) { print_tune_csv(out, result); },
  });
  return 0;
}

}  // namespace

void add_tune_command(CLI::App& app, int& exit_code) {
  auto [cmd, o] = add_command<TuneOptions>(
      app, "tune",
      "Tune each stack's workers, sessions and any knob named: the highest throughput, the "
      "highest with P99 under a limit, or the least workers/sessions for a throughput; with 95% "
      "intervals, RAM, alternatives, the rules of thumb and why",
      run_tune_command, exit_code);
  add_model_options(*cmd, o->model, "Model file (models/*.json)");
  add_scenario_options(*cmd, o->scenario, "Scenario file: everything not tuned",
                       "Replications per point of the coarse ladder (default: the scenario's)");
  cmd->add_option("--stack", o->stacks, "Stack to tune (repeatable; default: the scenario's)");
  cmd->add_option("--p99-limit", o->p99_limit_ms,
                  "P99 limit in ms: the highest throughput under it (with --throughput: the "
                  "least workers that reach that throughput under it)");
  cmd->add_option("--throughput", o->target_rps,
                  "Target throughput in rps: the least workers, then sessions, that reach it");
  cmd->add_option("--knob", o->knobs,
                  "A knob to search, KNOB or KNOB=LO:HI (repeatable); workers (of the stack's "
                  "type: default 1 to min(clients, 16 x cores)) and sessions (1 to clients) "
                  "always, a range here bounds them");
  cmd->add_option("--refine-replications", o->refine_replications,
                  "Replications per point when refining, bisecting and for the rules (default: "
                  "twice --replications)");
  cmd->add_option("--points", o->points, "Values per knob on the coarse ladder (default 6)");
  cmd->add_option("--alternatives", o->alternatives, "Next-best configurations shown (default 3)");
  add_output_options(*cmd, o->output);
}

}  // namespace stacksim::cli
