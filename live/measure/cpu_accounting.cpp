#include "live/measure/cpu_accounting.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "live/measure/host_info.hpp"
#include "live/os/process_registry.hpp"
#include "live/os/text_file.hpp"

namespace stacksim::live {
namespace {

double ticks_to_s(double ticks) {
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

std::vector<std::string> pid_stat_fields(pid_t pid) {
  const std::string text = read_text_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = text.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream in(text.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

PidStat read_pid_stat(pid_t pid) {
  PidStat s;
  const std::vector<std::string> f = pid_stat_fields(pid);
  if (f.size() < 15) return s;  // up to cstime, [14]
  s.ok = true;
  s.ppid = static_cast<pid_t>(std::stol(f[1]));
  s.cpu_s = ticks_to_s(std::stod(f[11]) + std::stod(f[12]));     // utime + stime
  s.reaped_s = ticks_to_s(std::stod(f[13]) + std::stod(f[14]));  // cutime + cstime
  return s;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    const long pid = std::atol(e->d_name);
    if (pid > 0) out.push_back(static_cast<pid_t>(pid));
  }
  if (d) ::closedir(d);
  return out;
}

std::vector<unsigned long> socket_inodes(pid_t pid) {
  std::vector<unsigned long> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    char target[128];
    const ssize_t n = ::readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    unsigned long inode = 0;
    if (std::sscanf(target, "socket:[%lu]", &inode) == 1) out.push_back(inode);
  }
  if (d) ::closedir(d);
  return out;
}

std::vector<ListeningSocket> listening_tcp_sockets() {
  std::vector<ListeningSocket> out;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::istringstream in(read_text_file(file));
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string slot, local, remote, state, queues, timer, retr, uid, timeout, inode;
      ls >> slot >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode;
      if (!ls || state != "0A") continue;  // 0A: LISTEN
      const auto colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      out.push_back(ListeningSocket{std::stoul(inode), local.substr(0, colon),
                                    std::stoi(local.substr(colon + 1), nullptr, 16)});
    }
  }
  return out;
}

SchedStat parse_sched_stat(const std::string& line) {
  SchedStat s;
  std::istringstream in(line);
  double run_ns = 0, wait_ns = 0;
  long slices = 0;
  if (!(in >> run_ns >> wait_ns >> slices)) return s;
  s.ok = true;
  s.run_s = run_ns * 1e-9;
  s.wait_s = wait_ns * 1e-9;
  s.timeslices = slices;
  return s;
}

SchedStat read_sched_stat(pid_t pid) {
  SchedStat total;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(tasks.c_str());
  if (!d) return total;
  bool any = false, all = true;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const SchedStat t = parse_sched_stat(read_text_file(tasks + "/" + e->d_name + "/schedstat"));
    any = true;
    all = all && t.ok;
    total.run_s += t.run_s;
    total.wait_s += t.wait_s;
    total.timeslices += t.timeslices;
  }
  ::closedir(d);
  total.ok = any && all;
  return total;
}

namespace {

void read_switches(pid_t pid, ProcessSample& sample) {
  std::istringstream in(read_text_file("/proc/" + std::to_string(pid) + "/status"));
  std::string key;
  long value = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    if (!(ls >> key >> value)) continue;
    if (key == "voluntary_ctxt_switches:") sample.voluntary_switches = value;
    if (key == "nonvoluntary_ctxt_switches:") sample.involuntary_switches = value;
  }
}

std::map<pid_t, double> kernel_threads_cpu_s() {
  std::map<pid_t, double> out;
  for (pid_t pid : all_pids()) {
    const PidStat s = read_pid_stat(pid);
    if (s.ok && (pid == 2 || s.ppid == 2)) out[pid] = s.cpu_s;
  }
  return out;
}

double self_cpu_s() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

}  // namespace

ProcStat parse_proc_stat(const std::string& text) {
  ProcStat s;
  std::istringstream in(text);
  std::string label;
  in >> label;
  if (label != "cpu") return s;
  double v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (double& x : v) in >> x;
  s.user_s = ticks_to_s(v[0]);
  s.nice_s = ticks_to_s(v[1]);
  s.system_s = ticks_to_s(v[2]);
  s.idle_s = ticks_to_s(v[3]);
  s.iowait_s = ticks_to_s(v[4]);
  s.irq_s = ticks_to_s(v[5]);
  s.softirq_s = ticks_to_s(v[6]);
  s.steal_s = ticks_to_s(v[7]);
  return s;
}

