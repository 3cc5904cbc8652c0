#include "sim/experiment/run.hpp"

#include <algorithm>
#include <array>

#include "common/input_error.hpp"
#include "sim/components/stack.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/metrics/request_recorder.hpp"
#include "sim/metrics/time_weighted.hpp"

namespace stacksim {

namespace {

// Decides where the measured window starts and ends; forwards completions
// in the window to the recorder and the stack's occupancy to time-weighted
// metrics.
class RunController final : public StackObserver {
 public:
  RunController(Simulator& sim, std::int64_t warmup, std::int64_t measured)
      : sim_(sim), warmup_(warmup), end_(warmup + measured) {}

  void attach(Stack& stack) {
    stack_ = &stack;
    if (warmup_ == 0) start_window();
  }

  void on_complete(const Request& r, SimTime now) override {
    if (in_window()) recorder_.record(r, now);
    count();
  }
  void on_failed(const Request&, SimTime) override {
    if (in_window()) recorder_.record_failure();
    count();
  }
  void on_occupancy(Occupancy what, double value, SimTime now) override {
    occupancy_[static_cast<std::size_t>(what)].set(now, value);
  }
  // The integral of `what` over the window (value-ns).
  double area(Occupancy what) const {
    return occupancy_[static_cast<std::size_t>(what)].area(window_end_ns_);
  }

  const RequestRecorder& recorder() const { return recorder_; }
  SimTime window_start_ns() const { return window_start_ns_; }
  SimTime window_end_ns() const { return window_end_ns_; }
  bool finished() const { return done_ >= end_; }
  std::int64_t done() const { return done_; }
  const std::vector<SimTime>& cpu_at_start() const { return cpu_at_start_; }
  const std::vector<SimTime>& busy_at_start_ns() const { return busy_at_start_ns_; }
  SimTime kernel_at_start() const { return kernel_at_start_; }
  double busy_at_start() const { return busy_at_start_; }
  std::uint64_t retries_at_start() const { return retries_at_start_; }

 private:
  bool in_window() const { return done_ >= warmup_ && done_ < end_; }
  void count() {
    ++done_;
    if (done_ == warmup_) start_window();
    if (done_ == end_) {
      window_end_ns_ = sim_.now();
      stack_->stop_issuing();
      sim_.stop();
    }
  }
  void start_window() {
    window_start_ns_ = sim_.now();
    CpuHost& host = stack_->host();
    cpu_at_start_.resize(host.process_count());
    busy_at_start_ns_.resize(host.process_count());
    for (ProcessId p = 0; p < host.process_count(); ++p) {
      cpu_at_start_[p] = host.cpu_ns(p);
      busy_at_start_ns_[p] = host.busy_ns(p);
    }
    kernel_at_start_ = host.kernel_cpu_ns();
    busy_at_start_ = host.busy_processor_ns();
    retries_at_start_ = stack_->retries();
    stack_->app().reset_statistics();
    stack_->pgbouncer().sessions().reset_statistics();
    for (TimeWeighted& o : occupancy_) o.reset(window_start_ns_);
  }

