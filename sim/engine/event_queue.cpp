#include "sim/engine/event_queue.hpp"

#include <stdexcept>
#include <utility>

namespace stacksim {

EventId EventQueue::push(SimTime time, EventHandler& handler, std::uint64_t arg) {
  std::uint32_t slot;
  const std::uint64_t seq = next_seq_++;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = Slot{&handler, arg, seq};
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    if (slot >= (1u << kSlotBits)) throw std::length_error("EventQueue: too many pending events");
    slots_.push_back(Slot{&handler, arg, seq});
  }
  if (seq >= (std::uint64_t{1} << (64 - kSlotBits)))
    throw std::length_error("EventQueue: sequence numbers exhausted");
  const Key k{time, (seq << kSlotBits) | slot};
  heap_.push_back(k);
  sift_up(heap_.size() - 1, k);
  return EventId{slot, seq};
}

void EventQueue::sift_up(std::size_t i, const Key& k) {
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
void EventQueue::remove_top() {
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

void EventQueue::drop_dead_top() {
  while (!heap_.empty() && !live(heap_.front())) {
    free_slots_.push_back(slot_of(heap_.front()));
    remove_top();
  }
}

bool EventQueue::pop(Entry& out) {
  drop_dead_top();
  if (heap_.empty()) return false;
  const Key top = heap_.front();
  const std::uint32_t slot = slot_of(top);
  Slot& s = slots_[slot];
  out = Entry{top.time, s.seq, s.handler, s.arg, slot};
  s.seq = 0;
  free_slots_.push_back(slot);
  remove_top();
  return true;
}

SimTime EventQueue::next_time() {
  drop_dead_top();
  return heap_.empty() ? kTimeNever : heap_.front().time;
}

}  // namespace stacksim
