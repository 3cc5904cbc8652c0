// One stack under one scenario: the host, every component built from
// resources, and the executor that walks each request along the route of
// the topology graph. The executor is the only place that knows what a step
// kind means; which steps there are, and in what order, is the graph's.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "sim/components/app_server.hpp"
#include "sim/components/load_generator.hpp"
#include "sim/components/observer.hpp"
#include "sim/components/pgbouncer.hpp"
#include "sim/components/postgres.hpp"
#include "sim/components/proxy.hpp"
#include "sim/components/topology.hpp"
#include "sim/resources/cpu_host.hpp"
#include "sim/resources/fixed_delay.hpp"
#include "sim/resources/pool.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim {

class Stack final : public EventHandler, public RequestRouter {
 public:
  // The model, stack and scenario must outlive the Stack. `replication`
  // picks the random substream.
  Stack(Simulator& sim, const Model& model, const StackModel& stack, const Scenario& scenario,
        int replication, StackObserver& observer);

  void start() { load_.start(); }
  void stop_issuing() { load_.stop_issuing(); }

  const Topology& topology() const { return topology_; }
  CpuHost& host() { return host_; }
  AppServer& app() { return app_; }
  Pgbouncer& pgbouncer() { return pgbouncer_; }
  const LoadGenerator& load() const { return load_; }
  // The role a process of the host plays (postgres backends are added as
  // sessions open, so ask after the run).
  Role role_of(ProcessId p) const;
  // Cores a role's group keeps busy in the background (LoadDependence), in
  // the host's capacity; run.cpp adds them to the role's CPU.
  double background_cores(Role r) const { return background_[static_cast<int>(r)]; }
  std::size_t retries() const { return retries_; }

  void route(Request& r) override;            // a new request enters
  void on_event(std::uint64_t arg) override;  // the request's current step ended

 private:
  static constexpr int kMaxSynAttempts = 6;

  // What follows a step: the next one, the step's skip_to (a unit handed
  // over already connected), or nothing until an event resumes the request.
  enum class Next : std::uint8_t { kStep, kSkip, kWait };

  void run(Request& r);  // executes steps until one has to wait
  // Most steps are bursts: kept inside run()'s loop, not a call away (an
  // out-of-line call cost about 1% of a run's instructions).
  [[gnu::always_inline]] inline void submit_burst(const Step& s, Request& r);
  Next accept_worker(Request& r, SimTime now);
  Next acquire_session(Request& r, SimTime now);
  Next acquire_app_connection(Request& r);
  void step_done(Request& r);
  ProcessId process_for(Role role, Request& r);
  Rng& rng_for(Role role) { return rngs_[static_cast<int>(role)]; }
  Continuation resume(Request& r) {
    return Continuation{this, reinterpret_cast<std::uint64_t>(&r)};
  }

  Simulator& sim_;
  const Scenario& scenario_;
  StackObserver& observer_;
  const Model model_;  // as this stack sees it (as_seen_by): what everything below reads
  Topology topology_;
  const std::vector<Step>& route_;
  CpuHost host_;
  std::array<Rng, kRoleCount> rngs_;
  Proxy proxy_;
  AppServer app_;
  Postgres postgres_;
  Pgbouncer pgbouncer_;
  LoadGenerator load_;
  // db_access = app_pool: one pool per worker, and the session each pooled
  // connection holds.
  std::vector<std::unique_ptr<Pool>> app_pools_;
  std::vector<std::vector<int>> app_pool_session_;
  FixedDelay db_delay_;
  double kernel_per_backend_ns_;  // added to each hop per open backend
  double kernel_cold_ns_per_ms_;  // added to each hop per ms between requests
  // Wall-clock ms between requests entering, smoothed (the cold-cache term).
  double interval_ms_ = 0;
  SimTime last_arrival_ns_ = -1;
  std::array<double, kRoleCount> background_{};
  std::size_t retries_ = 0;
};

}  // namespace stacksim
