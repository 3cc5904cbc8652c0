// What `calibrate table` says of its fit: the factors with their spread and
// whether the table pins them, each row published against fitted, and why
// the author's machine and this one reach different verdicts. As text (the
// command's output and docs/published.md's tables) and as JSON (the fitted
// model's provenance, the notebook's input).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "calibrate/table_fit.hpp"

namespace CLI {
class App;
}

namespace stacksim::calibrate {

// Where the fit's inputs came from, for the provenance.
struct TableInputs {
  std::string table, map, scenario, prior, estimates;
};

// Relative error of fitted against published (fitted / published - 1), NaN
// where the table has no figure.
double relative_error(const std::optional<double>& published, const std::optional<double>& fitted);

nlohmann::json table_fit_json(const TableFit& fit, const PublishedTable& table,
                              const TableInputs& inputs);
std::string format_table_fit(const TableFit& fit, const PublishedTable& table);

// Why the verdict differs between two machines at one scenario: each side's
// CPU per request, the async CPU bound n/c and the sync bound W/hold, for the
// table's baseline (sync) and its fastest async row, simulated on both models.
std::string explain_difference(const TableFit& fit, const PublishedTable& table,
                               const Model& this_machine, const std::string& this_machine_name,
                               unsigned threads);

// `stacksim calibrate table` (calibrate/table_command.cpp).
void add_table_command(CLI::App& calibrate, int& exit_code);

}  // namespace stacksim::calibrate
