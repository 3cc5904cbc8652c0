#include "sim/analysis/network_simulation.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/input_error.hpp"
#include "sim/engine/distribution.hpp"
#include "sim/engine/event.hpp"
#include "sim/engine/rng.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/metrics/replication_stats.hpp"
#include "sim/resources/cpu_host.hpp"
#include "sim/resources/pool.hpp"

namespace stacksim::analysis {

Estimate estimate_95(const std::vector<double>& samples) {
  ReplicationStats stats;  // the project's Student-t interval (sim/metrics)
  for (double x : samples) stats.add(x);
  Estimate e;
  e.samples = static_cast<int>(stats.n());
  if (e.samples == 0) return e;
  e.mean = stats.mean();
  e.half_width = e.samples < 2 ? 0.0 : stats.ci95_half_width();
  return e;
}

namespace {

class Replication;

// Station k's events for job `arg`: its service is over, or an FCFS server
// was handed to it.
class StationHandler final : public EventHandler {
 public:
  enum class Event { kServiceDone, kGranted };
  StationHandler(Replication& run, std::size_t k, Event event) : run_(run), k_(k), event_(event) {}
  void on_event(std::uint64_t job) override;

 private:
  Replication& run_;
  std::size_t k_;
  Event event_;
};

struct StationState {
  const Station* spec = nullptr;
  Distribution service;  // in ns
  Rng rng;
  std::unique_ptr<StationHandler> done;
  std::unique_ptr<StationHandler> granted;
  std::unique_ptr<CpuHost> host;  // ps
  ProcessId process = 0;
  std::unique_ptr<Pool> pool;  // fcfs
  // Measured window.
  std::int64_t present = 0;
  SimTime last_change_ns = 0;
  double present_area = 0.0;  // integral of the number present, job-ns
  double busy_area = 0.0;     // integral of min(present, c) / c (delay: present)
  double sojourn_ns = 0.0;
  std::uint64_t visits = 0;
};

struct Job {
  SimTime arrived_ns = 0;
  int unit = -1;
};

class Replication {
 public:
  Replication(const ClosedNetwork& net, int customers, std::uint64_t seed, std::uint64_t index)
      : net_(net), customers_(customers), routing_rng_(seed, "qn.routing", index) {
    stations_.resize(net.stations.size());
    for (std::size_t k = 0; k < net.stations.size(); ++k) {
      const Station& s = net.stations[k];
      StationState& st = stations_[k];
      st.spec = &s;
      st.service = Distribution(s.shape, s.service_ms * 1e6, s.cv);
      st.rng = Rng(seed, "qn.station." + s.name, index);
      st.done = std::make_unique<StationHandler>(*this, k, StationHandler::Event::kServiceDone);
      if (s.kind == StationKind::kPs) {
        st.host = std::make_unique<CpuHost>(sim_, 1);
        st.process = st.host->add_process(s.name, /*multi_threaded=*/true);
      } else if (s.kind == StationKind::kFcfs) {
        st.granted = std::make_unique<StationHandler>(*this, k, StationHandler::Event::kGranted);
        st.pool = std::make_unique<Pool>(s.servers, /*lazy=*/false);
      }
      visits_total_ += s.visits;
      cumulative_visits_.push_back(visits_total_);
    }
  }

  ReplicationRecord run(std::int64_t warmup_jobs, std::int64_t jobs) {
    jobs_.resize(customers_);
    // Every job starts at the first station at t = 0; with random routing
    // the first station is drawn like any other.
    for (std::size_t j = 0; j < jobs_.size(); ++j) arrive(first_station(), j);
    stop_after_ = completions_target(warmup_jobs);
    if (stop_after_ > 0) sim_.run();
    start_measuring();
    stop_after_ = completions_target(jobs);
    sim_.run();
    return finish();
  }

  void service_done(std::size_t k, std::uint64_t job);
  void granted(std::size_t k, std::uint64_t job) { start_service(k, job); }

  const std::vector<StationState>& stations() const { return stations_; }
  std::uint64_t measured_completions() const { return completions_; }
  double window_ns() const { return window_ns_; }  // the measured window's length

 private:
  std::uint64_t completions_target(std::int64_t cycles) const {
    return static_cast<std::uint64_t>(std::llround(static_cast<double>(cycles) * visits_total_));
  }

  std::size_t first_station() { return net_.routing == Routing::kCyclic ? 0 : draw_station(); }

  std::size_t draw_station() {
    const double u = routing_rng_.uniform_open01() * visits_total_;
    const auto it = std::upper_bound(cumulative_visits_.begin(), cumulative_visits_.end(), u);
    return std::min<std::size_t>(it - cumulative_visits_.begin(), stations_.size() - 1);
  }

