// One HTTP request on its way through the stack. It carries its own
// timestamps and per-phase accumulators (queueinglib's Job); latencies and
// the breakdown are derived from them when it completes, by metrics/.
#pragma once

#include <cstdint>

#include "sim/engine/time.hpp"

namespace stacksim {

// Where a request's time goes; the phases add up to its latency.
enum class Phase : int {
  kWaitWorker,   // in the listen backlog: no app worker would take it
  kWaitCpu,      // runnable but not running: its process busy or the cores shared
  kOnCpu,        // CPU work of its bursts (every process, kernel included)
  kWaitSession,  // waiting for pgbouncer to hand it a server session
  kInDatabase,   // the query's delay (pg_sleep), a wait, not CPU
  kRetry,        // waiting to retry a SYN the full backlog dropped
  kCount
};
inline constexpr int kPhaseCount = static_cast<int>(Phase::kCount);
const char* to_string(Phase p);

struct Request {
  std::uint64_t id = 0;
  int client = -1;       // the closed-loop client that issued it, or -1
  SimTime start_ns = 0;  // the client starts connecting (ab's latency start)
  SimTime phase_ns[kPhaseCount] = {};

  // Where it is on its route and since when.
  std::uint32_t step = 0;
  SimTime step_start_ns = 0;
  SimTime step_work_ns = 0;

  // Who serves it.
  int proxy_worker = -1;
  int app_worker = -1;
  int session = -1;         // pgbouncer server session (= postgres backend)
  int app_connection = -1;  // unit of its worker's app-side pool
  bool unit_created = false;

  // Holding times, for the explanation's bounds.
  SimTime worker_acquired_ns = 0;
  SimTime worker_held_ns = 0;
  SimTime session_acquired_ns = 0;
  SimTime session_held_ns = 0;

  int syn_attempts = 0;

  void reset(std::uint64_t new_id, SimTime now) {
    const int c = client;
    *this = Request{};
    id = new_id;
    client = c;
    start_ns = now;
  }
  SimTime& phase(Phase p) { return phase_ns[static_cast<int>(p)]; }
  SimTime phase(Phase p) const { return phase_ns[static_cast<int>(p)]; }
};

}  // namespace stacksim
