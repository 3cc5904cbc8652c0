#include "sim/resources/cpu_host.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace stacksim {

CpuHost::CpuHost(Simulator& sim, int cores, SimTime context_switch_ns)
    : sim_(sim),
      occupancy_(cores),
      context_switch_ns_(context_switch_ns),
      switch_cost_ns_(context_switch_ns),
      last_(sim.now()),
      completion_(sim.add_timer(*this, kCompletionEvent)) {}

ProcessId CpuHost::add_process(std::string name, bool multi_threaded) {
  Process proc;
  proc.name = std::move(name);
  proc.multi_threaded = multi_threaded;
  processes_.push_back(std::move(proc));
  return static_cast<ProcessId>(processes_.size() - 1);
}

void CpuHost::set_random_order(ProcessId p, Rng rng) {
  processes_[p].random_order = true;
  processes_[p].order_rng = rng;
}

// Inline: every submission and completion ends with it.
[[gnu::always_inline]] inline void CpuHost::reschedule() {
  if (heap_.empty()) {
    due_time_ = kTimeNever;
    return;  // an armed completion, if any, fires, finds nothing and stops
  }
  const double remaining_v = std::max(0.0, heap_.front().finish_v - v_);
  due_time_ = sim_.now() + ceil_ns(remaining_v / rate());
  due_key_ = heap_.front().key;
  if (sim_.armed(completion_) && pending_time_ <= due_time_) return;
  pending_time_ = due_time_;
  sim_.arm(completion_, due_time_);
}

void CpuHost::set_idle_window(SimTime window_ns) {
  advance();
  idle_.set_window(window_ns);
}

void CpuHost::set_idle_inflation(ProcessId p, double k) {
  IdleShare::check_inflation(k);
  advance();
  processes_.at(p).idle_inflation = k;
  load_dependent_ = load_dependent_ || k > 0;
}

void CpuHost::set_kernel_idle_inflation(double k) {
  IdleShare::check_inflation(k);
  advance();
  kernel_idle_inflation_ = k;
  load_dependent_ = load_dependent_ || k > 0;
}

void CpuHost::set_background_cores(double b) {
  advance();
  occupancy_.set_background(b);
  if (!dispatching_) reschedule();
}

void CpuHost::set_wakeup_latency(SimTime latency_ns) {
  // One latency for every pending wake-up keeps them in start order.
  if (!waking_.empty())
    throw std::logic_error("CpuHost: the wake-up latency changes only with no wake-up pending");
  wakeup_.set(latency_ns);
}

void CpuHost::set_speed(double speed) {
  speed_.set(speed);
  switch_cost_ns_ = speed_.apply(context_switch_ns_);
}

void CpuHost::set_imbalance(double beta) {
  advance();
  occupancy_.set_imbalance(beta);
  if (!dispatching_) reschedule();
}

double CpuHost::idle_share() {
  advance();
  return idle_.idle();
}

// advance() and start() are inline: every submission and completion calls them.
[[gnu::always_inline]] inline void CpuHost::advance() {
  const SimTime now = sim_.now();
  if (now == last_) return;
  const double dt = static_cast<double>(now - last_);
  const double busy = occupancy_.busy_cores(heap_.size()) + occupancy_.background();
  v_ += rate() * dt;
  busy_area_ += busy * dt;
  if (load_dependent_) idle_.advance(dt, busy / occupancy_.cores());
  last_ = now;
}

double CpuHost::busy_processor_ns() {
  advance();
  return busy_area_;
}

// A burst enters service: its slot, and its key for the heap.
[[gnu::always_inline]] inline CpuHost::InService CpuHost::enter(ProcessId p, const Burst& b) {
  const Slot burst{p, b.work_ns, b.kernel_ns, b.done};
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = burst;
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    if (slot >= (1u << kSlotBits)) throw std::length_error("CpuHost: too many bursts in service");
    slots_.push_back(burst);
  }
  if (!processes_[p].multi_threaded) processes_[p].running = true;
  const auto work = static_cast<double>(b.work_ns + b.kernel_ns);
  return InService{v_ + work, (next_seq_++ << kSlotBits) | slot};
}

[[gnu::always_inline]] inline void CpuHost::start(ProcessId p, const Burst& b) {
  heap_.push_back(enter(p, b));
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

// The head leaves and `k` takes its place in one pass (Floyd: the hole
// walks down along the earlier child to a leaf, then `k` sifts up into it).
// Keys are unique, so the heap pops in the same order as after a pop and a
// push.
[[gnu::always_inline]] inline void CpuHost::replace_top(const InService& k) {
  const std::size_t n = heap_.size();
  std::size_t i = 0;
  for (std::size_t child = 1; child < n; child = 2 * i + 1) {
    if (child + 1 < n && Later{}(heap_[child], heap_[child + 1])) ++child;
    heap_[i] = heap_[child];
    i = child;
  }
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!Later{}(heap_[parent], k)) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = k;
}

SimTime CpuHost::stretched(SimTime work_ns, double k) {
  advance();
  return idle_.stretch(work_ns, k);
}

