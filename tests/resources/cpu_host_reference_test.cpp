// CpuHost against a brute-force reference. The reference is the textbook
// fluid model, O(n) per step: every burst in service has its remaining work
// reduced by rate x dt, rate = min(1, cores / n), advancing from one
// arrival or completion to the next. The host's virtual-clock version
// (O(log n), with early-firing events that re-arm) must finish every burst
// at the same time, up to its rounding of completions to whole ns.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <vector>

#include "sim/engine/distribution.hpp"
#include "sim/engine/event.hpp"
#include "sim/engine/rng.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/resources/cpu_host.hpp"

namespace stacksim {
namespace {

struct Arrival {
  SimTime at_ns;
  int process;
  double work_ns;
};

std::vector<Arrival> workload(int processes, int count, double mean_gap_ns, double mean_work_ns,
                              std::uint64_t seed) {
  Rng rng(seed, "cpu_host_reference", 0);
  const Distribution gap = Distribution::exponential(mean_gap_ns);
  const Distribution work(Shape::kGamma, mean_work_ns, 1.5);
  std::vector<Arrival> out;
  double t = 0;
  for (int i = 0; i < count; ++i) {
    t += gap.sample(rng);
    out.push_back(Arrival{static_cast<SimTime>(std::llround(t)),
                          static_cast<int>(rng.uniform_index(processes)),
                          std::round(work.sample(rng))});
  }
  return out;
}

// The fluid model by brute force. Process `multi` (if >= 0) runs all its
// bursts at once; the others one at a time, FIFO.
std::vector<double> reference(const std::vector<Arrival>& arrivals, int processes, int cores,
                              int multi) {
  std::vector<double> done_at(arrivals.size(), -1);
  std::vector<std::deque<int>> queue(processes);  // burst ids, head in service
  std::vector<int> multi_running;
  std::vector<double> remaining(arrivals.size());
  for (std::size_t i = 0; i < arrivals.size(); ++i) remaining[i] = arrivals[i].work_ns;
  auto in_service = [&] {
    std::vector<int> s = multi_running;
    for (int p = 0; p < processes; ++p)
      if (p != multi && !queue[p].empty()) s.push_back(queue[p].front());
    return s;
  };
  double t = 0;
  std::size_t next = 0;
  for (;;) {
    const std::vector<int> s = in_service();
    if (s.empty() && next == arrivals.size()) break;
    const double rate =
        s.size() <= static_cast<std::size_t>(cores) ? 1.0 : cores / static_cast<double>(s.size());
    double min_rem = std::numeric_limits<double>::infinity();
    for (int b : s) min_rem = std::min(min_rem, remaining[b]);
    const double t_done = s.empty() ? min_rem : t + min_rem / rate;
    const double t_arr = next < arrivals.size() ? static_cast<double>(arrivals[next].at_ns)
                                                : std::numeric_limits<double>::infinity();
    const double t_next = std::min(t_done, t_arr);
    for (int b : s) remaining[b] -= rate * (t_next - t);
    t = t_next;
    if (t_done <= t_arr) {  // completions first, then any arrival at the same instant
      for (int b : s) {
        if (remaining[b] > 1e-6) continue;
        done_at[b] = t;
        const int p = arrivals[b].process;
        if (p == multi) {
          multi_running.erase(std::find(multi_running.begin(), multi_running.end(), b));
        } else {
          queue[p].pop_front();
        }
      }
    } else {
      const Arrival& a = arrivals[next];
      if (a.process == multi) {
        multi_running.push_back(static_cast<int>(next));
      } else {
        queue[a.process].push_back(static_cast<int>(next));
      }
      ++next;
    }
  }
  return done_at;
}

class Driver final : public EventHandler {
 public:
  Driver(Simulator& sim, CpuHost& host, const std::vector<Arrival>& arrivals,
         const std::vector<ProcessId>& procs)
      : sim_(sim),
        host_(host),
        arrivals_(arrivals),
        procs_(procs),
        done_(*this),
        done_at(arrivals.size(), -1) {
    for (std::size_t i = 0; i < arrivals.size(); ++i) sim.schedule_at(arrivals[i].at_ns, *this, i);
  }
  void on_event(std::uint64_t i) override {
    host_.submit(procs_[arrivals_[i].process], static_cast<SimTime>(arrivals_[i].work_ns),
                 Continuation{&done_, i});
  }

 private:
  struct Done final : EventHandler {
    explicit Done(Driver& d) : driver(d) {}
    void on_event(std::uint64_t i) override {
      driver.done_at[i] = static_cast<double>(driver.sim_.now());
    }
    Driver& driver;
  };
  Simulator& sim_;
  CpuHost& host_;
  const std::vector<Arrival>& arrivals_;
  const std::vector<ProcessId>& procs_;
  Done done_;

 public:
  std::vector<double> done_at;
};

void compare(int processes, int cores, int multi, double mean_gap_ns, std::uint64_t seed) {
  const auto arrivals = workload(processes, 3000, mean_gap_ns, 1e6, seed);
  const auto want = reference(arrivals, processes, cores, multi);
  Simulator sim;
  CpuHost host(sim, cores);
  std::vector<ProcessId> procs;
  for (int p = 0; p < processes; ++p) procs.push_back(host.add_process("p", p == multi));
  Driver driver(sim, host, arrivals, procs);
  sim.run();
  double worst = 0;
  for (std::size_t i = 0; i < arrivals.size(); ++i) {
    ASSERT_GE(driver.done_at[i], 0) << "burst " << i << " never completed";
    worst = std::max(worst, std::abs(driver.done_at[i] - want[i]));
  }
  // Each completion may be rounded up by < 1 ns, and that delay carries
  // into the bursts sharing the processor with it for the rest of the busy
  // period (seen here: 75 to 230 ns worst over 3000 bursts). Allow 1 us; a
  // wrong share or a lost re-arm is off by a sizeable part of a 1 ms burst.
  EXPECT_LT(worst, 1000.0) << "worst completion-time difference, ns";
}

TEST(CpuHostReference, OneCoreSingleThreadedProcessesMatchTheBruteForceFluidModel) {
  // 5 processes, 1 core, load ~0.9 (gap 1.1 ms, work 1 ms): long busy
  // periods with every arrival changing the shares.
  compare(5, 1, -1, 1.1e6, 1);
}

TEST(CpuHostReference, TwoCoresWithAMultiThreadedProcessMatchTheBruteForceFluidModel) {
  // 8 processes of which #0 is multi-threaded, 2 cores, load ~0.95 per
  // core: n crosses the core count back and forth.
  compare(8, 2, 0, 0.53e6, 2);
}

TEST(CpuHostReference, OverloadedSixCoresMatchTheBruteForceFluidModel) {
  // 30 processes (one multi-threaded) on 6 cores, arrivals faster than
  // service (load ~1.5): the backlog grows, rates fall and every arrival
  // pushes the head's completion later (the early-fire-and-re-arm path).
  compare(30, 6, 3, 0.11e6, 3);
}

}  // namespace
}  // namespace stacksim
