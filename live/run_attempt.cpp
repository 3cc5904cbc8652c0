#include "live/run_attempt.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "live/measure/app_memory.hpp"
#include "live/measure/cpu_accounting.hpp"
#include "live/measure/host_info.hpp"
#include "live/measure/served_counts.hpp"
#include "live/measure/session_monitor.hpp"
#include "live/os/ports.hpp"
#include "live/os/process_registry.hpp"
#include "live/probe/host_probe.hpp"
#include "live/run_preflight.hpp"
#include "live/running_stack.hpp"
#include "live/servers/load_generator.hpp"

namespace stacksim::live {
namespace {

using nlohmann::json;

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void say(const ProgressFn& progress, const std::string& what) {
  if (progress) progress(what);
}

void wait_until_quiet(const std::vector<int>& ports, std::chrono::seconds timeout,
                      const char* when = "after the warm-up") {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (connections_in_flight(ports) > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("connections still in flight " + std::to_string(timeout.count()) +
                               " s " + when);
    }
    interruptible_sleep_ms(20);
  }
}

// --- the host before the run: leftovers stopped, foreign CPU measured -----

struct HostBefore {
  long open_files = 0;
  int tcp_tw_reuse = 0;
  double foreign_cores = 0;
};

// Waits up to config.wait_quiet_s for other processes' CPU to fall under
// the limit; a host still busy after it is flagged, not refused.
HostBefore quiet_host(const RunConfig& config, const ProgressFn& progress) {
  HostBefore h;
  // Before measuring foreign CPU: the leftovers would count as foreign.
  if (const int reaped = reap_orphaned_runs(); reaped > 0) {
    say(progress,
        "stopped " + std::to_string(reaped) + " processes left by a runner that was killed");
  }
  h.open_files = raise_open_files_limit();
  h.tcp_tw_reuse = tcp_tw_reuse();
  if (h.tcp_tw_reuse == 0) {
    say(progress,
        "warning: net.ipv4.tcp_tw_reuse is 0: at these rates new loopback connections "
        "can fail for lack of ports (sysctl -w net.ipv4.tcp_tw_reuse=2)");
  }
  say(progress, "measuring foreign CPU before the run");
  h.foreign_cores = machine_busy_cores(std::chrono::milliseconds(1000));
  const auto quiet_deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<long>(config.wait_quiet_s * 1000));
  while (h.foreign_cores > config.max_foreign_cores &&
         std::chrono::steady_clock::now() < quiet_deadline) {
    h.foreign_cores = machine_busy_cores(std::chrono::milliseconds(1000));
  }
  if (h.foreign_cores > config.max_foreign_cores) {
    say(progress, "warning: other processes use " + std::to_string(h.foreign_cores) +
                      " cores before the run; the record is flagged");
  }
  return h;
}

// --- warm-up and the measured window --------------------------------------

json warm_up(const RunConfig& config, const LoadSettings& load, const ProgressFn& progress) {
  if (config.warmup_s <= 0) return nullptr;
  say(progress, "warm-up " + std::to_string(config.warmup_s) + " s");
  LoadSettings w = load;
  w.duration_s = config.warmup_s;
  w.label = "warmup";
  const LoadResult wr = run_load(w);
  return {
      {"completed", wr.completed}, {"failed", wr.failed}, {"throughput_rps", wr.throughput_rps}};
}

struct Window {
  LoadResult result;
  CpuSnapshot begin, end;
  ServedCounts served_begin, served_end;
  PgbouncerTotals totals_before, totals_after;
  int peak_server_sessions = 0, peak_clients_waiting = 0;
  long session_polls = 0;
  std::string session_monitor_error;
  double rate_before = 0, rate_after = 0;  // the C reference on the run's CPUs
  pid_t postmaster = 0;                    // an external server's, when found
  double server_begin_s = -1, server_end_s = -1;
  json memory;  // the app server's processes, after the window (app_memory)
};

