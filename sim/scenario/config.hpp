// Typed configuration: what a model file says about a host (measured), and
// what a scenario asks (the knobs). Parsing and validation live in
// model_io.cpp / scenario_io.cpp; everything downstream trusts these values.
// CPU demands are per request per burst, in nanoseconds of CPU work.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine/distribution.hpp"
#include "sim/engine/time.hpp"

namespace stacksim {

enum class WorkerType { kSync, kGreenlet, kCoroutine };
enum class AcceptPolicy { kRoundRobin, kRandom, kLeastLoaded };
// The order in which a worker serves the bursts of the requests it holds.
enum class WorkerOrder { kFifo, kRandom };
enum class DbAccess { kConnectPerRequest, kAppPool };
enum class LoadType { kClosed, kOpen };
// The corrections of plain processor sharing a model's CPU may use (see
// CpuHost): each is a named part with terms of its own, and a model file
// names the ones it uses (host.corrections; without the field, all).
enum class CpuCorrection {
  kSpeed,          // host.speed
  kWakeupLatency,  // host.wakeup_latency_us
  kImbalance,      // host.imbalance
  kBackground,     // each group's load.background_cores
  kIdleInflation,  // each group's load.idle_inflation
  kColdCache,      // each group's load.cold_us_per_ms
};
inline constexpr int kCpuCorrectionCount = 6;
class CpuCorrections {
 public:
  static CpuCorrections all() { return CpuCorrections((1u << kCpuCorrectionCount) - 1); }
  static CpuCorrections none() { return CpuCorrections(0); }
  bool uses(CpuCorrection c) const { return (bits_ >> static_cast<int>(c)) & 1u; }
  void add(CpuCorrection c) { bits_ |= 1u << static_cast<int>(c); }
  bool operator==(const CpuCorrections&) const = default;

