// CpuHost: egalitarian processor sharing with a virtual clock. Each test
// lays the timeline out first, then checks the recorded completion times
// (integer ns, so exact up to the host's 1 ns rounding of completions).
#include "sim/resources/cpu_host.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sim/engine/distribution.hpp"
#include "sim/engine/event.hpp"
#include "sim/engine/rng.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/metrics/replication_stats.hpp"

namespace stacksim {
namespace {

constexpr SimTime kMs = kNsPerMs;

// Records when each burst (named by arg) completes.
class Done final : public EventHandler {
 public:
  explicit Done(Simulator& sim) : sim_(sim) {}
  void on_event(std::uint64_t arg) override {
    if (at.size() <= arg) at.resize(arg + 1, -1);
    at[arg] = sim_.now();
    order.push_back(arg);
  }
  Continuation k(std::uint64_t arg) { return Continuation{this, arg}; }
  std::vector<SimTime> at;
  std::vector<std::uint64_t> order;  // the args in completion order

 private:
  Simulator& sim_;
};

// Submits a burst when its event fires: arg indexes `plan`.
class Submitter final : public EventHandler {
 public:
  struct Item {
    ProcessId p;
    SimTime work_ns;
    std::uint64_t tag;
  };
  Submitter(CpuHost& host, Done& done) : host_(host), done_(done) {}
  void on_event(std::uint64_t i) override {
    host_.submit(plan[i].p, plan[i].work_ns, done_.k(plan[i].tag));
  }
  // Returns the index to schedule the submission with.
  std::uint64_t add(ProcessId p, SimTime work_ns, std::uint64_t tag) {
    plan.push_back(Item{p, work_ns, tag});
    return plan.size() - 1;
  }
  std::vector<Item> plan;

