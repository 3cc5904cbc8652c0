// The pending-event set: a binary min-heap ordered by (time, sequence number),
// so events at equal times run in the order they were scheduled (ns-3's
// EventKey). Cancelling marks the event's slot dead; the heap entry stays and
// is skipped when it reaches the top (lazy deletion), which keeps cancel O(1).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/engine/event.hpp"
#include "sim/engine/time.hpp"

namespace stacksim {

class EventQueue {
 public:
  struct Entry {
    SimTime time;
    std::uint64_t seq;
    EventHandler* handler;
    std::uint64_t arg;
    std::uint32_t slot;
  };

  EventId push(SimTime time, EventHandler& handler, std::uint64_t arg);
  void cancel(EventId id);
  bool is_pending(EventId id) const;

  // Removes and returns the earliest live event; false when none is left.
  bool pop(Entry& out);
  // Time of the earliest live event, or kTimeNever.
  SimTime next_time();

  std::size_t size_including_cancelled() const { return heap_.size(); }
  bool empty() { return next_time() == kTimeNever; }

 private:
  static bool later(const Entry& a, const Entry& b) {
    return a.time != b.time ? a.time > b.time : a.seq > b.seq;
  }
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  void pop_top();
  void drop_dead_top();

  std::vector<Entry> heap_;
  // slot_seq_[slot] is the sequence number of the live event holding the
  // slot, or 0 once it has run or been cancelled.
  std::vector<std::uint64_t> slot_seq_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_seq_ = 1;
};

}  // namespace stacksim
