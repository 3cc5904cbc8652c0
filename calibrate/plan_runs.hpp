// What the calibrate commands share around a plan run live: picking a plan's
// stacks, saying what it costs before it starts, and reading back the
// store's records of its points.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibrate/record.hpp"
#include "live/sweep.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

int online_cpus();
double seconds_since(std::chrono::steady_clock::time_point t0);

// Keeps the plan's points of these stacks (all when empty); InputError
// naming `plan_path` and a stack the plan does not have.
void keep_stacks(live::SweepPlan& plan, const std::vector<std::string>& stacks,
                 const std::string& plan_path);

// The store's records (`stored`, read from `store`) of the plan's points, in
// calibration's shape.
std::vector<CalibrationRecord> plan_records(const live::SweepPlan& plan, const std::string& store,
                                            const std::vector<nlohmann::json>& stored);

// Every record of the store, and the plan's in calibration's shape.
struct StoredPlan {
  std::vector<nlohmann::json> stored;
  std::vector<CalibrationRecord> records;
};
// Reads `store` after a plan ran; InputError naming the store and
// `plan_path` when it holds no record of the plan.
StoredPlan read_plan_records(const live::SweepPlan& plan, const std::string& store,
                             const std::string& plan_path);

// InputError naming `plan_path` and `prior_path` for a stack of the plan
// the prior model does not have (before anything runs).
void require_stacks_in_prior(const live::SweepPlan& plan, const std::string& plan_path,
                             const Model& prior, const std::string& prior_path);

// Says what the plan costs before it starts: runs, how many the store
// already holds, and a time estimate from the plan's windows.
void announce(const live::SweepPlan& plan, const std::string& store, bool will_run);
// announce, then (when `run`) the plan's pending points live into `store`;
// returns the runs that failed.
int announce_and_run(const live::SweepPlan& plan, const std::string& store, bool run);

}  // namespace stacksim::calibrate
