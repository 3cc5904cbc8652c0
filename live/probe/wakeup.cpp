#include "live/probe/wakeup.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>

#include "common/input_error.hpp"

namespace stacksim::live::probe {

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void sleep_ns(std::int64_t ns) {
  if (ns <= 0) return;
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
  }
}

void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    throw InputError("host probe: cannot pin to CPU " + std::to_string(cpu) + ": " +
                     std::strerror(errno) +
                     "; run where the process may set its CPU affinity (not under a seccomp "
                     "profile or cpuset that forbids it)");
}

void restore_affinity(const cpu_set_t& set) {
  sched_setaffinity(0, sizeof set, &set);
}

std::vector<double> ping_pong(int writer_cpu, int reader_cpu, std::int64_t gap_ns, int rounds) {
  int to_reader[2], to_writer[2];
  if (pipe(to_reader) != 0 || pipe(to_writer) != 0)
    throw std::runtime_error(std::string("host probe: pipe: ") + std::strerror(errno));
  const pid_t child = fork();
  if (child < 0) throw std::runtime_error(std::string("host probe: fork: ") + std::strerror(errno));
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(to_reader[1]);  // else the reader never sees the end of its input
    close(to_writer[0]);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(reader_cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) _exit(3);
    std::int64_t sent = 0;
    while (read(to_reader[0], &sent, sizeof sent) == static_cast<ssize_t>(sizeof sent)) {
      const std::int64_t waited = now_ns() - sent;
      if (write(to_writer[1], &waited, sizeof waited) != static_cast<ssize_t>(sizeof waited))
        _exit(4);
    }
    _exit(0);
  }
  close(to_reader[0]);
  close(to_writer[1]);
  std::vector<double> us;
  bool ok = true;
  try {
    pin(writer_cpu);
  } catch (...) {
    ok = false;
  }
  for (int i = 0; ok && i < rounds; ++i) {
    sleep_ns(gap_ns);
    const std::int64_t t = now_ns();
    std::int64_t waited = 0;
    ok = write(to_reader[1], &t, sizeof t) == static_cast<ssize_t>(sizeof t) &&
         read(to_writer[0], &waited, sizeof waited) == static_cast<ssize_t>(sizeof waited);
    if (ok && i > 0) us.push_back(static_cast<double>(waited) / 1e3);  // the first warms up
  }
  close(to_reader[1]);
  close(to_writer[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw InputError("host probe: the wake-up ping-pong between CPUs " +
                     std::to_string(writer_cpu) + " and " + std::to_string(reader_cpu) +
                     " failed (the reader could not be pinned or the pipe broke)");
  return us;
}

std::vector<double> timer_overshoot(int cpu, int rounds) {
  pin(cpu);
  const int old_slack = prctl(PR_GET_TIMERSLACK);
  prctl(PR_SET_TIMERSLACK, 1UL);
  std::vector<double> us;
  for (int i = 0; i < rounds; ++i) {
    const std::int64_t a = now_ns();
    sleep_ns(1'000'000);
    us.push_back(static_cast<double>(now_ns() - a - 1'000'000) / 1e3);
  }
  if (old_slack > 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(old_slack));
  return us;
}

}  // namespace stacksim::live::probe