  Simulator& sim_;
  Stack* stack_ = nullptr;
  std::int64_t warmup_;
  std::int64_t end_;
  std::int64_t done_ = 0;
  RequestRecorder recorder_;
  std::array<TimeWeighted, kOccupancyCount> occupancy_;
  SimTime window_start_ns_ = 0;
  SimTime window_end_ns_ = 0;
  std::vector<SimTime> cpu_at_start_;
  std::vector<SimTime> busy_at_start_ns_;
  SimTime kernel_at_start_ = 0;
  double busy_at_start_ = 0;
  std::uint64_t retries_at_start_ = 0;
};

// Nothing left to happen, yet requests are outstanding: they wait for
// something no one will release.
[[noreturn]] void fail_stalled(const RunController& control, const StackModel& stack_model,
                               const Scenario& sc) {
  std::string why = "the run stalled after " + std::to_string(control.done()) + " of " +
                    std::to_string(sc.warmup_requests + sc.requests) + " requests of " +
                    stack_model.name;
  if (sc.db_access == DbAccess::kAppPool)
    why +=
        ": with db_access = app_pool each pooled connection keeps its server session, so "
        "sessions (" +
        std::to_string(sc.sessions) + ") must cover workers x app_pool_size (" +
        std::to_string(sc.workers.for_type(stack_model.type) * sc.app_pool_size) + ")";
  throw InputError(sc.source + ": " + why);
}

void read_latency(RunResult& out, const LatencyHistogram& lat) {
  out.latency_mean_ms = lat.mean_ns() * 1e-6;
  out.p50_ms = ms_from_ns(lat.quantile_ns(0.50));
  out.p90_ms = ms_from_ns(lat.quantile_ns(0.90));
  out.p99_ms = ms_from_ns(lat.quantile_ns(0.99));
  out.p999_ms = ms_from_ns(lat.quantile_ns(0.999));
  out.max_ms = ms_from_ns(lat.max_ns());
}

// Utilisation, each role's busiest process and busy share, and CPU per
// request by role (kernel and background included), over the window.
void read_cpu(RunResult& out, Stack& stack, const RunController& control, double window) {
  CpuHost& host = stack.host();
  out.cpu_utilisation =
      (host.busy_processor_ns() - control.busy_at_start()) / (window * host.cores());
  std::array<double, kRoleCount> cpu_ns{};
  std::array<double, kRoleCount> busy_ns{};
  std::array<int, kRoleCount> processes{};
  for (ProcessId p = 0; p < host.process_count(); ++p) {
    // Processes started inside the window (new backends) had used nothing.
    const bool old = p < control.cpu_at_start().size();
    const int role = static_cast<int>(stack.role_of(p));
    cpu_ns[role] += static_cast<double>(host.cpu_ns(p) - (old ? control.cpu_at_start()[p] : 0));
    // A thread is busy for its own work and the kernel work it runs.
    const auto busy =
        static_cast<double>(host.busy_ns(p) - (old ? control.busy_at_start_ns()[p] : 0));
    out.busiest_process[role] = std::max(out.busiest_process[role], busy / window);
    busy_ns[role] += busy;
    ++processes[role];
  }
  for (int r = 0; r < kRoleCount; ++r)
    if (processes[r] > 0) out.busy_share[r] = busy_ns[r] / (window * processes[r]);
  cpu_ns[static_cast<int>(Role::kKernel)] =
      static_cast<double>(host.kernel_cpu_ns() - control.kernel_at_start());
  // Background CPU is a fluid of the host: each group's share over the window.
  for (int r = 0; r < kRoleCount; ++r)
    cpu_ns[r] += stack.background_cores(static_cast<Role>(r)) * window;
  for (int r = 0; r < kRoleCount; ++r)
    out.cpu_us_per_request[r] = cpu_ns[r] * 1e-3 / static_cast<double>(out.completed);
}

// Workers, backlog, sessions and hold times over the window.
void read_occupancy(RunResult& out, Stack& stack, const RunController& control,
                    const RequestRecorder& rec, double window) {
  AppServer& app = stack.app();
  out.workers_busy = control.area(Occupancy::kBusyWorkers) / (window * app.workers());
  out.worker_slots =
      control.area(Occupancy::kAppInFlight) / (window * app.workers() * app.max_concurrency());
  out.backlog_peak = static_cast<double>(app.peak_backlog());
  for (int w = 0; w < app.workers(); ++w) out.served_per_worker.push_back(app.served(w));
  Pool& sessions = stack.pgbouncer().sessions();
  out.db_sessions_peak = sessions.created();
  const double sessions_area = control.area(Occupancy::kSessionsInUse);
  out.sessions_busy = sessions_area / (window * sessions.capacity());
  out.session_hold_ms = sessions_area * 1e-6 / static_cast<double>(out.completed);
  out.worker_hold_ms = rec.worker_held_mean_ns() * 1e-6;
}

}  // namespace

RunResult run_once(const Model& model, const StackModel& stack_model, const Scenario& sc,
                   int replication) {
  Simulator sim;
  RunController control(sim, sc.warmup_requests, sc.requests);
  Stack stack(sim, model, stack_model, sc, replication, control);
  control.attach(stack);
  stack.start();
  sim.run();
  if (!control.finished()) fail_stalled(control, stack_model, sc);

  RunResult out;
  const RequestRecorder& rec = control.recorder();
  const SimTime window_ns = control.window_end_ns() - control.window_start_ns();
  out.window_s = sec_from_ns(window_ns);
  out.completed = rec.completed();
  out.failed = rec.failed();
  out.syn_retries = stack.retries() - control.retries_at_start();
  out.events = sim.events_processed();
  if (window_ns <= 0 || out.completed == 0) return out;

  out.throughput_rps = static_cast<double>(out.completed) / out.window_s;
  read_latency(out, rec.latency());
  const double window = static_cast<double>(window_ns);
  read_cpu(out, stack, control, window);
  read_occupancy(out, stack, control, rec, window);
  for (int p = 0; p < kPhaseCount; ++p)
    out.phase_ms[p] = rec.phase_mean_ns(static_cast<Phase>(p)) * 1e-6;
  return out;
}

}  // namespace stacksim