 private:
  explicit CpuCorrections(unsigned bits) : bits_(bits) {}
  unsigned bits_;
};

std::string_view to_string(WorkerType t);
std::string_view to_string(AcceptPolicy p);
std::string_view to_string(WorkerOrder o);
std::string_view to_string(DbAccess a);
std::string_view to_string(LoadType l);
std::string_view to_string(CpuCorrection c);

// --- the model: what was measured (or estimated) about one host ---------

// Load dependence. Live runs here spend more CPU per request on a mostly
// idle host than on a saturated one (1.5-3x), more still when the host sat
// idle long between requests, and less at high concurrency (epoll batches).
// Each group's demand is what it spends at saturation, and around it:
struct LoadDependence {
  // Bursts are stretched by (1 + idle_inflation * idle), idle the host's
  // recent share of idle cores (CpuHost, smoothed over host.idle_window).
  double idle_inflation = 0;
  static constexpr double kMaxIdleInflation = 100;
  // Added to the group's work per request for every open server session
  // (postgres backends; negative for groups that batch at high concurrency).
  double per_backend_ns = 0;
  // Cold caches: CPU added per request for every ms of wall-clock time
  // between the host's requests (the longer everything sat idle, the more a
  // request pays to warm up again), in ns per ms.
  double cold_ns_per_ms = 0;
  // CPU the group spends per second whatever the load (timers, background
  // workers, housekeeping), in cores: a fluid that takes host capacity.
  double background_cores = 0;
  bool any() const {
    return idle_inflation != 0 || per_backend_ns != 0 || cold_ns_per_ms != 0 ||
           background_cores != 0;
  }
};

// Work `w` plus what the open server sessions add to it (per_backend_ns x
// backends, in w's unit); a negative cost (batching) never takes it below a
// tenth of w. The simulator's bursts and the explanation's bound both use it.
inline double plus_backend_cost(double w, double backend_cost) {
  return std::max(0.1 * w, w + backend_cost);
}

struct ClientModel {  // the load generator, ab: one single-threaded process
  Distribution send;  // connect + write the request
  Distribution recv;  // read the response, close
  LoadDependence load;
};

struct ProxyModel {       // nginx, per worker process
  Distribution request;   // accept, parse, connect upstream, forward
  Distribution response;  // read upstream response, write to client, close both
  LoadDependence load;
};

struct KernelModel {     // softirq work on loopback, owned by no process
  Distribution per_hop;  // per message crossing a local socket
  LoadDependence load;   // per_backend_ns and cold_ns_per_ms are per hop
};

struct PgbouncerModel {       // one single-threaded process
  Distribution login;         // a client connects and authenticates
  Distribution server_login;  // opening a new server session (lazily)
  Distribution query;         // forward a query to the server
  Distribution result;        // forward the result to the client
  Distribution close;         // client disconnects, session released
  LoadDependence load;
};

struct PostgresModel {         // one backend process per server session
  Distribution backend_start;  // fork + authenticate a new backend
  Distribution query;          // parse, plan, start executing (before the delay)
  Distribution fetch;          // the select after pg_sleep, commit
  Distribution reset;          // DISCARD ALL when pgbouncer releases the session
  // per_backend_ns: snapshots scan every backend (postgres CPU per request
  // doubled from 5 to 100 backends in DESIGN's hand-runs).
  LoadDependence load;
};

// How much one stack's requests cost the shared groups, as a factor on the
// model's shared demands: the app server's driver and framing change what
// ab, nginx, pgbouncer, postgres and the kernel do per request (on this
// host pgbouncer's CPU per request differs by 0.8-1.25x between stacks).
// 1: as the shared model says.
struct SharedScale {
  static constexpr double kMin = 0.05, kMax = 20.0;  // what a model file may hold
  double client = 1, proxy = 1, kernel = 1, pgbouncer = 1, postgres = 1;
  bool any() const {
    return client != 1 || proxy != 1 || kernel != 1 || pgbouncer != 1 || postgres != 1;
  }
};

// What one stack's app server holds in RAM, measured live from
// /proc/<pid>/smaps_rollup (PSS: shared pages split among the processes that
// map them, the honest share of a forked worker): master + W x worker +
// connections x connection, connections the client connections its workers
// hold open at once (an async worker holds many; a sync worker's one is in
// its worker figure, and its connection_mb is 0).
struct StackMemory {
  double worker_mb = 0;      // PSS of one worker
  double master_mb = 0;      // PSS of the master (0 where the server has none)
  double connection_mb = 0;  // PSS of one open client connection (0: not identified)
  double mb_for(int workers, double connections) const {
    return master_mb + workers * worker_mb + connections * connection_mb;
  }
};

struct StackModel {
  std::string name;  // "gunicorn-flask"
  WorkerType type = WorkerType::kSync;
  std::string server;       // "gunicorn"
  std::string framework;    // "flask"
  bool installable = true;  // false: in Debian it cannot be run live here
  std::string note;
  AcceptPolicy accept_policy = AcceptPolicy::kLeastLoaded;
  int max_concurrency = 1;                        // requests in flight per worker (1 for sync)
  WorkerOrder worker_order = WorkerOrder::kFifo;  // model files: "worker_order", optional
  // The worker's CPU bursts for one request.
  Distribution pre;      // accept, parse HTTP, route
  Distribution connect;  // open the database connection (connect per request)
  Distribution query;    // send the query
  Distribution fetch;    // read and decode the result
  Distribution close;    // commit and close the connection
  Distribution respond;  // build the JSON, write the response
  LoadDependence load;
  SharedScale shared_scale;
  std::optional<StackMemory> memory;  // absent: not measured
};

// The terms a model uses, each from a probe that isolates it.
struct HostTerms {
  // Reference work per ms of one core (mean over the probe's samples, so a
  // vCPU that flips between two speeds counts at its average): a C loop and
  // a Python loop, since Python-heavy and C-heavy components do not speed up
  // alike on every CPU.
  double native_rate = 0;
  double python_rate = 0;
  // An idle core's delay in running a thread woken from another core (or
  // by a timer when only one core may be used), in us.
  double wakeup_latency_us = 0;
  // Relative extra time of a fixed burst run after the core sat idle for
  // about the model's idle window, against the same burst run back to back.
  double idle_penalty = 0;
  // How many times more CPU a wake-up after an idle gap costs when the woken
  // thread runs on another core than on the waker's own: the extra CPU of a
  // ping-pong across two cores after gaps over that of the same ping-pong on
  // one core (each against back to back on one core). On one core no
  // wake-up crosses; on C cores a share 1 - 1/C does, so the idle terms
  // fitted at one core count carry to another by idle_core_scale. 0: not
  // probed (one CPU allowed, or a profile from before the term).
  double cross_core_idle = 0;
};

// A host profile: what one machine does to any software, measured by
// `stacksim host probe` (sim/scenario/host_profile.hpp reads and applies it).
struct HostProfile {
  std::string source;  // file it came from, for messages
  std::string cpu_model;
  int cpus = 0;  // CPUs the probe was allowed to use
  std::string kernel;
  std::string date;
  HostTerms terms;
  nlohmann::json measurements;  // the probes' samples and summaries, for the reader
};

struct HostModel {
  int cores = 2;
  std::string cpu_model;
  SimTime context_switch_ns = 0;       // charged per wake-up of a process
  SimTime idle_window_ns = 5'000'000;  // time constant of the host's recent idle share
  // Share of the random-placement loss of per-core run queues, in [0, 1]:
  // 0 = one shared run queue (see CpuHost).
  double imbalance = 0;
  // Latency of a process's wake-up before a core runs it (see CpuHost).
  SimTime wakeup_latency_ns = 0;
  // Speed of the cores relative to the machine the demands were measured
  // on: every CPU demand takes 1/speed of its time (see CpuHost).
  double speed = 1;
  // Which corrections of processor sharing the model uses; the terms of
  // the others are kept in the file but not used (as_seen_by turns them off).
  CpuCorrections corrections = CpuCorrections::all();
  // The profile of the machine the model was fitted on: what `sim --host`
  // carries the model from.
  std::optional<HostProfile> profile;
};

struct Model {
  std::string source;  // file it came from, for messages
  int version = 1;
  std::string label;
  nlohmann::json provenance;  // how it was obtained: estimate or calibration
  HostModel host;
  ClientModel client;
  ProxyModel proxy;
  KernelModel kernel;
  PgbouncerModel pgbouncer;
  PostgresModel postgres;
  std::map<std::string, StackModel> stacks;  // by name
};

// --- the scenario: what is asked ------------------------------------------

struct WorkerCounts {
  int sync = 1;
  int greenlet = 1;
  int coroutine = 1;
  int for_type(WorkerType t) const {
    return t == WorkerType::kSync ? sync : t == WorkerType::kGreenlet ? greenlet : coroutine;
  }
};

struct Scenario {
  std::string source;
  int version = 1;
  std::string name;
  std::string description;
  std::vector<std::string> stacks;  // empty: every stack in the model
  std::string baseline = "gunicorn-flask";

