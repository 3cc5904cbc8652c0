// Fitting the host's scheduler (CpuHost): host.imbalance, the CPU left idle
// while work waits in another core's run queue, and host.wakeup_latency_us,
// how long an idle core takes to pick up a woken thread. Per-group CPU
// cannot show either: they are time without CPU, so they show only in
// throughput and latency. The model, its demands already fitted, is
// simulated at every configuration of the calibration plan for each
// candidate (beta, latency) and the candidate with the smallest mean
// absolute throughput error is kept (indirect inference; common random
// numbers across candidates, so the comparison is not noise). The mean, not
// the median: each parameter moves only some points (the latency mostly the
// sync stacks' with delay), and a median over all of them hardly sees it.
//
// The error is taken at each point's measured CPU speed (validate's speed
// check): the runs' CPU per request drifts with the shared machine, and a
// demand the fit got wrong would otherwise be absorbed by the scheduler's
// parameters, which is not what they mean. The search is coordinate-wise:
// the latency grid at the prior's beta, the beta grid at the best latency,
// the latency grid again, then each parameter's two neighbours at half a
// step. The calibration records only: the validation plan never sees it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibrate/fit.hpp"
#include "calibrate/validation.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live/sweep.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

struct SchedulerFitOptions {
  std::vector<double> beta_grid = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  std::vector<double> latency_grid_us = {0, 50, 100, 150, 200, 250, 300};
  bool refine = true;         // then each parameter's neighbours at half its grid's step
  double min_latency_us = 0;  // no candidate below (a probed latency is a floor)
  ValidateOptions simulation = candidate_simulation(2);
};

struct SchedulerCandidate {
  double beta = 0;
  double latency_us = 0;
  double criterion = 0;  // mean |throughput error| at the measured speed
  ErrorSummary errors;   // median absolute errors over the plan's points
};

struct SchedulerFit {
  double beta = 0;
  double latency_us = 0;
  std::vector<SchedulerCandidate> candidates;  // in the order simulated
  int points = 0;
};

// Throws InputError when no plan point has a record (as validate_model), and
// std::invalid_argument when no latency of the grid (nor the model's own) is
// at or above min_latency_us.
SchedulerFit fit_scheduler(const Model& model, const live::SweepPlan& plan,
                           const live::StackRecipes& recipes,
                           const std::vector<nlohmann::json>& records,
                           const SchedulerFitOptions& options = {});

nlohmann::json to_json(const SchedulerFit& f);
// One line per candidate (beta, latency, median absolute errors), the kept
// one marked.
std::string format_summary(const SchedulerFit& f);

// A calibration's scheduler, fitted: the fit replaces its "not fitted"
// note, and the provenance names the fit, the tool, the plan and the store
// (calibrate run and calibrate quick alike).
void record_scheduler_fit(Calibration& c, const SchedulerFit& fit, const std::string& tool,
                          const std::string& plan, const std::string& store);

}  // namespace stacksim::calibrate