ProcStat read_proc_stat() {
  std::ifstream in("/proc/stat");
  std::string line;
  std::getline(in, line);
  return parse_proc_stat(line);
}

CpuSnapshot take_cpu_snapshot(const CpuCgroups& cgroups) {
  CpuSnapshot snap;
  snap.at = std::chrono::steady_clock::now();
  snap.machine = read_proc_stat();
  snap.events = read_machine_events();
  for (const auto& g : kComponentGroups) {
    snap.groups[g] = cgroups.read(g);
    for (pid_t pid : cgroups.pids(g)) {
      const PidStat ps = read_pid_stat(pid);
      if (!ps.ok) continue;
      ProcessSample sample;
      sample.group = g;
      sample.cpu_s = ps.cpu_s;
      read_switches(pid, sample);
      sample.sched = read_sched_stat(pid);
      snap.processes[pid] = sample;
    }
  }
  snap.kernel_threads_s = kernel_threads_cpu_s();
  snap.runner_s = self_cpu_s();
  return snap;
}

namespace {

// One process's CPU, switches and run-queue wait over the window, added to
// its group; an app worker's are also listed on their own.
void add_process(const ProcessSample& sample, const ProcessSample* before, pid_t pid, GroupCpu& gc,
                 std::vector<WorkerCpu>& app_processes) {
  ++gc.processes;
  const long v0 = before ? before->voluntary_switches : 0;
  const long i0 = before ? before->involuntary_switches : 0;
  gc.voluntary_switches += sample.voluntary_switches - v0;
  gc.involuntary_switches += sample.involuntary_switches - i0;
  // A process born in the window has waited since its birth: count all.
  const SchedStat s0 = before ? before->sched : SchedStat{true};
  const bool sched_ok = sample.sched.ok && s0.ok;
  gc.sched.measured = gc.sched.measured && sched_ok;
  if (sched_ok) {
    gc.sched.wait_s += sample.sched.wait_s - s0.wait_s;
    gc.sched.run_s += sample.sched.run_s - s0.run_s;
    gc.sched.timeslices += sample.sched.timeslices - s0.timeslices;
  }
  if (sample.group == "app") {
    WorkerCpu w;
    w.pid = pid;
    w.cpu_s = sample.cpu_s - (before ? before->cpu_s : 0);
    w.voluntary_switches = sample.voluntary_switches - v0;
    w.involuntary_switches = sample.involuntary_switches - i0;
    w.runqueue_wait_s = sched_ok ? sample.sched.wait_s - s0.wait_s : 0;
    app_processes.push_back(w);
  }
}

// A component group's CPU over the window: its cgroup's counters, and its
// processes' switches and scheduler waits.
GroupCpu group_cpu(const CpuSnapshot& begin, const CpuSnapshot& end, const std::string& g,
                   double per_request, std::vector<WorkerCpu>& app_processes) {
  GroupCpu gc;
  const auto& b = begin.groups.at(g);
  const auto& e = end.groups.at(g);
  gc.cpu_s = e.usage_s - b.usage_s;
  gc.user_s = e.user_s - b.user_s;
  gc.system_s = e.system_s - b.system_s;
  gc.per_request_us = gc.cpu_s * per_request;
  gc.sched.measured = true;
  for (const auto& [pid, sample] : end.processes) {
    if (sample.group != g) continue;
    const auto it = begin.processes.find(pid);
    add_process(sample, it != begin.processes.end() ? &it->second : nullptr, pid, gc,
                app_processes);
  }
  gc.sched.measured = gc.sched.measured && gc.processes > 0;
  gc.sched.wait_per_request_us = gc.sched.wait_s * per_request;
  gc.sched.wait_per_timeslice_us =
      gc.sched.timeslices > 0 ? 1e6 * gc.sched.wait_s / static_cast<double>(gc.sched.timeslices)
                              : 0;
  return gc;
}

// Kernel threads come and go (kworkers): count each thread's own delta,
// the whole CPU of threads born in the window, nothing for ones that
// exited (their last CPU is lost, a difference of totals would go negative).
double kernel_threads_delta_s(const CpuSnapshot& begin, const CpuSnapshot& end) {
  double kernel_threads_s = 0;
  for (const auto& [pid, cpu_s] : end.kernel_threads_s) {
    const auto it = begin.kernel_threads_s.find(pid);
    kernel_threads_s +=
        std::max(0.0, cpu_s - (it == begin.kernel_threads_s.end() ? 0.0 : it->second));
  }
  return kernel_threads_s;
}

}  // namespace

