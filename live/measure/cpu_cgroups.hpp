// One CPU-accounting cgroup per component group of a run, so CPU time is
// counted for every process of the group, including ones that start and
// exit inside the measured window (postgres backends behind a fresh pool),
// which per-process /proc sampling misses. cgroup v1 cpuacct is used where
// mounted (this machine), else the v2 hierarchy's cpu.stat. Teardown kills
// every PID still in the run's cgroups, then removes them.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace stacksim::live {

struct CgroupCpu {
  double usage_s = 0;  // CPU time, user + system
  double user_s = 0;
  double system_s = 0;
};

class CpuCgroups {
 public:
  // Creates <root>/stacksim-<pid>/<group> for each group. Throws InputError
  // naming the fix when no usable cgroup hierarchy exists.
  explicit CpuCgroups(const std::vector<std::string>& groups);
  CpuCgroups(const CpuCgroups&) = delete;
  CpuCgroups& operator=(const CpuCgroups&) = delete;
  ~CpuCgroups();

  // The file a child writes to join the group (Placement::cgroup_procs_path).
  std::string procs_path(const std::string& group) const;
  CgroupCpu read(const std::string& group) const;
  std::vector<pid_t> pids(const std::string& group) const;
  std::vector<pid_t> all_pids() const;
  // SIGKILL every process left in the run's cgroups, by PID, until empty.
  void kill_all();
  const std::string& run_dir() const { return run_dir_; }
  std::string version() const { return v1_ ? "v1-cpuacct" : "v2"; }

 private:
  bool v1_ = true;
  std::string run_dir_;
  std::vector<std::string> groups_;
};

// A runner that was SIGKILLed could not stop what it started (its direct
// children die with it through PR_SET_PDEATHSIG, their children may not).
// Its cgroups remain and name it: every stacksim-<pid> cgroup whose runner is
// gone has its processes killed by PID and is removed, with the runner's run
// directory. Returns the number of processes killed.
int reap_orphaned_runs();

}  // namespace stacksim::live
