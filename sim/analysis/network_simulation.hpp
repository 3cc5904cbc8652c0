// Simulates a closed network (closed_network.hpp) with the project's own
// engine and resources, to check them against exact MVA: a delay station is
// Simulator::schedule_in, a PS station a one-core CpuHost whose multi-threaded
// process gives every job its own share, an FCFS station a Pool of c units
// (pull hand-off) plus an exponential service delay. Independent replications
// (replication r draws substream r of every stream) give 95% Student-t
// confidence intervals (sim/metrics/replication_stats); the same seed gives
// identical numbers.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/analysis/closed_network.hpp"

namespace stacksim::analysis {

struct Estimate {
  double mean = 0.0;
  double half_width = 0.0;  // of the 95% confidence interval
  int samples = 0;

  double low() const { return mean - half_width; }
  double high() const { return mean + half_width; }
  bool contains(double x) const { return low() <= x && x <= high(); }
};

// Mean and 95% Student-t half-width of independent samples (half-width 0
// with fewer than two).
Estimate estimate_95(const std::vector<double>& samples);

struct SimulationOptions {
  int customers = 0;              // 0: the network's own N
  int replications = 10;          // independent runs, >= 2 for an interval
  std::int64_t jobs = 100'000;    // measured cycles per replication
  std::int64_t warmup_jobs = -1;  // discarded first; -1: jobs / 10
  std::uint64_t seed = 1;
  // Replications run in parallel on this many threads (0: one per core);
  // the numbers are the same for any count.
  int threads = 1;
};

struct StationEstimate {
  Estimate residence_ms;  // R_k: per-visit response time times the visit ratio
  Estimate queue;         // time-average number at the station
  Estimate utilisation;   // same meaning as MvaStationResult::utilisation
};

struct ReplicationRecord {
  double throughput_rps = 0.0;
  double cycle_time_ms = 0.0;  // sum_k R_k, think time included
  // Little's law on the whole network, |sum_k X_k r_k - N| / N, with X_k the
  // measured visit rate of station k and r_k its mean sojourn per visit.
  double little_relative_error = 0.0;
  double simulated_ms = 0.0;  // length of the measured window
  std::uint64_t events = 0;   // engine events over the whole replication
};

struct NetworkSimulationResult {
  int customers = 0;
  Estimate throughput_rps;  // cycles per second
  Estimate cycle_time_ms;
  std::vector<StationEstimate> stations;  // in the network's order
  std::vector<ReplicationRecord> replications;
  std::uint64_t events = 0;               // summed over replications
  std::uint64_t station_completions = 0;  // measured, summed over replications
};

// Throws stacksim::InputError for bad options (naming the option).
NetworkSimulationResult simulate_network(const ClosedNetwork& net, const SimulationOptions& opt);

}  // namespace stacksim::analysis
