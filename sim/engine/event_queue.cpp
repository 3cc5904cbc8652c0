#include "sim/engine/event_queue.hpp"

#include <utility>

namespace stacksim {

EventId EventQueue::push(SimTime time, EventHandler& handler, std::uint64_t arg) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slot_seq_.size());
    slot_seq_.push_back(0);
  }
  const std::uint64_t seq = next_seq_++;
  slot_seq_[slot] = seq;
  heap_.push_back(Entry{time, seq, &handler, arg, slot});
  sift_up(heap_.size() - 1);
  return EventId{slot, seq};
}

void EventQueue::cancel(EventId id) {
  if (is_pending(id)) slot_seq_[id.slot] = 0;
}

bool EventQueue::is_pending(EventId id) const {
  return id.valid() && id.slot < slot_seq_.size() && slot_seq_[id.slot] == id.seq;
}

void EventQueue::drop_dead_top() {
  while (!heap_.empty() && slot_seq_[heap_.front().slot] != heap_.front().seq) {
    free_slots_.push_back(heap_.front().slot);
    pop_top();
  }
}

bool EventQueue::pop(Entry& out) {
  drop_dead_top();
  if (heap_.empty()) return false;
  out = heap_.front();
  slot_seq_[out.slot] = 0;
  free_slots_.push_back(out.slot);
  pop_top();
  return true;
}

SimTime EventQueue::next_time() {
  drop_dead_top();
  return heap_.empty() ? kTimeNever : heap_.front().time;
}

void EventQueue::pop_top() {
  heap_.front() = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) sift_down(0);
}

void EventQueue::sift_up(std::size_t i) {
  Entry moving = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!later(heap_[parent], moving)) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = moving;
}

void EventQueue::sift_down(std::size_t i) {
  const std::size_t n = heap_.size();
  Entry moving = heap_[i];
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && later(heap_[child], heap_[child + 1])) ++child;
    if (!later(moving, heap_[child])) break;
    heap_[i] = heap_[child];
    i = child;
  }
  heap_[i] = moving;
}

}  // namespace stacksim
