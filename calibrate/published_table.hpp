// A published benchmark table (someone else's measurements: a CSV of one row
// per stack with throughput, P50, P99 and peak database sessions, any of them
// missing) read strictly and tied to the model's stacks, and each row's
// configuration: the scenario, the row's worker count and the settings a
// mapping file gives it (an article's async apps with a pool of their own,
// for instance).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

enum class ThroughputKind { kRelative, kAbsolute };

// The figures a row may give; each absent where the cell is empty.
struct PublishedFigures {
  std::optional<double> throughput;  // relative to the baseline row, or requests/s
  std::optional<double> p50_ms, p99_ms;
  std::optional<double> db_sessions_peak;
};

struct PublishedRow {
  std::string label;  // as the table names it: "Flask/Gunicorn", server and framework
  int line = 0;       // in the CSV
  std::string stack;  // the model's stack it maps to
  PublishedFigures figures;
  Scenario scenario;  // the row's configuration: one stack, its workers and settings
};

struct PublishedTable {
  std::string source;
  ThroughputKind kind = ThroughputKind::kRelative;
  std::string baseline;  // the stack relative throughput is a multiple of
  std::vector<PublishedRow> rows;
  std::vector<std::pair<std::string, std::string>> skipped;  // label, why (the mapping's)

  const PublishedRow* baseline_row() const;
  // How many figures the rows give in all (what a fit has to go on).
  int figure_count() const;
};

// The columns: `stack`, or `server` and `framework` (a row's label is
// "framework/server" in the table's order of those two columns); optional
// `type` (checked against the model) and `workers` (the row's W, else the
// scenario's for the stack's type); `throughput_relative` (a multiple of the
// scenario's baseline, whose row must be there) or `rps` / `throughput_rps`;
// optional `p50_ms`, `p99_ms`, `db_sessions_peak`. Other columns are ignored.
//
// A row's stack: the mapping file's entry for its label (`map_path`, JSON
// `stacksim.table-map`: {"rows": {"LABEL": {"stack": NAME, "set": {KNOB:
// VALUE}} or {"skip": WHY}}}), else the first of server-framework,
// framework (when the server is the framework) and gunicorn-gevent-framework
// (server "gevent") that the model has. Every error is one line naming the
// file, the row and the field: an unknown stack (with the names the model
// knows), a bad number, no baseline row, a #DB above what the row's
// configuration allows, a type that contradicts the model.
PublishedTable read_published_table(const std::string& csv_path, const std::string& map_path,
                                    const Model& model, const Scenario& scenario);

}  // namespace stacksim::calibrate
