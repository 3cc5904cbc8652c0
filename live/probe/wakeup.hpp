// The host probe's measuring tools (live/probe/host_probe.cpp): a monotonic
// clock, sleeps that are exact to the timer, pinning, and the two wake-up
// probes: a ping-pong through pipes between processes pinned to two CPUs
// (or one), with the CPU it costs, and the overshoot of a timer sleep.
#pragma once

#include <sched.h>

#include <cstdint>
#include <ctime>
#include <vector>

namespace stacksim::live::probe {

double now_s();
std::int64_t now_ns();
// Any clock_gettime clock in ns (CLOCK_MONOTONIC, a CPU-time clock, ...).
std::int64_t clock_ns(clockid_t clock);
// Sleeps ns on CLOCK_MONOTONIC (again after a signal).
void sleep_ns(std::int64_t ns);
// Pins the calling thread (or, in a forked child, process) to one CPU; an
// InputError that says why when the process may not.
void pin(int cpu);
void restore_affinity(const cpu_set_t& set);

// A ping-pong between this process (the writer, on `writer_cpu`) and a
// forked reader (on `reader_cpu`): the writer sleeps `gap_ns`, stamps the
// time and writes it; the reader, blocked in read, stamps when it runs and
// sends the difference back. Returns the differences in us (the first round
// warms up and is left out).
std::vector<double> ping_pong(int writer_cpu, int reader_cpu, std::int64_t gap_ns, int rounds);
// The same ping-pong from one writer to several readers in turn, round by
// round (so a vCPU whose speed flips slows them alike), with the CPU each
// round costs: the writer's CPU since its last round plus the reader's
// since its last message (the sleeps, the wake-ups and the syscalls,
// whatever core they ran on), in us, one sample per measured round.
struct PingPong {
  std::vector<double> latency_us;
  std::vector<double> cpu_us;
};
std::vector<PingPong> ping_pong_alternating(int writer_cpu, const std::vector<int>& reader_cpus,
                                            std::int64_t gap_ns, int rounds);
// The overshoot of a 1 ms timer sleep with 1 ns timer slack, in us: a
// thread woken by a timer on an idle core.
std::vector<double> timer_overshoot(int cpu, int rounds);

}  // namespace stacksim::live::probe
