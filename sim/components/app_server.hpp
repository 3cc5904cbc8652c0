// The Python app server: W single-threaded worker processes behind one
// listen backlog. What makes a server sync or async here is only how many
// requests a worker holds at once (max_concurrency: 1 for sync, many for
// greenlet and coroutine workers) and what its bursts cost; the bursts of
// all the requests a worker holds queue FIFO on its one thread (CpuHost).
// A new connection goes to a worker chosen by the accept policy among those
// below their cap; if none is, it waits in the backlog, and a worker that
// frees a slot pulls the oldest one. A full backlog drops the SYN.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "sim/components/observer.hpp"
#include "sim/components/request.hpp"
#include "sim/engine/event.hpp"
#include "sim/engine/rng.hpp"
#include "sim/resources/cpu_host.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim {

class AppServer {
 public:
  // Busy workers and requests in flight are reported to `observer` as they
  // change (Occupancy::kBusyWorkers, kAppInFlight).
  AppServer(Simulator& sim, CpuHost& host, StackObserver& observer, const std::string& name,
            int workers, int max_concurrency, AcceptPolicy policy, int backlog, Rng rng);

  enum class Admit { kNow, kQueued, kRefused };
  // kNow: r.app_worker is set. kQueued: `granted` runs once a worker takes
  // it. kRefused: the backlog is full and the SYN is dropped.
  Admit accept(Request& r, Continuation granted);
  void release(Request& r);

  int workers() const { return static_cast<int>(workers_.size()); }
  int max_concurrency() const { return max_concurrency_; }
  ProcessId process(int worker) const { return workers_[worker].process; }
  std::uint64_t served(int worker) const { return workers_[worker].served; }
  int in_flight(int worker) const { return workers_[worker].in_flight; }
  std::size_t backlog_length() const { return backlog_.size(); }
  std::size_t peak_backlog() const { return peak_backlog_; }
  // Starts the measured window: the peak backlog and the served counts anew.
  void reset_statistics();

 private:
  struct Worker {
    ProcessId process;
    int in_flight = 0;
    std::uint64_t served = 0;
  };
  struct Pending {
    Request* request;
    Continuation granted;
  };
  int choose();
  void take(int worker, Request& r);
  void report();

  Simulator& sim_;
  StackObserver& observer_;
  std::vector<Worker> workers_;
  int max_concurrency_;
  AcceptPolicy policy_;
  std::size_t backlog_limit_;
  Rng rng_;
  std::deque<Pending> backlog_;
  std::vector<int> eligible_;
  int next_round_robin_ = 0;
  int busy_workers_ = 0;
  int total_in_flight_ = 0;
  std::size_t peak_backlog_ = 0;
};

}  // namespace stacksim
