// What calibration reads from one run: the knobs that identify the
// configuration and the CPU per request of each component group. A live
// record (live/run.hpp's JSON) and a simulated RunResult both become this
// shape, so the fitting code cannot tell them apart and is tested on the
// simulator's own output.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/experiment/run.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

// The component groups the live runner measures and the simulator reports.
// kKernel is loopback network work owned by no process: the live record's
// kernel_system (interrupts, ksoftirqd, kworkers), the simulator's kernel
// role. The softirq work that runs inline, in the sending process's
// context, is inside that process's cgroup CPU already: the process groups
// alone add up to the machine's busy time (checked on this host's records),
// so /proc/stat's softirq column is not added again.
enum class Group { kClient, kNginx, kApp, kPgbouncer, kPostgres, kKernel };
inline constexpr int kGroupCount = 6;
inline constexpr std::array<Group, kGroupCount> kGroups = {Group::kClient,   Group::kNginx,
                                                           Group::kApp,      Group::kPgbouncer,
                                                           Group::kPostgres, Group::kKernel};
const char* to_string(Group g);

struct CalibrationRecord {
  std::string id;      // live run_id, or a synthetic name
  std::string source;  // "file:line" (or a description), for messages
  // The configuration (the simulator's names).
  std::string stack;
  std::string db_mode = "connect";  // the runner's --db-mode: "connect" (per request) or "pool"
  DbAccess db_access() const;       // the same in the simulator's words
  int workers = 1;
  int clients = 1;
  int sessions = 1;
  int cores = 0;  // 0: all, unpinned
  double delay_ms = 0;
  // What was measured in the window.
  std::int64_t completed = 0;
  double throughput_rps = 0;
  double sessions_peak = 0;  // the article's #DB
  double host_busy = 0;      // machine busy CPU / (cores x window), in [0, 1]
  std::array<double, kGroupCount> cpu_us_per_request{};
  // The host and software it ran on.
  std::string cpu_model;
  int cpus_online = 0;
  nlohmann::json packages = nlohmann::json::object();  // name -> version, when recorded
  bool postgres_measured = true;  // false: an existing server, its CPU not in the record
  bool flagged = false;  // failed requests, foreign CPU above the runner's limit, or speed_moved
  std::string flag_reason;
};

// One live record (schema stacksim.live-run). `where` names it in errors
// ("runs.jsonl:3"); a missing or mistyped field is an InputError naming
// `where` and the field's path.
CalibrationRecord record_from_live_json(const nlohmann::json& j, const std::string& where);

// Every record of a JSON-lines store. A missing file, an empty one, or a bad
// record is an InputError naming the file (and line).
std::vector<CalibrationRecord> read_record_file(const std::string& path);

// A simulated run in the same shape (for tests and for fitting the
// simulator against itself). cpus_online is the scenario's cores.
CalibrationRecord record_from_run(const RunResult& r, const Model& model, const StackModel& stack,
                                  const Scenario& scenario, std::string id);

// A simulated run's CPU per request by group (the simulator's roles).
std::array<double, kGroupCount> cpu_by_group(const RunResult& r);

// The knobs that make two runs the same configuration (repeats share it):
// stack, db_mode, workers, clients, sessions, delay, cores.
std::string configuration_key(const CalibrationRecord& r);

}  // namespace stacksim::calibrate
