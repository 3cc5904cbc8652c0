// `stacksim calibrate fit`: read live run records, fit each component
// group's CPU demand, write models/<label>.json atomically and print the
// fitted demands with their standard errors and what is not identified.
// `stacksim calibrate run`: run a calibration plan live (resumable), then fit.
// `stacksim calibrate speed`: measure today's host speed against a model.
// `stacksim calibrate quick` (calibrate/quick.hpp): probe + short plan.
// `stacksim calibrate memory` (calibrate/memory.hpp): RAM per stack into a model.
// `stacksim validate`: run a held-out plan live, predict it, report.
#include "calibrate/commands.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <set>
#include <vector>

#include "calibrate/command_options.hpp"
#include "calibrate/fit.hpp"
#include "calibrate/memory.hpp"
#include "calibrate/model_writer.hpp"
#include "calibrate/plan.hpp"
#include "calibrate/plan_runs.hpp"
#include "calibrate/quick.hpp"
#include "calibrate/record.hpp"
#include "calibrate/scheduler_fit.hpp"
#include "calibrate/speed.hpp"
#include "calibrate/table_report.hpp"
#include "calibrate/validation.hpp"
#include "common/input_error.hpp"
#include "live/commands.hpp"
#include "live/os/process_registry.hpp"
#include "live/results_store.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live/sweep.hpp"
#include "sim/cli/command.hpp"
#include "sim/cli/model_options.hpp"
#include "sim/scenario/host_profile.hpp"
#include "sim/scenario/model_io.hpp"

