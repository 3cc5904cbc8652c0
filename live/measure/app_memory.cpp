#include "live/measure/app_memory.hpp"

#include <sstream>

#include "live/os/text_file.hpp"

namespace stacksim::live {

bool parse_smaps_rollup(const std::string& text, double& rss_kb, double& pss_kb) {
  std::istringstream in(text);
  bool rss = false, pss = false;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string key;
    double kb = 0;
    if (!(fields >> key >> kb)) continue;
    if (key == "Rss:") rss_kb = kb, rss = true;
    if (key == "Pss:") pss_kb = kb, pss = true;
  }
  return rss && pss;
}

AppMemory read_app_memory(const std::vector<pid_t>& pids, pid_t launched, int workers) {
  AppMemory m;
  m.workers = workers;
  const bool has_master = static_cast<int>(pids.size()) > workers;
  for (pid_t pid : pids) {
    ProcessMemory p;
    p.pid = pid;
    p.master = has_master && pid == launched;
    try {
      if (parse_smaps_rollup(read_text_file("/proc/" + std::to_string(pid) + "/smaps_rollup"),
                             p.rss_kb, p.pss_kb))
        m.processes.push_back(p);
    } catch (const std::exception&) {
      // Gone between the listing and the read: left out.
    }
  }
  return m;
}

nlohmann::json memory_json(const AppMemory& m) {
  constexpr double kMb = 1024;
  nlohmann::json processes = nlohmann::json::array();
  nlohmann::json master = nullptr;
  double rss = 0, pss = 0, worker_rss = 0, worker_pss = 0;
  int n_workers = 0;
  for (const ProcessMemory& p : m.processes) {
    processes.push_back({{"pid", p.pid},
                         {"role", p.master ? "master" : "worker"},
                         {"rss_mb", p.rss_kb / kMb},
                         {"pss_mb", p.pss_kb / kMb}});
    rss += p.rss_kb;
    pss += p.pss_kb;
    if (p.master) {
      master = {{"rss_mb", p.rss_kb / kMb}, {"pss_mb", p.pss_kb / kMb}};
    } else {
      worker_rss += p.rss_kb;
      worker_pss += p.pss_kb;
      ++n_workers;
    }
  }
  const auto mean = [n_workers](double kb) {
    return n_workers > 0 ? nlohmann::json(kb / n_workers / kMb) : nlohmann::json(nullptr);
  };
  return {{"source",
           "/proc/<pid>/smaps_rollup of every process in the app's cgroup, after the "
           "measured window"},
          {"workers_configured", m.workers},
          {"worker_processes", n_workers},
          {"master", master},
          {"worker_rss_mb_mean", mean(worker_rss)},
          {"worker_pss_mb_mean", mean(worker_pss)},
          {"total_rss_mb", rss / kMb},
          {"total_pss_mb", pss / kMb},
          {"processes", processes}};
}

}  // namespace stacksim::live
