// The pending-event set: a binary min-heap ordered by (time, sequence number),
// so events at equal times run in the order they were scheduled (ns-3's
// EventKey). Cancelling marks the event's slot dead; the heap entry stays and
// is skipped when it reaches the top (lazy deletion), which keeps cancel O(1).
// The heap holds 16-byte keys (time, seq << 24 | slot); what an event calls
// sits in its slot, so a sift moves half the bytes of a full entry.
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
  // Inline: the CPU host asks both at every change of its head.
  void cancel(EventId id) {
    if (is_pending(id)) slots_[id.slot].seq = 0;
  }
  bool is_pending(EventId id) const {
    return id.valid() && id.slot < slots_.size() && slots_[id.slot].seq == id.seq;
  }

  // Removes and returns the earliest live event; false when none is left.
  bool pop(Entry& out);
  // Time of the earliest live event, or kTimeNever.
  SimTime next_time();

  std::size_t size_including_cancelled() const { return heap_.size(); }
  bool empty() { return next_time() == kTimeNever; }

 private:
  static constexpr int kSlotBits = 24;
  struct Key {
    SimTime time;
    std::uint64_t key;  // seq << kSlotBits | slot: ties run in scheduling order
  };
  struct Slot {
    EventHandler* handler;
    std::uint64_t arg;
    std::uint64_t seq;  // of the live event holding the slot; 0 once run or cancelled
  };
  static bool later(const Key& a, const Key& b) {
    return a.time != b.time ? a.time > b.time : a.key > b.key;
  }
  static std::uint32_t slot_of(const Key& k) {
    return static_cast<std::uint32_t>(k.key & ((1u << kSlotBits) - 1));
  }
  bool live(const Key& k) const { return slots_[slot_of(k)].seq == (k.key >> kSlotBits); }
  // Sift up with a hole, for a push and a removal alike: move every parent
  // later than `k` down into the hole at heap_[i], then write `k` once.
  void sift_up(std::size_t i, const Key& k);
  void remove_top();
  void drop_dead_top();

  std::vector<Key> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_seq_ = 1;
};

}  // namespace stacksim
