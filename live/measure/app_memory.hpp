// What the app server holds in RAM: every process of its cgroup (master and
// workers), each read from /proc/<pid>/smaps_rollup at the end of the
// measured window, when the workers are warm. RSS counts every page a
// process maps; PSS splits each shared page among the processes sharing it,
// so forked workers' PSS adds up to what they really cost together, and is
// the honest per-worker figure. Both go in the record.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace stacksim::live {

struct ProcessMemory {
  pid_t pid = 0;
  bool master = false;
  double rss_kb = 0, pss_kb = 0;
};

struct AppMemory {
  std::vector<ProcessMemory> processes;  // those whose smaps_rollup could be read
  int workers = 0;                       // configured
};

// The Rss and Pss lines of a smaps_rollup text, in kB; false when either is
// missing.
bool parse_smaps_rollup(const std::string& text, double& rss_kb, double& pss_kb);

// The processes `pids` (the app's cgroup); `launched` is the one the runner
// started, the master when there are more processes than workers (a server
// that forks workers), else one of the workers itself.
AppMemory read_app_memory(const std::vector<pid_t>& pids, pid_t launched, int workers);

// The record's `memory`: per process, the master's figures (null without
// one), the workers' mean, and the totals, in MB (1024 kB).
nlohmann::json memory_json(const AppMemory& m);

}  // namespace stacksim::live