void CpuHost::submit(ProcessId p, SimTime work_ns, Continuation done, SimTime kernel_ns) {
  advance();
  if (!speed_.changes_nothing()) {
    work_ns = speed_.apply(work_ns);
    kernel_ns = speed_.apply(kernel_ns);
  }
  Process& proc = processes_[p];
  if (!proc.multi_threaded && proc.running) {
    proc.waiting.push_back(Burst{work_ns, kernel_ns, done});
    return;  // nothing in service changed
  }
  const Burst woken{work_ns + switch_cost_ns_, kernel_ns, done};
  if (wakeup_.on() &&
      wakeup_.pays(waker_of(p), heap_.size() + waking_.size(), occupancy_.capacity())) {
    if (!proc.multi_threaded) proc.running = true;  // its next bursts queue behind
    waking_.push_back(Waking{sim_.now() + wakeup_.latency(), p, woken});
    if (!wake_armed_) {
      wake_armed_ = true;
      sim_.schedule_at(waking_.front().at, *this, kWakeEvent);
    }
    return;  // nothing in service changed
  }
  start(p, woken);
  if (!dispatching_) reschedule();
}

void CpuHost::wake_due() {
  advance();
  wake_armed_ = false;
  while (!waking_.empty() && waking_.front().at <= sim_.now()) {
    start(waking_.front().p, waking_.front().burst);
    waking_.pop_front();
  }
  if (!waking_.empty()) {
    wake_armed_ = true;
    sim_.schedule_at(waking_.front().at, *this, kWakeEvent);
  }
  if (!dispatching_) reschedule();
}

void CpuHost::on_event(std::uint64_t arg) {
  if (arg == kWakeEvent) {
    wake_due();
  } else {
    complete_due();
  }
}

// A completed burst's accounting; true with `next` the key of its
// process's next burst, which has entered service and is not yet in the heap.
[[gnu::always_inline]] inline bool CpuHost::retire(std::uint32_t slot, InService& next) {
  const ProcessId p = slots_[slot].p;
  Process& proc = processes_[p];
  proc.cpu_ns += slots_[slot].work_ns;
  proc.kernel_ns += slots_[slot].kernel_ns;
  kernel_ns_ += slots_[slot].kernel_ns;
  if (proc.multi_threaded) return false;
  if (proc.waiting.empty()) {
    proc.running = false;
    return false;
  }
  if (proc.random_order && proc.waiting.size() > 1) {
    const auto k = static_cast<std::ptrdiff_t>(proc.order_rng.uniform_index(proc.waiting.size()));
    std::rotate(proc.waiting.begin(), proc.waiting.begin() + k,
                proc.waiting.begin() + k + 1);  // the drawn one first, the rest in order
  }
  next = enter(p, proc.waiting.front());  // no wake-up: it was already running
  proc.waiting.pop_front();
  return true;
}

// A completed burst's callback; then its slot is free.
[[gnu::always_inline]] inline void CpuHost::notify(std::uint32_t slot) {
  // Copied out: the callback's submissions may move slots_.
  completing_ = slots_[slot].p;
  const Continuation done = slots_[slot].done;
  done();
  free_slots_.push_back(slot);
}

void CpuHost::complete_due() {
  advance();
  pending_time_ = kTimeNever;
  if (heap_.empty()) return;
  // The head completes if its due time has come, even if rounding left V a
  // hair short of its tag; every other burst due by now completes with it.
  const double eps = 1e-3 + v_ * 1e-15;
  const bool head_due = (heap_.front().key == due_key_ && sim_.now() >= due_time_) ||
                        heap_.front().finish_v <= v_ + eps;
  if (!head_due) {  // fired early: the head's completion moved later
    reschedule();
    return;
  }
  // Their slots stay taken until their callbacks, which read them, have run.
  const std::uint32_t first = slot_of(heap_.front());
  const std::size_t n = heap_.size();
  const double second_v =  // the earliest finish after the head's: one of its children
      n == 1   ? kNeverV
      : n == 2 ? heap_[1].finish_v
               : std::min(heap_[1].finish_v, heap_[2].finish_v);
  InService next;
  if (second_v > v_ + eps) {  // the common case: one burst, and often its process's next
    if (retire(first, next)) {
      replace_top(next);
    } else {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      heap_.pop_back();
    }
    dispatching_ = true;
    notify(first);
  } else {
    completed_.clear();
    do {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      completed_.push_back(slot_of(heap_.back()));
      heap_.pop_back();
    } while (!heap_.empty() && heap_.front().finish_v <= v_ + eps);
    // Make the state consistent (next bursts in service) before any
    // callback runs, since callbacks submit new work to this host.
    for (const std::uint32_t slot : completed_) {
      if (retire(slot, next)) {
        heap_.push_back(next);
        std::push_heap(heap_.begin(), heap_.end(), Later{});
      }
    }
    dispatching_ = true;
    for (const std::uint32_t slot : completed_) notify(slot);
  }
  completing_ = kNoProcess;
  dispatching_ = false;
  reschedule();
}

WakeupLatency::Waker CpuHost::waker_of(ProcessId woken) const {
  if (completing_ == kNoProcess) return WakeupLatency::Waker::kNone;  // a timer, an arrival
  if (completing_ == woken) return WakeupLatency::Waker::kSelf;
  const Process& waker = processes_[completing_];
  // A single-threaded waker with nothing left to run sleeps: a hand-off.
  return !waker.multi_threaded && !waker.running ? WakeupLatency::Waker::kSleeps
                                                 : WakeupLatency::Waker::kGoesOn;
}

}  // namespace stacksim
