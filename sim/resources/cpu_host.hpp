// A host's processors shared by processes: egalitarian processor sharing
// (each burst in service progresses at min(1, cores / n) with n bursts in
// service), as a fluid model with a virtual clock (SimGrid's Model/Action
// idea). V is the work any in-service burst has received since t = 0; a burst
// that enters service at V0 with w ns of work finishes when V = V0 + w, so
// bursts sit in a min-heap by that tag and an arrival or departure costs
// O(log n) rather than touching every burst.
//
// A process is single-threaded: its bursts run one at a time, FIFO, and only
// the head is in service (or, set per process, the next is a uniformly
// random one of those waiting: an event loop that does not serve the
// requests it holds in arrival order). A "multi-threaded" process puts every burst in
// service at once (a processor-sharing station of queueing theory).
//
// A burst may carry kernel work: on loopback the network stack's softirq work
// runs on the sending process's CPU, right after its write, so it delays
// that process and uses a core, but /proc/stat counts it as softirq, not as
// the process's time. The host accounts it apart (kernel_cpu_ns).
//
// On top of plain processor sharing, four corrections, each a part of its
// own with its own tests and off until set (a model file names the ones it
// uses: host.corrections):
//   - CoreOccupancy (core_occupancy.hpp): background CPU and scheduler
//     imbalance, how many cores n runnable threads keep busy;
//   - IdleShare (idle_share.hpp): load dependence, a burst stretched by
//     (1 + k * idle) with idle the smoothed idle share of the cores; the
//     caller decides what is stretched (a burst's sampled demand, not the
//     fixed extras it adds) and submits the result;
//   - WakeupLatency (wakeup_latency.hpp): the latency of a wake-up that
//     needs an idle core, and which wake-ups those are;
//   - HostSpeed (host_speed.hpp): every demand runs in 1/speed of its time.
// (The sixth a model may name, cold_cache, is a per-request extra the
// stack adds to a burst: components/stack.cpp.)
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "sim/engine/event.hpp"
#include "sim/engine/rng.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/resources/core_occupancy.hpp"
#include "sim/resources/host_speed.hpp"
#include "sim/resources/idle_share.hpp"
#include "sim/resources/wakeup_latency.hpp"

namespace stacksim {

using ProcessId = std::uint32_t;

class CpuHost final : public EventHandler {
 public:
  // context_switch_ns is charged as extra work on every wake-up: a burst
  // submitted to a process that had nothing to run, or to a multi-threaded
  // process (each of whose bursts is a thread of its own waking up).
  CpuHost(Simulator& sim, int cores, SimTime context_switch_ns = 0);

  ProcessId add_process(std::string name, bool multi_threaded = false);

  // Load dependence (IdleShare). Off until some k > 0.
  void set_idle_window(SimTime window_ns);
  void set_idle_inflation(ProcessId p, double k);
  void set_kernel_idle_inflation(double k);
  // Cores always busy with background work, in [0, cores) (CoreOccupancy).
  void set_background_cores(double b);
  // Latency of a wake-up that needs an idle core, >= 0 (WakeupLatency).
  void set_wakeup_latency(SimTime latency_ns);
  // Relative speed of the cores, > 0 (HostSpeed).
  void set_speed(double speed);
  double speed() const { return speed_.value(); }
  // Share of the random-placement loss, in [0, 1] (CoreOccupancy).
  void set_imbalance(double beta);
  double imbalance() const { return occupancy_.imbalance(); }
  // Cores kept busy by n runnable threads (background excluded).
  double busy_cores(std::size_t n) const { return occupancy_.busy_cores(n); }
  double background_cores() const { return occupancy_.background(); }
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
  // From now on the process's next burst is drawn uniformly from those
  // waiting, by `rng`, instead of the oldest.
  void set_random_order(ProcessId p, Rng rng);

  int cores() const { return occupancy_.cores(); }
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
    bool random_order = false;
    Rng order_rng;
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
  static constexpr double kNeverV = std::numeric_limits<double>::infinity();
  static constexpr std::uint64_t kCompletionEvent = 0;  // on_event's arg
  static constexpr std::uint64_t kWakeEvent = 1;
  static std::uint32_t slot_of(const InService& s) {
    return static_cast<std::uint32_t>(s.key & ((1u << kSlotBits) - 1));
  }

  SimTime stretched(SimTime work_ns, double k);  // (1 + k * idle) * work_ns
  double rate() const { return occupancy_.rate(heap_.size()); }
  [[gnu::always_inline]] void advance();
  [[gnu::always_inline]] InService enter(ProcessId p, const Burst& b);
  [[gnu::always_inline]] void start(ProcessId p, const Burst& b);  // enter and push
  [[gnu::always_inline]] void replace_top(const InService& k);
  [[gnu::always_inline]] void reschedule();
  void complete_due();  // the completion event
  [[gnu::always_inline]] bool retire(std::uint32_t slot, InService& next);
  [[gnu::always_inline]] void notify(std::uint32_t slot);  // its callback
  void wake_due();  // the wake-up event: start the bursts whose latency is over

  Simulator& sim_;
  CoreOccupancy occupancy_;
  IdleShare idle_;
  WakeupLatency wakeup_;
  HostSpeed speed_;
  SimTime context_switch_ns_;  // at speed 1
  SimTime switch_cost_ns_;     // at this host's speed
  std::vector<Process> processes_;
  std::vector<InService> heap_;  // std::push_heap / pop_heap with Later
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> completed_;  // slots of the bursts completing now
  double v_ = 0.0;
  SimTime last_ = 0;
  double busy_area_ = 0.0;
  SimTime kernel_ns_ = 0;
  std::uint64_t next_seq_ = 0;
  // Load dependence: the idle share is tracked only when on.
  bool load_dependent_ = false;
  double kernel_idle_inflation_ = 0;
  // Wake-ups in their latency; one latency for all, so FIFO is start order.
  struct Waking {
    SimTime at;
    ProcessId p;
    Burst burst;
  };
  std::deque<Waking> waking_;
  bool wake_armed_ = false;
  // The completion event is a timer (the engine's: armed in place, never a
  // push and a cancel). It may be left where it is when the head's
  // completion moves later (an arrival slows everyone down): it then fires
  // early, finds the head not yet due and re-arms. due_* say when the head
  // is really due.
  TimerId completion_;
  SimTime pending_time_ = kTimeNever;
  SimTime due_time_ = kTimeNever;
  std::uint64_t due_key_ = 0;
  bool dispatching_ = false;
  // While a completion's callback runs: whose burst completed (the waker).
  static constexpr ProcessId kNoProcess = ~ProcessId{0};
  ProcessId completing_ = kNoProcess;
  WakeupLatency::Waker waker_of(ProcessId woken) const;  // who wakes it now
};

}  // namespace stacksim
