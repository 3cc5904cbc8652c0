// A wait of one fixed length for many at once (the query's pg_sleep(D)).
// Every wait is equally long, so waits end in the order they began: a FIFO
// holds them and one engine event stands for the earliest. O(1) per wait,
// and the engine's heap stays small however many requests sleep at once.
#pragma once

#include <deque>

#include "sim/engine/event.hpp"
#include "sim/engine/simulator.hpp"

namespace stacksim {

class FixedDelay final : public EventHandler {
 public:
  FixedDelay(Simulator& sim, SimTime delay_ns) : sim_(sim), delay_ns_(delay_ns) {}

  // `done` runs delay_ns from now.
  void wait(Continuation done) {
    waiting_.push_back(Waiting{sim_.now() + delay_ns_, done});
    if (!armed_) arm();
  }
  std::size_t waiting() const { return waiting_.size(); }
  SimTime delay_ns() const { return delay_ns_; }

  void on_event(std::uint64_t) override {
    armed_ = false;
    // A callback may start another wait: it ends delay_ns later, behind the
    // ones due now, so the loop never reaches it.
    while (!waiting_.empty() && waiting_.front().until_ns <= sim_.now()) {
      const Continuation done = waiting_.front().done;
      waiting_.pop_front();
      done();
    }
    if (!waiting_.empty() && !armed_) arm();
  }

 private:
  struct Waiting {
    SimTime until_ns;
    Continuation done;
  };
  void arm() {
    armed_ = true;
    sim_.schedule_at(waiting_.front().until_ns, *this);
  }

  Simulator& sim_;
  SimTime delay_ns_;
  std::deque<Waiting> waiting_;
  bool armed_ = false;
};

}  // namespace stacksim
