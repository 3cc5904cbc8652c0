#include "sim/components/stack.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/input_error.hpp"

namespace stacksim {

namespace {
Request& request_of(std::uint64_t arg) {
  return *reinterpret_cast<Request*>(arg);
}

Rng role_stream(const Scenario& sc, Role role, int replication) {
  return Rng(sc.seed, std::string("burst.") + to_string(role),
             static_cast<std::uint64_t>(replication));
}
}  // namespace

Stack::Stack(Simulator& sim, const Model& full_model, const StackModel& stack, const Scenario& sc,
             int replication, StackObserver& observer)
    : sim_(sim),
      scenario_(sc),
      observer_(observer),
      model_(as_seen_by(full_model, stack, sc.cores)),
      topology_(Topology::build(model_, seen_stack(model_), sc)),
      route_(topology_.route()),
      host_(sim, sc.cores, model_.host.context_switch_ns),
      rngs_{role_stream(sc, Role::kNone, replication),
            role_stream(sc, Role::kClient, replication),
            role_stream(sc, Role::kKernel, replication),
            role_stream(sc, Role::kProxy, replication),
            role_stream(sc, Role::kApp, replication),
            role_stream(sc, Role::kPgbouncer, replication),
            role_stream(sc, Role::kPostgres, replication)},
      proxy_(host_, sc.nginx ? (sc.nginx_workers > 0 ? sc.nginx_workers : sc.cores) : 0,
             Rng(sc.seed, "nginx.accept", static_cast<std::uint64_t>(replication))),
      app_(sim, host_, observer, stack.name, sc.workers.for_type(stack.type), stack.max_concurrency,
           stack.accept_policy, sc.backlog,
           Rng(sc.seed, "app.accept", static_cast<std::uint64_t>(replication))),
      postgres_(host_, model_.postgres.load.idle_inflation),
      pgbouncer_(host_, postgres_, model_.pgbouncer, model_.postgres, model_.kernel.per_hop,
                 sc.sessions,
                 Rng(sc.seed, "pgbouncer.release", static_cast<std::uint64_t>(replication))),
      load_(sim, host_, *this, sc.load == LoadType::kClosed ? sc.clients : 0, sc.rate_rps,
            Rng(sc.seed, "client.arrivals", static_cast<std::uint64_t>(replication))),
      db_delay_(sim, ns_from_ms(sc.delay_ms)),
      kernel_per_backend_ns_(model_.kernel.load.per_backend_ns),
      kernel_cold_ns_per_ms_(model_.kernel.load.cold_ns_per_ms) {
  // Load dependence, per process group (the backends and pgbouncer set
  // their own idle inflation).
  pgbouncer_.sessions().on_change([this](int in_use) {
    observer_.on_occupancy(Occupancy::kSessionsInUse, in_use, sim_.now());
  });
  host_.set_idle_window(model_.host.idle_window_ns);
  if (stack.worker_order == WorkerOrder::kRandom) {
    for (int w = 0; w < app_.workers(); ++w)
      host_.set_random_order(app_.process(w), Rng(sc.seed, "app.order." + std::to_string(w),
                                                  static_cast<std::uint64_t>(replication)));
  }
  if (model_.host.imbalance > 0) host_.set_imbalance(model_.host.imbalance);
  host_.set_wakeup_latency(model_.host.wakeup_latency_ns);
  host_.set_speed(model_.host.speed);
  host_.set_kernel_idle_inflation(model_.kernel.load.idle_inflation);
  host_.set_idle_inflation(load_.process(), model_.client.load.idle_inflation);
  for (ProcessId p : proxy_.processes())
    host_.set_idle_inflation(p, model_.proxy.load.idle_inflation);
  for (int w = 0; w < app_.workers(); ++w)
    host_.set_idle_inflation(app_.process(w), seen_stack(model_).load.idle_inflation);
  const auto load = load_by_role(model_, seen_stack(model_), sc);
  for (int r = 0; r < kRoleCount; ++r) background_[r] = load[r].background_cores;
  double background = 0;
  for (double b : background_) background += b;
  if (background >= sc.cores)
    throw InputError(model_.source + ": the groups' load.background_cores add up to " +
                     std::to_string(background) + ", not less than the scenario's " +
                     std::to_string(sc.cores) + " cores");
  host_.set_background_cores(background);
  if (sc.db_access == DbAccess::kAppPool) {
    for (int w = 0; w < app_.workers(); ++w) {
      app_pools_.push_back(std::make_unique<Pool>(sc.app_pool_size, /*lazy=*/true));
      app_pool_session_.emplace_back(static_cast<std::size_t>(sc.app_pool_size), -1);
    }
  }
}

Role Stack::role_of(ProcessId p) const {
  if (p == load_.process()) return Role::kClient;
  if (p == pgbouncer_.process()) return Role::kPgbouncer;
  const auto& nginx = proxy_.processes();
  if (std::find(nginx.begin(), nginx.end(), p) != nginx.end()) return Role::kProxy;
  for (int w = 0; w < app_.workers(); ++w)
    if (app_.process(w) == p) return Role::kApp;
  return Role::kPostgres;
}

// Inline: every burst asks it (submit_burst).
inline ProcessId Stack::process_for(Role role, Request& r) {
  switch (role) {
    case Role::kClient:
      return load_.process();
    case Role::kProxy:
      if (r.proxy_worker < 0) r.proxy_worker = proxy_.choose();
      return proxy_.process(r.proxy_worker);
    case Role::kApp:
      return app_.process(r.app_worker);
    case Role::kPgbouncer:
      return pgbouncer_.process();
    case Role::kPostgres:
      return postgres_.backend(r.session);
    case Role::kKernel:  // kernel work rides on its sender's bursts
    case Role::kNone:
      break;
  }
  throw std::logic_error("a CPU step without a process role");
}

void Stack::route(Request& r) {
  // The smoothed interval between requests (1/16 weight to the newest):
  // what the cold-cache term of LoadDependence charges per ms.
  const SimTime now = sim_.now();
  if (last_arrival_ns_ >= 0) {
    const double gap_ms = static_cast<double>(now - last_arrival_ns_) * 1e-6;
    interval_ms_ = interval_ms_ == 0 ? gap_ms : interval_ms_ + (gap_ms - interval_ms_) / 16;
  }
  last_arrival_ns_ = now;
  run(r);
}

void Stack::on_event(std::uint64_t arg) {
  step_done(request_of(arg));
}

// The wait of the request's current step is over: account for it, move on.
void Stack::step_done(Request& r) {
  const Step& s = route_[r.step];
  const SimTime now = sim_.now();
  const SimTime waited = now - r.step_start_ns;
  switch (s.kind) {
    case StepKind::kCpu:
      r.phase(Phase::kOnCpu) += r.step_work_ns;
      r.phase(Phase::kWaitCpu) += waited - r.step_work_ns;
      break;
    case StepKind::kDbDelay:
      r.phase(Phase::kInDatabase) += waited;
      break;
    case StepKind::kAcceptWorker:
      if (r.app_worker < 0) {  // a dropped SYN's retry timer: try again
        r.phase(Phase::kRetry) += waited;
        run(r);
        return;
      }
      r.phase(Phase::kWaitWorker) += waited;
      r.worker_acquired_ns = now;
      break;
    case StepKind::kAcquireSession:  // handed over: sessions handed over exist
      r.phase(Phase::kWaitSession) += waited;
      r.session_acquired_ns = now;
      r.step = static_cast<std::uint32_t>(s.skip_to);
      run(r);
      return;
    case StepKind::kAcquireAppConnection:
      r.phase(Phase::kWaitSession) += waited;
      r.session = app_pool_session_[r.app_worker][r.app_connection];
      r.step = static_cast<std::uint32_t>(s.skip_to);
      run(r);
      return;
    default:
      break;
  }
  ++r.step;
  run(r);
}

// Executes steps until one has to wait. The steps that may wait or jump
// are small members saying what comes next; nothing here allocates.
void Stack::run(Request& r) {
  for (;;) {
    const Step& s = route_[r.step];
    const SimTime now = sim_.now();
    r.step_start_ns = now;
    Next next = Next::kStep;
    switch (s.kind) {
      case StepKind::kCpu:
        submit_burst(s, r);
        return;
      case StepKind::kDbDelay:
        // No delay is no wait: the backend goes straight on (it is not a
        // timer that wakes it).
        if (db_delay_.delay_ns() == 0) break;
        db_delay_.wait(resume(r));
        return;
      case StepKind::kAcceptWorker:
        next = accept_worker(r, now);
        break;
      case StepKind::kReleaseWorker:
        r.worker_held_ns += now - r.worker_acquired_ns;
        app_.release(r);
        break;
      case StepKind::kAcquireSession:
        next = acquire_session(r, now);
        break;
      case StepKind::kReleaseSession:
        r.session_held_ns += now - r.session_acquired_ns;
        pgbouncer_.release(r.session);
        break;
      case StepKind::kAcquireAppConnection:
        next = acquire_app_connection(r);
        break;
      case StepKind::kReleaseAppConnection:
        app_pool_session_[r.app_worker][r.app_connection] = r.session;
        app_pools_[r.app_worker]->release(r.app_connection);
        break;
      case StepKind::kComplete:
        observer_.on_complete(r, now);
        load_.finished(r);
        return;
    }
    if (next == Next::kWait) return;
    r.step = next == Next::kSkip ? static_cast<std::uint32_t>(s.skip_to) : r.step + 1;
  }
}

// The sampled demand, stretched on an idle host, plus the fixed extras
// (LoadDependence): per open backend (a negative one never takes the burst
// below a tenth of its sample) and the cold cost; the hop it sends likewise.
void Stack::submit_burst(const Step& s, Request& r) {
  const ProcessId p = process_for(s.role, r);
  const double backends = static_cast<double>(postgres_.backends().size());
  const double sampled = s.sample_ns(rng_for(s.role));
  double work = static_cast<double>(host_.stretch(p, static_cast<SimTime>(sampled)));
  if (s.per_backend_ns != 0) work = plus_backend_cost(work, s.per_backend_ns * backends);
  work += s.cold_ns_per_ms * interval_ms_;
  double kernel = 0;
  if (s.sends) {
    kernel = static_cast<double>(
        host_.stretch_kernel(static_cast<SimTime>(s.hop.sample(rng_for(Role::kKernel)))));
    if (kernel_per_backend_ns_ != 0)
      kernel = plus_backend_cost(kernel, kernel_per_backend_ns_ * backends);
    kernel += kernel_cold_ns_per_ms_ * interval_ms_;
  }
  const auto work_ns = static_cast<SimTime>(work);
  const auto kernel_ns = static_cast<SimTime>(kernel);
  r.step_work_ns = work_ns + kernel_ns;
  host_.submit(p, work_ns, resume(r), kernel_ns);
}

Stack::Next Stack::accept_worker(Request& r, SimTime now) {
  switch (app_.accept(r, resume(r))) {
    case AppServer::Admit::kNow:
      r.worker_acquired_ns = now;
      return Next::kStep;
    case AppServer::Admit::kQueued:
      return Next::kWait;
    case AppServer::Admit::kRefused:
      break;
  }
  // The SYN is dropped; the connecting side retries after 1, 2, 4... times
  // syn_retry_ms, and gives up after kMaxSynAttempts.
  if (++r.syn_attempts >= kMaxSynAttempts) {
    observer_.on_failed(r, now);
    load_.finished(r);
    return Next::kWait;
  }
  ++retries_;
  sim_.schedule_in(ns_from_ms(scenario_.syn_retry_ms) * (SimTime{1} << (r.syn_attempts - 1)),
                   resume(r));
  return Next::kWait;
}

// A server session pgbouncer already had open needs no connecting: the
// connect steps are skipped.
Stack::Next Stack::acquire_session(Request& r, SimTime now) {
  if (!pgbouncer_.acquire(r, resume(r))) return Next::kWait;
  r.session_acquired_ns = now;
  return r.unit_created ? Next::kStep : Next::kSkip;
}

// A pooled connection that is reused keeps its server session: the
// connect steps are skipped.
Stack::Next Stack::acquire_app_connection(Request& r) {
  const Pool::Grant g = app_pools_[r.app_worker]->acquire(resume(r), &r.app_connection);
  if (g.unit < 0) return Next::kWait;
  r.app_connection = g.unit;
  if (g.created) return Next::kStep;
  r.session = app_pool_session_[r.app_worker][g.unit];
  return Next::kSkip;
}

}  // namespace stacksim
