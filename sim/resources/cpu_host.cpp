#include "sim/resources/cpu_host.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace stacksim {

CpuHost::CpuHost(Simulator& sim, int cores, SimTime context_switch_ns)
    : sim_(sim),
      cores_(cores),
      context_switch_ns_(context_switch_ns),
      switch_cost_ns_(context_switch_ns),
      last_(sim.now()) {
  if (cores < 1) throw std::invalid_argument("a host needs at least one core");
}

ProcessId CpuHost::add_process(std::string name, bool multi_threaded) {
  Process proc;
  proc.name = std::move(name);
  proc.multi_threaded = multi_threaded;
  processes_.push_back(std::move(proc));
  return static_cast<ProcessId>(processes_.size() - 1);
}

void CpuHost::set_idle_window(SimTime window_ns) {
  if (window_ns <= 0) throw std::invalid_argument("CpuHost: the idle window must be positive");
  advance();
  idle_window_ns_ = static_cast<double>(window_ns);
}

void CpuHost::set_idle_inflation(ProcessId p, double k) {
  if (!(k >= 0)) throw std::invalid_argument("CpuHost: idle inflation must be 0 or more");
  advance();
  processes_.at(p).idle_inflation = k;
  load_dependent_ = load_dependent_ || k > 0;
}

void CpuHost::set_kernel_idle_inflation(double k) {
  if (!(k >= 0)) throw std::invalid_argument("CpuHost: idle inflation must be 0 or more");
  advance();
  kernel_idle_inflation_ = k;
  load_dependent_ = load_dependent_ || k > 0;
}

void CpuHost::set_background_cores(double b) {
  if (!(b >= 0 && b < cores_))
    throw std::invalid_argument("CpuHost: background cores must be in [0, cores)");
  advance();
  background_ = b;
  if (!dispatching_) reschedule();
}

void CpuHost::set_wakeup_latency(SimTime latency_ns) {
  if (latency_ns < 0) throw std::invalid_argument("CpuHost: the wake-up latency must be 0 or more");
  // One latency for every pending wake-up keeps them in start order.
  if (!waking_.empty())
    throw std::logic_error("CpuHost: the wake-up latency changes only with no wake-up pending");
  wakeup_latency_ns_ = latency_ns;
}

void CpuHost::set_speed(double speed) {
  if (!(speed > 0 && std::isfinite(speed)))
    throw std::invalid_argument("CpuHost: the speed must be a positive number");
  speed_ = speed;
  switch_cost_ns_ = at_speed(context_switch_ns_);
}

void CpuHost::set_imbalance(double beta) {
  if (!(beta >= 0 && beta <= 1))
    throw std::invalid_argument("CpuHost: imbalance must be in [0, 1]");
  advance();
  imbalance_ = beta;
  if (placement_loss_.empty()) {
    // Beyond the table the loss is below 1e-12 cores (or n is past 4096).
    const double c = cores_;
    double empty_share = 1.0;  // (1 - 1/c)^n
    for (std::size_t n = 0; n <= 4096; ++n) {
      const double loss = std::min<double>(static_cast<double>(n), c) - c * (1.0 - empty_share);
      if (static_cast<double>(n) > c && loss < 1e-12) break;
      placement_loss_.push_back(loss);
      empty_share *= 1.0 - 1.0 / c;
    }
  }
  if (!dispatching_) reschedule();
}

double CpuHost::placement_loss(std::size_t n) const {
  return n < placement_loss_.size() ? placement_loss_[n] : 0.0;
}

double CpuHost::busy_cores(std::size_t n) const {
  const double busy = std::min<double>(static_cast<double>(n), capacity());
  if (imbalance_ == 0) return busy;
  // The background fluid scales what the placement leaves: a core lost to
  // imbalance is lost whatever share of it background work would take.
  return std::max(0.0, busy - imbalance_ * placement_loss(n) * capacity() / cores_);
}

double CpuHost::idle_share() {
  advance();
  return 1.0 - u_;
}

