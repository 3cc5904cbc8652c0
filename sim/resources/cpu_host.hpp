// A host's processors shared by processes: egalitarian processor sharing
// (each burst in service progresses at min(1, cores / n) with n bursts in
// service), as a fluid model with a virtual clock (SimGrid's Model/Action
// idea). V is the work any in-service burst has received since t = 0; a burst
// that enters service at V0 with w ns of work finishes when V = V0 + w, so
// bursts sit in a min-heap by that tag and an arrival or departure costs
// O(log n) rather than touching every burst.
//
// A process is single-threaded: its bursts run one at a time, FIFO, and only
// the head is in service. A "multi-threaded" process puts every burst in
// service at once (a processor-sharing station of queueing theory).
//
// A burst may carry kernel work: on loopback the network stack's softirq work
// runs on the sending process's CPU, right after its write, so it delays
// that process and uses a core, but /proc/stat counts it as softirq, not as
// the process's time. The host accounts it apart (kernel_cpu_ns).
//
// Load dependence: a process (and the kernel) may have an idle inflation k.
// stretch() gives the work a burst costs if submitted now: (1 + k * idle)
// times its demand, idle = 1 - u, u the busy share of the cores smoothed
// exponentially over idle_window (what a core that was idle pays in cold
// caches and wake-up); on a saturated host, the demand itself. The caller
// decides what is stretched (a burst's sampled demand, not the fixed extras
// it adds) and submits the result.
//
// Background CPU (timers, housekeeping: CPU spent per second whatever the
// load) is a fluid: b cores always busy, so bursts share cores - b, and the
// busy share counts b.
//
// Imbalance: one shared run queue keeps min(n, cores) cores busy with n
// runnable threads. Linux keeps a run queue per core and balances them
// now and then, so a core can sit idle while another has a queue. With
// imbalance beta in [0, 1], n runnable threads keep
//   min(n, cores) - beta * (min(n, cores) - cores * (1 - (1 - 1/cores)^n))
// cores busy: beta = 0 is the shared queue, beta = 1 places each thread on
// a core at random and never moves it (the expected number of occupied
// cores when n balls fall into `cores` bins). Every runnable thread then
// progresses at busy / n. The loss is largest for a few runnable threads
// and vanishes when n is large, which is what the live runs show: idle CPU
// next to waiting work at moderate load, a saturated host at high load.
//
// Speed: every demand is CPU time on the machine the model describes; a
// host of speed s (relative to that machine) runs each burst, its kernel
// work and its context switch in 1/s of that time, and accounts that time.
// Speed 1, the default, changes nothing.
//
// Wake-up latency: a process that had nothing to run and is given a burst
// (a wake-up) may start it only after a fixed latency, without using a
// core: the time an idle core takes to pick up a woken thread (on a virtual
// machine, a halted vCPU's own wake-up). The process counts as busy
// meanwhile, so its next bursts queue behind. A burst that follows another
// of the same process without a gap is not a wake-up. Two wake-ups pay no
// latency: a hand-off, made from the completion of a burst whose process
// then has nothing left to run (the waker sleeps and the woken thread takes
// its core, which never went idle), and a wake-up with every core taken
// (the thread joins the others in processor sharing). What pays is a
// wake-up that needs an idle core: by a timer or an arrival, or by a waker
// that keeps running.
#pragma once

#include <cmath>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "sim/engine/event.hpp"
#include "sim/engine/simulator.hpp"

namespace stacksim {

using ProcessId = std::uint32_t;

class CpuHost final : public EventHandler {
 public:
  // context_switch_ns is charged as extra work on every wake-up: a burst
  // submitted to a process that had nothing to run, or to a multi-threaded
  // process (each of whose bursts is a thread of its own waking up).
  CpuHost(Simulator& sim, int cores, SimTime context_switch_ns = 0);

  ProcessId add_process(std::string name, bool multi_threaded = false);

  // Load dependence (see the header comment). Off until some k > 0.
  void set_idle_window(SimTime window_ns);
  void set_idle_inflation(ProcessId p, double k);
  void set_kernel_idle_inflation(double k);
  // Cores always busy with background work, in [0, cores).
  void set_background_cores(double b);
  // Latency of a wake-up that needs an idle core, >= 0 (see the header comment).
  void set_wakeup_latency(SimTime latency_ns);
  // Relative speed of the cores, > 0 (see the header comment).
  void set_speed(double speed);
  double speed() const { return speed_; }
  // Share of the random-placement loss, in [0, 1] (see the header comment).
  void set_imbalance(double beta);
  double imbalance() const { return imbalance_; }
  // Cores kept busy by n runnable threads (background excluded).
  double busy_cores(std::size_t n) const;
  double background_cores() const { return background_; }
  // The smoothed idle share of the cores now, in [0, 1].
  double idle_share();
  // The process's (or the kernel's) work for a demand of work_ns submitted
  // now. Inline for the common case of no load dependence (the hot path).
  SimTime stretch(ProcessId p, SimTime work_ns) {
    const double k = processes_[p].idle_inflation;
    return k == 0 ? work_ns : stretched(work_ns, k);
  }
  SimTime stretch_kernel(SimTime kernel_ns) {
    return kernel_idle_inflation_ == 0 ? kernel_ns : stretched(kernel_ns, kernel_idle_inflation_);
  }

