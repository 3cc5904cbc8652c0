#include "sim/resources/cpu_host.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace stacksim {

CpuHost::CpuHost(Simulator& sim, int cores, SimTime context_switch_ns)
    : sim_(sim), cores_(cores), context_switch_ns_(context_switch_ns), last_(sim.now()) {
  if (cores < 1) throw std::invalid_argument("a host needs at least one core");
}

ProcessId CpuHost::add_process(std::string name, bool multi_threaded) {
  Process proc;
  proc.name = std::move(name);
  proc.multi_threaded = multi_threaded;
  processes_.push_back(std::move(proc));
  return static_cast<ProcessId>(processes_.size() - 1);
}

void CpuHost::advance() {
  const SimTime now = sim_.now();
  if (now == last_) return;
  const double dt = static_cast<double>(now - last_);
  v_ += rate() * dt;
  busy_area_ += std::min<double>(static_cast<double>(heap_.size()), cores_) * dt;
  last_ = now;
}

double CpuHost::busy_processor_ns() {
  advance();
  return busy_area_;
}

void CpuHost::start(ProcessId p, SimTime work_ns, Continuation done) {
  heap_.push_back(InService{v_ + static_cast<double>(work_ns), next_seq_++, p, work_ns, done});
  std::push_heap(heap_.begin(), heap_.end(), later);
  if (!processes_[p].multi_threaded) processes_[p].running = true;
}

void CpuHost::submit(ProcessId p, SimTime work_ns, Continuation done) {
  advance();
  Process& proc = processes_[p];
  if (proc.multi_threaded) {
    start(p, work_ns + context_switch_ns_, done);
  } else if (proc.running) {
    proc.waiting.push_back(Burst{work_ns, done});
    return;  // nothing in service changed
  } else {
    start(p, work_ns + context_switch_ns_, done);
  }
  if (!dispatching_) reschedule();
}

void CpuHost::reschedule() {
  SimTime when = kTimeNever;
  if (!heap_.empty()) {
    const double remaining_v = std::max(0.0, heap_.front().finish_v - v_);
    when = sim_.now() + static_cast<SimTime>(std::ceil(remaining_v / rate()));
  }
  if (when == pending_time_ && sim_.is_pending(pending_)) return;
  sim_.cancel(pending_);
  pending_time_ = when;
  if (when != kTimeNever) pending_ = sim_.schedule_at(when, *this);
}

void CpuHost::on_event(std::uint64_t) {
  advance();
  pending_time_ = kTimeNever;
  // The event was scheduled for the head, so it completes even if rounding
  // left V a hair short; every other burst due by now completes with it.
  const double eps = 1e-3 + v_ * 1e-15;
  completed_.clear();
  do {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    completed_.push_back(heap_.back());
    heap_.pop_back();
  } while (!heap_.empty() && heap_.front().finish_v <= v_ + eps);

  // Make the state consistent (next bursts in service) before any callback
  // runs, since callbacks submit new work to this host.
  for (const InService& c : completed_) {
    Process& proc = processes_[c.p];
    proc.cpu_ns += c.work_ns;
    if (proc.multi_threaded) continue;
    if (proc.waiting.empty()) {
      proc.running = false;
    } else {
      const Burst next = proc.waiting.front();
      proc.waiting.pop_front();
      start(c.p, next.work_ns, next.done);  // no wake-up: it was already running
    }
  }
  dispatching_ = true;
  // Copy: a callback may re-enter on_event only through the simulator, which
  // cannot happen before we return, but completed_ must not be reused while
  // iterating should a callback ever trigger another completion pass.
  for (std::size_t i = 0; i < completed_.size(); ++i) completed_[i].done();
  dispatching_ = false;
  reschedule();
}

}  // namespace stacksim
