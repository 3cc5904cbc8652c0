#include "live/run.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <sstream>

#include "common/input_error.hpp"
#include "live/app_server.hpp"
#include "live/cpu_accounting.hpp"
#include "live/cpu_cgroups.hpp"
#include "live/external_postgres.hpp"
#include "live/host_info.hpp"
#include "live/install_root.hpp"
#include "live/load_generator.hpp"
#include "live/nginx.hpp"
#include "live/pgbouncer.hpp"
#include "live/ports.hpp"
#include "live/postgres_cluster.hpp"
#include "live/probe/host_probe.hpp"
#include "live/process_registry.hpp"
#include "live/run_dir.hpp"
#include "live/served_counts.hpp"
#include "live/session_monitor.hpp"
#include "live/stack_recipes.hpp"
#include "live/system_user.hpp"

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

int online_cpus() {
  return static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
}

void say(const ProgressFn& progress, const std::string& what) {
  if (progress) progress(what);
}

void require(bool ok, const std::string& message) {
  if (!ok) throw InputError(message);
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

}  // namespace

bool parse_db_mode(std::string_view name, DbAccess& out) {
  if (name == "connect") {
    out = DbAccess::kConnectPerRequest;
  } else if (name == "pool") {
    out = DbAccess::kAppPool;
  } else {
    return false;
  }
  return true;
}

std::string db_mode_name(DbAccess access) {
  return access == DbAccess::kAppPool ? "pool" : "connect";
}

DbAccess db_access_of(std::string_view db_mode) {
  DbAccess access = DbAccess::kConnectPerRequest;
  parse_db_mode(db_mode, access);
  return access;
}

DbAccess RunConfig::db_access() const {
  return db_access_of(db_mode);
}

void validate(const RunConfig& c) {
  require(c.workers >= 0, "--workers must be at least 1");
  require(c.clients >= 1, "--clients must be at least 1");
  require(c.sessions >= 1, "--sessions must be at least 1");
  require(c.sessions <= 1000, "--sessions must be at most 1000");
  require(c.delay_ms >= 0 && std::isfinite(c.delay_ms), "--delay-ms must be 0 or more");
  require(c.duration_s > 0 || c.requests > 0, "give a window: --duration-s > 0 or --requests > 0");
  require(c.requests >= 0, "--requests must be 0 or more");
  require(c.warmup_s >= 0, "--warmup-s must be 0 or more");
  require(c.rows >= 1, "--rows must be at least 1");
  require(c.load_generator == "ab" || c.load_generator == "wrk",
          "--load-generator must be ab or wrk");
  require(c.cores >= 0 && c.cores <= online_cpus(),
          "--cores must be between 1 and the " + std::to_string(online_cpus()) + " online CPUs");
  DbAccess access;
  require(parse_db_mode(c.db_mode, access), "--db-mode must be connect or pool");
  require(c.pool_size >= 1, "--pool-size must be at least 1");
  require(c.port >= 0 && c.port <= 65535, "--port must be between 1 and 65535");
  require(c.backlog >= 1, "--backlog must be at least 1");
  require(c.wait_quiet_s >= 0, "--wait-quiet-s must be 0 or more");
  require(c.max_foreign_cores >= 0, "--max-foreign-cores must be 0 or more");
  require(c.foreign_retries >= 0 && c.foreign_retries <= 10,
          "--foreign-retries must be between 0 and 10");
  require(c.speed_retries >= 0 && c.speed_retries <= 10,
          "--speed-retries must be between 0 and 10");
  require(c.max_speed_moved >= 0, "--max-speed-moved must be 0 or more");
  require(c.load_generator != "wrk" || c.requests == 0,
          "--requests: wrk runs are timed; use --duration-s");
}

