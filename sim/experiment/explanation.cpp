#include "sim/experiment/explanation.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "sim/components/topology.hpp"
#include "sim/resources/core_occupancy.hpp"
#include "sim/resources/host_speed.hpp"

namespace stacksim {

namespace {

std::string format(const char* fmt, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

// Mean time (ms) of the main-path steps in [from, to) of kinds that take
// time: CPU bursts at their mean demand with the hops they send, on a host
// of the model's speed, and the database delay.
double path_ms(const Topology& t, const Scenario& sc, const HostSpeed& speed, StepKind from,
               StepKind to) {
  double ns = 0;
  bool inside = from == StepKind::kComplete;  // kComplete as `from`: the whole path
  for (std::int32_t i : t.main_path()) {
    const Step& s = t.route()[static_cast<std::size_t>(i)];
    if (s.kind == from) inside = true;
    if (s.kind == to && from != StepKind::kComplete) break;
    if (!inside) continue;
    if (s.kind == StepKind::kCpu) ns += speed.time_of(s.busy_mean_ns());
    if (s.kind == StepKind::kDbDelay) ns += sc.delay_ms * 1e6;
  }
  return ns * 1e-6;
}

// How long a process of `role` is busy per request on the main path, on a
// host of the model's speed: its own bursts plus the kernel work of the hops
// it sends. Role::kKernel: the kernel work of every hop.
double role_demand_ms(const Topology& t, const HostSpeed& speed, Role role) {
  double ns = 0;
  for (std::int32_t i : t.main_path()) {
    const Step& s = t.route()[static_cast<std::size_t>(i)];
    if (s.kind != StepKind::kCpu) continue;
    const double hop = s.sends ? s.hop.mean() : 0.0;
    if (role == Role::kKernel) ns += hop;
    if (s.role == role) ns += s.mean_ns() + hop;
  }
  return speed.time_of(ns) * 1e-6;
}

double rps(double servers, double ms) {
  return ms > 0 ? servers * 1e3 / ms : std::numeric_limits<double>::infinity();
}

// What the analytic and the simulated view share: the stack's workers, the
// requests they may hold, and the sessions a request can hold.
struct Capacity {
  int workers = 0;
  double slots = 0;          // workers x max_concurrency
  double session_units = 0;  // server sessions, or the app-side pools' connections
};

Capacity capacity_of(const StackModel& stack, const Scenario& sc) {
  Capacity c;
  c.workers = sc.workers.for_type(stack.type);
  c.slots = static_cast<double>(c.workers) * stack.max_concurrency;
  c.session_units = sc.db_access == DbAccess::kConnectPerRequest
                        ? sc.sessions
                        : std::min(sc.sessions, c.workers * sc.app_pool_size);
  return c;
}

// The model's mean demands and hold times per request (ms), on a host of
// the model's speed, and the cores the bursts may use.
struct AnalyticDemands {
  double cpu_ms = 0, app_ms = 0, pgb_ms = 0, client_ms = 0, nginx_ms = 0;
  double worker_hold_ms = 0, session_hold_ms = 0, response_ms = 0;
  double cpu_cores = 0, background = 0;
};

// Demands are the saturated ones (no idle stretch: the bound is about a
// busy host). The per-backend costs take the most backends the app can
// keep busy at once; background CPU takes its cores off the host.
void add_saturation(AnalyticDemands& d, const Model& model, const StackModel& stack,
                    const Scenario& sc, const Capacity& cap, const Topology& t,
                    const HostSpeed& speed) {
  const double backends = std::min({cap.session_units, static_cast<double>(sc.clients), cap.slots});
  double per_backend_ns = 0;
  for (std::int32_t i : t.main_path()) {
    const Step& s = t.route()[static_cast<std::size_t>(i)];
    per_backend_ns += s.per_backend_ns + (s.sends ? model.kernel.load.per_backend_ns : 0.0);
  }
  d.cpu_ms = plus_backend_cost(d.cpu_ms, speed.time_of(per_backend_ns * backends) * 1e-6);
  // The cores the bursts may use, counted as the simulated host counts them
  // (a run refuses background work of all the cores before this is asked).
  for (const LoadDependence& l : load_by_role(model, stack, sc)) d.background += l.background_cores;
  CoreOccupancy occupancy(sc.cores);
  occupancy.set_background(d.background);
  d.cpu_cores = occupancy.capacity();
}

AnalyticDemands analytic_demands(const Model& model, const StackModel& stack, const Scenario& sc,
                                 const Capacity& cap) {
  const HostSpeed speed(model.host.speed);
  const Topology t = Topology::build(model, stack, sc);
  const bool per_request = sc.db_access == DbAccess::kConnectPerRequest;
  // pgbouncer's side of a disconnect runs off the request's path but holds
  // the session and uses CPU: hop + close on pgbouncer + reset on the backend.
  const double release_ms =
      per_request ? speed.time_of(model.kernel.per_hop.mean() + model.pgbouncer.close.mean() +
                                  model.postgres.reset.mean()) *
                        1e-6
                  : 0.0;
  AnalyticDemands d;
  // Hops ride on their senders' bursts, so the roles' demands add up to the
  // CPU per request without counting the kernel again.
  d.cpu_ms = release_ms;
  for (Role r : {Role::kClient, Role::kProxy, Role::kApp, Role::kPgbouncer, Role::kPostgres})
    d.cpu_ms += role_demand_ms(t, speed, r);
  d.app_ms = role_demand_ms(t, speed, Role::kApp);
  d.pgb_ms = role_demand_ms(t, speed, Role::kPgbouncer) +
             (per_request
                  ? speed.time_of(model.pgbouncer.close.mean() + model.kernel.per_hop.mean()) * 1e-6
                  : 0.0);
  d.client_ms = role_demand_ms(t, speed, Role::kClient);
  d.nginx_ms = role_demand_ms(t, speed, Role::kProxy);
  d.worker_hold_ms = path_ms(t, sc, speed, StepKind::kAcceptWorker, StepKind::kReleaseWorker);
  d.session_hold_ms =
      per_request
          ? path_ms(t, sc, speed, StepKind::kAcquireSession, StepKind::kReleaseSession) + release_ms
          : path_ms(t, sc, speed, StepKind::kAcquireAppConnection, StepKind::kReleaseAppConnection);
  d.response_ms = path_ms(t, sc, speed, StepKind::kComplete, StepKind::kComplete);
  add_saturation(d, model, stack, sc, cap, t, speed);
  return d;
}

// The bounds from the model's means, ascending: each resource's servers
// over its demand or hold per request, on the model as the simulator runs it.
std::vector<Bound> analytic_bounds(const Model& model, const StackModel& stack, const Scenario& sc,
                                   const Capacity& cap) {
  const AnalyticDemands d = analytic_demands(model, stack, sc, cap);
  const int w = cap.workers;
  const int nginx_workers = sc.nginx_workers > 0 ? sc.nginx_workers : sc.cores;
  std::vector<Bound> bounds = {
      {"cpu", rps(d.cpu_cores, d.cpu_ms),
       d.background > 0 ? format("%.2f cores (%.0f less %.2f in the background)", d.cpu_cores,
                                 sc.cores, d.background) +
                              format(" / %.3f ms CPU per request", d.cpu_ms)
                        : format("%.0f cores / %.3f ms CPU per request", sc.cores, d.cpu_ms)},
      {"workers", rps(cap.slots, d.worker_hold_ms),
       stack.max_concurrency == 1
           ? format("%.0f workers / %.2f ms held per request", w, d.worker_hold_ms)
           : format("%.0f workers x %.0f requests / %.2f ms held", w, stack.max_concurrency,
                    d.worker_hold_ms)},
      {"worker_threads", rps(w, d.app_ms),
       format("%.0f single-threaded workers / %.3f ms of worker CPU per request", w, d.app_ms)},
      {"sessions", rps(cap.session_units, d.session_hold_ms),
       format("%.0f sessions / %.2f ms held per request", cap.session_units, d.session_hold_ms)},
      {"client", rps(1, d.client_ms), format("ab's one thread / %.3f ms per request", d.client_ms)},
  };
  if (sc.pgbouncer)
    bounds.push_back({"pgbouncer", rps(1, d.pgb_ms),
                      format("pgbouncer's one thread / %.3f ms per request", d.pgb_ms)});
  if (sc.nginx)
    bounds.push_back(
        {"nginx", rps(nginx_workers, d.nginx_ms),
         format("%.0f nginx workers / %.3f ms per request", nginx_workers, d.nginx_ms)});
  if (sc.load == LoadType::kClosed)
    bounds.push_back(
        {"clients", rps(sc.clients, d.response_ms),
         format("%.0f clients / %.2f ms minimal response time", sc.clients, d.response_ms)});
  std::sort(bounds.begin(), bounds.end(),
            [](const Bound& a, const Bound& b) { return a.rps < b.rps; });
  return bounds;
}

// A resource the simulation may find binding, with how busy it was.
struct Candidate {
  Bound bound;
  double utilisation;
  double wait_ms = 0;  // held resources: mean time a request waits for one
};

template <class Getter>
double mean_over(const StackResult& result, Getter get) {
  return result.summary(get).mean;
}

std::size_t index_of(Role r) {
  return static_cast<std::size_t>(r);
}

// A thread's demand as the simulation saw it: busy time per request (its
// own work, the kernel work it ran, context switches).
double thread_ms(const StackResult& result, Role which, double threads) {
  return mean_over(result, [&](const RunResult& r) {
    return r.busy_share[index_of(which)] * threads * 1e3 / r.throughput_rps;
  });
}

double busiest_process(const StackResult& result, Role which) {
  return mean_over(result, [&](const RunResult& r) { return r.busiest_process[index_of(which)]; });
}

// Processors and threads do work: at their simulated demands.
std::vector<Candidate> active_candidates(const Scenario& sc, const StackResult& result,
                                         const Capacity& cap) {
  const int w = cap.workers;
  const double sim_cpu_ms = mean_over(result, [](const RunResult& r) {
    double us = 0;
    for (double v : r.cpu_us_per_request) us += v;
    return us * 1e-3;
  });
  const double sim_app_ms = thread_ms(result, Role::kApp, w);
  const double sim_pgb_ms = thread_ms(result, Role::kPgbouncer, 1);
  const double sim_client_ms = thread_ms(result, Role::kClient, 1);
  return {
      {{"cpu", rps(sc.cores, sim_cpu_ms),
        format("%.0f cores / %.3f ms CPU per request", sc.cores, sim_cpu_ms)},
       result.mean(&RunResult::cpu_utilisation)},
      {{"worker_threads", rps(w, sim_app_ms),
        format("%.0f single-threaded workers / %.3f ms of worker CPU per request", w, sim_app_ms)},
       busiest_process(result, Role::kApp)},
      {{"pgbouncer", rps(1, sim_pgb_ms),
        format("pgbouncer's one thread / %.3f ms per request", sim_pgb_ms)},
       busiest_process(result, Role::kPgbouncer)},
      {{"client", rps(1, sim_client_ms),
        format("ab's one thread / %.3f ms per request", sim_client_ms)},
       busiest_process(result, Role::kClient)},
  };
}

// Workers and sessions are held: at their simulated hold times, with the
// time requests waited for them.
std::vector<Candidate> held_candidates(const StackModel& stack, const StackResult& result,
                                       const Capacity& cap) {
  const int w = cap.workers;
  const double sim_worker_hold = result.mean(&RunResult::worker_hold_ms);
  const double sim_session_hold = result.mean(&RunResult::session_hold_ms);
  return {
      {{"sessions", rps(cap.session_units, sim_session_hold),
        format("%.0f sessions / %.2f ms held per request", cap.session_units, sim_session_hold)},
       result.mean(&RunResult::sessions_busy),
       mean_over(
           result,
           [](const RunResult& r) { return r.phase_ms[static_cast<int>(Phase::kWaitSession)]; })},
      {{"workers", rps(cap.slots, sim_worker_hold),
        stack.max_concurrency == 1
            ? format("%.0f workers / %.2f ms held per request", w, sim_worker_hold)
            : format("%.0f workers x %.0f requests / %.2f ms held", w, stack.max_concurrency,
                     sim_worker_hold)},
       result.mean(&RunResult::worker_slots),
       mean_over(result,
                 [](const RunResult& r) {
                   return r.phase_ms[static_cast<int>(Phase::kWaitWorker)] +
                          r.phase_ms[static_cast<int>(Phase::kRetry)];
                 })},
  };
}

// The binding resource at the simulated demands and hold times: the
// busiest active resource when saturated, else a saturated held one that
// requests queue for, else the clients (or the arrivals) set the pace.
// Returns the busiest active resource's name when none binds.
std::string bind_from_simulation(Explanation& e, const StackModel& stack, const Scenario& sc,
                                 const StackResult& result, const Capacity& cap) {
  const double sim_response = result.mean(&RunResult::latency_mean_ms);
  // A holder waiting for CPU or for a session keeps its worker or session
  // busy too. So a busy active resource binds before a busy held one, and a
  // session (held inside a worker's hold) before a worker.
  const std::vector<Candidate> active = active_candidates(sc, result, cap);
  const std::vector<Candidate> held = held_candidates(stack, result, cap);
  // Below this, a resource is not saturated. A held resource binds only if
  // requests also queue for it: C clients on C sessions keep them busy
  // without any of them waiting, and then the clients set the pace.
  constexpr double kSaturated = 0.85;
  constexpr double kQueueingShare = 0.02;  // of the mean latency
  const auto busiest = std::max_element(
      active.begin(), active.end(),
      [](const Candidate& a, const Candidate& b) { return a.utilisation < b.utilisation; });
  const Candidate* binding = nullptr;
  if (busiest->utilisation >= kSaturated) binding = &*busiest;
  for (const Candidate& c : held)
    if (!binding && c.utilisation >= kSaturated && c.wait_ms >= kQueueingShare * sim_response)
      binding = &c;
  if (binding) {
    e.binding = binding->bound;
    e.binding_utilisation = binding->utilisation;
  } else if (sc.load == LoadType::kOpen) {
    e.binding = {"arrivals", sc.rate_rps, format("the offered load of %.0f rps", sc.rate_rps)};
    e.binding_utilisation = busiest->utilisation;
  } else {
    e.binding = {"clients", rps(sc.clients, sim_response),
                 format("%.0f clients / %.2f ms response time", sc.clients, sim_response)};
    e.binding_utilisation = busiest->utilisation;
  }
  return binding == nullptr ? busiest->bound.resource : std::string();
}

}  // namespace

Explanation explain(const Model& full_model, const StackModel& stack, const Scenario& sc,
                    const StackResult& result) {
  // The model as the simulator runs it: the shared groups at this stack's
  // scale, the CPU corrections it does not use turned off.
  const Model model = as_seen_by(full_model, stack, sc.cores);
  const Capacity cap = capacity_of(stack, sc);
  Explanation e;
  e.analytic = analytic_bounds(model, seen_stack(model), sc, cap);
  const std::string busiest = bind_from_simulation(e, stack, sc, result, cap);
  const double x = result.mean(&RunResult::throughput_rps);
  char buf[512];
  std::snprintf(
      buf, sizeof buf, "%s: %.0f rps, bound by %s: %s = %.0f rps (%s %.0f%% busy).",
      stack.name.c_str(), x, e.binding.resource.c_str(), e.binding.formula.c_str(), e.binding.rps,
      busiest.empty() ? e.binding.resource.c_str() : ("busiest, " + busiest + ",").c_str(),
      100 * e.binding_utilisation);
  e.sentence = buf;
  return e;
}

std::string verdict(const Model& model, const ConfigurationResult& cr) {
  const StackResult* best_sync = nullptr;
  const StackResult* best_async = nullptr;
  for (const StackResult& s : cr.stacks) {
    const StackResult*& best = s.type == WorkerType::kSync ? best_sync : best_async;
    if (!best || s.mean(&RunResult::throughput_rps) > best->mean(&RunResult::throughput_rps))
      best = &s;
  }
  if (!best_sync || !best_async) return "Only one kind of server in this configuration.";
  const Scenario& sc = cr.configuration.scenario;
  const double xs = best_sync->mean(&RunResult::throughput_rps);
  const double xa = best_async->mean(&RunResult::throughput_rps);
  const Explanation es = explain(model, model.stacks.at(best_sync->stack), sc, *best_sync);
  const Explanation ea = explain(model, model.stacks.at(best_async->stack), sc, *best_async);
  const bool async_wins = xa > xs;
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "%s wins: best async %s %.0f rps vs best sync %s %.0f rps (x%.2f). "
                "Sync is bound by %s (%s = %.0f rps); async by %s (%s = %.0f rps).",
                async_wins ? "Async" : "Sync", best_async->stack.c_str(), xa,
                best_sync->stack.c_str(), xs, async_wins ? xa / xs : xs / xa,
                es.binding.resource.c_str(), es.binding.formula.c_str(), es.binding.rps,
                ea.binding.resource.c_str(), ea.binding.formula.c_str(), ea.binding.rps);
  return buf;
}

}  // namespace stacksim
