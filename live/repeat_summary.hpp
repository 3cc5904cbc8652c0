// Repeats are part of every result (CPU-saturated runs vary 8-14% between
// repeats here): records of the same configuration are grouped and
// summarised by their median and spread ((max - min) / median).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace stacksim::live {

struct Spread {
  double median = 0, min = 0, max = 0;
  double relative = 0;  // (max - min) / median
};
Spread spread_of(std::vector<double> values);

struct ConfigSummary {
  nlohmann::json config;  // the knobs, repeat index removed
  int runs = 0;
  int flagged = 0;  // failed requests or foreign CPU
  Spread throughput_rps, p50_ms, p99_ms, peak_sessions, foreign_cores;
};

// Groups records by configuration (in first-seen order).
std::vector<ConfigSummary> summarise(const std::vector<nlohmann::json>& records);
std::string format_summary(const std::vector<ConfigSummary>& rows);
nlohmann::json to_json(const ConfigSummary& s);

}  // namespace stacksim::live