Window measure_window(const RunConfig& config, RunningStack& stack, LoadSettings load,
                      CpuCgroups& cgroups, const std::optional<PostgresUrl>& external,
                      const ProgressFn& progress) {
  Window w;
  // The vCPU's speed just before and after the window (the C reference on
  // each run CPU): a run whose speed moved is flagged, not averaged in.
  const std::vector<int> run_cpus = probe_cpus(config.cores);
  w.rate_before = reference_rate(run_cpus, 2);
  say(progress, "measured window");
  const std::string admin = stack.bouncer->admin_conninfo();
  w.totals_before = read_totals(admin, kDatabaseName);
  SessionMonitor monitor(admin, kDatabaseName);
  load.duration_s = config.requests > 0 ? 0 : config.duration_s;
  load.requests = config.requests;
  load.label = "window";
  // An external server's processes are not in our cgroups: its postmaster's
  // tree is read from /proc around the window instead.
  w.postmaster = external ? find_postmaster(*external) : 0;
  if (w.postmaster > 0) w.server_begin_s = postmaster_tree_cpu_s(w.postmaster);
  w.served_begin = read_served_counts(stack.app_settings.served_dir);
  w.begin = take_cpu_snapshot(cgroups);
  w.result = run_load(load);
  w.end = take_cpu_snapshot(cgroups);
  w.memory =
      memory_json(read_app_memory(cgroups.pids("app"), stack.app->process().pid(), config.workers));
  // After the stack has drained: requests still in flight at the window's
  // end would take CPU from the reference and read as a slower vCPU.
  // (Not pgbouncer's port: the session monitor holds an admin connection.)
  wait_until_quiet({stack.nginx->port(), stack.app->port()}, std::chrono::seconds(60),
                   "after the window");
  w.rate_after = reference_rate(run_cpus, 2);
  w.served_end = read_served_counts(stack.app_settings.served_dir);
  if (w.postmaster > 0) w.server_end_s = postmaster_tree_cpu_s(w.postmaster);
  monitor.stop();
  w.peak_server_sessions = monitor.peak_server_sessions();
  w.peak_clients_waiting = monitor.peak_clients_waiting();
  w.session_polls = monitor.polls();
  w.session_monitor_error = monitor.error();
  w.totals_after = read_totals(admin, kDatabaseName);
  stack.require_running("during the measured window");
  return w;
}

// --- the record -------------------------------------------------------------

json result_json(const Window& w) {
  const LoadResult& r = w.result;
  json j = {{"completed", r.completed},
            {"failed", r.failed},
            {"non_2xx", r.non_2xx},
            {"elapsed_s", r.elapsed_s},
            {"throughput_rps", r.throughput_rps},
            {"latency_ms",
             {{"mean", r.mean_ms},
              {"p50", r.p50_ms},
              {"p90", r.p90_ms},
              {"p99", r.p99_ms},
              {"p99_9", r.p999_ms},
              {"max", r.max_ms}}},
            {"latency_samples", r.samples},
            {"peak_server_sessions", w.peak_server_sessions},
            {"peak_clients_waiting", w.peak_clients_waiting},
            {"session_polls", w.session_polls},
            {"pgbouncer_transactions", w.totals_after.transactions - w.totals_before.transactions}};
  if (!w.session_monitor_error.empty()) j["session_monitor_error"] = w.session_monitor_error;
  return j;
}

// The external server's CPU over the window, taken out of `foreign` (it
// works for this run, so the foreign-CPU flag still means someone else's
// work); null when its postmaster was not found.
json take_out_external_server(CpuReport& cpu, const Window& w) {
  if (w.server_begin_s < 0 || w.server_end_s < 0) return nullptr;
  const double s = std::max(0.0, w.server_end_s - w.server_begin_s);
  const auto completed = static_cast<double>(w.result.completed);
  GroupCpu& foreign = cpu.groups.at("foreign");
  foreign.cpu_s = std::max(0.0, foreign.cpu_s - s);
  foreign.per_request_us = completed > 0 ? foreign.cpu_s * 1e6 / completed : 0;
  cpu.foreign_cores = cpu.window_s > 0 ? foreign.cpu_s / cpu.window_s : 0;
  return {{"cpu_s", s},
          {"per_request_us", completed > 0 ? s * 1e6 / completed : 0},
          {"postmaster_pid", w.postmaster}};
}

// Flagged, never zero: a reader that needs the group's CPU (calibration)
// must see that it was not measured.
json unmeasured_postgres(const json& server_estimate) {
  return {{"measured", false},
          {"reason",
           server_estimate.is_null()
               ? "external PostgreSQL server: not in the run's cgroups, and its postmaster was "
                 "not found in /proc; its CPU is counted as foreign"
               : "external PostgreSQL server: not in the run's cgroups; proc_estimate is its "
                 "postmaster's tree from /proc (tick resolution), taken out of foreign"},
          {"cpu_s", nullptr},
          {"user_s", nullptr},
          {"system_s", nullptr},
          {"per_request_us", nullptr},
          {"voluntary_switches", nullptr},
          {"involuntary_switches", nullptr},
          {"processes", nullptr},
          {"proc_estimate", server_estimate}};
}

struct Measured {
  const Window& window;
  const HostBefore& before;
  json warmup;
};

