#include "sim/components/app_server.hpp"

#include <algorithm>

namespace stacksim {

AppServer::AppServer(Simulator& sim, CpuHost& host, StackObserver& observer,
                     const std::string& name, int workers, int max_concurrency, AcceptPolicy policy,
                     int backlog, Rng rng)
    : sim_(sim),
      observer_(observer),
      max_concurrency_(max_concurrency),
      policy_(policy),
      backlog_limit_(static_cast<std::size_t>(backlog)),
      rng_(rng) {
  for (int w = 0; w < workers; ++w) {
    workers_.push_back(Worker{host.add_process(name + ".worker." + std::to_string(w))});
  }
}

void AppServer::report() {
  observer_.on_occupancy(Occupancy::kBusyWorkers, busy_workers_, sim_.now());
  observer_.on_occupancy(Occupancy::kAppInFlight, total_in_flight_, sim_.now());
}

void AppServer::reset_statistics() {
  peak_backlog_ = backlog_.size();
  for (Worker& w : workers_) w.served = 0;
}

// Which worker below its cap takes a new connection; -1 when none can.
// Ties in least_loaded go to the lowest index: an idle sync worker woken
// first by the kernel takes it, the others stay asleep.
int AppServer::choose() {
  const int n = workers();
  switch (policy_) {
    case AcceptPolicy::kRoundRobin:
      for (int i = 0; i < n; ++i) {
        const int w = (next_round_robin_ + i) % n;
        if (workers_[w].in_flight < max_concurrency_) {
          next_round_robin_ = (w + 1) % n;
          return w;
        }
      }
      return -1;
    case AcceptPolicy::kRandom: {
      eligible_.clear();
      for (int w = 0; w < n; ++w)
        if (workers_[w].in_flight < max_concurrency_) eligible_.push_back(w);
      if (eligible_.empty()) return -1;
      return eligible_[rng_.uniform_index(eligible_.size())];
    }
    case AcceptPolicy::kLeastLoaded: {
      int best = -1;
      for (int w = 0; w < n; ++w) {
        const int load = workers_[w].in_flight;
        if (load < max_concurrency_ && (best < 0 || load < workers_[best].in_flight)) best = w;
      }
      return best;
    }
  }
  return -1;
}

void AppServer::take(int worker, Request& r) {
  Worker& w = workers_[worker];
  if (w.in_flight++ == 0) ++busy_workers_;
  ++total_in_flight_;
  ++w.served;
  r.app_worker = worker;
  report();
}

AppServer::Admit AppServer::accept(Request& r, Continuation granted) {
  const int w = choose();
  if (w >= 0) {
    take(w, r);
    return Admit::kNow;
  }
  if (backlog_.size() >= backlog_limit_) return Admit::kRefused;
  backlog_.push_back(Pending{&r, granted});
  peak_backlog_ = std::max(peak_backlog_, backlog_.size());
  return Admit::kQueued;
}

void AppServer::release(Request& r) {
  const int worker = r.app_worker;
  Worker& w = workers_[worker];
  --total_in_flight_;
  if (--w.in_flight == 0) --busy_workers_;
  report();
  if (!backlog_.empty()) {  // the worker that freed a slot pulls the oldest
    const Pending p = backlog_.front();
    backlog_.pop_front();
    take(worker, *p.request);
    p.granted();
  }
}

}  // namespace stacksim
