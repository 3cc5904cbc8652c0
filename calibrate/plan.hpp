// Keeping fitting and validation apart: a configuration (stack, db mode,
// workers, clients, sessions, delay, cores) used to fit a model must not be
// used to validate it, or the validation measures the fit, not the model.
// Repeats of one configuration share its key, so they fall on one side.
#pragma once

#include <string>
#include <vector>

#include "calibrate/record.hpp"

namespace stacksim::calibrate {

// Throws InputError naming each shared configuration (and a record of each
// side) when a validation record has the configuration of a fitting record.
void check_disjoint(const std::vector<CalibrationRecord>& fit_records,
                    const std::vector<CalibrationRecord>& validation_records);

}  // namespace stacksim::calibrate