  // Queues work_ns of the process's own CPU plus kernel_ns of kernel work
  // on its behalf; `done` runs when both are done.
  void submit(ProcessId p, SimTime work_ns, Continuation done, SimTime kernel_ns = 0);

  int cores() const { return cores_; }
  std::size_t in_service() const { return heap_.size(); }
  std::size_t process_count() const { return processes_.size(); }
  const std::string& name(ProcessId p) const { return processes_[p].name; }
  // Bursts waiting behind the one in service (or waking), plus that one.
  std::size_t backlog(ProcessId p) const {
    return processes_[p].waiting.size() + (processes_[p].running ? 1 : 0);
  }

  // The process's own CPU in completed bursts (context switches included).
  SimTime cpu_ns(ProcessId p) const { return processes_[p].cpu_ns; }
  // How long the process was busy: its own CPU plus the kernel work it ran.
  SimTime busy_ns(ProcessId p) const { return processes_[p].cpu_ns + processes_[p].kernel_ns; }
  // Kernel work of completed bursts, all processes together.
  SimTime kernel_cpu_ns() const { return kernel_ns_; }
  // Integral over time of busy processors, busy_cores(n) + b, in processor-ns.
  double busy_processor_ns();

  void on_event(std::uint64_t arg) override;

 private:
  struct Burst {
    SimTime work_ns;
    SimTime kernel_ns;
    Continuation done;
  };
  struct Process {
    std::string name;
    bool multi_threaded = false;
    bool running = false;
    std::deque<Burst> waiting;
    SimTime cpu_ns = 0;
    SimTime kernel_ns = 0;
    double idle_inflation = 0;
  };
  // The heap holds small keys; what a burst is sits in slots_, so a sift
  // moves 16 bytes. key = seq << 24 | slot orders equal finish tags FIFO.
  struct InService {
    double finish_v;
    std::uint64_t key;
  };
  struct Slot {
    ProcessId p;
    SimTime work_ns;
    SimTime kernel_ns;
    Continuation done;
  };
  struct Later {
    bool operator()(const InService& a, const InService& b) const {
      return a.finish_v != b.finish_v ? a.finish_v > b.finish_v : a.key > b.key;
    }
  };
  static constexpr int kSlotBits = 24;
  static constexpr std::uint64_t kWakeEvent = 1;  // on_event's arg; completions use 0
  static std::uint32_t slot_of(const InService& s) {
    return static_cast<std::uint32_t>(s.key & ((1u << kSlotBits) - 1));
  }

  SimTime stretched(SimTime work_ns, double k);  // (1 + k * idle) * work_ns
  SimTime at_speed(SimTime ns) const {
    return static_cast<SimTime>(std::llround(static_cast<double>(ns) / speed_));
  }
  double capacity() const { return cores_ - background_; }
  double rate() const {
    const auto n = static_cast<double>(heap_.size());
    if (imbalance_ == 0) return n <= capacity() ? 1.0 : capacity() / n;
    return n == 0 ? 1.0 : busy_cores(heap_.size()) / n;
  }
  double placement_loss(std::size_t n) const;  // cores lost to imbalance, beta = 1
  void advance();
  void start(ProcessId p, const Burst& b);
  void reschedule();
  void complete_due();  // the completion event
  void wake_due();      // the wake-up event: start the bursts whose latency is over

  Simulator& sim_;
  int cores_;
  SimTime context_switch_ns_;  // at speed 1
  SimTime switch_cost_ns_;     // at this host's speed
  double speed_ = 1.0;
  std::vector<Process> processes_;
  std::vector<InService> heap_;  // std::push_heap / pop_heap with Later
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<Slot> completed_;
  double v_ = 0.0;
  SimTime last_ = 0;
  double busy_area_ = 0.0;
  SimTime kernel_ns_ = 0;
  std::uint64_t next_seq_ = 0;
  // Load dependence: u_ smoothed over idle_window_ns_, tracked only when on.
  bool load_dependent_ = false;
  double idle_window_ns_ = 5e6;
  double kernel_idle_inflation_ = 0;
  double u_ = 0.0;
  double background_ = 0.0;
  double imbalance_ = 0.0;
  // Wake-ups in their latency; one latency for all, so FIFO is start order.
  struct Waking {
    SimTime at;
    ProcessId p;
    Burst burst;
  };
  SimTime wakeup_latency_ns_ = 0;
  std::deque<Waking> waking_;
  bool wake_armed_ = false;
  std::vector<double> placement_loss_;  // by n, cached: min(n, c) - c (1 - (1 - 1/c)^n)
  // The completion event may be left in place when the head's completion
  // moves later (an arrival slows everyone down): it then fires early, finds
  // the head not yet due and re-arms. due_* say when the head is really due.
  EventId pending_;
  SimTime pending_time_ = kTimeNever;
  SimTime due_time_ = kTimeNever;
  std::uint64_t due_key_ = 0;
  bool dispatching_ = false;
  // While a completion's callback runs: whose burst completed (the waker).
  static constexpr ProcessId kNoProcess = ~ProcessId{0};
  ProcessId completing_ = kNoProcess;
  bool needs_idle_core(ProcessId woken) const;  // a wake-up that pays the latency
};

}  // namespace stacksim
