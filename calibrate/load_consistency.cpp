#include "calibrate/load_consistency.hpp"

#include <cmath>
#include <cstdio>
#include <map>

#include "sim/scenario/json_fields.hpp"

namespace stacksim::calibrate {

namespace {

// The load a record's configuration runs at in the simulator.
struct SimulatedLoad {
  double host_busy = 0, sessions_peak = 0, throughput_rps = 0;
};

LoadConsistencyRound score(const ValidationReport& rep) {
  LoadConsistencyRound r;
  r.cpu = rep.all.cpu;
  r.throughput = rep.all.throughput;
  r.sessions = rep.all.sessions;
  std::vector<double> busy;
  for (const ValidationPoint& p : rep.points)
    if (std::isfinite(p.host_busy.error)) busy.push_back(std::abs(p.host_busy.error));
  r.host_busy = median_of(busy);
  return r;
}

// Each record's simulated load, by run id.
std::map<std::string, SimulatedLoad> simulated_loads(const ValidationReport& rep) {
  std::map<std::string, SimulatedLoad> by_id;
  for (const ValidationPoint& p : rep.points) {
    if (!(p.throughput.predicted > 0)) continue;
    const SimulatedLoad load{p.host_busy.predicted, p.sessions_peak.predicted,
                             p.throughput.predicted};
    for (const std::string& id : p.record_ids) by_id[id] = load;
  }
  return by_id;
}

// The records with the simulated load in place of the measured (a record
// the simulation did not reach keeps its own).
std::vector<CalibrationRecord> at_load(std::vector<CalibrationRecord> records,
                                       const std::map<std::string, SimulatedLoad>& loads) {
  for (CalibrationRecord& r : records) {
    const auto it = loads.find(r.id);
    if (it == loads.end()) continue;
    r.host_busy = it->second.host_busy;
    r.sessions_peak = it->second.sessions_peak;
    r.throughput_rps = it->second.throughput_rps;
  }
  return records;
}

}  // namespace

LoadConsistencyFit fit_on_simulated_load(
    Calibration& c, const std::vector<CalibrationRecord>& records, const Model& prior,
    const FitOptions& fit, const live::SweepPlan& plan, const live::StackRecipes& recipes,
    const std::vector<nlohmann::json>& stored, const LoadConsistencyOptions& o) {
  LoadConsistencyFit out;
  Calibration current = c;
  for (int round = 0;; ++round) {
    const ValidationReport rep = validate_model(current.model, plan, recipes, stored, o.simulation);
    out.rounds.push_back(score(rep));
    if (out.rounds.back().cpu < out.rounds[out.kept].cpu) {
      out.kept = round;
      c = current;
    }
    if (round == o.rounds) break;
    const HostModel host = current.model.host;
    current = fit_calibration(at_load(records, simulated_loads(rep)), prior, fit);
    current.model.host = host;
  }
  return out;
}

nlohmann::json to_json(const LoadConsistencyFit& f) {
  const auto number = json_fields::number_or_null;
  nlohmann::json rounds = nlohmann::json::array();
  for (const LoadConsistencyRound& r : f.rounds)
    rounds.push_back({{"cpu_us_per_request", number(r.cpu)},
                      {"throughput", number(r.throughput)},
                      {"host_busy", number(r.host_busy)},
                      {"sessions", number(r.sessions)}});
  return {{"method",
           "the demands fitted again on the load the simulator gives the plan's configurations "
           "(each record's idle share, open backends and throughput as simulated, its measured "
           "CPU per request kept), round after round; round 0 is the fit on the measured load. "
           "Each round: median |predicted - measured| / measured over the plan's points at the "
           "model's speed; the round with the smallest CPU per request error is kept"},
          {"kept", f.kept},
          {"rounds", rounds}};
}

std::string format_summary(const LoadConsistencyFit& f) {
  std::string out =
      "Demands fitted on the simulated load (median |error| over the plan's points at the "
      "model's speed):\n  round  CPU/request  throughput  busy share    #DB\n";
  char line[128];
  for (std::size_t i = 0; i < f.rounds.size(); ++i) {
    const LoadConsistencyRound& r = f.rounds[i];
    std::snprintf(line, sizeof line, "  %5zu  %10.1f%%  %9.1f%%  %9.1f%%  %5.1f%%%s\n", i,
                  100 * r.cpu, 100 * r.throughput, 100 * r.host_busy, 100 * r.sessions,
                  static_cast<int>(i) == f.kept ? "   <- kept" : "");
    out += line;
  }
  return out;
}

}  // namespace stacksim::calibrate
