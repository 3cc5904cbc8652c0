// `stacksim qn`: a closed queueing network solved exactly (MVA) and by
// simulation with the project's engine, side by side per station and in
// total, in the spirit of JMT's JMVA and JSIM.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/input_error.hpp"
#include "sim/analysis/bounds.hpp"
#include "sim/analysis/closed_network.hpp"
#include "sim/analysis/mva.hpp"
#include "sim/analysis/network_simulation.hpp"
#include "sim/cli/command.hpp"
#include "sim/cli/commands.hpp"

namespace stacksim::cli {

namespace {

struct QnOptions {
  std::string network;
  std::optional<int> customers;
  int replications = 10;
  std::int64_t jobs = 100'000;
  std::uint64_t seed = 1;
  int threads = 0;
  std::string format = "table";
};

nlohmann::json estimate_json(const analysis::Estimate& e) {
  return {{"mean", e.mean}, {"ci95_half_width", e.half_width}, {"samples", e.samples}};
}

std::string with_ci(double mean, double half, const char* fmt) {
  char a[64], b[64];
  std::snprintf(a, sizeof a, fmt, mean);
  std::snprintf(b, sizeof b, fmt, half);
  return std::string(a) + " +- " + b;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

void print_table(const analysis::ClosedNetwork& net, const analysis::MvaResult& mva,
                 const analysis::NetworkSimulationResult& sim, const analysis::ThroughputBound& b,
                 const QnOptions& opt) {
  const int n = sim.customers;
  std::printf("network %s (%s), N = %d customers, routing %s\n",
              net.name.empty() ? "(unnamed)" : net.name.c_str(), net.source.c_str(), n,
              std::string(to_string(net.routing)).c_str());
  std::printf("simulation: %d replications x %lld measured cycles, seed %llu, 95%% CI\n\n",
              opt.replications, static_cast<long long>(opt.jobs),
              static_cast<unsigned long long>(opt.seed));
  std::printf("%-12s %-5s %3s %9s | %10s %24s | %9s %22s | %7s %18s\n", "station", "kind", "c",
              "D_ms", "R_ms MVA", "R_ms sim", "Q MVA", "Q sim", "U MVA", "U sim");
  for (std::size_t k = 0; k < net.stations.size(); ++k) {
    const auto& s = net.stations[k];
    const auto& m = mva.stations[k];
    const auto& e = sim.stations[k];
    const std::string c =
        s.kind == analysis::StationKind::kDelay ? "inf" : std::to_string(s.servers);
    std::printf("%-12s %-5s %3s %9.4f | %10.4f %24s | %9.4f %22s | %7.4f %18s\n", s.name.c_str(),
                std::string(to_string(s.kind)).c_str(), c.c_str(), s.demand_ms(), m.residence_ms[n],
                with_ci(e.residence_ms.mean, e.residence_ms.half_width, "%.4f").c_str(), m.queue[n],
                with_ci(e.queue.mean, e.queue.half_width, "%.4f").c_str(), m.utilisation[n],
                with_ci(e.utilisation.mean, e.utilisation.half_width, "%.4f").c_str());
  }
  std::printf("\n%-30s %14s %28s\n", "total", "MVA", "simulation");
  std::printf("%-30s %14.2f %28s\n", "throughput X (cycles/s)", mva.throughput_rps(n),
              with_ci(sim.throughput_rps.mean, sim.throughput_rps.half_width, "%.2f").c_str());
  std::printf("%-30s %14.4f %28s\n", "cycle time sum R_k (ms)", mva.cycle_time_ms(n),
              with_ci(sim.cycle_time_ms.mean, sim.cycle_time_ms.half_width, "%.4f").c_str());
  double worst_little = 0.0;
  for (const auto& r : sim.replications)
    worst_little = std::max(worst_little, r.little_relative_error);
  std::printf("%-30s %14s %28s\n", "Little |sum X_k r_k - N| / N", "exact",
              fmt("%.1e worst replication", worst_little).c_str());
  std::printf("%-30s %14s %28s\n", "engine events", "", std::to_string(sim.events).c_str());
  std::printf(
      "\nbound: X <= min(N / (sum D + Z), min_k c_k / D_k) = min(%.2f, %.2f) = %.2f/s,"
      " set by %s\n",
      b.population_per_ms * 1e3, b.station_per_ms * 1e3, b.throughput_rps(),
      b.population_binds ? "the customers (N / (sum D + Z))" : b.binding.c_str());
}

nlohmann::json to_report(const analysis::ClosedNetwork& net, const analysis::MvaResult& mva,
                         const analysis::NetworkSimulationResult& sim,
                         const analysis::ThroughputBound& b, const QnOptions& opt) {
  const int n = sim.customers;
  nlohmann::json j;
  j["network"] = analysis::to_json(net);
  j["network"]["customers"] = n;
  j["source"] = net.source;
  j["simulation_options"] = {
      {"replications", opt.replications}, {"jobs", opt.jobs}, {"seed", opt.seed}};
  j["mva"]["throughput_rps"] = mva.throughput_rps(n);
  j["mva"]["cycle_time_ms"] = mva.cycle_time_ms(n);
  j["simulation"]["throughput_rps"] = estimate_json(sim.throughput_rps);
  j["simulation"]["cycle_time_ms"] = estimate_json(sim.cycle_time_ms);
  j["simulation"]["events"] = sim.events;
  j["simulation"]["station_completions"] = sim.station_completions;
  j["simulation"]["little_relative_error"] = nlohmann::json::array();
  for (const auto& r : sim.replications)
    j["simulation"]["little_relative_error"].push_back(r.little_relative_error);
  j["stations"] = nlohmann::json::array();
  for (std::size_t k = 0; k < net.stations.size(); ++k) {
    const auto& m = mva.stations[k];
    const auto& e = sim.stations[k];
    nlohmann::json s;
    s["name"] = net.stations[k].name;
    s["demand_ms"] = net.stations[k].demand_ms();
    s["mva"] = {{"residence_ms", m.residence_ms[n]},
                {"queue", m.queue[n]},
                {"utilisation", m.utilisation[n]}};
    s["simulation"] = {{"residence_ms", estimate_json(e.residence_ms)},
                       {"queue", estimate_json(e.queue)},
                       {"utilisation", estimate_json(e.utilisation)}};
    j["stations"].push_back(std::move(s));
  }
  j["bounds"] = {
      {"throughput_rps", b.throughput_rps()},     {"population_rps", b.population_per_ms * 1e3},
      {"station_rps", b.station_per_ms * 1e3},    {"binding", b.binding},
      {"response_lower_ms", b.response_lower_ms}, {"knee_customers", b.knee_customers}};
  return j;
}

int run_qn(const QnOptions& opt) {
  if (opt.customers && (*opt.customers < 1 || *opt.customers > 1'000'000))
    throw InputError("--customers: must be between 1 and 1000000");
  if (opt.replications < 2 || opt.replications > 10'000)
    throw InputError("--replications: must be between 2 and 10000");
  if (opt.threads < 0 || opt.threads > 256)
    throw InputError("--threads: must be between 0 and 256");
  if (opt.jobs < 1 || opt.jobs > 100'000'000)
    throw InputError("--jobs: must be between 1 and 100000000");
  analysis::ClosedNetwork net = analysis::load_network(opt.network);
  if (opt.customers) net.customers = *opt.customers;
  const analysis::MvaResult mva = analysis::solve_mva(net);
  analysis::SimulationOptions so;
  so.replications = opt.replications;
  so.jobs = opt.jobs;
  so.seed = opt.seed;
  so.threads = opt.threads;
  const analysis::NetworkSimulationResult sim = analysis::simulate_network(net, so);
  const analysis::ThroughputBound b = analysis::asymptotic_bounds(net);
  if (opt.format == "json") {
    std::printf("%s\n", to_report(net, mva, sim, b, opt).dump(2).c_str());
  } else {
    print_table(net, mva, sim, b, opt);
  }
  return 0;
}

}  // namespace

void add_qn_command(CLI::App& app, int& exit_code) {
  auto [cmd, opt] = add_command<QnOptions>(
      app, "qn", "Solve a closed queueing network exactly (MVA) and by simulation, side by side",
      run_qn, exit_code);
  cmd->add_option("--network", opt->network, "Network JSON file (see docs/qn.md)")->required();
  cmd->add_option("--customers", opt->customers, "Customers N (default: the file's)");
  cmd->add_option("--replications", opt->replications, "Independent simulation replications")
      ->capture_default_str();
  cmd->add_option("--jobs", opt->jobs, "Measured cycles per replication (warm-up: a tenth more)")
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Master seed")->capture_default_str();
  cmd->add_option("--threads", opt->threads,
                  "Threads for the replications (0: one per core); results do not depend on it")
      ->capture_default_str();
  cmd->add_option("--format", opt->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
}

}  // namespace stacksim::cli
