#include "live/probe/wakeup.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>

#include "common/input_error.hpp"

namespace stacksim::live::probe {

std::int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::int64_t now_ns() {
  return clock_ns(CLOCK_MONOTONIC);
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

namespace {

// One reader process pinned to `cpu`, blocked in read on its pipe. Each
// reply: how long the message waited, and the reader's CPU since the last
// message arrived (its reply, its sleep, this wake-up).
struct Reader {
  pid_t pid = -1;
  int to_reader = -1;  // the writer's end of each pipe
  int from_reader = -1;
};

Reader start_reader(int cpu, const std::vector<Reader>& others) {
  int to[2], from[2];
  if (pipe(to) != 0 || pipe(from) != 0)
    throw std::runtime_error(std::string("host probe: pipe: ") + std::strerror(errno));
  const pid_t child = fork();
  if (child < 0) throw std::runtime_error(std::string("host probe: fork: ") + std::strerror(errno));
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(to[1]);  // else the reader never sees the end of its input
    close(from[0]);
    for (const Reader& o : others) {  // nor would the others see theirs
      close(o.to_reader);
      close(o.from_reader);
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) _exit(3);
    std::int64_t sent = 0, cpu_last = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    while (read(to[0], &sent, sizeof sent) == static_cast<ssize_t>(sizeof sent)) {
      const std::int64_t cpu_now = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
      const std::int64_t reply[2] = {now_ns() - sent, cpu_now - cpu_last};
      cpu_last = cpu_now;
      if (write(from[1], reply, sizeof reply) != static_cast<ssize_t>(sizeof reply)) _exit(4);
    }
    _exit(0);
  }
  close(to[0]);
  close(from[1]);
  return Reader{child, to[1], from[0]};
}

// Closes every reader's input and waits for it; false if one failed.
bool stop_readers(std::vector<Reader>& readers) {
  bool ok = true;
  for (Reader& r : readers) {
    close(r.to_reader);
    close(r.from_reader);
    int status = 0;
    waitpid(r.pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return ok;
}

}  // namespace

std::vector<PingPong> ping_pong_alternating(int writer_cpu, const std::vector<int>& reader_cpus,
                                            std::int64_t gap_ns, int rounds) {
  std::vector<Reader> readers;
  std::vector<PingPong> out(reader_cpus.size());
  bool ok = true;
  try {
    for (int cpu : reader_cpus) readers.push_back(start_reader(cpu, readers));
    pin(writer_cpu);
  } catch (...) {
    stop_readers(readers);
    throw;
  }
  std::int64_t cpu_last = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  for (int i = 0; ok && i < rounds; ++i) {
    for (std::size_t k = 0; ok && k < readers.size(); ++k) {
      sleep_ns(gap_ns);
      const std::int64_t t = now_ns();
      std::int64_t reply[2] = {0, 0};
      ok = write(readers[k].to_reader, &t, sizeof t) == static_cast<ssize_t>(sizeof t) &&
           read(readers[k].from_reader, reply, sizeof reply) == static_cast<ssize_t>(sizeof reply);
      const std::int64_t cpu_now = clock_ns(CLOCK_THREAD_CPUTIME_ID);
      if (ok && i > 0) {  // the first round warms up
        out[k].latency_us.push_back(static_cast<double>(reply[0]) / 1e3);
        // The writer's sleep, its wake-up, its write and its wait, and the
        // reader's last reply, its sleep and this wake-up.
        out[k].cpu_us.push_back(static_cast<double>(cpu_now - cpu_last + reply[1]) / 1e3);
      }
      cpu_last = cpu_now;
    }
  }
  if (!stop_readers(readers) || !ok) {
    std::string cpus;
    for (int c : reader_cpus) cpus += " " + std::to_string(c);
    throw InputError("host probe: the wake-up ping-pong from CPU " + std::to_string(writer_cpu) +
                     " to CPU" + cpus + " failed (a reader could not be pinned or the pipe broke)");
  }
  return out;
}

std::vector<double> ping_pong(int writer_cpu, int reader_cpu, std::int64_t gap_ns, int rounds) {
  return ping_pong_alternating(writer_cpu, {reader_cpu}, gap_ns, rounds).front().latency_us;
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