json config_json(const RunConfig& c) {
  return {{"stack", c.stack},         {"workers", c.workers},
          {"clients", c.clients},     {"sessions", c.sessions},
          {"delay_ms", c.delay_ms},   {"duration_s", c.duration_s},
          {"requests", c.requests},   {"warmup_s", c.warmup_s},
          {"rows", c.rows},           {"load_generator", c.load_generator},
          {"cores", c.cores},         {"db_mode", c.db_mode},
          {"pool_size", c.pool_size}, {"backlog", c.backlog}};
}

RunConfig config_from_json(const json& j, const RunConfig& base, const std::string& where) {
  if (!j.is_object()) throw InputError(where + ": must be an object of knobs");
  RunConfig c = base;
  for (const auto& [key, v] : j.items()) {
    const std::string at = where + "." + key;
    auto num = [&]() {
      if (!v.is_number()) throw InputError(at + ": must be a number");
      return v.get<double>();
    };
    auto integer = [&]() {
      if (!v.is_number_integer()) throw InputError(at + ": must be an integer");
      return v.get<long>();
    };
    auto str = [&]() {
      if (!v.is_string()) throw InputError(at + ": must be a string");
      return v.get<std::string>();
    };
    if (key == "stack")
      c.stack = str();
    else if (key == "workers")
      c.workers = static_cast<int>(integer());
    else if (key == "clients")
      c.clients = static_cast<int>(integer());
    else if (key == "sessions")
      c.sessions = static_cast<int>(integer());
    else if (key == "delay_ms")
      c.delay_ms = num();
    else if (key == "duration_s")
      c.duration_s = num();
    else if (key == "requests")
      c.requests = integer();
    else if (key == "warmup_s")
      c.warmup_s = num();
    else if (key == "rows")
      c.rows = integer();
    else if (key == "load_generator")
      c.load_generator = str();
    else if (key == "cores")
      c.cores = static_cast<int>(integer());
    else if (key == "db_mode")
      c.db_mode = str();
    else if (key == "pool_size")
      c.pool_size = static_cast<int>(integer());
    else if (key == "backlog")
      c.backlog = static_cast<int>(integer());
    // Measurement policy, not configuration: not part of config_json's key.
    else if (key == "max_foreign_cores")
      c.max_foreign_cores = num();
    else if (key == "wait_quiet_s")
      c.wait_quiet_s = num();
    else if (key == "foreign_retries")
      c.foreign_retries = static_cast<int>(integer());
    else if (key == "speed_retries")
      c.speed_retries = static_cast<int>(integer());
    else if (key == "max_speed_moved")
      c.max_speed_moved = num();
    else if (key == "postgres_url_file")
      c.postgres_url_file = str();
    else
      throw InputError(at + ": unknown knob");
  }
  return c;
}

