#include "sim/engine/simulator.hpp"

#include <cassert>

namespace stacksim {

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
