#include "sim/engine/simulator.hpp"

#include <cassert>
#include <stdexcept>

namespace stacksim {

EventId Simulator::schedule_at(SimTime time, EventHandler& handler, std::uint64_t arg) {
  if (time < now_) throw std::logic_error("event scheduled in the past");
  return queue_.push(time, handler, arg);
}

inline void Simulator::dispatch(const EventQueue::Entry& e) {
  assert(e.time >= now_ && "simulated time went backwards");
  now_ = e.time;
  ++events_processed_;
  e.handler->on_event(e.arg);
}

void Simulator::run() {
  stopping_ = false;
  EventQueue::Entry e;
  while (!stopping_ && queue_.pop(e)) dispatch(e);
}

void Simulator::run_until(SimTime until) {
  stopping_ = false;
  EventQueue::Entry e;
  // next_time() is kTimeNever when nothing is left, which run_until(kTimeNever)
  // must not mistake for an event.
  while (!stopping_ && queue_.next_time() <= until && queue_.pop(e)) dispatch(e);
  if (!stopping_ && until > now_) now_ = until;
}

}  // namespace stacksim