 private:
  CpuHost& host_;
  Done& done_;
};

// Completion can be rounded up by at most 1 ns per rate change.
void expect_at(SimTime got, SimTime want) {
  EXPECT_NEAR(got, want, 2) << "want " << want;
}

TEST(CpuHost, TwoProcessesOnOneCoreShareItEqually) {
  // t=0 A submits 10 ms on a 1-core host; t=5 B submits 10 ms: from t=5
  // both run at rate 1/2. A has 5 ms left: ends at t=15; B then has 5 ms
  // left at rate 1: ends at t=20. Busy processors: 20 ms x 1.
  Simulator sim;
  CpuHost host(sim, 1);
  const ProcessId a = host.add_process("a"), b = host.add_process("b");
  Done done(sim);
  Submitter sub(host, done);
  sim.schedule_at(0, sub, sub.add(a, 10 * kMs, 0));
  sim.schedule_at(5 * kMs, sub, sub.add(b, 10 * kMs, 1));
  sim.run();
  expect_at(done.at[0], 15 * kMs);
  expect_at(done.at[1], 20 * kMs);
  EXPECT_NEAR(host.busy_processor_ns(), 20.0 * kMs, 4);
  EXPECT_EQ(host.cpu_ns(a), 10 * kMs);
  EXPECT_EQ(host.cpu_ns(b), 10 * kMs);
}

TEST(CpuHost, ThreeProcessesOnTwoCoresRunAtTwoThirds) {
  // 2 cores; t=0 A 10 ms, B 20 ms, C 30 ms. Three runnable: rate 2/3 each.
  // A ends when it has had 10 ms: t = 15 (B and C have 10 ms each).
  // Two runnable: rate 1. B has 10 left: ends t = 25; C has 20 left, 10
  // of them by t = 25, then alone (rate 1, one core idle): ends t = 35.
  // Busy processors: 2 x 15 + 2 x 10 + 1 x 10 = 60 ms = the total work.
  Simulator sim;
  CpuHost host(sim, 2);
  Done done(sim);
  const ProcessId a = host.add_process("a"), b = host.add_process("b"), c = host.add_process("c");
  host.submit(a, 10 * kMs, done.k(0));
  host.submit(b, 20 * kMs, done.k(1));
  host.submit(c, 30 * kMs, done.k(2));
  sim.run();
  expect_at(done.at[0], 15 * kMs);
  expect_at(done.at[1], 25 * kMs);
  expect_at(done.at[2], 35 * kMs);
  EXPECT_NEAR(host.busy_processor_ns(), 60.0 * kMs, 6);
}

TEST(CpuHost, SingleThreadedProcessRunsItsBurstsOneAtATimeInFifoOrder) {
  // 2 cores, one single-threaded process; t=0 it gets bursts of 5, 3 and
  // 4 ms: they run back to back on one core (the other stays idle), in
  // submission order: ends at 5, 8, 12 ms. Busy: 12 ms (one processor).
  Simulator sim;
  CpuHost host(sim, 2);
  Done done(sim);
  const ProcessId p = host.add_process("worker");
  host.submit(p, 5 * kMs, done.k(0));
  host.submit(p, 3 * kMs, done.k(1));
  host.submit(p, 4 * kMs, done.k(2));
  EXPECT_EQ(host.backlog(p), 3u);
  EXPECT_EQ(host.in_service(), 1u);
  sim.run();
  expect_at(done.at[0], 5 * kMs);
  expect_at(done.at[1], 8 * kMs);
  expect_at(done.at[2], 12 * kMs);
  EXPECT_NEAR(host.busy_processor_ns(), 12.0 * kMs, 6);
  EXPECT_EQ(host.backlog(p), 0u);
}

TEST(CpuHost, AFinishedBurstsSuccessorAndBurstsFinishingTogetherKeepTheSharesAndOrder) {
  // 2 cores, single-threaded A (10, then 5 ms), B (10, then 20), C (4,
  // then 9); all submitted at t=0 (tags A 0 1, B 2 3, C 4 5). Three
  // runnable: rate 2/3. C's 4 ms end at t=6, alone, and its 9 ms take their
  // place (V=4, A and B have 6 left; C's 9 finish after theirs). A and B end
  // together at t = 6 + 6 x 3/2 = 15 and both start their next: A 5, B 20,
  // C 3 left, rate 2/3. C ends at t = 15 + 3 x 3/2 = 19.5; A (2 left) and B
  // at rate 1: A ends 21.5, B alone 15 ms later, 36.5. Busy processors:
  // 2 x 21.5 + 15 = 58 ms = the total work.
  Simulator sim;
  CpuHost host(sim, 2);
  Done done(sim);
  const ProcessId a = host.add_process("a"), b = host.add_process("b"), c = host.add_process("c");
  host.submit(a, 10 * kMs, done.k(0));
  host.submit(a, 5 * kMs, done.k(1));
  host.submit(b, 10 * kMs, done.k(2));
  host.submit(b, 20 * kMs, done.k(3));
  host.submit(c, 4 * kMs, done.k(4));
  host.submit(c, 9 * kMs, done.k(5));
  sim.run();
  expect_at(done.at[4], 6 * kMs);
  expect_at(done.at[0], 15 * kMs);
  EXPECT_EQ(done.at[0], done.at[2]);  // one instant: both completed by one event
  expect_at(done.at[5], 19 * kMs + kMs / 2);
  expect_at(done.at[1], 21 * kMs + kMs / 2);
  expect_at(done.at[3], 36 * kMs + kMs / 2);
  EXPECT_EQ(done.order, (std::vector<std::uint64_t>{4, 0, 2, 5, 1, 3}));
  EXPECT_NEAR(host.busy_processor_ns(), 58.0 * kMs, 8);
  EXPECT_EQ(host.cpu_ns(a), 15 * kMs);
  EXPECT_EQ(host.cpu_ns(c), 13 * kMs);
}

TEST(CpuHost, MultiThreadedProcessRunsItsBurstsInParallel) {
  // 2 cores, the kernel's softirq "process": t=0 three 6 ms bursts all in
  // service at rate 2/3: all end at 9 ms. Busy: 2 x 9 = 18 ms.
  Simulator sim;
  CpuHost host(sim, 2);
  Done done(sim);
  const ProcessId k = host.add_process("softirq", /*multi_threaded=*/true);
  for (std::uint64_t i = 0; i < 3; ++i) host.submit(k, 6 * kMs, done.k(i));
  EXPECT_EQ(host.in_service(), 3u);
  sim.run();
  for (int i = 0; i < 3; ++i) expect_at(done.at[i], 9 * kMs);
  EXPECT_NEAR(host.busy_processor_ns(), 18.0 * kMs, 6);
  EXPECT_EQ(host.cpu_ns(k), 18 * kMs);
}

TEST(CpuHost, ContextSwitchIsChargedOncePerWakeUp) {
  // 1 core, context switch 1 ms. t=0 P submits 5 ms (wake-up: 6 ms of
  // work) and another 5 ms (queued behind, P is awake: 5 ms): ends at 6
  // and 11. At t=20 P, idle since 11, submits 5 ms: a new wake-up, ends at
  // 26. P's CPU: 6 + 5 + 6 = 17 ms.
  Simulator sim;
  CpuHost host(sim, 1, 1 * kMs);
  Done done(sim);
  const ProcessId p = host.add_process("p");
  Submitter sub(host, done);
  sim.schedule_at(0, sub, sub.add(p, 5 * kMs, 0));
  sim.schedule_at(0, sub, sub.add(p, 5 * kMs, 1));
  sim.schedule_at(20 * kMs, sub, sub.add(p, 5 * kMs, 2));
  sim.run();
  expect_at(done.at[0], 6 * kMs);
  expect_at(done.at[1], 11 * kMs);
  expect_at(done.at[2], 26 * kMs);
  EXPECT_EQ(host.cpu_ns(p), 17 * kMs);
}

TEST(CpuHost, CallbackSubmittingNewWorkKeepsTheSharesRight) {
  // 1 core. t=0 A 4 ms and B 8 ms (rate 1/2): A ends at 8 (B has 4 left).
  // A's completion callback submits C 2 ms on process c at once: B (4 ms
  // left) and C share at 1/2, so C ends at 12; B has 2 left, runs alone
  // and ends at 14.
  struct Chain final : EventHandler {
    CpuHost* host;
    ProcessId c;
    Done* done;
    void on_event(std::uint64_t) override {
      done->on_event(0);
      host->submit(c, 2 * kMs, done->k(2));
    }
  };
  Simulator sim;
  CpuHost host(sim, 1);
  Done done(sim);
  Chain chain;
  chain.host = &host;
  chain.c = host.add_process("c");
  chain.done = &done;
  const ProcessId a = host.add_process("a"), b = host.add_process("b");
  host.submit(a, 4 * kMs, Continuation{&chain, 0});
  host.submit(b, 8 * kMs, done.k(1));
  sim.run();
  expect_at(done.at[0], 8 * kMs);
  expect_at(done.at[2], 12 * kMs);
  expect_at(done.at[1], 14 * kMs);
}

// Open loop M/M/1 under PS: Poisson arrivals at rate lambda, exponential
// work S, one core. E[T] = S / (1 - rho), rho = lambda S (the same as FCFS;
// under PS it holds for any work distribution, so a deterministic S gives
// it too).
class PoissonSource final : public EventHandler {
 public:
  PoissonSource(Simulator& sim, CpuHost& host, ProcessId p, double mean_gap_ns, Distribution work,
                std::uint64_t rep, std::int64_t jobs)
      : sim_(sim),
        host_(host),
        p_(p),
        gap_(Distribution::exponential(mean_gap_ns)),
        work_(work),
        arrivals_(5, "arrivals", rep),
        service_(5, "work", rep),
        jobs_(jobs),
        done_(*this) {}
  void on_event(std::uint64_t) override {
    if (next_ >= jobs_) return;
    start_.push_back(sim_.now());
    host_.submit(p_, static_cast<SimTime>(std::llround(work_.sample(service_))),
                 Continuation{&done_, static_cast<std::uint64_t>(next_++)});
    sim_.schedule_in(static_cast<SimTime>(std::llround(gap_.sample(arrivals_))), *this);
  }
  // Mean response time, skipping the first tenth as warm-up.
  double mean_response_ns() const {
    double sum = 0;
    std::size_t n = 0;
    for (std::size_t i = end_.size() / 10; i < end_.size(); ++i, ++n) sum += end_[i] - start_[i];
    return sum / static_cast<double>(n);
  }

