// What the engine calls back. An event is (time, sequence, handler, argument):
// handlers are long-lived objects (components, resources) and the argument
// says which of their things the event is about (a request pointer, an index),
// so scheduling never allocates. The same pair serves as a continuation:
// "when this burst / wait / grant is done, call handler.on_event(arg)".
#pragma once

#include <cstdint>

namespace stacksim {

class EventHandler {
 public:
  virtual void on_event(std::uint64_t arg) = 0;

 protected:
  ~EventHandler() = default;
};

struct Continuation {
  EventHandler* handler = nullptr;
  std::uint64_t arg = 0;

  void operator()() const { handler->on_event(arg); }
  explicit operator bool() const { return handler != nullptr; }
};

// Names a scheduled event so it can be cancelled. `seq` guards against the
// slot having been reused by a later event.
struct EventId {
  std::uint32_t slot = UINT32_MAX;
  std::uint64_t seq = 0;

  bool valid() const { return slot != UINT32_MAX; }
};

// Names a timer (EventQueue::add_timer): an owner's one pending event,
// armed and moved in place.
struct TimerId {
  std::uint32_t index = UINT32_MAX;
};

}  // namespace stacksim
