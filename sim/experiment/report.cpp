#include "sim/experiment/report.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "sim/components/topology.hpp"
#include "sim/experiment/explanation.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim {

namespace {

using Getter = double (*)(const RunResult&);

const std::vector<Role>& reported_roles() {
  static const std::vector<Role> roles = {Role::kClient, Role::kKernel,    Role::kProxy,
                                          Role::kApp,    Role::kPgbouncer, Role::kPostgres};
  return roles;
}

double baseline_throughput(const ConfigurationResult& cr) {
  const StackResult* b = cr.find(cr.configuration.scenario.baseline);
  return b ? b->mean(&RunResult::throughput_rps) : std::nan("");
}

nlohmann::json stack_json(const Model& model, const ConfigurationResult& cr, const StackResult& s) {
  using nlohmann::json;
  const auto sum = [&s](auto get) { return json(s.summary(get)); };
  const auto field = [&s](double RunResult::*f) {
    return json(s.summary([f](const RunResult& r) { return r.*f; }));
  };
  json j;
  j["stack"] = s.stack;
  j["type"] = to_string(s.type);
  j["workers"] = s.workers;
  j["throughput_rps"] = field(&RunResult::throughput_rps);
  const double base = baseline_throughput(cr);
  j["relative_throughput"] = std::isnan(base) || base == 0
                                 ? json(nullptr)
                                 : json(s.mean(&RunResult::throughput_rps) / base);
  j["latency_ms"] = {
      {"mean", field(&RunResult::latency_mean_ms)}, {"p50", field(&RunResult::p50_ms)},
      {"p90", field(&RunResult::p90_ms)},           {"p99", field(&RunResult::p99_ms)},
      {"p999", field(&RunResult::p999_ms)},         {"max", field(&RunResult::max_ms)}};
  j["db_sessions_peak"] = sum([](const RunResult& r) { return double(r.db_sessions_peak); });
  j["completed"] = sum([](const RunResult& r) { return double(r.completed); });
  j["failed"] = sum([](const RunResult& r) { return double(r.failed); });
  j["syn_retries"] = sum([](const RunResult& r) { return double(r.syn_retries); });

  json groups = json::object(), busiest = json::object(), cpu = json::object();
  for (Role role : reported_roles()) {
    const auto i = static_cast<std::size_t>(role);
    const int cores = cr.configuration.scenario.cores;
    groups[to_string(role)] = sum([i, cores](const RunResult& r) {
      return r.cpu_us_per_request[i] * 1e-6 * r.throughput_rps / cores;
    });
    if (role != Role::kKernel)
      busiest[to_string(role)] = sum([i](const RunResult& r) { return r.busiest_process[i]; });
    cpu[to_string(role)] = sum([i](const RunResult& r) { return r.cpu_us_per_request[i]; });
  }
  // Processor sharing spreads work evenly over the cores, so every core has
  // the host's utilisation; it is given per core for the live comparison.
  j["utilisation"] = {{"cpu", field(&RunResult::cpu_utilisation)},
                      {"cores", cr.configuration.scenario.cores},
                      {"process_groups", groups},
                      {"busiest_process", busiest},
                      {"workers_busy", field(&RunResult::workers_busy)},
                      {"worker_slots", field(&RunResult::worker_slots)},
                      {"sessions", field(&RunResult::sessions_busy)}};
  j["cpu_us_per_request"] = cpu;
  json breakdown = json::object();
  for (int p = 0; p < kPhaseCount; ++p)
    breakdown[to_string(static_cast<Phase>(p))] =
        sum([p](const RunResult& r) { return r.phase_ms[static_cast<std::size_t>(p)]; });
  j["breakdown_ms"] = breakdown;
  j["worker_hold_ms"] = field(&RunResult::worker_hold_ms);
  j["session_hold_ms"] = field(&RunResult::session_hold_ms);
  j["backlog_peak"] = field(&RunResult::backlog_peak);
  j["replications"] = s.replications.size();
  if (s.precision_met) j["precision_met"] = *s.precision_met;

  const Explanation e = explain(model, model.stacks.at(s.stack), cr.configuration.scenario, s);
  json bounds = json::array();
  for (const Bound& b : e.analytic)
    bounds.push_back({{"resource", b.resource},
                      {"rps", std::isinf(b.rps) ? json(nullptr) : json(b.rps)},
                      {"formula", b.formula}});
  j["explanation"] = {{"binding", e.binding.resource}, {"bound_rps", e.binding.rps},
                      {"formula", e.binding.formula},  {"utilisation", e.binding_utilisation},
                      {"sentence", e.sentence},        {"analytic_bounds", bounds}};
  return j;
}

// A figure, or `otherwise` when there is none (NaN: one replication has
// no interval; a run without the baseline stack has no relative figure).
std::string number_or(double v, const char* fmt, const char* otherwise) {
  if (!std::isfinite(v)) return otherwise;
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string header(const ConfigurationResult& cr) {
  const Scenario& sc = cr.configuration.scenario;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "== %s: %d cores, workers %d sync / %d greenlet / %d coroutine, %d clients, "
                "%d sessions, %.0f ms delay, %s, %d x %lld requests",
                cr.configuration.label().c_str(), sc.cores, sc.workers.sync, sc.workers.greenlet,
                sc.workers.coroutine, sc.clients, sc.sessions, sc.delay_ms,
                std::string(to_string(sc.db_access)).c_str(), sc.replications,
                static_cast<long long>(sc.requests));
  return buf;
}

// Under sequential stopping, how many replications each stack ran and
// whether its throughput interval met the precision.
void print_replications(std::ostream& out, const ConfigurationResult& cr) {
  std::string line;
  for (const StackResult& s : cr.stacks) {
    if (!s.precision_met) continue;
    line += (line.empty() ? "" : ", ") + s.stack + " " + std::to_string(s.replications.size()) +
            (*s.precision_met ? "" : " (precision not met)");
  }
  if (!line.empty()) out << "Replications (--precision): " << line << "\n";
}

}  // namespace

