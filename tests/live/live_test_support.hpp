// Helpers of the live tests: run the real stacksim binary and capture its
// stdout, stderr and exit status; watch the processes it starts and the
// ports they listen on, to prove that nothing is left behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace stacksim::live::testing {

struct BinaryResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs STACKSIM_BINARY with `args` to completion (bounded by `timeout`).
BinaryResult run_stacksim(const std::vector<std::string>& args,
                          std::chrono::seconds timeout = std::chrono::seconds(180));

// Starts STACKSIM_BINARY in the background; output goes to files.
struct BackgroundRun {
  pid_t pid = -1;
  std::string out_path, err_path;
};
BackgroundRun start_stacksim(const std::vector<std::string>& args);
// The exit code if it has exited, -1 while it runs (never kills it).
int poll_stacksim(const BackgroundRun& run);
// Waits for it (bounded; killed after the timeout); returns the exit code as run_stacksim does.
int wait_stacksim(const BackgroundRun& run, std::chrono::seconds timeout);

// A process identity that survives PID reuse: pid plus start time.
struct ProcessId {
  pid_t pid;
  unsigned long long start_ticks;
  bool operator<(const ProcessId& o) const {
    return pid != o.pid ? pid < o.pid : start_ticks < o.start_ticks;
  }
};
std::set<ProcessId> descendants_of(pid_t root);
// The live (not zombie) processes whose process group is `pgid`.
std::vector<pid_t> process_group_members(pid_t pgid);
bool still_alive(const ProcessId& p);
// TCP ports in LISTEN state held by any of these processes.
std::set<int> listening_ports_of(const std::set<ProcessId>& processes);
std::set<int> all_listening_ports();

std::string read_text(const std::string& path);
// Writes a temporary file and returns its path.
std::string write_temp(const std::string& stem, const std::string& content);

// The arguments of a short run on a small table: the suite's common knobs.
std::vector<std::string> short_run_args(const std::string& stack, int workers, int clients,
                                        int sessions, double delay_ms, double duration_s);

}  // namespace stacksim::live::testing
