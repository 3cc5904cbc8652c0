// The three ways `stacksim sim` prints an experiment: a table for people,
// one JSON document for programs (field names in README), CSV for sheets.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "sim/experiment/experiment.hpp"

namespace stacksim {

// What every JSON report (sim, crossover, tune) opens with: its schema and
// version, the model it used (source and label) and the scenario it ran.
nlohmann::json report_head(const char* schema, int version, const Model& model,
                           const Scenario& scenario);

nlohmann::json report_json(const Model& model, const Scenario& scenario,
                           const std::vector<ConfigurationResult>& results);
void print_table(std::ostream& out, const Model& model,
                 const std::vector<ConfigurationResult>& results);
void print_csv(std::ostream& out, const Model& model,
               const std::vector<ConfigurationResult>& results);

}  // namespace stacksim