nlohmann::json report_head(const char* schema, int version, const Model& model,
                           const Scenario& scenario) {
  return {{"schema", schema},
          {"version", version},
          {"model", {{"source", model.source}, {"label", model.label}}},
          {"scenario", to_json(scenario)}};
}

nlohmann::json report_json(const Model& model, const Scenario& scenario,
                           const std::vector<ConfigurationResult>& results) {
  using nlohmann::json;
  json j = report_head("stacksim.sim-result", 1, model, scenario);
  j["model"]["provenance_kind"] = model.provenance.value("kind", "");
  json configs = json::array();
  for (const ConfigurationResult& cr : results) {
    json c;
    c["label"] = cr.configuration.label();
    json settings = json::object();
    for (const auto& [k, v] : cr.configuration.settings) settings[k] = v;
    c["settings"] = settings;
    json stacks = json::array();
    for (const StackResult& s : cr.stacks) stacks.push_back(stack_json(model, cr, s));
    c["stacks"] = stacks;
    c["verdict"] = verdict(model, cr);
    configs.push_back(std::move(c));
  }
  j["configurations"] = configs;
  return j;
}

void print_table(std::ostream& out, const Model& model,
                 const std::vector<ConfigurationResult>& results) {
  char line[512];
  for (const ConfigurationResult& cr : results) {
    out << header(cr) << "\n";
    std::snprintf(line, sizeof line, "%-24s %-9s %3s %9s %7s %5s %8s %8s %4s %5s  %s\n", "stack",
                  "type", "W", "Tput rps", "+-95%", "rel", "P50 ms", "P99 ms", "#DB", "CPU%",
                  "bound by");
    out << line;
    const double base = baseline_throughput(cr);
    for (const StackResult& s : cr.stacks) {
      const Summary x = s.summary([](const RunResult& r) { return r.throughput_rps; });
      const Explanation e = explain(model, model.stacks.at(s.stack), cr.configuration.scenario, s);
      std::snprintf(line, sizeof line, "%-24s %-9s %3d %9.0f %7s %5s %8.2f %8.2f %4.0f %5.0f  %s\n",
                    s.stack.c_str(), std::string(to_string(s.type)).c_str(), s.workers, x.mean,
                    number_or(x.ci95, "%.0f", "-").c_str(),
                    number_or(x.mean / base, "%.2f", "-").c_str(), s.mean(&RunResult::p50_ms),
                    s.mean(&RunResult::p99_ms),
                    s.summary([](const RunResult& r) { return double(r.db_sessions_peak); }).mean,
                    100 * s.mean(&RunResult::cpu_utilisation), e.binding.resource.c_str());
      out << line;
    }
    print_replications(out, cr);
    out << "\nWhy:\n";
    for (const StackResult& s : cr.stacks)
      out << "  " << explain(model, model.stacks.at(s.stack), cr.configuration.scenario, s).sentence
          << "\n";
    out << "\nVerdict: " << verdict(model, cr) << "\n\n";
  }
}

void print_csv(std::ostream& out, const Model& model,
               const std::vector<ConfigurationResult>& results) {
  out << "configuration,stack,type,workers,throughput_rps,throughput_ci95,relative_throughput,"
         "p50_ms,p90_ms,p99_ms,p999_ms,max_ms,db_sessions_peak,cpu_utilisation,failed,binding\n";
  char line[512];
  for (const ConfigurationResult& cr : results) {
    const double base = baseline_throughput(cr);
    for (const StackResult& s : cr.stacks) {
      const Summary x = s.summary([](const RunResult& r) { return r.throughput_rps; });
      const Explanation e = explain(model, model.stacks.at(s.stack), cr.configuration.scenario, s);
      std::snprintf(line, sizeof line,
                    "\"%s\",%s,%s,%d,%.3f,%s,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.1f,%.4f,%.0f,%s\n",
                    cr.configuration.label().c_str(), s.stack.c_str(),
                    std::string(to_string(s.type)).c_str(), s.workers, x.mean,
                    number_or(x.ci95, "%.3f", "").c_str(),
                    number_or(x.mean / base, "%.4f", "").c_str(), s.mean(&RunResult::p50_ms),
                    s.mean(&RunResult::p90_ms), s.mean(&RunResult::p99_ms),
                    s.mean(&RunResult::p999_ms), s.mean(&RunResult::max_ms),
                    s.summary([](const RunResult& r) { return double(r.db_sessions_peak); }).mean,
                    s.mean(&RunResult::cpu_utilisation),
                    s.summary([](const RunResult& r) { return double(r.failed); }).mean,
                    e.binding.resource.c_str());
      out << line;
    }
  }
}

}  // namespace stacksim
