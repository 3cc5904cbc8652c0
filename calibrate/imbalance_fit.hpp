// Fitting the host's scheduler imbalance (CpuHost, host.imbalance) by
// simulation. Per-group CPU cannot show it: it is CPU left idle while work
// waits in another core's run queue, so it shows only in throughput and
// latency. The model, its demands already fitted, is simulated at every
// configuration of the calibration plan for each candidate beta, and the beta
// whose median absolute throughput error over the plan's records is smallest
// is kept (indirect inference; common random numbers across candidates, so
// the comparison is not noise). The calibration records only: the validation
// plan never sees the fit.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibrate/validation.hpp"
#include "live/stack_recipes.hpp"
#include "live/sweep.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

struct ImbalanceFitOptions {
  std::vector<double> grid = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  double refine_step = 0.05;  // then the best's two neighbours at this distance
  ValidateOptions simulation = [] {
    ValidateOptions o;
    o.requests = 8'000;
    o.warmup_requests = 2'000;
    o.replications = 2;
    return o;
  }();
};

struct ImbalanceCandidate {
  double beta = 0;
  ErrorSummary errors;  // median absolute errors over the plan's points
};

struct ImbalanceFit {
  double beta = 0;
  std::vector<ImbalanceCandidate> candidates;  // in the order simulated
  int points = 0;
};

// Throws InputError when no plan point has a record (as validate_model).
ImbalanceFit fit_imbalance(const Model& model, const live::SweepPlan& plan,
                           const live::StackRecipes& recipes,
                           const std::vector<nlohmann::json>& records,
                           const ImbalanceFitOptions& options = {});

nlohmann::json to_json(const ImbalanceFit& f);
// One line per candidate (beta, median absolute errors), the kept one marked.
std::string format_summary(const ImbalanceFit& f);

}  // namespace stacksim::calibrate
