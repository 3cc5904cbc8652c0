// Records of live runs made by the simulator: a plan's points "measured" as
// a model predicts them, so that what calibration and validation recover
// from them is known exactly (tests/calibrate's validation, scheduler and
// latency-shape fits).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibrate/validation.hpp"
#include "live/sweep.hpp"

namespace stacksim::calibrate::testing {

using nlohmann::json;

struct Measured {
  double throughput, p50, p99, sessions;
};

inline json record(const live::SweepPoint& p, const Measured& m, int workers, int cores_used) {
  const std::string id =
      p.config.stack + "-" + std::to_string(p.config.cores) + "-" + std::to_string(p.config.repeat);
  return {
      {"run_id", id},
      {"sweep", {{"name", "v"}, {"file", "v.json"}, {"key", p.key}, {"repeat", p.config.repeat}}},
      {"config", {{"stack", p.config.stack}, {"workers", workers}}},
      {"host", {{"cores_used", cores_used}}},
      {"flags", {{"failed_requests", false}, {"foreign_cpu_high", false}}},
      {"result",
       {{"completed", 1000},
        {"throughput_rps", m.throughput},
        {"latency_ms", {{"p50", m.p50}, {"p99", m.p99}}},
        {"peak_server_sessions", m.sessions}}}};
}

// A record as the live runner writes it, measuring what the simulator
// predicted for point v (throughput, latency, #DB, CPU per request), with
// what calibration's record reader needs; the CPU all in one group (the
// speed check uses the total).
inline json simulated_record(const live::SweepPoint& p, const ValidationPoint& v, int workers,
                             double throughput_factor = 1.0) {
  json r = record(
      p, Measured{throughput_factor * v.throughput.predicted, v.p50.predicted, v.p99.predicted, 0},
      workers, 2);
  r["result"]["peak_server_sessions"] = std::lround(v.sessions_peak.predicted);
  r["config"].update({{"db_mode", "connect"},
                      {"clients", p.config.clients},
                      {"sessions", p.config.sessions},
                      {"cores", 0},
                      {"delay_ms", p.config.delay_ms}});
  r["host"].update({{"cpu_model", "simulated"}, {"cpus_online", 2}});
  json groups = json::object();
  for (const char* g : {"client", "nginx", "app", "pgbouncer", "postgres", "kernel_system"})
    groups[g] = {{"per_request_us", 0.0}};
  groups["app"]["per_request_us"] = v.cpu_us.predicted;
  r["cpu"] = {{"machine_busy_s", 1.0}, {"machine_total_s", 2.0}, {"groups", groups}};
  return r;
}

// The same, with each group's CPU per request and the host's busy share as
// the simulator predicted them, and the peak sessions as a runner that sees
// `sessions_seen` of the simulator's open backends would report them.
inline json simulated_record_by_group(const live::SweepPoint& p, const ValidationPoint& v,
                                      int workers, double sessions_seen = 1.0) {
  json r = simulated_record(p, v, workers);
  r["run_id"] = p.config.stack + "-" + std::to_string(p.config.clients) + "-" +
                std::to_string(p.config.delay_ms) + "-" + std::to_string(p.config.repeat);
  r["result"]["peak_server_sessions"] = std::lround(sessions_seen * v.sessions_peak.predicted);
  const char* names[kGroupCount] = {"client",    "nginx",    "app",
                                    "pgbouncer", "postgres", "kernel_system"};
  for (int g = 0; g < kGroupCount; ++g)
    r["cpu"]["groups"][names[g]]["per_request_us"] = v.cpu_us_by_group[g].predicted;
  r["cpu"]["machine_busy_s"] = 2 * v.host_busy.predicted;
  return r;
}

// The workers of a 2-core run: 5 sync, 2 async.
inline int workers_of(const live::SweepPoint& p) {
  return p.config.stack == "gunicorn-flask" ? 5 : 2;
}

// Every point of `plan` as `truth` predicts it at 2 cores, by "stack clients
// delay".
inline std::map<std::string, ValidationPoint> simulate_plan(const Model& truth,
                                                            const live::SweepPlan& plan,
                                                            const live::StackRecipes& recipes,
                                                            const ValidateOptions& options) {
  std::vector<json> placeholder;
  for (const live::SweepPoint& p : plan.points)
    placeholder.push_back(record(p, Measured{100, 10, 20, 5}, workers_of(p), 2));
  std::map<std::string, ValidationPoint> out;
  for (ValidationPoint& v : validate_model(truth, plan, recipes, placeholder, options).points)
    out[v.stack + " " + std::to_string(v.clients) + " " + std::to_string(v.delay_ms)] =
        std::move(v);
  return out;
}
inline const ValidationPoint& point_of(const std::map<std::string, ValidationPoint>& points,
                                       const live::SweepPoint& p) {
  return points.at(p.config.stack + " " + std::to_string(p.config.clients) + " " +
                   std::to_string(p.config.delay_ms));
}

// A plan named "v" of these runs, 2 repeats each.
inline live::SweepPlan plan_of(const json& runs) {
  return live::parse_sweep({{"schema", "stacksim.live-sweep"},
                            {"version", 1},
                            {"name", "v"},
                            {"runs", runs},
                            {"repeats", 2}},
                           "v.json", live::RunConfig{});
}

// A short simulation on one thread.
inline ValidateOptions short_simulation(std::int64_t requests, int replications) {
  ValidateOptions o;
  o.requests = requests;
  o.warmup_requests = 500;
  o.replications = replications;
  o.threads = 1;
  return o;
}

}  // namespace stacksim::calibrate::testing
