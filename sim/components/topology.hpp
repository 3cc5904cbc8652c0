// The request's path through the stack, as a graph (Boost.Graph): a vertex
// per step — a CPU burst on a process role, the database delay, or taking
// and giving back a worker, a session or an app-side connection — and an
// edge per hand-over. Which processes a request visits, and in what order,
// is data built from the model and the scenario: a stack without nginx, or
// with the pool inside the app, is a different graph, not a different code
// path. Two rules are the builder's, not the caller's:
//   * an edge between CPU steps of two different processes is a socket: the
//     sending step carries the kernel's softirq work for it (a hop), which
//     on loopback runs on the sender's CPU right after its write;
//   * consecutive CPU steps of one process with nothing between them are one
//     burst (their demands add up): the process does not yield between them;
//   * an acquire that may create its unit (pgbouncer opening a server session,
//     the app pool opening a connection) branches: the creation steps hang
//     off an "if created" edge and rejoin the main path.
// The explanation's bounds are read off the main path of the same graph.
#pragma once

#include <array>
#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/engine/distribution.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim {

enum class Role : std::uint8_t { kNone, kClient, kKernel, kProxy, kApp, kPgbouncer, kPostgres };
inline constexpr int kRoleCount = 7;
const char* to_string(Role r);

// Each role's load dependence for this stack and scenario (no nginx: none
// for the proxy; Role::kKernel: the kernel's, per hop).
std::array<LoadDependence, kRoleCount> load_by_role(const Model& model, const StackModel& stack,
                                                    const Scenario& scenario);

enum class StepKind : std::uint8_t {
  kCpu,                   // a burst of `demand` on the request's process of `role`
  kDbDelay,               // the query's delay: the backend waits, using no CPU
  kAcceptWorker,          // listen backlog -> an app worker takes the connection
  kReleaseWorker,         // the worker is done with the request
  kAcquireSession,        // pgbouncer hands out a server session (may create it)
  kReleaseSession,        // client disconnect: pgbouncer closes, resets, frees it
  kAcquireAppConnection,  // take a connection from the worker's own pool (may create)
  kReleaseAppConnection,  // give it back
  kComplete,              // the client has the whole response
};

struct Step {
  StepKind kind = StepKind::kCpu;
  Role role = Role::kNone;
  // ns of CPU work, for kCpu: the sum of one sample of each part.
  std::vector<Distribution> demand;
  // Added to the work per open server session, and per ms of wall-clock
  // time between requests: the group's LoadDependence per_backend_ns and
  // cold_ns_per_ms spread over its main-path bursts in proportion to their
  // means (set in route() only).
  double per_backend_ns = 0;
  double cold_ns_per_ms = 0;
  // kCpu steps that end by writing to another process's socket: the kernel
  // work of that hop (ns), run on this step's process, counted as kernel.
  bool sends = false;
  Distribution hop;
  std::string label;  // "app.pre", "kernel.hop", for reports and tests
  // Acquire steps that may create their unit: the route index at which the
  // request continues when the unit already existed (the creation steps sit
  // between this step and that index).
  std::int32_t skip_to = -1;

  double mean_ns() const {
    double m = 0;
    for (const Distribution& d : demand) m += d.mean();
    return m;
  }
  // Mean time on the process: its own work and the hop it sends.
  double busy_mean_ns() const { return mean_ns() + (sends ? hop.mean() : 0.0); }
  double sample_ns(Rng& rng) const {
    double w = 0;
    for (const Distribution& d : demand) w += d.sample(rng);
    return w;
  }
};

enum class EdgeKind : std::uint8_t { kNext, kIfCreated };

class Topology {
 public:
  using Graph =
      boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Step, EdgeKind>;
  using Vertex = Graph::vertex_descriptor;

  static Topology build(const Model& model, const StackModel& stack, const Scenario& scenario);

  const Graph& graph() const { return graph_; }
  // Every step in topological order, with skip_to resolved: what the stack
  // executes.
  const std::vector<Step>& route() const { return route_; }
  // Route indices of the steady-state path: the one a request takes when
  // every unit it acquires already exists.
  const std::vector<std::int32_t>& main_path() const { return main_path_; }

 private:
  friend class TopologyBuilder;
  void finish();
  // Spreads each role's per-backend and cold costs over its main-path CPU steps.
  void spread_load(const std::array<LoadDependence, kRoleCount>& load);

  Graph graph_;
  std::vector<Step> route_;
  std::vector<std::int32_t> main_path_;
};

}  // namespace stacksim
