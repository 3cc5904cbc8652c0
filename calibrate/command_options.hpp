// The options that calibrate's commands share: a plan run from a results
// store, or only its records (run, speed, quick, validate); which records
// count (those and fit); the model file written (fit, run).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace stacksim::calibrate {

inline void add_plan_and_store(CLI::App& cmd, std::string& plan, const std::string& plan_help,
                               std::string& store) {
  cmd.add_option("--plan", plan, plan_help)->required();
  cmd.add_option("--store", store, "Results store (JSON lines); the plan resumes from it")
      ->required();
}

inline void add_skip_flagged(CLI::App& cmd, bool& skip_flagged) {
  cmd.add_flag("--skip-flagged", skip_flagged,
               "Leave out records the live runner flagged (failed requests, foreign CPU, a speed "
               "that moved)");
}

// --no-run (use the store's records only) and --skip-flagged.
inline void add_record_flags(CLI::App& cmd, bool& no_run, const std::string& no_run_help,
                             bool& skip_flagged) {
  cmd.add_flag("--no-run", no_run, no_run_help);
  add_skip_flagged(cmd, skip_flagged);
}

// --label and --out: the fitted model is written to <out>/<label>.json.
inline void add_model_file_options(CLI::App& cmd, std::string& label, std::string& out) {
  cmd.add_option("--label", label, "Name of the model: writes <out>/<label>.json")->required();
  cmd.add_option("--out", out, "Directory of the model file")->capture_default_str();
}

}  // namespace stacksim::calibrate
