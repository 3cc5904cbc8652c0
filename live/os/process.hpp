// Starting and stopping the stack's processes: argv vectors only (fork +
// execve, never a shell), each in its own session (so its own scheduler
// autogroup, as a service a deployment starts) or, for comparison, in its
// own process group of the runner's session; optionally as an
// unprivileged user, pinned to the run's CPUs and placed in the run's CPU
// accounting cgroup before exec. A Process owns its group: destruction
// stops it (stop signal to the group, SIGKILL after a grace period).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

namespace stacksim::live {

struct UserIds {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

// Where a server's processes run: its accounting cgroup, its CPUs, its session.
struct Placement {
  std::string cgroup_procs_path;  // join this cgroup before exec; empty: none
  int cpus = 0;                   // pin to the first `cpus` allowed CPUs; 0: no pinning
  // setsid() in the child: a session (and process group) of its own. False:
  // setpgid(0, 0), a group in the runner's session, sharing its autogroup.
  bool own_session = true;
};

struct SpawnSpec {
  std::string name;               // for messages: "pgbouncer"
  std::vector<std::string> argv;  // argv[0] is an absolute path
  std::vector<std::string> env;   // the whole environment, "KEY=value"
  std::string log_path;           // stdout and stderr go here; empty: /dev/null
  std::string working_dir;        // empty: inherit
  std::optional<UserIds> user;    // run as this user instead of root
  Placement placement;
  int stop_signal = SIGTERM;        // sent to the group by stop()
  bool signal_leader_only = false;  // postgres: its postmaster stops its backends itself
};

class Process {
 public:
  Process() = default;
  static Process spawn(const SpawnSpec& spec);
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  // Reaps the leader if it exited; true while it runs.
  bool running();
  // Exit status as waitpid reports it (valid once running() is false).
  int wait_status() const { return status_; }
  // Waits (interruptibly) for the leader to exit; returns its wait status.
  int wait();
  // Stop signal to the group, wait up to grace, then SIGKILL the group.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  int stop_signal_ = SIGTERM;
  bool signal_leader_only_ = false;
  std::string name_;
};

struct CaptureResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string output;  // stdout and stderr together
};

// Runs a short command to completion (dpkg-query, initdb, a version probe)
// and returns its output; it still runs in its own registered group so an
// interrupt stops it.
CaptureResult run_and_capture(const std::vector<std::string>& argv,
                              const std::optional<UserIds>& user = std::nullopt,
                              const std::vector<std::string>& env = {});

// The current environment as "KEY=value" strings.
std::vector<std::string> current_environment();

// Raises RLIMIT_NOFILE's soft limit to its hard limit (inherited by children:
// thousands of sockets are open at once at these rates). Returns the limit.
long raise_open_files_limit();

// The absolute path of an executable, searched on PATH when not absolute;
// empty when not found.
std::string find_executable(const std::string& name);

}  // namespace stacksim::live
