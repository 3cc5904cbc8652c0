// Keeping fitting and validation apart: a configuration (stack, db mode,
// workers, clients, sessions, delay, cores) used to fit a model must not be
// used to validate it, or the validation measures the fit, not the model.
// Repeats of one configuration share its key, so they fall on one side.
// The check runs on plans before anything is run, on a model's provenance
// (the configurations it was fitted from) and on records.
#pragma once

#include <string>
#include <vector>

#include "calibrate/record.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live/sweep.hpp"

namespace stacksim::calibrate {

// Throws InputError naming each shared configuration (and a record of each
// side) when a validation record has the configuration of a fitting record.
void check_disjoint(const std::vector<CalibrationRecord>& fit_records,
                    const std::vector<CalibrationRecord>& validation_records);

// The configuration a live run of `c` will have, as configuration_key sees
// it: workers resolved as the live runner does (2*cores+1 sync, cores
// otherwise) from the stack's recipe; `cpus_online` stands for cores = 0.
CalibrationRecord configuration_of(const live::RunConfig& c, const live::StackRecipes& recipes,
                                   int cpus_online);

// The distinct configuration keys of a plan's points.
std::vector<std::string> plan_configurations(const live::SweepPlan& plan,
                                             const live::StackRecipes& recipes, int cpus_online);

// InputError naming every configuration that both lists hold, with `fit_what`
// and `validation_what` (file names) in the message.
void check_configurations_disjoint(const std::vector<std::string>& fit,
                                   const std::vector<std::string>& validation,
                                   const std::string& fit_what, const std::string& validation_what);

}  // namespace stacksim::calibrate
