// Live-run records (schema stacksim.live-run) built in memory with the
// fields calibration reads, shaped like live/run.cpp's output, so record
// parsing and `stacksim calibrate fit` are tested without starting a stack.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace stacksim::calibrate::testing {

// Group CPU per request in us: client, nginx, app, pgbouncer, postgres,
// softirq, kernel system.
inline nlohmann::json live_record(const std::string& run_id, const std::string& stack, int clients,
                                  int peak_sessions, double app_us) {
  auto group = [](double us) {
    return nlohmann::json{{"cpu_s", us * 1e-3}, {"per_request_us", us}, {"processes", 1}};
  };
  return {
      {"schema", "stacksim.live-run"},
      {"version", 1},
      {"run_id", run_id},
      {"config",
       {{"stack", stack},
        {"db_mode", "connect"},
        {"workers", 5},
        {"clients", clients},
        {"sessions", 100},
        {"cores", 0},
        {"delay_ms", 20.0},
        {"duration_s", 5.0}}},
      {"result",
       {{"completed", 1000}, {"throughput_rps", 200.0}, {"peak_server_sessions", peak_sessions}}},
      {"cpu",
       {{"machine_busy_s", 4.0},
        {"machine_total_s", 10.0},
        {"groups",
         {{"client", group(100)},
          {"nginx", group(150)},
          {"app", group(app_us)},
          {"pgbouncer", group(200)},
          {"postgres", group(300)},
          {"kernel_softirq", group(200)},
          {"kernel_system", group(22)},
          {"foreign", group(5)}}}}},
      {"host",
       {{"cpu_model", "AMD EPYC"}, {"cpus_online", 2}, {"packages", {{"gunicorn", "20.1.0"}}}}},
      {"flags", {{"failed_requests", false}, {"foreign_cpu_high", false}}}};
}

}  // namespace stacksim::calibrate::testing
