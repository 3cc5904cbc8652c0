// `stacksim calibrate table`: a model of someone else's machine from their
// published table (docs/published.md).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "calibrate/command_options.hpp"
#include "calibrate/model_writer.hpp"
#include "calibrate/table_fit.hpp"
#include "calibrate/table_report.hpp"
#include "live/os/process_registry.hpp"
#include "live/servers/stack_recipes.hpp"
#include "sim/cli/command.hpp"
#include "sim/cli/model_options.hpp"
#include "sim/scenario/json_fields.hpp"
#include "sim/scenario/model_io.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim::calibrate {
namespace {

struct TableOptions {
  std::string table, map, scenario, prior, estimates, out, report;
  std::string corrections = "speed";
  std::vector<std::string> hold;
  int requests = 20000;
  unsigned threads = 0;
  bool quiet = false;
};

// The prior with the stacks it lacks taken from the estimates model (those
// this host cannot run: their structure is the estimate's, their level the
// table's row).
Model working_prior(const TableOptions& o) {
  Model prior = load_model(o.prior);
  const Model estimates = load_model(o.estimates);
  for (const auto& [name, stack] : estimates.stacks)
    if (!prior.stacks.count(name)) prior.stacks.emplace(name, stack);
  return prior;
}

// A path as the provenance and the report name it: relative to the
// checkout when inside it, so the same fit writes the same file anywhere.
std::string shown(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path rel = fs::relative(fs::absolute(path, ec), fs::absolute(live::project_dir()), ec);
  return !ec && !rel.empty() && *rel.begin() != ".." ? rel.string() : path;
}

// The prior and the estimates model of the checkout where not given.
TableOptions with_defaults(TableOptions o) {
  if (o.prior.empty()) o.prior = live::project_dir() + "/models/this-machine.json";
  if (o.estimates.empty()) o.estimates = live::project_dir() + "/models/estimates.json";
  return o;
}

int run_table(const TableOptions& given) {
  const TableOptions o = with_defaults(given);
  const Model prior = working_prior(o);
  const Scenario scenario = load_scenario(o.scenario);
  const PublishedTable table = read_published_table(o.table, o.map, prior, scenario);
  TableFitOptions options;
  options.requests = o.requests;
  options.warmup_requests = o.requests / 10;
  options.hold = o.hold;
  options.corrections = parse_corrections(o.corrections, "--corrections");
  options.threads = o.threads;
  options.progress = !o.quiet && stderr_is_terminal();
  TableFit fit = fit_table(table, prior, scenario, options);
  const TableInputs inputs{shown(o.table), o.map.empty() ? "" : shown(o.map), shown(o.scenario),
                           shown(o.prior), shown(o.estimates)};
  fit.model.label = "The machine behind " + inputs.table + ", fitted by stacksim calibrate table";
  fit.model.host.cpu_model =
      "the machine of " + inputs.table + " (not known; fitted from its table)";
  fit.model.provenance = table_fit_json(fit, table, inputs);
  std::string text = "A model of the machine behind " + inputs.table + " (scenario " +
                     inputs.scenario + ", prior " + inputs.prior + ")\n" +
                     format_table_fit(fit, table) + "\n" +
                     explain_difference(fit, table, load_model(o.prior), inputs.prior, o.threads);
  fit.model.provenance["explanation"] = text.substr(text.find("Why the verdicts"));
  write_model_atomically(fit.model, o.out);
  if (!o.report.empty()) json_fields::write_text_atomically(o.report, text, "--report");
  std::fputs(text.c_str(), stdout);
  std::printf("Wrote %s\n", o.out.c_str());
  return 0;
}

}  // namespace

void add_table_command(CLI::App& calibrate, int& exit_code) {
  auto [cmd, o] = cli::add_command<TableOptions>(
      calibrate, "table",
      "A model of another machine from its published table (throughput, P50, P99, #DB per "
      "stack): the prior's demands carried there by factors fitted by simulating every row, "
      "with what the table pins and what it does not",
      guarded("calibrate table", run_table), exit_code);
  cmd->add_option("--table", o->table, "The published table (CSV; docs/published.md)")->required();
  cmd->add_option("--scenario", o->scenario, "The table's configuration (a scenario file)")
      ->required();
  cmd->add_option("--out", o->out, "Model file to write")->required();
  cmd->add_option("--map", o->map,
                  "Mapping of the table's rows to stacks and settings (stacksim.table-map)");
  cmd->add_option("--prior", o->prior,
                  "Model whose demands are carried over (default models/this-machine.json)");
  cmd->add_option("--estimates", o->estimates,
                  "Model giving the stacks the prior lacks (default models/estimates.json)");
  cmd->add_option("--hold", o->hold,
                  "Keep a host factor at the prior's value: speed, kernel.per_hop, connect "
                  "(repeatable)");
  cmd->add_option("--corrections", o->corrections,
                  "CPU corrections of the fitted model (default speed: plain processor sharing "
                  "at a fitted speed; this host's VM terms do not carry)")
      ->capture_default_str();
  cmd->add_option("--requests", o->requests, "Requests per row and simulation while fitting")
      ->check(CLI::Range(1000, 10000000))
      ->capture_default_str();
  cmd->add_option("--report", o->report, "Also write the report (text) to this file");
  cli::add_threads_and_quiet(*cmd, o->threads, o->quiet);
}

}  // namespace stacksim::calibrate