  int cores = 2;
  WorkerCounts workers;
  int clients = 100;
  int sessions = 100;  // pgbouncer's pool size: at most this many server sessions
  double delay_ms = 20.0;
  DbAccess db_access = DbAccess::kConnectPerRequest;
  int app_pool_size = 4;  // per worker, with db_access = app_pool

  LoadType load = LoadType::kClosed;
  double rate_rps = 0.0;  // open loop only

  std::int64_t requests = 50'000;        // measured, after warm-up
  std::int64_t warmup_requests = 5'000;  // completed and discarded first
  int replications = 5;
  std::uint64_t seed = 1;

  bool nginx = true;
  // false: the app's pooled connections go straight to PostgreSQL (a backend
  // each), as aiopg's pool does in Paterson's benchmark; needs db_access = app_pool.
  bool pgbouncer = true;
  int nginx_workers = 0;       // 0: one per core
  int backlog = 2048;          // the app server's listen backlog
  double syn_retry_ms = 1000;  // a refused SYN is retried after this (doubling)

  // A sweep: each knob with a list of values; the run is their product.
  std::vector<std::pair<std::string, std::vector<std::string>>> sweep;
};

// The model as `stack` sees it, and as the simulator and the explanation
// both use it: every shared group's demands, and the per-request terms of
// its load (per backend, cold), times the stack's shared_scale; the terms
// of the CPU corrections it does not use turned off (speed 1, no latency,
// ...); every group's idle terms (idle inflation, cold-cache cost) carried
// from the core count the model was fitted at to `cores` (idle_core_scale);
// the host and that one stack, no provenance (cheap to copy).
Model as_seen_by(const Model& m, const StackModel& stack, int cores);

// What an idle wake-up costs on `cores` cores against one core, with r the
// host's cross_core_idle (a wake-up after an idle gap costs r times as much
// on another core as on the waker's, and on C cores a share 1 - 1/C of them
// cross): 1 + (1 - 1/C) (r - 1). 1 when r is 0 (not probed).
double cross_core_idle_factor(double r, int cores);
// What the idle terms of a model fitted at host.cores cores are multiplied
// by at `cores` cores: the factor at `cores` over the factor at host.cores,
// with r from the model's host profile. 1 when the model names no profile.
double idle_core_scale(const HostModel& host, int cores);
// The one stack of a model made by as_seen_by, as it sees itself.
inline const StackModel& seen_stack(const Model& seen) {
  return seen.stacks.begin()->second;
}

}  // namespace stacksim