namespace {
// One attempt: everything of run_once but the repeat on foreign CPU.
json run_attempt(const RunConfig& config_in, const std::optional<PostgresUrl>& external,
                 const ProgressFn& progress) {
  RunConfig config = config_in;
  validate(config);
  const InstallRoot root = install_root();
  if (::geteuid() != 0) {
    throw InputError(
        "stacksim live must run as root (it creates cgroups and starts PostgreSQL "
        "and pgbouncer as the unprivileged user `stacksim`)");
  }
  if (config.stacks_file.empty()) config.stacks_file = default_stacks_path();
  if (config.apps_dir.empty()) config.apps_dir = default_apps_dir();
  const StackRecipes recipes = load_stack_recipes(config.stacks_file);
  const StackRecipe& recipe = find_stack(recipes, config.stack);
  const int cores = config.cores > 0 ? config.cores : online_cpus();
  if (config.workers == 0) config.workers = default_workers(recipe.type, cores);

  // Everything missing is named at once, before anything starts.
  std::vector<std::string> needed = {"pgbouncer",
                                     config.load_generator == "ab" ? "apache2-utils" : "wrk"};
  if (!external) needed.push_back("postgresql-15");
  needed.insert(needed.end(), recipe.packages.begin(), recipe.packages.end());
  const auto missing = missing_packages(needed);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += " " + m;
    if (root.is_prefix()) {
      throw InputError(
          "stack " + config.stack + " needs Debian packages that are not in the prefix " +
          root.recorded() + " (" + root.source() + "; its " + root.package_list() +
          " lists what it holds):" + list +
          "; build it again with scripts/build-prefix.sh, which packs live/packages.txt");
    }
    throw InputError(
        "stack " + config.stack + " needs Debian packages that are not installed:" + list +
        "; install them with `apt-get install -y" + list + "` or scripts/install-deps.sh");
  }
  // Under a prefix a script's interpreter comes from it too: both must be there.
  const std::vector<std::string> server_command = root.command({recipe.argv[0]});
  const std::vector<std::pair<std::string, int>> checks = {
      {server_command.front(), X_OK},
      {server_command.back(), server_command.size() > 1 ? R_OK : X_OK}};
  for (const auto& [program, mode] : checks) {
    if (::access(program.c_str(), mode) != 0) {
      throw InputError(
          recipes.path + ".stacks." + config.stack + ".argv: " + program +
          " is missing or not executable; reinstall its package (" +
          (recipe.packages.empty() ? std::string("see the recipe") : recipe.packages.front()) +
          ")" + (root.is_prefix() ? " in the prefix given by " + root.source() : ""));
    }
  }
  if (const std::string nginx = root.installed("/usr/sbin/nginx");
      ::access(nginx.c_str(), X_OK) != 0)
    throw InputError(root.missing_program(nginx, "nginx-light"));
  if (config.port != 0 && !port_is_free(config.port)) {
    throw InputError("--port " + std::to_string(config.port) +
                     ": 127.0.0.1:" + std::to_string(config.port) +
                     " is in use; choose another port or leave --port out for a free one");
  }

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
  record["config"]["type"] = std::string(to_string(recipe.type));
  record["config"]["repeat"] = config.repeat;
  record["install_root"] = root.recorded();
  record["server_sessions"] = config.shared_session ? "shared" : "own";
  record["flags"] = json::object();

