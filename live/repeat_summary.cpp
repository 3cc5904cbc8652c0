#include "live/repeat_summary.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace stacksim::live {

Spread spread_of(std::vector<double> values) {
  Spread s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  s.median = n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  s.min = values.front();
  s.max = values.back();
  s.relative = s.median != 0 ? (s.max - s.min) / s.median : 0;
  return s;
}

std::vector<ConfigSummary> summarise(const std::vector<nlohmann::json>& records) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const nlohmann::json*>> groups;
  for (const auto& r : records) {
    if (!r.contains("config") || !r.contains("result")) continue;
    nlohmann::json knobs = r.at("config");
    knobs.erase("repeat");
    const std::string key = knobs.dump();
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&r);
  }
  std::vector<ConfigSummary> out;
  for (const auto& key : order) {
    ConfigSummary s;
    s.config = nlohmann::json::parse(key);
    std::vector<double> tput, p50, p99, db, foreign;
    for (const auto* r : groups[key]) {
      ++s.runs;
      const auto& res = r->at("result");
      tput.push_back(res.at("throughput_rps").get<double>());
      p50.push_back(res.at("latency_ms").at("p50").get<double>());
      p99.push_back(res.at("latency_ms").at("p99").get<double>());
      db.push_back(res.at("peak_server_sessions").get<double>());
      foreign.push_back(r->at("flags").value("foreign_cores_window", 0.0));
      const auto& flags = r->at("flags");
      if (flags.value("failed_requests", false) || flags.value("foreign_cpu_high", false))
        ++s.flagged;
    }
    s.throughput_rps = spread_of(tput);
    s.p50_ms = spread_of(p50);
    s.p99_ms = spread_of(p99);
    s.peak_sessions = spread_of(db);
    s.foreign_cores = spread_of(foreign);
    out.push_back(s);
  }
  return out;
}

std::string format_summary(const std::vector<ConfigSummary>& rows) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-24s %4s %4s %5s %6s %4s %10s %7s %8s %8s %5s %8s %s\n",
                "stack", "W", "C", "S", "D_ms", "runs", "tput_rps", "spread", "p50_ms", "p99_ms",
                "#DB", "foreign", "flagged");
  out += line;
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line,
                  "%-24s %4d %4d %5d %6g %4d %10.1f %6.1f%% %8.1f %8.1f %5.0f %8.2f %d\n",
                  r.config.value("stack", "").c_str(), r.config.value("workers", 0),
                  r.config.value("clients", 0), r.config.value("sessions", 0),
                  r.config.value("delay_ms", 0.0), r.runs, r.throughput_rps.median,
                  100 * r.throughput_rps.relative, r.p50_ms.median, r.p99_ms.median,
                  r.peak_sessions.median, r.foreign_cores.median, r.flagged);
    out += line;
  }
  return out;
}

nlohmann::json to_json(const ConfigSummary& s) {
  auto spread = [](const Spread& x) {
    return nlohmann::json{
        {"median", x.median}, {"min", x.min}, {"max", x.max}, {"relative", x.relative}};
  };
  return {{"config", s.config},
          {"runs", s.runs},
          {"flagged", s.flagged},
          {"throughput_rps", spread(s.throughput_rps)},
          {"p50_ms", spread(s.p50_ms)},
          {"p99_ms", spread(s.p99_ms)},
          {"peak_server_sessions", spread(s.peak_sessions)},
          {"foreign_cores", spread(s.foreign_cores)}};
}

}  // namespace stacksim::live
