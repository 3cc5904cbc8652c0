// Sweeps of live runs: a list and/or a grid of configurations from a JSON
// file, each repeated, run in a shuffled order (as the article shuffled its
// tests) from a seed, resumable from the results store (a point whose record
// is there is not run again), with a progress bar and a summary of repeats.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "live/run.hpp"

namespace stacksim::live {

struct SweepPoint {
  RunConfig config;  // config.repeat is the repeat index
  std::string key;   // identifies the point in the store
};

struct SweepPlan {
  std::string path;
  std::string name;
  int repeats = 1;
  std::uint64_t seed = 1;
  std::vector<SweepPoint> points;  // already shuffled
};

// Schema "stacksim.live-sweep", version 1:
//   {"base": {knobs}, "grid": {"knob": [values], ...}, "runs": [{knobs}, ...],
//    "repeats": 3, "seed": 1, "name": "article"}
// Knobs use run's names (stack, workers, clients, sessions, delay_ms, ...).
SweepPlan parse_sweep(const nlohmann::json& doc, const std::string& path,
                      const RunConfig& defaults);
SweepPlan load_sweep(const std::string& path, const RunConfig& defaults);

std::string sweep_key(const RunConfig& c);
// Whether a store record was run by this sweep (its name, or its file when
// it has no name): the same configuration run by another sweep does not count.
bool belongs_to(const SweepPlan& plan, const nlohmann::json& record);
// The points whose record is not yet in `records`.
std::vector<SweepPoint> pending_points(const SweepPlan& plan,
                                       const std::vector<nlohmann::json>& records);

struct SweepOptions {
  std::string store;
  bool json = false;           // print each record as JSON on stdout
  bool stop_on_error = false;  // else a failing point is reported and skipped
};

// Runs the pending points; returns the number that failed.
int run_sweep(const SweepPlan& plan, const SweepOptions& options);

}  // namespace stacksim::live