  SimTime sample(StationState& st) {
    return static_cast<SimTime>(std::llround(st.service.sample(st.rng)));
  }

  void account(StationState& st) {
    const SimTime now = sim_.now();
    const double dt = static_cast<double>(now - st.last_change_ns);
    st.present_area += static_cast<double>(st.present) * dt;
    if (st.spec->kind == StationKind::kDelay) {
      st.busy_area += static_cast<double>(st.present) * dt;
    } else {
      const int c = st.spec->servers;
      st.busy_area += static_cast<double>(std::min<std::int64_t>(st.present, c)) / c * dt;
    }
    st.last_change_ns = now;
  }

  void arrive(std::size_t k, std::uint64_t job) {
    StationState& st = stations_[k];
    Job& jb = jobs_[job];
    jb.arrived_ns = sim_.now();
    account(st);
    ++st.present;
    switch (st.spec->kind) {
      case StationKind::kDelay:
        sim_.schedule_in(sample(st), *st.done, job);
        break;
      case StationKind::kPs:
        st.host->submit(st.process, sample(st), Continuation{st.done.get(), job});
        break;
      case StationKind::kFcfs: {
        const Pool::Grant g = st.pool->acquire(Continuation{st.granted.get(), job}, &jb.unit);
        if (g.unit >= 0) {
          jb.unit = g.unit;
          start_service(k, job);
        }
        break;
      }
    }
  }

  void start_service(std::size_t k, std::uint64_t job) {
    StationState& st = stations_[k];
    sim_.schedule_in(sample(st), *st.done, job);
  }

  void start_measuring() {
    const SimTime now = sim_.now();
    window_start_ns_ = now;
    for (StationState& st : stations_) {
      account(st);
      st.present_area = st.busy_area = st.sojourn_ns = 0.0;
      st.visits = 0;
    }
    completions_ = 0;
    measuring_ = true;
  }

  ReplicationRecord finish() {
    ReplicationRecord rec;
    const double window_ns = static_cast<double>(sim_.now() - window_start_ns_);
    for (StationState& st : stations_) account(st);
    const double cycles = static_cast<double>(completions_) / visits_total_;
    const double x_per_ms = window_ns > 0.0 ? cycles / (window_ns * 1e-6) : 0.0;
    rec.throughput_rps = x_per_ms * 1e3;
    for (const StationState& st : stations_) {
      const double per_visit_ms = st.visits ? st.sojourn_ns * 1e-6 / st.visits : 0.0;
      rec.cycle_time_ms += per_visit_ms * st.spec->visits;
    }
    // Little's law per station, summed: sum_k X_k r_k = N, with X_k the
    // measured visit rate and r_k the mean sojourn per visit. With random
    // routing the realised visit mix differs from V_k / sum V by sampling
    // noise, so the check uses the measured rates, not X V_k.
    double in_system = 0.0;
    for (const StationState& st : stations_)
      in_system += window_ns > 0 ? st.sojourn_ns / window_ns : 0;
    rec.little_relative_error = std::abs(in_system - customers_) / static_cast<double>(customers_);
    rec.simulated_ms = window_ns * 1e-6;
    rec.events = sim_.events_processed();
    window_ns_ = window_ns;
    return rec;
  }

