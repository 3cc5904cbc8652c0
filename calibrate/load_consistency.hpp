// The demands refitted on the load the simulator sees.
//
// fit_calibration reads each group's CPU per request as a line in the load
// its records measured: y = d (1 + k idle) + b backends, idle the host's
// idle share in the window and backends its open server sessions. The
// simulator charges that line at the load it simulates, and at the plan's
// own configurations that load need not be the measured one: where more
// backends cost more CPU, which holds them longer, which opens more, a
// line fitted at 54 backends is charged at 72. So a model can miss the very
// runs it was fitted on. On this VM's short plan (models/quick-epyc2-cc.json)
// the simulated CPU per request was 18% off the measured, in-sample, at the
// profile's speed, and throughput 19% off: fitted on the records' load, the
// model did not reproduce it.
//
// The step: simulate the plan's configurations with the fitted model, give
// each record the simulated idle share, backends and throughput in place of
// the measured ones (its measured CPU per request stays: it is what is
// fitted), fit again, and repeat. A fixed point is a model whose demands,
// charged at the load they make, give the CPU per request the runs
// measured. Each round is scored by the median |error| of the simulated CPU
// per request against the measured over the plan's points; the best round
// is kept (round 0 is the fit on the measured load), so the step never
// leaves the model worse on its own plan than it found it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibrate/fit.hpp"
#include "calibrate/validation.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live/sweep.hpp"

namespace stacksim::calibrate {

struct LoadConsistencyOptions {
  int rounds = 4;  // refits after the first fit
  ValidateOptions simulation = candidate_simulation(2);
};

// One fit, simulated at the plan's configurations: median |error| of each
// figure over the points, at the model's own speed.
struct LoadConsistencyRound {
  double cpu = 0;         // CPU per request, all groups
  double throughput = 0;  // throughput
  double host_busy = 0;   // the host's busy share
  double sessions = 0;    // peak server sessions (#DB)
};

struct LoadConsistencyFit {
  std::vector<LoadConsistencyRound> rounds;  // round 0: fitted on the measured load
  int kept = 0;
};

// Refits `c` (from fit_calibration(records, prior, fit), its model's host
// already described) on the simulated load of `plan`'s points, and leaves in
// `c` the kept round's calibration with c.model.host unchanged. The stored
// live records are those `records` were read from.
LoadConsistencyFit fit_on_simulated_load(
    Calibration& c, const std::vector<CalibrationRecord>& records, const Model& prior,
    const FitOptions& fit, const live::SweepPlan& plan, const live::StackRecipes& recipes,
    const std::vector<nlohmann::json>& stored, const LoadConsistencyOptions& options = {});

nlohmann::json to_json(const LoadConsistencyFit& f);
// One line per round, the kept one marked.
std::string format_summary(const LoadConsistencyFit& f);

}  // namespace stacksim::calibrate