  // Before measuring foreign CPU: the leftovers would count as foreign.
  if (const int reaped = reap_orphaned_runs(); reaped > 0) {
    say(progress,
        "stopped " + std::to_string(reaped) + " processes left by a runner that was killed");
  }
  const long open_files = raise_open_files_limit();
  const int tw_reuse = tcp_tw_reuse();
  if (tw_reuse == 0) {
    say(progress,
        "warning: net.ipv4.tcp_tw_reuse is 0: at these rates new loopback connections "
        "can fail for lack of ports (sysctl -w net.ipv4.tcp_tw_reuse=2)");
  }
  say(progress, "measuring foreign CPU before the run");
  double foreign_before = machine_busy_cores(std::chrono::milliseconds(1000));
  const auto quiet_deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<long>(config.wait_quiet_s * 1000));
  while (foreign_before > config.max_foreign_cores &&
         std::chrono::steady_clock::now() < quiet_deadline) {
    foreign_before = machine_busy_cores(std::chrono::milliseconds(1000));
  }
  if (foreign_before > config.max_foreign_cores) {
    say(progress, "warning: other processes use " + std::to_string(foreign_before) +
                      " cores before the run; the record is flagged");
  }

  const UserIds user = ensure_service_user();
  CpuCgroups cgroups(kComponentGroups);
  RunDir run_dir(user, config.keep);
  record["run_id"] = run_dir.path().substr(run_dir.path().rfind('/') + 1);
  const int pin = config.cores;
  bool failed_to_run = true;
  struct KeepOnFailure {
    RunDir& dir;
    bool& failed;
    ~KeepOnFailure() {
      if (failed && interrupt_signal() == 0) {
        dir.keep();
        std::fprintf(stderr, "stacksim: logs of the failed run kept in %s\n", dir.path().c_str());
      }
    }
  } keep_on_failure{run_dir, failed_to_run};

  std::optional<PostgresCluster> cluster;
  PgbouncerSettings pb;
  if (external) {
    pb.postgres_host = external->host;
    pb.postgres_port = external->port;
    pb.postgres_dbname = external->dbname;
    pb.db_user = external->user;
    pb.db_password = external->password;
  } else {
    say(progress, "starting PostgreSQL (" + std::to_string(config.rows) + " rows)");
    PostgresSettings pg;
    pg.rows = config.rows;
    pg.max_connections = config.sessions + 20;
    pg.cpus = pin;
    pg.cgroup_procs_path = cgroups.procs_path("postgres");
    pg.log_path = run_dir.file("postgres.log");
    pg.run_dir = run_dir.path();
    pg.own_session = !config.shared_session;
    cluster.emplace(pg, user);
    if (cluster->loaded_now())
      say(progress, "loaded the table in " + std::to_string(cluster->load_seconds()) + " s");
    pb.postgres_port = cluster->port();
    pb.db_user = cluster->credentials().app_user;
    pb.db_password = cluster->credentials().app_password;
  }

  say(progress, "starting pgbouncer");
  pb.sessions = config.sessions;
  pb.listen_backlog = config.backlog;
  pb.cpus = pin;
  pb.cgroup_procs_path = cgroups.procs_path("pgbouncer");
  pb.own_session = !config.shared_session;
  Pgbouncer bouncer(pb, run_dir.path(), user);

  say(progress,
      "starting " + config.stack + " with " + std::to_string(config.workers) + " workers");
  AppSettings as;
  as.workers = config.workers;
  as.backlog = config.backlog;
  as.apps_dir = config.apps_dir;
  as.run_dir = run_dir.path();
  as.db_port = bouncer.port();
  as.db_name = kDatabaseName;
  as.db_user = pb.db_user;
  as.db_password = bouncer.client_password();
  as.delay_ms = config.delay_ms;
  as.rows = config.rows;
  as.db_mode = config.db_mode;
  as.pool_size = config.pool_size;
  as.cpus = pin;
  as.cgroup_procs_path = cgroups.procs_path("app");
  as.served_dir = run_dir.subdir("served");
  as.own_session = !config.shared_session;
  AppServer app(recipe, as);

  say(progress, "starting nginx");
  NginxSettings ns;
  ns.port = config.port;
  ns.app_port = app.port();
  ns.worker_processes = cores;
  ns.listen_backlog = config.backlog;
  ns.cpus = pin;
  ns.cgroup_procs_path = cgroups.procs_path("nginx");
  ns.own_session = !config.shared_session;
  Nginx nginx(ns, run_dir.path(), user);
  if (http_get_status(nginx.port(), "/test", std::chrono::seconds(10)) != 200) {
    throw std::runtime_error("GET /test through nginx did not answer 200; see " + run_dir.path() +
                             "/nginx/error.log");
  }

  LoadSettings load;
  load.generator = config.load_generator;
  load.port = nginx.port();
  load.clients = config.clients;
  load.work_dir = run_dir.path();
  load.cpus = pin;
  load.cgroup_procs_path = cgroups.procs_path("client");
  load.own_session = !config.shared_session;
  json warmup = nullptr;
  if (config.warmup_s > 0) {
    say(progress, "warm-up " + std::to_string(config.warmup_s) + " s");
    LoadSettings w = load;
    w.duration_s = config.warmup_s;
    w.label = "warmup";
    const LoadResult wr = run_load(w);
    warmup = {
        {"completed", wr.completed}, {"failed", wr.failed}, {"throughput_rps", wr.throughput_rps}};
  }
  // Requests of the warm-up still in flight would land in the window. An
  // app-side pool (db_mode pool) keeps its connections to pgbouncer open on
  // purpose, so pgbouncer's port counts only when connecting per request.
  std::vector<int> quiet_ports = {nginx.port(), app.port()};
  if (config.db_access() == DbAccess::kConnectPerRequest) quiet_ports.push_back(bouncer.port());
  wait_until_quiet(quiet_ports, std::chrono::seconds(60));

  // The vCPU's speed just before and after the window (the C reference on
  // each run CPU): a run whose speed moved is flagged, not averaged in.
  const std::vector<int> run_cpus = probe_cpus(config.cores);
  const double rate_before = reference_rate(run_cpus, 2);
  say(progress, "measured window");
  const PgbouncerTotals totals_before = read_totals(bouncer.admin_conninfo(), kDatabaseName);
  SessionMonitor monitor(bouncer.admin_conninfo(), kDatabaseName);
  load.duration_s = config.requests > 0 ? 0 : config.duration_s;
  load.requests = config.requests;
  load.label = "window";
  // An external server's processes are not in our cgroups: its postmaster's
  // tree is read from /proc around the window instead.
  const pid_t postmaster = external ? find_postmaster(*external) : 0;
  const double server_begin_s = postmaster > 0 ? postmaster_tree_cpu_s(postmaster) : -1;
  const ServedCounts served_begin = read_served_counts(as.served_dir);
  const CpuSnapshot begin = take_cpu_snapshot(cgroups);
  const LoadResult result = run_load(load);
  const CpuSnapshot end = take_cpu_snapshot(cgroups);
  // After the stack has drained: requests still in flight at the window's
  // end would take CPU from the reference and read as a slower vCPU.
  // (Not pgbouncer's port: the session monitor holds an admin connection.)
  wait_until_quiet({nginx.port(), app.port()}, std::chrono::seconds(60), "after the window");
  const double rate_after = reference_rate(run_cpus, 2);
  const ServedCounts served_end = read_served_counts(as.served_dir);
  const double server_end_s = postmaster > 0 ? postmaster_tree_cpu_s(postmaster) : -1;
  monitor.stop();
  const PgbouncerTotals totals_after = read_totals(bouncer.admin_conninfo(), kDatabaseName);
  std::vector<Process*> ours = {&bouncer.process(), &app.process(), &nginx.process()};
  if (cluster) ours.push_back(&cluster->process());
  for (Process* p : ours) {
    if (!p->running()) throw std::runtime_error(p->name() + " died during the measured window");
  }

  CpuReport cpu = cpu_report(begin, end, result.completed);
  record["result"] = {
      {"completed", result.completed},
      {"failed", result.failed},
      {"non_2xx", result.non_2xx},
      {"elapsed_s", result.elapsed_s},
      {"throughput_rps", result.throughput_rps},
      {"latency_ms",
       {{"mean", result.mean_ms},
        {"p50", result.p50_ms},
        {"p90", result.p90_ms},
        {"p99", result.p99_ms},
        {"p99_9", result.p999_ms},
        {"max", result.max_ms}}},
      {"latency_samples", result.samples},
      {"peak_server_sessions", monitor.peak_server_sessions()},
      {"peak_clients_waiting", monitor.peak_clients_waiting()},
      {"session_polls", monitor.polls()},
      {"pgbouncer_transactions", totals_after.transactions - totals_before.transactions}};
  if (!monitor.error().empty()) record["result"]["session_monitor_error"] = monitor.error();
  record["warmup"] = warmup;
  ServedWindow sw;
  sw.begin = served_begin;
  sw.end = served_end;
  sw.workers = config.workers;
  sw.expected = result.completed + result.failed;
  sw.in_flight_bound = config.clients;
  record["served"] = served_json(sw);
  json server_estimate = nullptr;
  if (external && server_begin_s >= 0 && server_end_s >= 0) {
    // Not foreign: the server works for this run. Taken out of foreign, so
    // the foreign-CPU flag still means someone else's work.
    const double s = std::max(0.0, server_end_s - server_begin_s);
    GroupCpu& foreign = cpu.groups.at("foreign");
    foreign.cpu_s = std::max(0.0, foreign.cpu_s - s);
    foreign.per_request_us =
        result.completed > 0 ? foreign.cpu_s * 1e6 / static_cast<double>(result.completed) : 0;
    cpu.foreign_cores = cpu.window_s > 0 ? foreign.cpu_s / cpu.window_s : 0;
    server_estimate = {{"cpu_s", s},
                       {"per_request_us",
                        result.completed > 0 ? s * 1e6 / static_cast<double>(result.completed) : 0},
                       {"postmaster_pid", postmaster}};
  }
  record["cpu"] = to_json(cpu);
  if (external) {
    // Flagged, never zero: a reader that needs the group's CPU (calibration)
    // must see that it was not measured.
    record["cpu"]["groups"]["postgres"] = {
        {"measured", false},
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
    record["postgres"] = {{"external", true},           {"url_host", external->host},
                          {"url_port", external->port}, {"database", external->dbname},
                          {"user", external->user},     {"server_version", server->server_version}};
  } else {
    record["postgres"] = {{"external", false}};
  }
  record["flags"] = {
      {"failed_requests", result.failed > 0},
      {"foreign_cores_before", foreign_before},
      {"foreign_cores_window", cpu.foreign_cores},
      {"foreign_cpu_high",
       foreign_before > config.max_foreign_cores || cpu.foreign_cores > config.max_foreign_cores},
      {"served_mismatch", !record["served"]["adds_up"].get<bool>()},
      {"speed_moved", std::abs(rate_after / rate_before - 1) > config.max_speed_moved},
      {"postgres_external", external.has_value()},
      {"tcp_tw_reuse", tw_reuse},
      {"time_wait_sockets_after", connections_in_time_wait()}};
  record["host_speed"] = {{"reference_rate_before", rate_before},
                          {"reference_rate_after", rate_after},
                          {"moved", rate_after / rate_before - 1},
                          {"limit", config.max_speed_moved}};
  record["cluster"] =
      cluster ? json{{"reused", !cluster->loaded_now()}, {"load_s", cluster->load_seconds()}}
              : json{{"reused", !server->loaded_now}, {"load_s", server->load_s}};
  json host = host_info(recipe.packages);
  host["cores_used"] = cores;
  host["pinned"] = config.cores > 0;
  host["cgroup"] = cgroups.version();
  host["open_files_limit"] = open_files;
  record["host"] = host;
  failed_to_run = false;
  say(progress, "stopping");
  return record;
}
}  // namespace