void CpuHost::advance() {
  const SimTime now = sim_.now();
  if (now == last_) return;
  const double dt = static_cast<double>(now - last_);
  const double busy = busy_cores(heap_.size()) + background_;
  v_ += rate() * dt;
  busy_area_ += busy * dt;
  if (load_dependent_) {  // exact for the piecewise-constant busy count
    const double u_now = busy / cores_;
    u_ = u_now + (u_ - u_now) * std::exp(-dt / idle_window_ns_);
  }
  last_ = now;
}

double CpuHost::busy_processor_ns() {
  advance();
  return busy_area_;
}

void CpuHost::start(ProcessId p, const Burst& b) {
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
  const auto work = static_cast<double>(b.work_ns + b.kernel_ns);
  heap_.push_back(InService{v_ + work, (next_seq_++ << kSlotBits) | slot});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  if (!processes_[p].multi_threaded) processes_[p].running = true;
}

SimTime CpuHost::stretched(SimTime work_ns, double k) {
  advance();
  return work_ns +
         static_cast<SimTime>(std::llround(static_cast<double>(work_ns) * k * (1.0 - u_)));
}

void CpuHost::submit(ProcessId p, SimTime work_ns, Continuation done, SimTime kernel_ns) {
  advance();
  if (speed_ != 1.0) {
    work_ns = at_speed(work_ns);
    kernel_ns = at_speed(kernel_ns);
  }
  Process& proc = processes_[p];
  if (!proc.multi_threaded && proc.running) {
    proc.waiting.push_back(Burst{work_ns, kernel_ns, done});
    return;  // nothing in service changed
  }
  const Burst woken{work_ns + switch_cost_ns_, kernel_ns, done};
  if (wakeup_latency_ns_ > 0 && needs_idle_core(p)) {
    if (!proc.multi_threaded) proc.running = true;  // its next bursts queue behind
    waking_.push_back(Waking{sim_.now() + wakeup_latency_ns_, p, woken});
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

void CpuHost::reschedule() {
  if (heap_.empty()) {
    due_time_ = kTimeNever;
    return;  // a pending event, if any, fires, finds nothing and stops
  }
  const double remaining_v = std::max(0.0, heap_.front().finish_v - v_);
  due_time_ = sim_.now() + static_cast<SimTime>(std::ceil(remaining_v / rate()));
  due_key_ = heap_.front().key;
  if (sim_.is_pending(pending_) && pending_time_ <= due_time_) return;
  sim_.cancel(pending_);
  pending_time_ = due_time_;
  pending_ = sim_.schedule_at(due_time_, *this);
}

void CpuHost::on_event(std::uint64_t arg) {
  if (arg == kWakeEvent) {
    wake_due();
  } else {
    complete_due();
  }
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
  completed_.clear();
  do {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    const std::uint32_t slot = slot_of(heap_.back());
    heap_.pop_back();
    completed_.push_back(slots_[slot]);
    free_slots_.push_back(slot);
  } while (!heap_.empty() && heap_.front().finish_v <= v_ + eps);

  // Make the state consistent (next bursts in service) before any callback
  // runs, since callbacks submit new work to this host.
  for (const Slot& c : completed_) {
    Process& proc = processes_[c.p];
    proc.cpu_ns += c.work_ns;
    proc.kernel_ns += c.kernel_ns;
    kernel_ns_ += c.kernel_ns;
    if (proc.multi_threaded) continue;
    if (proc.waiting.empty()) {
      proc.running = false;
    } else {
      const Burst next = proc.waiting.front();
      proc.waiting.pop_front();
      start(c.p, next);  // no wake-up: it was already running
    }
  }
  dispatching_ = true;
  for (const Slot& c : completed_) {
    completing_ = c.p;
    c.done();
  }
  completing_ = kNoProcess;
  dispatching_ = false;
  reschedule();
}

bool CpuHost::needs_idle_core(ProcessId woken) const {
  if (completing_ == woken) return false;  // it goes on where it ran
  if (completing_ != kNoProcess) {
    const Process& waker = processes_[completing_];
    if (!waker.multi_threaded && !waker.running) return false;  // a hand-off
  }
  // Threads in service or waking, against the cores they may use.
  return static_cast<double>(heap_.size() + waking_.size()) < capacity();
}

}  // namespace stacksim
