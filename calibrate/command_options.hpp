// The options that calibrate's live-backed commands share (run, speed,
// quick, validate): a plan run from a results store, or only its records.
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

// --no-run (use the store's records only) and --skip-flagged.
inline void add_record_flags(CLI::App& cmd, bool& no_run, const std::string& no_run_help,
                             bool& skip_flagged) {
  cmd.add_flag("--no-run", no_run, no_run_help);
  cmd.add_flag("--skip-flagged", skip_flagged,
               "Leave out records the live runner flagged (failed requests, foreign CPU, a speed "
               "that moved)");
}

}  // namespace stacksim::calibrate