// Fills the record with what the window measured: result, served counts,
// CPU, PostgreSQL, flags, the host's speed.
void record_window(json& record, const RunConfig& config, const Measured& m,
                   const std::optional<PostgresUrl>& external,
                   const std::optional<ExternalServer>& server) {
  const Window& w = m.window;
  record["result"] = result_json(w);
  record["warmup"] = m.warmup;
  record["memory"] = w.memory;
  ServedWindow sw;
  sw.begin = w.served_begin;
  sw.end = w.served_end;
  sw.workers = config.workers;
  sw.expected = w.result.completed + w.result.failed;
  sw.in_flight_bound = config.clients;
  record["served"] = served_json(sw);
  CpuReport cpu = cpu_report(w.begin, w.end, w.result.completed);
  const json server_estimate = external ? take_out_external_server(cpu, w) : json(nullptr);
  record["cpu"] = to_json(cpu);
  if (external) {
    record["cpu"]["groups"]["postgres"] = unmeasured_postgres(server_estimate);
    record["postgres"] = {{"external", true},           {"url_host", external->host},
                          {"url_port", external->port}, {"database", external->dbname},
                          {"user", external->user},     {"server_version", server->server_version}};
  } else {
    record["postgres"] = {{"external", false}};
  }
  const double moved = w.rate_after / w.rate_before - 1;
  record["flags"] = {{"failed_requests", w.result.failed > 0},
                     {"foreign_cores_before", m.before.foreign_cores},
                     {"foreign_cores_window", cpu.foreign_cores},
                     {"foreign_cpu_high", m.before.foreign_cores > config.max_foreign_cores ||
                                              cpu.foreign_cores > config.max_foreign_cores},
                     {"served_mismatch", !record["served"]["adds_up"].get<bool>()},
                     {"speed_moved", std::abs(moved) > config.max_speed_moved},
                     {"postgres_external", external.has_value()},
                     {"tcp_tw_reuse", m.before.tcp_tw_reuse},
                     {"time_wait_sockets_after", connections_in_time_wait()}};
  record["host_speed"] = {{"reference_rate_before", w.rate_before},
                          {"reference_rate_after", w.rate_after},
                          {"moved", moved},
                          {"limit", config.max_speed_moved}};
}

// The run's directory is kept when the attempt fails (not when interrupted).
struct KeepOnFailure {
  RunDir& dir;
  bool failed = true;
  ~KeepOnFailure() {
    if (failed && interrupt_signal() == 0) {
      dir.keep();
      std::fprintf(stderr, "stacksim: logs of the failed run kept in %s\n", dir.path().c_str());
    }
  }
};

}  // namespace

json run_attempt(const RunConfig& config_in, const std::optional<PostgresUrl>& external,
                 const ProgressFn& progress) {
  RunConfig config = config_in;
  const Preflight pre = preflight(config, external.has_value());

  // Before the foreign-CPU measurement: a table load would count as foreign.
  std::optional<ExternalServer> server;
  if (external) {
    say(progress, "checking PostgreSQL at " + external->address());
    server = prepare_external_server(*external, config.rows);
    if (server->loaded_now)
      say(progress, "loaded the table in " + std::to_string(server->load_s) + " s");
  }

  json record;
  record["schema"] = "stacksim.live-run";
  record["version"] = 1;
  record["started_at"] = utc_now();
  record["config"] = config_json(config);
  record["config"]["type"] = std::string(to_string(pre.recipe.type));
  record["config"]["repeat"] = config.repeat;
  record["install_root"] = pre.root.recorded();
  record["server_sessions"] = config.shared_session ? "shared" : "own";
  record["flags"] = json::object();

  const HostBefore before = quiet_host(config, progress);
  const UserIds user = ensure_service_user();
  CpuCgroups cgroups(kComponentGroups);
  RunDir run_dir(user, config.keep);
  record["run_id"] = run_dir.path().substr(run_dir.path().rfind('/') + 1);
  KeepOnFailure keep_on_failure{run_dir};
  RunningStack stack({config, pre, external, user, cgroups, run_dir, progress});

  LoadSettings load;
  load.generator = config.load_generator;
  load.port = stack.nginx->port();
  load.clients = config.clients;
  load.work_dir = run_dir.path();
  load.placement = placement_of(config, cgroups, "client");
  const json warmup = warm_up(config, load, progress);
  // Requests of the warm-up still in flight would land in the window. An
  // app-side pool (db_mode pool) keeps its connections to pgbouncer open on
  // purpose, so pgbouncer's port counts only when connecting per request.
  std::vector<int> quiet_ports = {stack.nginx->port(), stack.app->port()};
  if (config.db_access() == DbAccess::kConnectPerRequest)
    quiet_ports.push_back(stack.bouncer->port());
  wait_until_quiet(quiet_ports, std::chrono::seconds(60));

  const Window window = measure_window(config, stack, load, cgroups, external, progress);
  record_window(record, config, Measured{window, before, warmup}, external, server);
  record["cluster"] = stack.cluster
                          ? json{{"reused", !stack.cluster->loaded_now()},
                                 {"load_s", stack.cluster->load_seconds()}}
                          : json{{"reused", !server->loaded_now}, {"load_s", server->load_s}};
  json host = host_info(pre.recipe.packages);
  host["cores_used"] = pre.cores;
  host["pinned"] = config.cores > 0;
  host["cgroup"] = cgroups.version();
  host["open_files_limit"] = before.open_files;
  record["host"] = host;
  keep_on_failure.failed = false;
  say(progress, "stopping");
  return record;
}

}  // namespace stacksim::live
