// The simulation loop: pop the earliest event, check time never goes
// backwards, set now, run it. Nothing here knows what the events mean.
#pragma once

#include <cstdint>
#include <stdexcept>

#include "sim/engine/event.hpp"
#include "sim/engine/event_queue.hpp"
#include "sim/engine/time.hpp"

namespace stacksim {

class Simulator {
 public:
  SimTime now() const { return now_; }

  EventId schedule_at(SimTime time, EventHandler& handler, std::uint64_t arg = 0) {
    if (time < now_) throw std::logic_error("event scheduled in the past");
    return queue_.push(time, handler, arg);
  }
  EventId schedule_in(SimTime delay, EventHandler& handler, std::uint64_t arg = 0) {
    return schedule_at(now_ + delay, handler, arg);
  }
  EventId schedule_in(SimTime delay, Continuation k) {
    return schedule_at(now_ + delay, *k.handler, k.arg);
  }
  void cancel(EventId id) { queue_.cancel(id); }
  // Timers (EventQueue): one pending event per owner, moved in place.
  TimerId add_timer(EventHandler& handler, std::uint64_t arg = 0) {
    return queue_.add_timer(handler, arg);
  }
  void arm(TimerId t, SimTime time) {
    if (time < now_) throw std::logic_error("timer armed in the past");
    queue_.arm(t, time);
  }
  void disarm(TimerId t) { queue_.disarm(t); }
  bool armed(TimerId t) const { return queue_.armed(t); }
  bool is_pending(EventId id) const { return queue_.is_pending(id); }

  // Runs until no event is left or stop() is called.
  void run();
  // Runs every event with time <= `until`, then sets now to `until`.
  void run_until(SimTime until);
  // Asks the loop to return after the event that is running now.
  void stop() { stopping_ = true; }

  std::uint64_t events_processed() const { return events_processed_; }

 private:
  void dispatch(const EventQueue::Entry& e);

  EventQueue queue_;
  SimTime now_ = 0;
  std::uint64_t events_processed_ = 0;
  bool stopping_ = false;
};

}  // namespace stacksim