json run_once(const RunConfig& config, const ProgressFn& progress) {
  install_interrupt_handlers();
  validate(config);
  const std::optional<PostgresUrl> external = postgres_url_from(config.postgres_url_file);
  // A run that another process disturbed measures that process too, and one
  // whose vCPU changed speed between the references before and after its
  // window measured two hosts: each is run again (up to foreign_retries and
  // speed_retries times); the last attempt is returned, still flagged if it
  // was disturbed as well.
  int foreign_left = config.foreign_retries, speed_left = config.speed_retries;
  for (int attempt = 1;; ++attempt) {
    json record = run_attempt(config, external, progress);
    json& flags = record.at("flags");
    flags["attempts"] = attempt;
    char line[200];
    if (flags.at("foreign_cpu_high").get<bool>() && foreign_left > 0) {
      --foreign_left;
      std::snprintf(line, sizeof line,
                    "warning: foreign CPU %.2f cores before, %.2f in the window (limit %.2f): "
                    "running again (%d of %d)",
                    flags.at("foreign_cores_before").get<double>(),
                    flags.at("foreign_cores_window").get<double>(), config.max_foreign_cores,
                    config.foreign_retries - foreign_left, config.foreign_retries);
    } else if (flags.at("speed_moved").get<bool>() && speed_left > 0) {
      --speed_left;
      std::snprintf(line, sizeof line,
                    "warning: the host's speed moved %+.0f%% across the window (limit %.0f%%): "
                    "running again (%d of %d)",
                    100 * record.at("host_speed").at("moved").get<double>(),
                    100 * config.max_speed_moved, config.speed_retries - speed_left,
                    config.speed_retries);
    } else {
      return record;
    }
    check_interrupted();
    say(progress, line);
  }
}