 private:
  struct Finish final : EventHandler {
    explicit Finish(PoissonSource& s) : src(s) {}
    void on_event(std::uint64_t i) override {
      if (src.end_.size() <= i) src.end_.resize(i + 1);
      src.end_[i] = src.sim_.now();
    }
    PoissonSource& src;
  };
  Simulator& sim_;
  CpuHost& host_;
  ProcessId p_;
  Distribution gap_, work_;
  Rng arrivals_, service_;
  std::int64_t jobs_, next_ = 0;
  std::vector<SimTime> start_, end_;
  Finish done_;
};

double mm1_ps_mean_response_ms(const Distribution& work, std::uint64_t rep) {
  Simulator sim;
  CpuHost host(sim, 1);
  const ProcessId p = host.add_process("jobs", /*multi_threaded=*/true);
  PoissonSource src(sim, host, p, 2.0 * kMs, work, rep, 100'000);  // lambda = 0.5/ms
  sim.schedule_at(0, src);
  sim.run();
  return src.mean_response_ns() / kMs;
}

TEST(CpuHost, OpenMM1UnderPsHasMeanResponseSOverOneMinusRho) {
  // S = 1 ms, lambda = 0.5/ms: rho = 0.5, E[T] = 1 / (1 - 0.5) = 2 ms. Ten
  // replications of 100,000 jobs; the exact value must lie within two
  // half-widths of the 95% interval (~99.9%: a bias of a few percent fails).
  for (const Distribution& work :
       {Distribution::exponential(1.0 * kMs), Distribution::deterministic(1.0 * kMs)}) {
    ReplicationStats stats;
    for (std::uint64_t rep = 0; rep < 10; ++rep) stats.add(mm1_ps_mean_response_ms(work, rep));
    SCOPED_TRACE(std::string(to_string(work.shape())));
    EXPECT_NEAR(stats.mean(), 2.0, 2 * stats.ci95_half_width())
        << "half-width " << stats.ci95_half_width();
    EXPECT_LT(stats.ci95_half_width(), 0.05);  // the check has teeth
  }
}

// Load dependence. The host's busy share u is smoothed exponentially with
// time constant tau: with b cores busy from t0, u(t) = b/c + (u(t0) - b/c)
// exp(-(t - t0) / tau). Work submitted is stretched by 1 + k (1 - u).
TEST(CpuHostIdleInflation, AnIdleHostStretchesWorkByOnePlusK) {
  Simulator sim;
  CpuHost host(sim, 2);
  const ProcessId p = host.add_process("app");
  host.set_idle_inflation(p, 0.5);
  Done done(sim);
  // At t = 0 the host has never been busy: idle share 1, stretch 1.5.
  EXPECT_DOUBLE_EQ(host.idle_share(), 1.0);
  const SimTime work = host.stretch(p, 2 * kMs);
  EXPECT_EQ(work, 3 * kMs);
  host.submit(p, work, done.k(0));
  sim.run();
  EXPECT_EQ(done.at[0], 3 * kMs);
  EXPECT_EQ(host.cpu_ns(p), 3 * kMs);  // the stretch is CPU the process spent
}

TEST(CpuHostIdleInflation, SmoothedBusyShareFollowsTheExponentialExactly) {
  Simulator sim;
  CpuHost host(sim, 2);
  host.set_idle_window(4 * kMs);
  const ProcessId a = host.add_process("a");
  const ProcessId b = host.add_process("b");
  host.set_idle_inflation(a, 1.0);  // turns the tracking on
  Done done(sim);
  // Without inflation on b its work is exact: one core busy for [0, 10 ms).
  host.submit(b, 10 * kMs, done.k(0));
  sim.run_until(6 * kMs);
  // One of two cores busy for 6 ms from u = 0: u = 0.5 (1 - e^{-6/4}).
  EXPECT_NEAR(host.idle_share(), 1.0 - 0.5 * (1.0 - std::exp(-1.5)), 1e-12);
  sim.run();
  // Then idle from 10 ms to 30 ms: u decays from u(10) by e^{-20/4}.
  const double u10 = 0.5 * (1.0 - std::exp(-2.5));
  sim.run_until(30 * kMs);
  EXPECT_NEAR(host.idle_share(), 1.0 - u10 * std::exp(-5.0), 1e-12);
  // The stretch at 30 ms uses that idle share.
  const double idle = host.idle_share();
  EXPECT_EQ(host.stretch(a, 1 * kMs), static_cast<SimTime>(std::llround(1e6 * (1.0 + idle))));
}

TEST(CpuHostIdleInflation, ASaturatedHostDoesNotStretchAndKernelWorkHasItsOwnK) {
  Simulator sim;
  CpuHost host(sim, 1);
  host.set_idle_window(1 * kMs);
  const ProcessId busy = host.add_process("busy");
  const ProcessId p = host.add_process("app");
  host.set_idle_inflation(p, 2.0);
  host.set_kernel_idle_inflation(3.0);
  Done done(sim);
  host.submit(busy, 1000 * kMs, done.k(0));  // the core is busy for a second
  sim.run_until(100 * kMs);                  // 100 time constants: u = 1 - e^-100
  EXPECT_LT(host.idle_share(), 1e-40);
  EXPECT_EQ(host.stretch(p, 1 * kMs), 1 * kMs);  // nothing stretched
  EXPECT_EQ(host.stretch_kernel(1 * kMs), 1 * kMs);
  // Idle again: the kernel part is stretched by its own k.
  Simulator sim2;
  CpuHost idle_host(sim2, 1);
  const ProcessId q = idle_host.add_process("app");
  idle_host.set_kernel_idle_inflation(3.0);  // the process's own k stays 0
  Done done2(sim2);
  EXPECT_EQ(idle_host.stretch(q, 1 * kMs), 1 * kMs);
  EXPECT_EQ(idle_host.stretch_kernel(1 * kMs), 4 * kMs);
  idle_host.submit(q, 1 * kMs, done2.k(0), idle_host.stretch_kernel(1 * kMs));
  sim2.run();
  EXPECT_EQ(idle_host.kernel_cpu_ns(), 4 * kMs);
  EXPECT_EQ(idle_host.cpu_ns(q), 1 * kMs);
}

// Background cores take capacity: with b = 0.5 of 2 cores, one burst runs
// at full speed, two share 1.5 cores (0.75 each), and the busy integral
// counts b all the time.
TEST(CpuHostBackground, BurstsShareTheCoresTheBackgroundLeaves) {
  Simulator sim;
  CpuHost host(sim, 2);
  host.set_background_cores(0.5);
  const ProcessId a = host.add_process("a");
  const ProcessId b = host.add_process("b");
  Done done(sim);
  host.submit(a, 3 * kMs, done.k(0));
  sim.run();
  EXPECT_EQ(done.at[0], 3 * kMs);
  host.submit(a, 3 * kMs, done.k(1));
  host.submit(b, 3 * kMs, done.k(2));
  sim.run();
  EXPECT_EQ(done.at[1], 3 * kMs + 4 * kMs);  // 3 ms of work at 0.75
  EXPECT_EQ(done.at[2], 3 * kMs + 4 * kMs);
  // busy: 3 ms x (1 + 0.5) + 4 ms x (1.5 + 0.5) processor-ms
  EXPECT_NEAR(host.busy_processor_ns(), 4.5e6 + 8e6, 1.0);
  EXPECT_THROW(host.set_background_cores(2.0), std::invalid_argument);
}

// Wake-up latency L: a burst given to an idle process starts L later and
// uses no core meanwhile; a burst given to a process already busy (or
// waking) queues behind without a second latency. L = 1 ms, A: 2 ms at t =
// 0 (runs 1-3), 2 ms more at t = 0.5 (queued: 3-5); B: 2 ms at t = 0.5
// (runs 1.5-3.5, sharing nothing on 2 cores). Busy: 6 ms of work.
TEST(CpuHostWakeUp, AnIdleProcessStartsAfterTheLatencyAndItsNextBurstsQueue) {
  Simulator sim;
  CpuHost host(sim, 2);
  host.set_wakeup_latency(1 * kMs);
  const ProcessId a = host.add_process("a"), b = host.add_process("b");
  Done done(sim);
  Submitter sub(host, done);
  sim.schedule_at(0, sub, sub.add(a, 2 * kMs, 0));
  sim.schedule_at(kMs / 2, sub, sub.add(a, 2 * kMs, 1));
  sim.schedule_at(kMs / 2, sub, sub.add(b, 2 * kMs, 2));
  sim.run();
  expect_at(done.at[0], 3 * kMs);
  expect_at(done.at[1], 5 * kMs);
  expect_at(done.at[2], 3 * kMs + kMs / 2);
  EXPECT_NEAR(host.busy_processor_ns(), 6.0 * kMs, 4);
  EXPECT_EQ(host.cpu_ns(a), 4 * kMs);
  EXPECT_THROW(host.set_wakeup_latency(-1), std::invalid_argument);
}

// Speed: a host twice as fast runs every demand (own work, kernel work,
// the context switch of a wake-up) in half the time and accounts that half.
// Two processes on one core at speed 2: 4 ms + 1 ms switch each, shared,
// both done at (2 * 5 ms) / 2 = 5 ms; the kernel work of the first burst
// (2 ms at speed 1) adds 1 ms to it.
TEST(CpuHostSpeed, AFasterHostRunsEveryDemandInLessTime) {
  Simulator sim;
  CpuHost host(sim, 1, 1 * kMs);
  host.set_speed(2.0);
  const ProcessId a = host.add_process("a"), b = host.add_process("b");
  Done done(sim);
  host.submit(a, 4 * kMs, done.k(0), 2 * kMs);
  host.submit(b, 4 * kMs, done.k(1));
  sim.run();
  expect_at(done.at[1], 5 * kMs);
  expect_at(done.at[0], 6 * kMs);
  EXPECT_EQ(host.cpu_ns(a), 5 * kMs / 2);
  EXPECT_EQ(host.busy_ns(a), 7 * kMs / 2);
  EXPECT_EQ(host.kernel_cpu_ns(), 1 * kMs);
  EXPECT_NEAR(host.busy_processor_ns(), 6.0 * kMs, 4);
  for (const double bad : {0.0, -1.0, std::nan("")})
    EXPECT_THROW(host.set_speed(bad), std::invalid_argument) << bad;
}

// Which wake-ups pay the latency (1 ms here). A burst whose completion
// submits another (a Submitter as its continuation) is a waker.
// - Hand-off: a's burst (woken by a timer: 1 ms latency, done at 3) wakes b
//   and a has nothing left: b takes its core at once, done at 5.
// - The waker goes on: a has a second burst queued, so b needs the idle
//   core: it starts at 4, done at 6; a's second burst is done at 5.
// - Going on itself: a's completion gives a its next burst: no wake-up
//   latency, done at 3 + 2 = 5.
// - Every core taken: on 1 core, c runs from 1 ms (its own latency); b,
//   given 1 ms at t = 2, shares the core at once: done at 4, c at 12.
// A host with a 1 ms wake-up latency, its completions recorded.
struct LatencyHost {
  explicit LatencyHost(int cores) : host(sim, cores), done(sim), sub(host, done) {
    host.set_wakeup_latency(1 * kMs);
  }
  Simulator sim;
  CpuHost host;
  Done done;
  Submitter sub;
};

TEST(CpuHostWakeUp, OnlyAWakeUpThatNeedsAnIdleCorePaysTheLatency) {
  {
    SCOPED_TRACE("hand-off");
    LatencyHost h(2);
    const ProcessId a = h.host.add_process("a"), b = h.host.add_process("b");
    h.host.submit(a, 2 * kMs, Continuation{&h.sub, h.sub.add(b, 2 * kMs, 1)});
    h.sim.run();
    expect_at(h.done.at[1], 5 * kMs);
  }
  {
    SCOPED_TRACE("the waker goes on");
    LatencyHost h(2);
    const ProcessId a = h.host.add_process("a"), b = h.host.add_process("b");
    h.host.submit(a, 2 * kMs, Continuation{&h.sub, h.sub.add(b, 2 * kMs, 1)});
    h.host.submit(a, 2 * kMs, h.done.k(2));
    h.sim.run();
    expect_at(h.done.at[1], 6 * kMs);
    expect_at(h.done.at[2], 5 * kMs);
  }
  {
    SCOPED_TRACE("going on itself");
    LatencyHost h(2);
    const ProcessId a = h.host.add_process("a");
    h.host.submit(a, 2 * kMs, Continuation{&h.sub, h.sub.add(a, 2 * kMs, 1)});
    h.sim.run();
    expect_at(h.done.at[1], 5 * kMs);
  }
  {
    SCOPED_TRACE("every core taken");
    LatencyHost h(1);
    const ProcessId b = h.host.add_process("b"), c = h.host.add_process("c");
    h.host.submit(c, 10 * kMs, h.done.k(0));
    h.sim.schedule_at(2 * kMs, h.sub, h.sub.add(b, 1 * kMs, 1));
    h.sim.run();
    expect_at(h.done.at[1], 4 * kMs);
    expect_at(h.done.at[0], 12 * kMs);
  }
}

// Imbalance: n runnable threads on c cores keep min(n, c) - beta * loss(n)
// cores busy, loss(n) = min(n, c) - c (1 - (1 - 1/c)^n), the cores a random
// placement leaves empty. On 2 cores, 2 threads: loss = 2 - 2 (1 - 1/4) =
// 0.5, so with beta = 1 they share 1.5 cores (0.75 each), with beta = 0.5,
// 1.75 cores; one thread alone always has a whole core.
TEST(CpuHostImbalance, TwoThreadsOnTwoCoresLoseWhatRandomPlacementLeavesEmpty) {
  for (const double beta : {1.0, 0.5}) {
    Simulator sim;
    CpuHost host(sim, 2);
    host.set_imbalance(beta);
    const ProcessId a = host.add_process("a"), b = host.add_process("b");
    Done done(sim);
    host.submit(a, 3 * kMs, done.k(0));
    sim.run();
    EXPECT_EQ(done.at[0], 3 * kMs) << "a thread alone loses nothing";
    const double busy = 2.0 - beta * 0.5;
    host.submit(a, 3 * kMs, done.k(1));
    host.submit(b, 3 * kMs, done.k(2));
    sim.run();
    const auto want = 3 * kMs + static_cast<SimTime>(std::llround(3e6 / (busy / 2)));
    expect_at(done.at[1], want);
    expect_at(done.at[2], want);
    EXPECT_NEAR(host.busy_processor_ns(), 3e6 + 6e6, 4.0) << "busy time is the work, not the wait";
  }
}

// The loss against the closed form, for several core counts and n; it
// vanishes for many threads (a saturated host stays saturated), and beta =
// 0 is the shared queue exactly.
TEST(CpuHostImbalance, BusyCoresFollowTheBallsInBinsOccupancy) {
  Simulator sim;
  for (const int cores : {1, 2, 4, 16}) {
    CpuHost host(sim, cores);
    EXPECT_EQ(host.busy_cores(3), std::min(3.0, static_cast<double>(cores)));
    host.set_imbalance(1.0);
    for (const std::size_t n : {0u, 1u, 2u, 3u, 5u, 17u, 64u}) {
      const double c = cores;
      const double occupied = c * (1.0 - std::pow(1.0 - 1.0 / c, static_cast<double>(n)));
      EXPECT_NEAR(host.busy_cores(n), occupied, 1e-12) << cores << " cores, n = " << n;
    }
    EXPECT_NEAR(host.busy_cores(10'000), cores, 1e-9);
  }
  CpuHost host(sim, 2);
  host.set_background_cores(0.5);
  host.set_imbalance(1.0);
  // min(2, 1.5) - 0.5 x 1.5 / 2: the placement loss scaled to the cores left.
  EXPECT_NEAR(host.busy_cores(2), 1.5 - 0.375, 1e-12);
  EXPECT_THROW(host.set_imbalance(1.5), std::invalid_argument);
  EXPECT_THROW(host.set_imbalance(-0.1), std::invalid_argument);
  EXPECT_THROW(host.set_imbalance(std::nan("")), std::invalid_argument);
}

TEST(CpuHostIdleInflation, BadSettingsAreRefused) {
  Simulator sim;
  CpuHost host(sim, 1);
  const ProcessId p = host.add_process("app");
  EXPECT_THROW(host.set_idle_inflation(p, -0.1), std::invalid_argument);
  EXPECT_THROW(host.set_kernel_idle_inflation(std::nan("")), std::invalid_argument);
  EXPECT_THROW(host.set_idle_window(0), std::invalid_argument);
}

// Random order: one process on one core, six 1 ms bursts submitted at t=0.
// Burst 0 starts at once and ends at 1 ms; then each next burst is drawn
// uniformly from those waiting, so bursts 1..5 end in a uniformly random
// permutation of the slots 2..6 ms. Over R = 2000 seeds each (burst, slot)
// cell holds R/5 = 400 on average, standard deviation sqrt(R/5 * 4/5) =
// 17.9; checked within 5 of them. Without set_random_order: FIFO, burst k
// ends at k + 1 ms.
TEST(CpuHost, RandomOrderServesTheWaitingBurstsInAUniformlyRandomOrder) {
  constexpr int kBursts = 6, kSeeds = 2000;
  std::vector<std::vector<int>> count(kBursts, std::vector<int>(kBursts + 1, 0));
  for (int seed = 0; seed <= kSeeds; ++seed) {
    Simulator sim;
    CpuHost host(sim, 1);
    Done done(sim);
    const ProcessId p = host.add_process("loop");
    const bool fifo = seed == kSeeds;  // the last run checks the default
    if (!fifo) host.set_random_order(p, Rng(static_cast<std::uint64_t>(seed), "order", 0));
    for (int b = 0; b < kBursts; ++b) host.submit(p, kMs, done.k(static_cast<std::uint64_t>(b)));
    sim.run();
    ASSERT_EQ(done.at[0], kMs);
    for (int b = 0; b < kBursts; ++b) {
      const auto slot = static_cast<std::size_t>(done.at[static_cast<std::size_t>(b)] / kMs);
      ASSERT_EQ(done.at[static_cast<std::size_t>(b)], static_cast<SimTime>(slot) * kMs);
      if (fifo)
        EXPECT_EQ(slot, static_cast<std::size_t>(b + 1));
      else
        ++count[static_cast<std::size_t>(b)][slot];
    }
  }
  for (int b = 1; b < kBursts; ++b)
    for (int slot = 2; slot <= kBursts; ++slot)
      EXPECT_NEAR(count[static_cast<std::size_t>(b)][static_cast<std::size_t>(slot)], 400, 5 * 17.9)
          << "burst " << b << " slot " << slot;
}

}  // namespace
}  // namespace stacksim
