// RunResult to JSON and back, every field to the bit: nlohmann writes
// doubles in the shortest form that reads back the same, and a non-finite
// double (JSON has none) is written as the string "nan", "inf" or "-inf".
#include <cmath>
#include <limits>

#include "common/input_error.hpp"
#include "sim/experiment/shard.hpp"

namespace stacksim {

namespace {
using nlohmann::json;

json number(double v) {
  if (std::isfinite(v)) return v;
  if (std::isnan(v)) return "nan";
  return v > 0 ? "inf" : "-inf";
}

double number_of(const json& j) {
  if (j.is_number()) return j.get<double>();
  const std::string s = j.get<std::string>();
  if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  throw InputError("result: \"" + s + "\" is not a number");
}

template <std::size_t N>
json numbers(const std::array<double, N>& a) {
  json out = json::array();
  for (double v : a) out.push_back(number(v));
  return out;
}

template <std::size_t N>
void read_numbers(const json& j, std::array<double, N>& a) {
  if (j.size() != N) throw InputError("result: an array of " + std::to_string(N) + " expected");
  for (std::size_t i = 0; i < N; ++i) a[i] = number_of(j[i]);
}

// Every double field of RunResult by name, for both directions.
constexpr std::pair<const char*, double RunResult::*> kDoubles[] = {
    {"window_s", &RunResult::window_s},
    {"throughput_rps", &RunResult::throughput_rps},
    {"latency_mean_ms", &RunResult::latency_mean_ms},
    {"p50_ms", &RunResult::p50_ms},
    {"p90_ms", &RunResult::p90_ms},
    {"p99_ms", &RunResult::p99_ms},
    {"p999_ms", &RunResult::p999_ms},
    {"max_ms", &RunResult::max_ms},
    {"cpu_utilisation", &RunResult::cpu_utilisation},
    {"workers_busy", &RunResult::workers_busy},
    {"worker_slots", &RunResult::worker_slots},
    {"sessions_busy", &RunResult::sessions_busy},
    {"backlog_peak", &RunResult::backlog_peak},
    {"worker_hold_ms", &RunResult::worker_hold_ms},
    {"session_hold_ms", &RunResult::session_hold_ms},
};

constexpr std::pair<const char*, std::uint64_t RunResult::*> kCounts[] = {
    {"completed", &RunResult::completed},
    {"failed", &RunResult::failed},
    {"syn_retries", &RunResult::syn_retries},
    {"events", &RunResult::events},
};

using Roles = std::array<double, kRoleCount>;
constexpr std::pair<const char*, Roles RunResult::*> kByRole[] = {
    {"cpu_us_per_request", &RunResult::cpu_us_per_request},
    {"busiest_process", &RunResult::busiest_process},
    {"busy_share", &RunResult::busy_share},
};
}  // namespace

json run_result_to_json(const RunResult& r) {
  json j;
  for (const auto& [name, field] : kDoubles) j[name] = number(r.*field);
  for (const auto& [name, field] : kCounts) j[name] = r.*field;
  for (const auto& [name, field] : kByRole) j[name] = numbers(r.*field);
  j["db_sessions_peak"] = r.db_sessions_peak;
  j["phase_ms"] = numbers(r.phase_ms);
  j["served_per_worker"] = r.served_per_worker;
  return j;
}

RunResult run_result_from_json(const json& j) {
  RunResult r;
  try {
    for (const auto& [name, field] : kDoubles) r.*field = number_of(j.at(name));
    for (const auto& [name, field] : kCounts) r.*field = j.at(name).get<std::uint64_t>();
    for (const auto& [name, field] : kByRole) read_numbers(j.at(name), r.*field);
    r.db_sessions_peak = j.at("db_sessions_peak").get<int>();
    read_numbers(j.at("phase_ms"), r.phase_ms);
    r.served_per_worker = j.at("served_per_worker").get<std::vector<std::uint64_t>>();
  } catch (const json::exception& e) {
    throw InputError(std::string("result: ") + e.what());
  }
  return r;
}

}  // namespace stacksim
