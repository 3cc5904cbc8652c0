#include "calibrate/quick.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "calibrate/command_options.hpp"
#include "calibrate/fit.hpp"
#include "calibrate/latency_shape.hpp"
#include "calibrate/load_consistency.hpp"
#include "calibrate/model_writer.hpp"
#include "calibrate/plan_runs.hpp"
#include "calibrate/scheduler_fit.hpp"
#include "common/input_error.hpp"
#include "live/os/process_registry.hpp"
#include "live/probe/host_probe.hpp"
#include "live/results_store.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live/sweep.hpp"
#include "sim/cli/command.hpp"
#include "sim/scenario/host_profile.hpp"
#include "sim/scenario/json_fields.hpp"
#include "sim/scenario/model_io.hpp"

namespace stacksim::calibrate {

namespace {

// "models/x.json" -> "models/x" + suffix.
std::string beside(const std::string& out, const std::string& suffix) {
  std::filesystem::path p(out);
  if (p.extension() == ".json") p.replace_extension();
  return p.string() + suffix;
}

// The profile this calibration uses: the one in the file when it was probed
// with the same CPU count (a resumed calibration keeps its host), else a
// fresh probe, written beside the model.
HostProfile profile_for(const QuickOptions& o, int cpus) {
  if (!o.reprobe && std::filesystem::exists(o.profile)) {
    HostProfile p = load_host_profile(o.profile);
    if (p.cpus == cpus) {
      std::fprintf(stderr,
                   "calibrate quick: host profile from %s (probed %s; --reprobe to probe again)\n",
                   o.profile.c_str(), p.date.c_str());
      if (!p.measurements.contains("cross_core_idle")) {
        // A profile from before the term: the rest stays the runs' host.
        live::ProbeOptions po;
        po.cores = o.cores;
        live::probe_cross_core_term(po, p);
        p.measurements["cross_core_idle"]["added"] = "probed " + today_utc() + ", after the rest";
        json_fields::write_text_atomically(o.profile, to_json(p).dump(2) + "\n", "--profile");
        std::fprintf(stderr, "calibrate quick: added cross_core_idle %.3f (probed now) to %s\n",
                     p.terms.cross_core_idle, o.profile.c_str());
      }
      return p;
    }
    std::fprintf(stderr,
                 "calibrate quick: %s was probed on %d CPUs, this run uses %d: probing again\n",
                 o.profile.c_str(), p.cpus, cpus);
  }
  std::fprintf(stderr, "calibrate quick: probing the host (about 12 s)\n");
  live::ProbeOptions po;
  po.cores = o.cores;
  HostProfile p = live::probe_host(po);
  p.source = o.profile;
  json_fields::write_text_atomically(o.profile, to_json(p).dump(2) + "\n", "--profile");
  std::cerr << live::format_profile(p);
  return p;
}

// The options with their defaults filled in (the plan and prior shipped,
// the store and profile beside the model); every output's folder must exist.
QuickOptions with_defaults(const QuickOptions& in) {
  QuickOptions o = in;
  if (o.out.empty()) throw InputError("--out: name the model file to write");
  if (o.plan.empty()) o.plan = live::project_dir() + "/calibrate/plans/quick.json";
  if (o.prior.empty()) o.prior = live::project_dir() + "/models/this-machine.json";
  if (o.store.empty()) o.store = beside(o.out, ".runs.jsonl");
  if (o.profile.empty()) o.profile = beside(o.out, ".profile.json");
  for (const auto& [option, file] : {std::pair<const char*, const std::string&>{"--out", o.out},
                                     {"--store", o.store},
                                     {"--profile", o.profile}}) {
    const std::filesystem::path dir = std::filesystem::path(file).parent_path();
    if (!dir.empty() && !std::filesystem::is_directory(dir))
      throw InputError(std::string(option) + " " + file + ": no such directory " + dir.string());
  }
  return o;
}

// The plan's points restricted to the chosen stacks, each at --cores.
live::SweepPlan quick_plan(const QuickOptions& o) {
  live::SweepPlan plan = live::load_sweep(o.plan, live::RunConfig{});
  keep_stacks(plan, o.stacks, o.plan);
  for (live::SweepPoint& p : plan.points) {
    p.config.cores = o.cores;
    p.key = live::sweep_key(p.config);
  }
  return plan;
}

// The host the model describes: this one, as probed.
void describe_host(Model& m, const HostProfile& profile, int cpus) {
  m.host.cores = cpus;
  m.host.cpu_model = profile.cpu_model;
  m.host.speed = 1;
  m.host.wakeup_latency_ns =
      static_cast<SimTime>(std::llround(profile.terms.wakeup_latency_us * 1e3));
  m.host.profile = profile;
}

// How the model was made (the scheduler fit's part: record_scheduler_fit).
void record_provenance(Calibration& c, const std::optional<LoadConsistencyFit>& load,
                       const SchedulerFit& scheduler, const std::optional<LatencyShapeFit>& shape,
                       const QuickOptions& o, int cpus) {
  Model& m = c.model;
  if (load) m.provenance["load_fit"] = to_json(*load);
  record_scheduler_fit(c, scheduler, "stacksim calibrate quick", o.plan, o.store);
  if (shape) m.provenance["latency_shape_fit"] = to_json(*shape);
  m.provenance["profile"] = o.profile;
  m.provenance["cores"] = cpus;
  const bool latency_fitted = std::any_of(
      scheduler.candidates.begin(), scheduler.candidates.end(),
      [&](const SchedulerCandidate& k) { return k.latency_us != scheduler.latency_us; });
  m.provenance["host_terms"] =
      latency_fitted
          ? "imbalance and wakeup_latency_us fitted on the plan (its runs with a query delay "
            "show the wake-up after a timer on a busy host, which the probe cannot isolate), "
            "the demands held, from the probe's latency (host.profile) up"
          : "wakeup_latency_us from the probe (host.profile); imbalance fitted on the plan with "
            "the demands and the probed latency held";
  m.provenance["latency_shape"] =
      shape ? "accept_policy and worker_order chosen per worker type on the plan "
              "(calibrate/latency_shape.hpp)"
            : "accept_policy and worker_order kept from the prior (--keep-latency-shape)";
}

// Imbalance, and the wake-up latency where the plan has runs with a delay:
// the short plan simulated at each candidate with the demands held, the
// result put into m's host. The probe measures a wake-up onto an idle core
// only; one after a timer on a busy host (a sync worker's every request with
// a delay) cannot be probed apart from the software, so with such runs the
// latency is fitted, starting from the probe's.
SchedulerFit fit_host_scheduler(Model& m, const live::SweepPlan& plan,
                                const live::StackRecipes& recipes,
                                const std::vector<nlohmann::json>& stored,
                                const HostProfile& profile, bool has_delay, bool skip_flagged) {
  SchedulerFitOptions sf;
  const double probed_us = profile.terms.wakeup_latency_us;
  sf.latency_grid_us = {probed_us};
  if (has_delay)
    for (double us : {100.0, 150.0, 200.0, 250.0, 300.0, 400.0})
      if (us > probed_us) sf.latency_grid_us.push_back(us);
  sf.min_latency_us = probed_us;
  sf.simulation.skip_flagged = skip_flagged;
  const SchedulerFit scheduler = fit_scheduler(m, plan, recipes, stored, sf);
  m.host.imbalance = scheduler.beta;
  m.host.wakeup_latency_ns = static_cast<SimTime>(std::llround(scheduler.latency_us * 1e3));
  return scheduler;
}

}  // namespace

int run_quick_calibration(const QuickOptions& in) {
  const auto t0 = std::chrono::steady_clock::now();
  const QuickOptions o = with_defaults(in);
  const live::SweepPlan plan = quick_plan(o);
  const Model prior = load_model(o.prior);
  require_stacks_in_prior(plan, o.plan, prior, o.prior);
  // Without runs the store must hold the plan already: said before the probe
  // spends its seconds or writes a profile.
  if (o.no_run) read_plan_records(plan, o.store, o.plan);
  const std::vector<int> cpus = live::probe_cpus(o.cores);  // --cores checked before anything runs
  const HostProfile profile = profile_for(o, static_cast<int>(cpus.size()));
  const double probe_s = seconds_since(t0);

  const int failed = announce_and_run(plan, o.store, !o.no_run);
  const double run_s = seconds_since(t0) - probe_s;
  const auto [stored, records] = read_plan_records(plan, o.store, o.plan);

  // The demands from every run of the plan: per stack a saturated run and a
  // light one (CPU per request hot, and on a half-idle host) and, where the
  // plan has them, runs with a query delay, so that each app's line in the
  // idle share spans the regimes a user asks about: a sync stack's host
  // three-quarters idle, an event loop busy with a delay's wake-ups. The
  // hot level needs a run without a delay.
  if (std::none_of(records.begin(), records.end(),
                   [](const CalibrationRecord& r) { return r.delay_ms == 0; }))
    throw InputError(o.plan + ": no run without a query delay in " + o.store +
                     "; the demands' hot level is fitted from runs at delay_ms 0");
  const bool has_delay = std::any_of(records.begin(), records.end(),
                                     [](const CalibrationRecord& r) { return r.delay_ms > 0; });
  FitOptions options;
  options.regressor = Regressor::kLoad;
  options.skip_flagged = o.skip_flagged;
  options.exact_app_line = true;
  options.cold_term = false;
  options.label = "calibrated on " + profile.cpu_model + " (" + std::to_string(cpus.size()) +
                  " CPUs) by stacksim calibrate quick from " + std::to_string(records.size()) +
                  " live records and a host probe";
  Calibration c = fit_calibration(records, prior, options);
  Model& m = c.model;
  describe_host(m, profile, static_cast<int>(cpus.size()));
  const live::StackRecipes recipes = live::load_stack_recipes(live::default_stacks_path());
  const auto t_fit = std::chrono::steady_clock::now();
  std::optional<LoadConsistencyFit> load;
  if (o.refit_on_simulated_load) {
    LoadConsistencyOptions lc;
    lc.simulation.skip_flagged = o.skip_flagged;
    load = fit_on_simulated_load(c, records, prior, options, plan, recipes, stored, lc);
  }

  const SchedulerFit scheduler =
      fit_host_scheduler(m, plan, recipes, stored, profile, has_delay, o.skip_flagged);
  // The latency's shape, on the fitted host: how each async server spreads
  // and orders its requests.
  std::optional<LatencyShapeFit> shape;
  if (!o.keep_latency_shape) {
    LatencyShapeOptions lo;
    lo.simulation.skip_flagged = o.skip_flagged;
    shape = fit_latency_shape(m, plan, recipes, stored, lo);
    apply(*shape, m);
  }
  record_provenance(c, load, scheduler, shape, o, static_cast<int>(cpus.size()));
  write_model_atomically(m, o.out);
  std::cout << format_summary(c) << "\n";
  if (load) std::cout << format_summary(*load);
  std::cout << format_summary(scheduler);
  if (shape) std::cout << format_summary(*shape);
  std::cout << "(simulated in " << static_cast<int>(seconds_since(t_fit)) << " s)\nWrote " << o.out
            << "\n";
  std::fprintf(stdout,
               "Quick calibration took %.0f s (probe %.0f s, plan %.0f s with %d failed runs, "
               "fit %.0f s)\n",
               seconds_since(t0), probe_s, run_s, failed, seconds_since(t_fit));
  return failed > 0 ? 1 : 0;
}

void add_quick_command(CLI::App& calibrate, int& exit_code) {
  auto [cmd, o] = cli::add_command<QuickOptions>(
      calibrate, "quick",
      "A model of this host in minutes: probe the host, run a short plan (per stack a "
      "saturated, a lightly loaded and a delayed run; resumable from --store), fit the demands, "
      "the scheduler's imbalance and wake-up latency and each async type's latency shape, and "
      "write the model with its host profile",
      guarded("calibrate quick", run_quick_calibration), exit_code);
  cmd->add_option("--out", o->out, "Model file to write")->required();
  cmd->add_option("--cores", o->cores,
                  "Pin the probe and every run to the first N allowed CPUs (0: all)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_option("--stack", o->stacks, "Calibrate only this stack (repeatable)");
  cmd->add_option("--plan", o->plan, "Short plan (default calibrate/plans/quick.json)");
  cmd->add_option("--store", o->store,
                  "Results store (JSON lines; default beside --out: NAME.runs.jsonl); the plan "
                  "resumes from it");
  cmd->add_option("--profile", o->profile,
                  "Host profile file (default beside --out: NAME.profile.json); reused when it "
                  "holds a probe of the same CPU count");
  cmd->add_option("--prior", o->prior,
                  "Model giving the stacks and the per-burst proportions (default "
                  "models/this-machine.json of the checkout)");
  cmd->add_flag("--reprobe", o->reprobe, "Probe the host again even when --profile exists");
  cmd->add_flag("--keep-latency-shape", o->keep_latency_shape,
                "Keep the prior's accept_policy and worker_order of every async stack instead of "
                "choosing them on the plan");
  cmd->add_flag("--refit-on-simulated-load", o->refit_on_simulated_load,
                "Fit the demands again on the load (idle share, open backends, throughput) the "
                "simulator gives the plan, round after round, keeping the round closest to the "
                "measured CPU per request (docs/host.md: better in sample, worse across core "
                "counts on the records tried)");
  add_record_flags(*cmd, o->no_run, "Do not run the plan: fit the records in --store",
                   o->skip_flagged);
}

}  // namespace stacksim::calibrate
