// The pending-event set: a binary min-heap ordered by (time, sequence number),
// so events at equal times run in the order they were scheduled (ns-3's
// EventKey). Cancelling marks the event's slot dead; the heap entry stays and
// is skipped when it reaches the top (lazy deletion), which keeps cancel O(1).
// The heap holds 16-byte keys (time, seq << 24 | slot); what an event calls
// sits in its slot, so a sift moves half the bytes of a full entry.
//
// Beside the heap, timers: an owner with at most one pending event that it
// moves at nearly every event of its own (a CPU host's next completion)
// arms a timer instead of pushing and cancelling. A timer is a (time,
// sequence) beside the heap, compared with its top at each pop: arming is
// O(1) and leaves no dead entry behind. Its sequence number comes from the
// same counter as push's, so events run in exactly the order they would if
// each arming were a push (and every earlier one cancelled). Each pop scans
// the timers: keep them few. The members are inline: the loop pops and the
// CPU host arms at every event.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "sim/engine/event.hpp"
#include "sim/engine/time.hpp"

namespace stacksim {

class EventQueue {
 public:
  struct Entry {
    SimTime time;
    EventHandler* handler;
    std::uint64_t arg;
  };

  EventId push(SimTime time, EventHandler& handler, std::uint64_t arg);
  // Inline: the CPU host asks both at every change of its head.
  void cancel(EventId id) {
    if (is_pending(id)) slots_[id.slot].seq = 0;
  }
  bool is_pending(EventId id) const {
    return id.valid() && id.slot < slots_.size() && slots_[id.slot].seq == id.seq;
  }

  // A timer that calls handler.on_event(arg) when it fires; disarmed.
  TimerId add_timer(EventHandler& handler, std::uint64_t arg);
  // Arms the timer at `time`, or moves it there if armed (a new sequence
  // number either way, as a push would take). Firing disarms it.
  void arm(TimerId t, SimTime time);
  void disarm(TimerId t) { timers_[t.index].seq = 0; }
  bool armed(TimerId t) const { return timers_[t.index].seq != 0; }

  // Removes and returns the earliest live event (a timer's firing is one);
  // false when none is left.
  [[gnu::always_inline]] bool pop(Entry& out);
  // Time of the earliest live event, or kTimeNever.
  SimTime next_time();

  // Heap entries, cancelled ones included (timers are not in the heap).
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
  std::uint64_t take_seq();

  struct Timer {
    SimTime time;
    std::uint64_t seq;  // 0 while disarmed
    EventHandler* handler;
    std::uint64_t arg;
  };
  // The armed timer that fires first, or nullptr.
  Timer* first_timer();
  // Whether the timer fires before the heap's (live) top.
  bool before_top(const Timer& t) const {
    if (heap_.empty()) return true;
    const Key& top = heap_.front();
    return t.time != top.time ? t.time < top.time : t.seq < (top.key >> kSlotBits);
  }

  std::vector<Key> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<Timer> timers_;
  std::uint64_t next_seq_ = 1;
};

inline std::uint64_t EventQueue::take_seq() {
  const std::uint64_t seq = next_seq_++;
  if (seq >= (std::uint64_t{1} << (64 - kSlotBits)))
    throw std::length_error("EventQueue: sequence numbers exhausted");
  return seq;
}

inline EventId EventQueue::push(SimTime time, EventHandler& handler, std::uint64_t arg) {
  std::uint32_t slot;
  const std::uint64_t seq = take_seq();
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = Slot{&handler, arg, seq};
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    if (slot >= (1u << kSlotBits)) throw std::length_error("EventQueue: too many pending events");
    slots_.push_back(Slot{&handler, arg, seq});
  }
  const Key k{time, (seq << kSlotBits) | slot};
  heap_.push_back(k);
  sift_up(heap_.size() - 1, k);
  return EventId{slot, seq};
}

inline void EventQueue::sift_up(std::size_t i, const Key& k) {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!later(heap_[parent], k)) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = k;
}

// Floyd's bottom-up removal: walk the hole from the root to a leaf along
// the smaller child (one comparison per level instead of two), drop the
// last key into it and sift that up, which is nearly always zero or one step.
inline void EventQueue::remove_top() {
  const Key last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return;
  std::size_t i = 0;
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && later(heap_[child], heap_[child + 1])) ++child;
    heap_[i] = heap_[child];
    i = child;
  }
  sift_up(i, last);
}

// Out of line: the pops only call it when the top is dead.
[[gnu::noinline]] inline void EventQueue::drop_dead_top() {
  while (!heap_.empty() && !live(heap_.front())) {
    free_slots_.push_back(slot_of(heap_.front()));
    remove_top();
  }
}

inline TimerId EventQueue::add_timer(EventHandler& handler, std::uint64_t arg) {
  timers_.push_back(Timer{kTimeNever, 0, &handler, arg});
  return TimerId{static_cast<std::uint32_t>(timers_.size() - 1)};
}

inline void EventQueue::arm(TimerId t, SimTime time) {
  Timer& timer = timers_[t.index];
  timer.time = time;
  timer.seq = take_seq();
}

inline EventQueue::Timer* EventQueue::first_timer() {
  Timer* first = nullptr;
  for (Timer& t : timers_) {
    if (t.seq != 0 &&
        (first == nullptr || t.time < first->time || (t.time == first->time && t.seq < first->seq)))
      first = &t;
  }
  return first;
}

// Always inline: the loop calls it once per event.
[[gnu::always_inline]] inline bool EventQueue::pop(Entry& out) {
  if (!heap_.empty() && !live(heap_.front())) drop_dead_top();
  if (Timer* t = first_timer(); t != nullptr && before_top(*t)) {
    out = Entry{t->time, t->handler, t->arg};
    t->seq = 0;
    return true;
  }
  if (heap_.empty()) return false;
  const Key top = heap_.front();
  const std::uint32_t slot = slot_of(top);
  Slot& s = slots_[slot];
  out = Entry{top.time, s.handler, s.arg};
  s.seq = 0;
  free_slots_.push_back(slot);
  remove_top();
  return true;
}

inline SimTime EventQueue::next_time() {
  if (!heap_.empty() && !live(heap_.front())) drop_dead_top();
  const SimTime heap_time = heap_.empty() ? kTimeNever : heap_.front().time;
  const Timer* t = first_timer();
  return t != nullptr && t->time < heap_time ? t->time : heap_time;
}

}  // namespace stacksim
