// An event handler for the engine and resource tests: it records, for every
// event it receives, the simulated time and the event's argument, in the
// order they arrive, so a test can lay out a timeline and check both.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/engine/event.hpp"
#include "sim/engine/simulator.hpp"

namespace stacksim::testing {

class EventRecorder final : public EventHandler {
 public:
  explicit EventRecorder(Simulator& sim) : sim_(sim) {}
  void on_event(std::uint64_t arg) override {
    times.push_back(sim_.now());
    args.push_back(arg);
  }
  std::vector<SimTime> times;
  std::vector<std::uint64_t> args;

 private:
  Simulator& sim_;
};

}  // namespace stacksim::testing
