// CPU seconds of the measured window, per component group, so the simulator
// gets CPU per request per component. Each group is a cgroup (every process,
// short-lived ones included); the kernel's softirq and irq time and the
// machine's busy time come from /proc/stat, kernel threads' time from /proc.
// Whatever is busy but not ours is `foreign` (other engineers' compilers):
// groups + kernel + runner + foreign add up to the machine's busy time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "live/measure/cpu_cgroups.hpp"
#include "live/measure/machine_events.hpp"

namespace stacksim::live {

// The process groups the runner starts, in the simulator's names.
inline const std::vector<std::string> kComponentGroups = {"client", "nginx", "app", "pgbouncer",
                                                          "postgres"};

// /proc/<pid>/stat: the parent, the process's own CPU (utime + stime) and
// the CPU of the children it reaped (cutime + cstime), in seconds; ok is
// false when the process is gone.
struct PidStat {
  bool ok = false;
  pid_t ppid = 0;
  double cpu_s = 0;
  double reaped_s = 0;
};
PidStat read_pid_stat(pid_t pid);
// The fields of /proc/<pid>/stat after the command name (in parentheses, and
// it may contain spaces): [0] is the state (field 3 of proc(5)), [1] the
// parent, [2] the process group, [11] utime, [19] the start time in ticks.
// Empty when the process is gone.
std::vector<std::string> pid_stat_fields(pid_t pid);
// Every process id in /proc now.
std::vector<pid_t> all_pids();
// The inodes of the sockets the process holds open (/proc/<pid>/fd links
// "socket:[inode]"); empty when it is gone or not ours to read.
std::vector<unsigned long> socket_inodes(pid_t pid);
// Every TCP socket in LISTEN state (/proc/net/tcp and tcp6): its inode, its
// local address as the kernel prints it (hex, e.g. "0100007F" for
// 127.0.0.1) and its port.
struct ListeningSocket {
  unsigned long inode = 0;
  std::string address;
  int port = 0;
};
std::vector<ListeningSocket> listening_tcp_sockets();

struct ProcStat {  // the "cpu" line of /proc/stat, in seconds
  double user_s = 0, nice_s = 0, system_s = 0, idle_s = 0, iowait_s = 0, irq_s = 0, softirq_s = 0,
         steal_s = 0;
  double busy_s() const { return user_s + nice_s + system_s + irq_s + softirq_s + steal_s; }
  double total_s() const { return busy_s() + idle_s + iowait_s; }
};
ProcStat read_proc_stat();
ProcStat parse_proc_stat(const std::string& text);

// /proc/<pid>/task/<tid>/schedstat summed over the process's threads: time
// on a CPU, time runnable but waiting in a run queue, and how many times it
// was put on a CPU (timeslices). ok is false when the kernel has no
// schedstat (CONFIG_SCHED_INFO off) or the process is gone.
struct SchedStat {
  bool ok = false;
  double run_s = 0;
  double wait_s = 0;
  long timeslices = 0;
};
SchedStat read_sched_stat(pid_t pid);
// One schedstat line: "run_ns wait_ns timeslices".
SchedStat parse_sched_stat(const std::string& line);

struct ProcessSample {
  std::string group;
  double cpu_s = 0;  // utime + stime
  long voluntary_switches = 0;
  long involuntary_switches = 0;
  SchedStat sched;
};

struct CpuSnapshot {
  std::chrono::steady_clock::time_point at;
  ProcStat machine;
  MachineEvents events;
  std::map<std::string, CgroupCpu> groups;
  std::map<pid_t, ProcessSample> processes;
  std::map<pid_t, double> kernel_threads_s;  // ksoftirqd, kworkers: kthreadd and its children
  double runner_s = 0;                       // this process (the session monitor polls from it)
};

CpuSnapshot take_cpu_snapshot(const CpuCgroups& cgroups);

// Scheduling delay: how long the group's processes were runnable but not
// running (waiting in a run queue), and how many timeslices they got. A
// CPU that is idle while this grows is the scheduler's doing, not the
// work's: the measure the simulator's run-queue wait is fitted from.
struct GroupSched {
  bool measured = false;  // schedstat read for every process of the group
  double wait_s = 0, run_s = 0;
  long timeslices = 0;
  double wait_per_request_us = 0;
  double wait_per_timeslice_us = 0;
};

struct GroupCpu {
  double cpu_s = 0, user_s = 0, system_s = 0;
  double per_request_us = 0;
  long voluntary_switches = 0, involuntary_switches = 0;  // processes alive at the end
  int processes = 0;
  GroupSched sched;  // processes alive at both ends of the window
};

struct WorkerCpu {
  pid_t pid = 0;
  double cpu_s = 0;
  long voluntary_switches = 0, involuntary_switches = 0;
  double runqueue_wait_s = 0;
};

struct CpuReport {
  double window_s = 0;
  int cpus_online = 0;
  double machine_busy_s = 0, machine_total_s = 0;
  std::map<std::string, GroupCpu> groups;  // client nginx app pgbouncer postgres
                                           // kernel_softirq kernel_system foreign
  double runner_s = 0;
  std::vector<WorkerCpu> app_processes;
  double foreign_cores = 0;  // foreign CPU seconds / window seconds
  MachineEvents events;      // interrupts and context switches in the window
  long completed_requests = 0;
};

CpuReport cpu_report(const CpuSnapshot& begin, const CpuSnapshot& end, long completed_requests);
nlohmann::json to_json(const CpuReport& r);

// Busy cores of the whole machine over `interval` (before a run: all foreign).
double machine_busy_cores(std::chrono::milliseconds interval);

}  // namespace stacksim::live
