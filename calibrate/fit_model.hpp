// From fitted group lines to a model's numbers: the steps of fit_calibration
// (calibrate/fit.cpp) that write the model. Each group's fitted total is
// split over its bursts in the prior's proportions, the load model read off
// each line's coefficients, each stack's scale on the shared groups kept in
// the model's fields.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibrate/fit.hpp"

namespace stacksim::calibrate {

// The load model's extra terms (Regressor::kLoad).
constexpr const char* kBackendsTerm = "backends";
constexpr const char* kWallTerm = "wall_ms_per_request";

// The load model of a group from its fit (see load_of in fit_model.cpp):
// idle inflation, per-backend and cold-cache costs; a coefficient not
// identified or of the wrong sign is 0 and a note says so.
LoadDependence load_of(const GroupFit& gf, std::vector<std::string>& notes);
// The model's name of a shared group in stacks.<s>.shared_scale, and its field.
const char* shared_scale_key(Group g);
double& shared_scale_of(SharedScale& f, Group g);
// The load model of each shared group (with the load regressor; else none).
void set_shared_load(Model& m, const FitOptions& o, Calibration& c);
// The model: the prior's structure with the fitted means, on `host`; returns
// how each group's total was split over its bursts (for provenance).
nlohmann::json set_demands(Model& m, const Model& prior, const CalibrationRecord& host,
                           const FitOptions& o, Calibration& c);

}  // namespace stacksim::calibrate
