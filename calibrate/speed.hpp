// The machine's speed of the day. On a shared virtual machine the CPU a
// request costs drifts between sessions (on this host the same
// configurations cost 28% more on one afternoon than on the morning the
// model was fitted), and every CPU-bound prediction drifts with it. A short
// reference plan run now measures it: per point, the model's CPU per
// request over the runs' median (validate's speed check), and their median
// is the host's speed relative to the model's machine. A copy of the model
// with host.speed set predicts for today's machine.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibrate/validation.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live/sweep.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

struct SpeedPoint {
  std::string stack, configuration;
  double model_cpu_us = 0, measured_cpu_us = 0;  // per request, all groups
  double speed = 0;                              // model / measured, times the model's speed
};

struct SpeedMeasurement {
  double speed = 1;  // the median of the points'
  std::vector<SpeedPoint> points;
  std::string plan, store;
};

// Throws InputError when no plan point has a record with CPU figures.
SpeedMeasurement measure_speed(const Model& model, const live::SweepPlan& plan,
                               const live::StackRecipes& recipes,
                               const std::vector<nlohmann::json>& records,
                               const ValidateOptions& simulation);

// The model at that speed: host.speed set, the label and provenance.speed
// saying from what.
Model at_measured_speed(const Model& model, const SpeedMeasurement& m, const std::string& date);

nlohmann::json to_json(const SpeedMeasurement& m);
std::string format_summary(const SpeedMeasurement& m);

}  // namespace stacksim::calibrate