namespace stacksim::calibrate {

namespace {
struct FitCommandOptions {
  std::vector<std::string> records;
  std::string prior = "models/estimates.json";
  std::string label;
  std::string out = "models";
  std::string regressor = "load";
  std::string evaluate_at = "mean";
  bool skip_flagged = false;
  std::string format = "table";
};

int run_fit(const FitCommandOptions& o) {
  const Model prior = load_model(o.prior);
  const std::string path = model_path(o.out, o.label);
  std::vector<CalibrationRecord> records;
  for (const std::string& file : o.records) {
    auto more = read_record_file(file);
    records.insert(records.end(), more.begin(), more.end());
  }
  FitOptions options;
  options.regressor = parse_regressor(o.regressor, "--regressor");
  options.evaluate_at = parse_evaluate_at(o.evaluate_at, "--evaluate-at");
  options.skip_flagged = o.skip_flagged;
  options.label = "calibrated by stacksim calibrate fit from " + std::to_string(records.size()) +
                  " live records (" + o.label + ")";
  const Calibration c = fit_calibration(records, prior, options);
  write_model_atomically(c.model, path);
  if (o.format == "json") {
    nlohmann::json j = to_json(c);
    j["model"] = path;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << format_summary(c) << "\nWrote " << path << "\n";
  }
  return 0;
}

struct RunCommandOptions {
  std::string plan;
  std::vector<std::string> stacks;  // only these stacks of the plan (empty: all)
  std::string holdout;
  std::string store;
  std::string prior = "models/estimates.json";
  std::string label;
  std::string out = "models";
  bool no_run = false;
  bool skip_flagged = false;
};

int run_calibration(const RunCommandOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const live::RunConfig defaults;
  live::SweepPlan plan = live::load_sweep(o.plan, defaults);
  keep_stacks(plan, o.stacks, o.plan);
  const live::StackRecipes recipes = live::load_stack_recipes(live::default_stacks_path());
  if (!o.holdout.empty()) {
    const live::SweepPlan holdout = live::load_sweep(o.holdout, defaults);
    check_configurations_disjoint(plan_configurations(plan, recipes, online_cpus()),
                                  plan_configurations(holdout, recipes, online_cpus()),
                                  "the calibration plan " + o.plan,
                                  "the validation plan " + o.holdout);
  }
  const Model prior = load_model(o.prior);
  require_stacks_in_prior(plan, o.plan, prior, o.prior);
  const int failed = announce_and_run(plan, o.store, !o.no_run);
  const double run_s = seconds_since(t0);
  const auto [stored, records] = read_plan_records(plan, o.store, o.plan);
  FitOptions options;
  options.regressor = Regressor::kLoad;
  options.skip_flagged = o.skip_flagged;
  options.label = "calibrated on this host by stacksim calibrate run from " +
                  std::to_string(records.size()) + " live records of " + o.plan + " (" + o.label +
                  ")";
  Calibration c = fit_calibration(records, prior, options);
  // The scheduler (imbalance, wake-up latency), by simulating the plan with
  // the fitted demands.
  SchedulerFitOptions so;
  so.simulation.skip_flagged = o.skip_flagged;
  const auto t_fit = std::chrono::steady_clock::now();
  const SchedulerFit scheduler = fit_scheduler(c.model, plan, recipes, stored, so);
  c.model.host.imbalance = scheduler.beta;
  c.model.host.wakeup_latency_ns = static_cast<SimTime>(std::llround(scheduler.latency_us * 1e3));
  record_scheduler_fit(c, scheduler, "stacksim calibrate run", o.plan, o.store);
  if (!o.holdout.empty()) c.model.provenance["holdout_plan"] = o.holdout;
  const std::string path = model_path(o.out, o.label);
  write_model_atomically(c.model, path);
  std::cout << format_summary(c) << "\n"
            << format_summary(scheduler) << "(simulated in "
            << static_cast<int>(seconds_since(t_fit)) << " s)\nWrote " << path << "\n";
  std::fprintf(stdout, "Calibration took %.0f s (%.0f s running the plan, %d failed runs)\n",
               seconds_since(t0), run_s, failed);
  return failed > 0 ? 1 : 0;
}

struct SpeedCommandOptions {
  std::string model;
  std::string plan;
  std::string store;
  std::string out;  // the model at the measured speed; none: print only
  bool no_run = false;
  bool skip_flagged = false;
};

int run_speed(const SpeedCommandOptions& o) {
  const Model model = load_model(o.model);
  const live::SweepPlan plan = live::load_sweep(o.plan, live::RunConfig{});
  const live::StackRecipes recipes = live::load_stack_recipes(live::default_stacks_path());
  announce_and_run(plan, o.store, !o.no_run);
  ValidateOptions simulation;
  simulation.skip_flagged = o.skip_flagged;
  SpeedMeasurement m = measure_speed(model, plan, recipes, live::read_records(o.store), simulation);
  m.store = o.store;
  std::cout << format_summary(m);
  if (!o.out.empty()) {
    write_model_atomically(at_measured_speed(model, m, today_utc()), o.out);
    std::cout << "Wrote " << o.out << " (host.speed " << m.speed << ")\n";
  }
  return 0;
}

struct ValidateCommandOptions {
  cli::ModelChoice model;
  std::string plan;
  std::string store;
  std::vector<std::string> also_records;  // more stores of the plan, read only
  std::string report;                     // prefix of .md and .json
  bool no_run = false;
  bool in_sample = false;  // the model's own plan: no held-out check
  ValidateOptions options;
  std::string format = "markdown";
};

int run_validation(const ValidateCommandOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const Model model = o.model.load();
  const live::SweepPlan plan = live::load_sweep(o.plan, live::RunConfig{});
  const live::StackRecipes recipes = live::load_stack_recipes(live::default_stacks_path());
  const nlohmann::json& prov = model.provenance;
  if (o.in_sample) {
    std::fprintf(stderr, "validate: --in-sample: %s is reported as the model's own plan\n",
                 o.plan.c_str());
  } else if (prov.contains("configurations") && prov.at("configurations").is_array()) {
    check_configurations_disjoint(prov.at("configurations").get<std::vector<std::string>>(),
                                  plan_configurations(plan, recipes, online_cpus()),
                                  "the configurations " + o.model.model + " was fitted from",
                                  "the validation plan " + o.plan);
  } else {
    std::fprintf(stderr,
                 "validate: %s does not list the configurations it was fitted from "
                 "(provenance.configurations); held-out is not checked\n",
                 o.model.model.c_str());
  }
  announce_and_run(plan, o.store, !o.no_run);
  std::vector<nlohmann::json> records = live::read_records(o.store);
  for (const std::string& file : o.also_records) {
    std::vector<nlohmann::json> more = live::read_records(file);
    records.insert(records.end(), std::make_move_iterator(more.begin()),
                   std::make_move_iterator(more.end()));
  }
  ValidationReport rep = validate_model(model, plan, recipes, records, o.options);
  rep.in_sample = o.in_sample;
  rep.stores.push_back(o.store);
  rep.stores.insert(rep.stores.end(), o.also_records.begin(), o.also_records.end());
  const std::string md = to_markdown(rep);
  const nlohmann::json js = to_json(rep);
  if (!o.report.empty()) {
    for (const auto& [suffix, text] :
         {std::pair<std::string, std::string>{".md", md}, {".json", js.dump(2) + "\n"}}) {
      std::ofstream f(o.report + suffix);
      if (!(f << text)) throw InputError("--report: cannot write " + o.report + suffix);
    }
    std::fprintf(stderr, "wrote %s.md and %s.json\n", o.report.c_str(), o.report.c_str());
  }
  std::cout << (o.format == "json" ? js.dump(2) + "\n" : md);
  std::fprintf(stderr, "validation took %.0f s\n", seconds_since(t0));
  return 0;
}

void add_fit_command(CLI::App& cmd, int& exit_code) {
  auto [fit, opts] = cli::add_command<FitCommandOptions>(
      cmd, "fit",
      "Fit each component group's CPU per request (least squares, standard errors, residuals) "
      "from live records and write <out>/<label>.json",
      run_fit, exit_code);
  fit->add_option("--records", opts->records,
                  "Live results store(s), JSON lines of `stacksim live run` (repeatable)")
      ->required();
  fit->add_option("--prior", opts->prior,
                  "Model giving the stacks, the per-burst proportions and what the records "
                  "cannot identify")
      ->capture_default_str();
  add_model_file_options(*fit, opts->label, opts->out);
  fit->add_option("--regressor", opts->regressor,
                  "x of y = a + b*x per group: load (the host's idle share; postgres adds its "
                  "backends; carried into the model), sessions (peak server sessions), "
                  "throughput (rps), inverse_throughput (1e6/rps: the slope is background CPU "
                  "in cores), none")
      ->capture_default_str();
  fit->add_option(
         "--evaluate-at", opts->evaluate_at,
         "Read each group's line for the model at the records' mean x, their largest x (max), "
         "or x = 0 (zero)")
      ->capture_default_str();
  add_skip_flagged(*fit, opts->skip_flagged);
  fit->add_option("--format", opts->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
}

void add_run_command(CLI::App& cmd, int& exit_code) {
  auto [run, ro] = cli::add_command<RunCommandOptions>(
      cmd, "run",
      "Run a calibration plan live (resumable from --store), then fit the load model "
      "(demand at saturation, idle inflation, postgres per backend) and write <out>/<label>.json",
      guarded("calibrate", run_calibration), exit_code);
  add_plan_and_store(*run, ro->plan, "Calibration plan (a stacksim.live-sweep file)", ro->store);
  run->add_option("--stack", ro->stacks, "Calibrate only this stack of the plan (repeatable)");
  run->add_option("--holdout", ro->holdout,
                  "Validation plan: refused if it shares a configuration with --plan");
  run->add_option("--prior", ro->prior, "Model giving the stacks and the per-burst proportions")
      ->capture_default_str();
  add_model_file_options(*run, ro->label, ro->out);
  add_record_flags(*run, ro->no_run, "Do not run anything: fit the plan's records in --store",
                   ro->skip_flagged);
}

void add_speed_command(CLI::App& cmd, int& exit_code) {
  auto [speed, so] = cli::add_command<SpeedCommandOptions>(
      cmd, "speed",
      "Measure the host's speed today against a model's machine: run a short reference plan "
      "live (resumable from --store), compare each point's CPU per request with the model's, "
      "and write the model at the median speed (host.speed)",
      guarded("calibrate speed", run_speed), exit_code);
  speed->add_option("--model", so->model, "Model whose machine is the reference")->required();
  add_plan_and_store(*speed, so->plan, "Reference plan (a stacksim.live-sweep file)", so->store);
  speed->add_option("--out", so->out, "Write the model at the measured speed to this file");
  add_record_flags(*speed, so->no_run, "Do not run anything: use the records in --store",
                   so->skip_flagged);
}

void add_validate_command(CLI::App& app, int& exit_code) {
  auto [val, vo] = cli::add_command<ValidateCommandOptions>(
      app, "validate",
      "Run a held-out plan live (resumable from --store), predict each point with the model, "
      "and report the errors and the sync/async winners (Markdown and JSON)",
      guarded("validate", run_validation), exit_code);
  cli::add_model_options(*val, vo->model, "Model file to validate");
  add_plan_and_store(*val, vo->plan, "Validation plan (a stacksim.live-sweep file)", vo->store);
  val->add_option("--also-records", vo->also_records,
                  "Another store of the same plan's runs (e.g. a second session), read, never "
                  "written; its records count as more repeats (repeatable)")
      ->check(CLI::ExistingFile);
  val->add_option("--report", vo->report, "Write the report to PREFIX.md and PREFIX.json");
  val->add_flag("--in-sample", vo->in_sample,
                "The plan is the one the model was fitted from: report how well the model "
                "reproduces its own records (marked in sample) instead of refusing the overlap");
  add_record_flags(*val, vo->no_run, "Do not run anything: validate on the records in --store",
                   vo->options.skip_flagged);
  val->add_option("--requests", vo->options.requests, "Simulated requests per replication")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{100'000'000}))
      ->capture_default_str();
  val->add_option("--warmup-requests", vo->options.warmup_requests,
                  "Simulated warm-up requests per replication")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{100'000'000}))
      ->capture_default_str();
  val->add_option("--replications", vo->options.replications, "Simulated replications")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  val->add_option("--threads", vo->options.threads, "Simulation threads (0: one per core)");
  vo->options.at_measured_speed = true;
  val->add_flag("!--no-speed-check", vo->options.at_measured_speed,
                "Do not predict each point again at the CPU speed its runs measured");
  val->add_option("--format", vo->format, "markdown or json on stdout")
      ->check(CLI::IsMember({"markdown", "json"}))
      ->capture_default_str();
}

