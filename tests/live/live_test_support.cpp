#include "live_test_support.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "live/measure/cpu_accounting.hpp"

namespace stacksim::live::testing {
namespace {

struct Stat {
  bool ok = false;
  pid_t ppid = 0;
  pid_t pgrp = 0;
  unsigned long long start_ticks = 0;
};

Stat read_stat(pid_t pid) {
  Stat s;
  const std::vector<std::string> fields = pid_stat_fields(pid);
  if (fields.size() < 20) return s;  // up to the start time, [19]
  s.ok = fields[0] != "Z";
  s.ppid = static_cast<pid_t>(std::stol(fields[1]));
  s.pgrp = static_cast<pid_t>(std::stol(fields[2]));
  s.start_ticks = std::stoull(fields[19]);
  return s;
}

// inode -> port of every LISTEN socket.
std::map<unsigned long, int> listening_inodes() {
  std::map<unsigned long, int> out;
  for (const ListeningSocket& l : listening_tcp_sockets()) out[l.inode] = l.port;
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string write_temp(const std::string& stem, const std::string& content) {
  std::string tmpl = "/tmp/stacksim-test-" + stem + "-XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw std::runtime_error("mkstemp");
  if (::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    throw std::runtime_error("write temp");
  }
  ::close(fd);
  return tmpl;
}

BackgroundRun start_stacksim(const std::vector<std::string>& args) {
  BackgroundRun run;
  run.out_path = write_temp("out", "");
  run.err_path = write_temp("err", "");
  std::vector<std::string> argv = {STACKSIM_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(run.out_path.c_str(), O_WRONLY | O_TRUNC);
    const int err = ::open(run.err_path.c_str(), O_WRONLY | O_TRUNC);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(cargv[0], cargv.data());
    _exit(127);
  }
  run.pid = pid;
  return run;
}

int poll_stacksim(const BackgroundRun& run) {
  int status = 0;
  return ::waitpid(run.pid, &status, WNOHANG) == run.pid ? decode_status(status) : -1;
}

int wait_stacksim(const BackgroundRun& run, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(run.pid, &status, WNOHANG);
    if (r == run.pid) return decode_status(status);
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(run.pid, SIGKILL);
      ::waitpid(run.pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

BinaryResult run_stacksim(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  const BackgroundRun run = start_stacksim(args);
  BinaryResult r;
  r.exit_code = wait_stacksim(run, timeout);
  r.out = read_text(run.out_path);
  r.err = read_text(run.err_path);
  ::unlink(run.out_path.c_str());
  ::unlink(run.err_path.c_str());
  return r;
}

std::set<ProcessId> descendants_of(pid_t root) {
  std::map<pid_t, Stat> stats;
  for (pid_t pid : all_pids()) {
    const Stat s = read_stat(pid);
    if (s.ok) stats[pid] = s;
  }
  std::set<ProcessId> out;
  for (const auto& [pid, s] : stats) {
    // Walk up the parent chain to see whether root is an ancestor.
    pid_t p = s.ppid;
    for (int depth = 0; depth < 64 && p > 1; ++depth) {
      if (p == root) {
        out.insert({pid, s.start_ticks});
        break;
      }
      const auto it = stats.find(p);
      if (it == stats.end()) break;
      p = it->second.ppid;
    }
  }
  return out;
}

std::vector<pid_t> process_group_members(pid_t pgid) {
  std::vector<pid_t> out;
  for (pid_t pid : all_pids()) {
    const Stat s = read_stat(pid);
    if (s.ok && s.pgrp == pgid) out.push_back(pid);
  }
  return out;
}

bool still_alive(const ProcessId& p) {
  const Stat s = read_stat(p.pid);
  return s.ok && s.start_ticks == p.start_ticks;
}

std::set<int> listening_ports_of(const std::set<ProcessId>& processes) {
  const auto inodes = listening_inodes();
  std::set<int> ports;
  for (const auto& p : processes) {
    for (unsigned long inode : socket_inodes(p.pid)) {
      const auto it = inodes.find(inode);
      if (it != inodes.end()) ports.insert(it->second);
    }
  }
  return ports;
}

std::set<int> all_listening_ports() {
  std::set<int> ports;
  for (const auto& [inode, port] : listening_inodes()) ports.insert(port);
  return ports;
}

std::vector<std::string> short_run_args(const std::string& stack, int workers, int clients,
                                        int sessions, double delay_ms, double duration_s) {
  auto num = [](double v) {
    std::ostringstream o;
    o << v;
    return o.str();
  };
  return {"live",         "run",
          "--stack",      stack,
          "--workers",    std::to_string(workers),
          "--clients",    std::to_string(clients),
          "--sessions",   std::to_string(sessions),
          "--delay-ms",   num(delay_ms),
          "--duration-s", num(duration_s),
          "--warmup-s",   "1",
          "--rows",       "10000",
          "--format",     "json",
          "--store",      ""};
}

}  // namespace stacksim::live::testing
