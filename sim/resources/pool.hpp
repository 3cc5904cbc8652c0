// A pool of `capacity` numbered units (worker slots, database sessions) with
// FIFO waiters and pull hand-off: a released unit goes straight to the
// longest waiter (OMNeT++ queueinglib's PassiveQueue/Server handshake).
// Units can be created lazily: a free unit is reused before a new one is
// made, and the caller pays the creation cost (pgbouncer opening a server
// session starts a postgres backend). Idle units are reused LIFO, as
// pgbouncer does by default.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "sim/engine/event.hpp"
#include "sim/engine/simulator.hpp"

namespace stacksim {

class Pool {
 public:
  struct Grant {
    int unit = -1;         // -1: queued, `granted` will run later
    bool created = false;  // the unit is new: its creation cost is still to pay
  };

  Pool(Simulator& sim, int capacity, bool lazy);

  // Takes a unit now if one can be had; otherwise queues the caller, and on
  // hand-off writes the unit to *unit_out and runs `granted`.
  Grant acquire(Continuation granted, int* unit_out);
  void release(int unit);

  int capacity() const { return capacity_; }
  int in_use() const { return in_use_; }
  int created() const { return created_; }
  int peak_in_use() const { return peak_in_use_; }
  std::size_t waiting() const { return waiters_.size(); }
  // Integral of in_use over time (unit-ns), for time-weighted utilisation.
  double in_use_area();
  // Resets the peak and the integral, at the end of a warm-up.
  void reset_statistics();

 private:
  struct Waiter {
    Continuation granted;
    int* unit_out;
  };
  void account();

  Simulator& sim_;
  int capacity_;
  int created_ = 0;
  int in_use_ = 0;
  int peak_in_use_ = 0;
  std::vector<int> idle_;
  std::deque<Waiter> waiters_;
  double area_ = 0.0;
  SimTime last_ = 0;
};

}  // namespace stacksim