struct MemoryCommandOptions {
  std::vector<std::string> records;  // one store or more, read as one
  std::string model;
  std::string out;     // empty: the model file itself
  bool check = false;  // compare, write nothing
};

int run_memory(const MemoryCommandOptions& o) {
  Model model = load_model(o.model);
  std::vector<nlohmann::json> records;
  std::string sources;
  for (const std::string& path : o.records) {
    std::vector<nlohmann::json> one = live::read_records(path);
    validate_memory_records(one, path);  // each store's errors name it and its line
    for (nlohmann::json& r : one) records.push_back(std::move(r));
    sources += (sources.empty() ? "" : ", ") + path;
  }
  if (o.check) {
    if (!o.out.empty()) throw InputError("--out: --check writes nothing");
    std::cout << memory_check_table(check_memory(model, records, sources));
    return 0;
  }
  const auto fits = fit_memory(records, sources);
  apply_memory(model, fits, sources);
  const std::string out = o.out.empty() ? o.model : o.out;
  write_model_atomically(model, out);
  std::cout << memory_table(fits) << "\nWrote " << out << "\n";
  return 0;
}

void add_memory_command(CLI::App& cmd, int& exit_code) {
  auto [mem, opts] = cli::add_command<MemoryCommandOptions>(
      cmd, "memory",
      "Put each stack's app-server RAM (PSS per worker and of the master, from live records' "
      "memory) into a model's stacks.<name>.memory",
      run_memory, exit_code);
  mem->add_option("--records", opts->records,
                  "Live results store (calibrate/data/memory.jsonl); repeat it to read several "
                  "as one")
      ->required();
  mem->add_option("--model", opts->model, "Model to update")->required();
  mem->add_option("--out", opts->out, "Write here instead of over --model (atomically)");
  mem->add_flag("--check", opts->check,
                "Fit nothing: compare each record's total PSS with the model's master + W x "
                "worker + C x connection (records it did not see, e.g. "
                "calibrate/plans/memory-blind.json's)");
}

}  // namespace

void add_calibrate_commands(CLI::App& app, int& exit_code) {
  auto* cmd = live::add_command_group(
      app, "calibrate", "Run calibration plans live and fit model files from their records");
  add_fit_command(*cmd, exit_code);
  add_run_command(*cmd, exit_code);
  add_speed_command(*cmd, exit_code);
  add_quick_command(*cmd, exit_code);
  add_table_command(*cmd, exit_code);
  add_memory_command(*cmd, exit_code);
  add_validate_command(app, exit_code);
}

}  // namespace stacksim::calibrate
