// The options that calibrate's commands share: a plan run from a results
// store, or only its records (run, speed, quick, validate); which records
// count (those and fit); the model file written (fit, run). And how the
// commands that start processes run (guarded).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "live/os/process_registry.hpp"

namespace stacksim::calibrate {

// A command's runner (cli::add_command's `run`) for a command that starts
// processes (a plan run live, a probe): `run(options)` under
// live::run_guarded, which stops them on the way out and names `who` in a
// failure.
template <typename Run>
auto guarded(const char* who, Run run) {
  return [who, run](const auto& options) {
    return live::run_guarded(who, [&] { return run(options); });
  };
}

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
