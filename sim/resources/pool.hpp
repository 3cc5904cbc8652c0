// A pool of `capacity` numbered units (worker slots, database sessions) with
// FIFO waiters and pull hand-off: a released unit goes straight to the
// longest waiter (OMNeT++ queueinglib's PassiveQueue/Server handshake).
// Units can be created lazily: a free unit is reused before a new one is
// made, and the caller pays the creation cost (pgbouncer opening a server
// session starts a postgres backend). Idle units are reused LIFO, as
// pgbouncer does by default. It keeps its peak; how busy it was over time
// is for a listener to integrate (on_change, metrics/TimeWeighted).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "sim/engine/event.hpp"

namespace stacksim {

class Pool {
 public:
  struct Grant {
    int unit = -1;         // -1: queued, `granted` will run later
    bool created = false;  // the unit is new: its creation cost is still to pay
  };

  Pool(int capacity, bool lazy);

  // Takes a unit now if one can be had; otherwise queues the caller, and on
  // hand-off writes the unit to *unit_out and runs `granted`.
  Grant acquire(Continuation granted, int* unit_out);
  void release(int unit);

  int capacity() const { return capacity_; }
  int in_use() const { return in_use_; }
  int created() const { return created_; }
  int peak_in_use() const { return peak_in_use_; }
  std::size_t waiting() const { return waiters_.size(); }
  // Called with the new in_use whenever it changes (a hand-off does not).
  void on_change(std::function<void(int in_use)> listener) { listener_ = std::move(listener); }
  // Resets the peak, at the end of a warm-up.
  void reset_statistics();

 private:
  struct Waiter {
    Continuation granted;
    int* unit_out;
  };

  int capacity_;
  int created_ = 0;
  int in_use_ = 0;
  int peak_in_use_ = 0;
  std::vector<int> idle_;
  std::deque<Waiter> waiters_;
  std::function<void(int)> listener_;
};

}  // namespace stacksim
