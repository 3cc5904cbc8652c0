// One replication of one stack under one scenario: build the stack, let the
// load generator run through the warm-up, measure the next `requests`
// completions, and read every figure of the measured window.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sim/components/request.hpp"
#include "sim/components/topology.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim {

struct RunResult {
  double window_s = 0;
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  std::uint64_t syn_retries = 0;
  double throughput_rps = 0;
  // Latency from the client's connect to its last byte, in ms.
  double latency_mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  int db_sessions_peak = 0;  // server sessions pgbouncer opened

  // Utilisation over the window, each in [0, 1].
  double cpu_utilisation = 0;                           // busy processors / cores
  std::array<double, kRoleCount> cpu_us_per_request{};  // by role
  std::array<double, kRoleCount> busiest_process{};     // the busiest process of each role
  std::array<double, kRoleCount> busy_share{};          // mean busy share of its processes
  double workers_busy = 0;                              // share of workers holding a request
  double worker_slots = 0;   // requests held / (workers * max_concurrency)
  double sessions_busy = 0;  // server sessions in use / cap
  double backlog_peak = 0;

  std::array<double, kPhaseCount> phase_ms{};  // mean per request
  double worker_hold_ms = 0;                   // per request
  double session_hold_ms = 0;                  // per request, reset included
  std::vector<std::uint64_t> served_per_worker;

  std::uint64_t events = 0;  // engine events over the whole run
};

// Throws std::invalid_argument if the stack is not in the model.
RunResult run_once(const Model& model, const StackModel& stack, const Scenario& scenario,
                   int replication);

}  // namespace stacksim