std::string format_record(const json& r) {
  std::ostringstream o;
  const auto& c = r.at("config");
  const auto& res = r.at("result");
  const auto& lat = res.at("latency_ms");
  char line[512];
  std::snprintf(line, sizeof line,
                "%s (%s) workers=%d clients=%d sessions=%d delay=%gms db=%s repeat=%d\n",
                c.at("stack").get<std::string>().c_str(), c.at("type").get<std::string>().c_str(),
                c.at("workers").get<int>(), c.at("clients").get<int>(), c.at("sessions").get<int>(),
                c.at("delay_ms").get<double>(), c.at("db_mode").get<std::string>().c_str(),
                c.at("repeat").get<int>());
  o << line;
  if (r.value("install_root", "/") != "/" || r.value("server_sessions", "own") != "own") {
    o << "  programs from " << r.value("install_root", "/") << ", servers in "
      << (r.value("server_sessions", "own") == "own" ? "their own sessions"
                                                     : "the runner's session")
      << "\n";
  }
  std::snprintf(line, sizeof line,
                "  throughput %.1f rps  completed %ld  failed %ld  #DB %d\n"
                "  latency ms: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
                res.at("throughput_rps").get<double>(), res.at("completed").get<long>(),
                res.at("failed").get<long>(), res.at("peak_server_sessions").get<int>(),
                lat.at("p50").get<double>(), lat.at("p90").get<double>(),
                lat.at("p99").get<double>(), lat.at("p99_9").get<double>(),
                lat.at("max").get<double>());
  o << line;
  o << "  CPU per request (us):";
  const auto& groups = r.at("cpu").at("groups");
  for (const char* g : {"client", "nginx", "app", "pgbouncer", "postgres", "kernel_softirq",
                        "kernel_system", "foreign"}) {
    if (!groups.contains(g)) continue;
    const json& us = groups.at(g).at("per_request_us");
    const json estimate = groups.at(g).value("proc_estimate", json());
    if (us.is_number()) {
      std::snprintf(line, sizeof line, " %s %.0f", g, us.get<double>());
    } else if (estimate.is_object()) {
      std::snprintf(line, sizeof line, " %s ~%.0f (/proc)", g,
                    estimate.at("per_request_us").get<double>());
    } else {
      std::snprintf(line, sizeof line, " %s n/a", g);
    }
    o << line;
  }
  std::snprintf(
      line, sizeof line, "\n  machine busy %.2f of %.2f CPU-s, foreign %.2f cores%s%s\n",
      r.at("cpu").at("machine_busy_s").get<double>(),
      r.at("cpu").at("machine_total_s").get<double>(),
      r.at("cpu").at("foreign_cores").get<double>(),
      r.at("flags").at("foreign_cpu_high").get<bool>() ? "  [FLAG: foreign CPU high]" : "",
      r.at("flags").at("failed_requests").get<bool>() ? "  [FLAG: failed requests]" : "");
  o << line;
  if (const auto it = r.find("served"); it != r.end()) {
    const json& s = *it;
    const json& imbalance = s.at("imbalance_max_over_mean");
    std::snprintf(line, sizeof line,
                  "  served per worker: %d of %ld served, min %ld median %g max %ld "
                  "(max/mean %.2f); sum %ld vs %ld answered%s\n",
                  s.at("workers_serving").get<int>(), s.at("workers").get<long>(),
                  s.at("min").get<long>(), s.at("median").get<double>(), s.at("max").get<long>(),
                  imbalance.is_number() ? imbalance.get<double>() : 0.0, s.at("sum").get<long>(),
                  s.at("expected").get<long>(),
                  s.at("adds_up").get<bool>() ? "" : "  [FLAG: does not add up]");
    o << line;
  }
  if (r.value("postgres", json::object()).value("external", false)) {
    o << "  PostgreSQL: external server at " << r.at("postgres").at("url_host").get<std::string>()
      << ":" << r.at("postgres").at("url_port").get<int>() << " (version "
      << r.at("postgres").at("server_version").get<std::string>() << ")\n";
  }
  return o.str();
}

}  // namespace stacksim::live