CpuReport cpu_report(const CpuSnapshot& begin, const CpuSnapshot& end, long completed_requests) {
  CpuReport r;
  r.window_s = std::chrono::duration<double>(end.at - begin.at).count();
  r.cpus_online = online_cpus();
  r.machine_busy_s = end.machine.busy_s() - begin.machine.busy_s();
  r.machine_total_s = end.machine.total_s() - begin.machine.total_s();
  r.events = events_between(begin.events, end.events);
  r.completed_requests = completed_requests;
  const double per_request =
      completed_requests > 0 ? 1e6 / static_cast<double>(completed_requests) : 0;
  double ours = 0;
  for (const auto& g : kComponentGroups) {
    const GroupCpu gc = group_cpu(begin, end, g, per_request, r.app_processes);
    ours += gc.cpu_s;
    r.groups[g] = gc;
  }
  GroupCpu softirq;
  softirq.cpu_s = end.machine.softirq_s - begin.machine.softirq_s;
  softirq.system_s = softirq.cpu_s;
  softirq.per_request_us = softirq.cpu_s * per_request;
  r.groups["kernel_softirq"] = softirq;
  GroupCpu system;
  const double kernel_threads_s = kernel_threads_delta_s(begin, end);
  system.cpu_s = (end.machine.irq_s - begin.machine.irq_s) + kernel_threads_s;
  system.system_s = system.cpu_s;
  system.per_request_us = system.cpu_s * per_request;
  r.groups["kernel_system"] = system;
  r.runner_s = end.runner_s - begin.runner_s;
  GroupCpu foreign;
  // Softirq work mostly runs inline in the context of the process that
  // sent the packet, and cgroup cpuacct counts it there: it is inside
  // `ours` already (our groups add up to the busy time without it), so it
  // is not taken off again. /proc/stat counts in ticks, the cgroups in
  // nanoseconds: a small negative remainder is rounding, not negative work.
  foreign.cpu_s = std::max(0.0, r.machine_busy_s - ours - system.cpu_s - r.runner_s);
  foreign.per_request_us = foreign.cpu_s * per_request;
  r.groups["foreign"] = foreign;
  r.foreign_cores = r.window_s > 0 ? foreign.cpu_s / r.window_s : 0;
  return r;
}

nlohmann::json to_json(const CpuReport& r) {
  nlohmann::json groups = nlohmann::json::object();
  for (const auto& [name, g] : r.groups) {
    groups[name] = {{"cpu_s", g.cpu_s},
                    {"user_s", g.user_s},
                    {"system_s", g.system_s},
                    {"per_request_us", g.per_request_us},
                    {"voluntary_switches", g.voluntary_switches},
                    {"involuntary_switches", g.involuntary_switches},
                    {"processes", g.processes}};
    if (g.sched.measured) {
      groups[name]["runqueue"] = {{"wait_s", g.sched.wait_s},
                                  {"run_s", g.sched.run_s},
                                  {"timeslices", g.sched.timeslices},
                                  {"wait_per_request_us", g.sched.wait_per_request_us},
                                  {"wait_per_timeslice_us", g.sched.wait_per_timeslice_us}};
    }
  }
  nlohmann::json workers = nlohmann::json::array();
  for (const auto& w : r.app_processes) {
    workers.push_back({{"pid", w.pid},
                       {"cpu_s", w.cpu_s},
                       {"voluntary_switches", w.voluntary_switches},
                       {"involuntary_switches", w.involuntary_switches},
                       {"runqueue_wait_s", w.runqueue_wait_s}});
  }
  return {{"window_s", r.window_s},
          {"cpus_online", r.cpus_online},
          {"machine_busy_s", r.machine_busy_s},
          {"machine_total_s", r.machine_total_s},
          {"runner_s", r.runner_s},
          {"foreign_cores", r.foreign_cores},
          {"groups", groups},
          {"app_processes", workers},
          {"machine_events", to_json(r.events, r.completed_requests)}};
}

double machine_busy_cores(std::chrono::milliseconds interval) {
  const ProcStat a = read_proc_stat();
  const double self_a = self_cpu_s();
  const auto t0 = std::chrono::steady_clock::now();
  interruptible_sleep_ms(static_cast<long>(interval.count()));
  const ProcStat b = read_proc_stat();
  const double self_b = self_cpu_s();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return wall > 0 ? std::max(0.0, b.busy_s() - a.busy_s() - (self_b - self_a)) / wall : 0;
}

}  // namespace stacksim::live