  const ClosedNetwork& net_;
  int customers_;
  Simulator sim_;
  Rng routing_rng_;
  std::vector<StationState> stations_;
  std::vector<double> cumulative_visits_;
  double visits_total_ = 0.0;
  std::vector<Job> jobs_;
  bool measuring_ = false;
  std::uint64_t completions_ = 0;  // station completions, reset after warm-up
  std::uint64_t stop_after_ = 0;
  SimTime window_start_ns_ = 0;
  double window_ns_ = 0.0;
};

void Replication::service_done(std::size_t k, std::uint64_t job) {
  StationState& st = stations_[k];
  Job& jb = jobs_[job];
  account(st);
  --st.present;
  // Release first: the pool hands the server straight to its longest waiter,
  // ahead of this job should it be routed back here.
  if (st.pool) st.pool->release(jb.unit);
  if (measuring_) {
    st.sojourn_ns += static_cast<double>(sim_.now() - jb.arrived_ns);
    ++st.visits;
  }
  ++completions_;
  if (completions_ >= stop_after_) sim_.stop();
  const std::size_t next =
      net_.routing == Routing::kCyclic ? (k + 1) % stations_.size() : draw_station();
  arrive(next, job);
}

void StationHandler::on_event(std::uint64_t job) {
  if (event_ == Event::kServiceDone) {
    run_.service_done(k_, job);
  } else {
    run_.granted(k_, job);
  }
}

// The slowest a cycle can be is every job queueing behind all the others
// everywhere: N sum D + Z per N jobs. The run must fit the 64-bit ns clock
// (2^63 ns = 292 years) with room to spare.
void check_horizon(const ClosedNetwork& net, int customers, std::int64_t jobs,
                   std::int64_t warmup) {
  double demand_ms = 0.0;
  for (const Station& s : net.stations)
    demand_ms += s.kind == StationKind::kDelay ? s.demand_ms() / customers : s.demand_ms();
  const double horizon_ns = static_cast<double>(jobs + warmup) * demand_ms * 1e6;
  if (horizon_ns > 1e18)
    throw InputError("--jobs: " + std::to_string(jobs) + " cycles of this network could need " +
                     std::to_string(horizon_ns * 1e-9 / 86400 / 365) +
                     " simulated years, beyond the engine's clock");
}

// One replication's figures, computed wherever it ran: per station the
// response time per cycle (ms), the mean number present and the utilisation.
struct Outcome {
  ReplicationRecord rec;
  std::vector<double> r, q, u;
  std::uint64_t completions = 0;
};

Outcome run_replication(const ClosedNetwork& net, int customers, const SimulationOptions& opt,
                        std::int64_t warmup, int rep) {
  Replication run(net, customers, opt.seed, static_cast<std::uint64_t>(rep));
  Outcome o;
  o.rec = run.run(warmup, opt.jobs);
  const double window_ns = run.window_ns();
  for (const StationState& st : run.stations()) {
    const double per_visit_ms = st.visits ? st.sojourn_ns * 1e-6 / st.visits : 0.0;
    o.r.push_back(per_visit_ms * st.spec->visits);
    o.q.push_back(window_ns > 0.0 ? st.present_area / window_ns : 0.0);
    o.u.push_back(window_ns > 0.0 ? st.busy_area / window_ns : 0.0);
  }
  o.completions = run.measured_completions();
  return o;
}

// run_one(0) .. run_one(count - 1) over up to `threads` threads; the first
// exception thrown is rethrown once all have stopped.
template <class RunOne>
void run_spread(int count, int threads, const RunOne& run_one) {
  if (threads <= 1) {
    for (int rep = 0; rep < count; ++rep) run_one(rep);
    return;
  }
  std::atomic<int> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int rep = next++; rep < count; rep = next++) {
        try {
          run_one(rep);
        } catch (...) {
          const std::lock_guard<std::mutex> lock(failure_mutex);
          if (!failure) failure = std::current_exception();
        }
      }
    });
  }
  for (std::thread& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

// The replications' means with their 95% intervals.
NetworkSimulationResult summarise(const std::vector<Outcome>& outcomes, int customers,
                                  std::size_t k_count) {
  NetworkSimulationResult out;
  out.customers = customers;
  std::vector<double> x, cycle;
  std::vector<std::vector<double>> r(k_count), q(k_count), u(k_count);
  for (const Outcome& o : outcomes) {
    x.push_back(o.rec.throughput_rps);
    cycle.push_back(o.rec.cycle_time_ms);
    for (std::size_t k = 0; k < k_count; ++k) {
      r[k].push_back(o.r[k]);
      q[k].push_back(o.q[k]);
      u[k].push_back(o.u[k]);
    }
    out.events += o.rec.events;
    out.station_completions += o.completions;
    out.replications.push_back(o.rec);
  }
  out.throughput_rps = estimate_95(x);
  out.cycle_time_ms = estimate_95(cycle);
  for (std::size_t k = 0; k < k_count; ++k) {
    out.stations.push_back(
        StationEstimate{estimate_95(r[k]), estimate_95(q[k]), estimate_95(u[k])});
  }
  return out;
}

}  // namespace

NetworkSimulationResult simulate_network(const ClosedNetwork& net, const SimulationOptions& opt) {
  validate(net);
  const int customers = opt.customers > 0 ? opt.customers : net.customers;
  if (opt.replications < 1) throw InputError("--replications: must be >= 1");
  if (opt.jobs < 1) throw InputError("--jobs: must be >= 1");
  const std::int64_t warmup = opt.warmup_jobs >= 0 ? opt.warmup_jobs : opt.jobs / 10;
  check_horizon(net, customers, opt.jobs, warmup);

  // Replications share nothing but the (const) network, and each writes its
  // own slot, so spreading them over threads changes no number.
  std::vector<Outcome> outcomes(opt.replications);
  int threads = opt.threads > 0
                    ? opt.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min(threads, opt.replications);
  run_spread(opt.replications, threads,
             [&](int rep) { outcomes[rep] = run_replication(net, customers, opt, warmup, rep); });
  return summarise(outcomes, customers, net.stations.size());
}

}  // namespace stacksim::analysis
