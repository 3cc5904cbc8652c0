// `stacksim crossover`: parse the sides, the two axes and the levels, run the
// crossover map (sim/experiment/crossover.hpp), print it as a table, JSON or
// CSV, to stdout or atomically to --out. Everything is checked before the
// first run; a level no point reaches fails after the grid, before a byte
// is written.
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
#include "sim/experiment/crossover.hpp"
#include "sim/experiment/crossover_report.hpp"
#include "sim/scenario/host_profile.hpp"
#include "sim/scenario/json_fields.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim::cli {

namespace {

struct CrossoverOptions {
  ModelChoice model;
  ScenarioChoice scenario;
  std::vector<std::string> sync, async;
  std::string x, y;
  std::vector<double> levels;
  double tolerance = 0;
  double precision = 0;
  int max_replications = 50;
  OutputChoice output;
};

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);) parts.push_back(part);
  if (!text.empty() && text.back() == sep) parts.emplace_back();
  return parts;
}

double number(const std::string& flag, const std::string& text) {
  return json_fields::parse_number_text(text, json_fields::Where{"", flag},
                                        std::numeric_limits<double>::lowest());
}

// "KNOB=REST": the knob and the rest, or an InputError naming the flag.
std::pair<std::string, std::string> knob_and_values(const std::string& flag,
                                                    const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw InputError(flag + ": expected KNOB=VALUES, got \"" + text.substr(0, 100) + "\"");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

// --x KNOB=V1,V2,... or KNOB=LO:HI:N (N values evenly from LO to HI).
CrossoverAxis parse_x(const std::string& text) {
  const auto [knob, rest] = knob_and_values("--x", text);
  std::vector<double> values;
  const std::vector<std::string> range = split(rest, ':');
  if (range.size() == 3) {
    const CrossoverAxis grid =
        make_y_axis("--x", knob, number("--x", range[0]), number("--x", range[1]),
                    static_cast<int>(json_fields::parse_int_text(range[2], {"", "--x"}, 2, 1000)));
    return make_x_axis("--x", knob, grid.values);
  }
  if (range.size() != 1) throw InputError("--x: expected KNOB=V1,V2,... or KNOB=LO:HI:N");
  for (const std::string& v : split(rest, ',')) values.push_back(number("--x", v));
  return make_x_axis("--x", knob, std::move(values));
}

// --y KNOB=LO:HI[:N]; N defaults to 9 grid points.
CrossoverAxis parse_y(const std::string& text) {
  const auto [knob, rest] = knob_and_values("--y", text);
  const std::vector<std::string> range = split(rest, ':');
  if (range.size() != 2 && range.size() != 3)
    throw InputError("--y: expected KNOB=LO:HI or KNOB=LO:HI:N, got \"" + text.substr(0, 100) +
                     "\"");
  const int points =
      range.size() == 3
          ? static_cast<int>(json_fields::parse_int_text(range[2], {"", "--y"}, 2, 1000))
          : 9;
  return make_y_axis("--y", knob, number("--y", range[0]), number("--y", range[1]), points);
}

// The sides: as given, else the scenario's stacks of each kind.
void choose_sides(const CrossoverOptions& o, const Model& model, CrossoverSpec& spec) {
  spec.sync_side = o.sync;
  spec.async_side = o.async;
  for (const std::string& name : stacks_of(spec.scenario, model)) {
    const bool sync = model.stacks.at(name).type == WorkerType::kSync;
    if (o.sync.empty() && sync) spec.sync_side.push_back(name);
    if (o.async.empty() && !sync) spec.async_side.push_back(name);
  }
}

CrossoverSpec build_spec(const CrossoverOptions& o, const Model& model) {
  CrossoverSpec spec;
  spec.scenario = o.scenario.load(model);
  choose_sides(o, model, spec);
  spec.x = parse_x(o.x);
  spec.y = parse_y(o.y);
  if (!o.levels.empty()) spec.levels = o.levels;
  spec.tolerance = o.tolerance;
  spec.precision = o.precision;
  spec.max_replications = o.max_replications;
  spec.threads = o.output.threads;
  return spec;
}

int run_crossover_command(const CrossoverOptions& o) {
  const Model model = o.model.load();
  CrossoverSpec spec = build_spec(o, model);
  const CrossoverResult result = o.output.run_with_progress(
      "crossover runs", spec, [&] { return run_crossover(model, spec); });
  o.output.print({
      .table = [&](std::ostream& out) { print_crossover_table(out, spec, result); },
      .json =
          [&](std::ostream& out) { out << crossover_json(model, spec, result).dump(2) << "\n"; },
      .csv = [&](std::ostream& out) { print_crossover_csv(out, spec, result); },
  });
  return 0;
}

}  // namespace

void add_crossover_command(CLI::App& app, int& exit_code) {
  auto [cmd, o] = add_command<CrossoverOptions>(
      app, "crossover",
      "Map where async overtakes sync over two knobs: the best async/sync throughput ratio on a "
      "grid, and the curve where it crosses each level, by bisection, with 95% intervals",
      run_crossover_command, exit_code);
  add_model_options(*cmd, o->model, "Model file (models/*.json)");
  add_scenario_options(
      *cmd, o->scenario, "Scenario file: the fixed knobs",
      "Replications per point (default: the scenario's); y*'s interval is over them");
  cmd->add_option("--sync", o->sync, "Sync-side stacks (repeatable; default: the scenario's)");
  cmd->add_option("--async", o->async,
                  "Async-side stacks, greenlet or coroutine (repeatable; default: the scenario's)");
  cmd->add_option("--x", o->x, "First axis: KNOB=V1,V2,... or KNOB=LO:HI:N")->required();
  cmd->add_option("--y", o->y, "Second axis, bisected: KNOB=LO:HI[:N] (N grid points, 9)")
      ->required();
  cmd->add_option("--level", o->levels, "Ratio levels to trace (repeatable; default 1.0)");
  cmd->add_option("--tolerance", o->tolerance,
                  "Bisection's final bracket on a continuous Y (default: range / 1000)");
  cmd->add_option("--precision", o->precision,
                  "Sequential stopping: add replications at a grid cell until every stack's "
                  "throughput 95% half-width is within this share of its mean (e.g. 0.01)");
  cmd->add_option("--max-replications", o->max_replications,
                  "The most replications --precision may run at a cell (default 50)");
  add_output_options(*cmd, o->output);
}

}  // namespace stacksim::cli
