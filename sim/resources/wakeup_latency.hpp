// The wake-up part of the CPU model (CpuHost). A process that had nothing
// to run and is given a burst (a wake-up) may start it only after a fixed
// latency, without using a core: the time an idle core takes to pick up a
// woken thread (on a virtual machine, a halted vCPU's own wake-up). The
// process counts as busy meanwhile, so its next bursts queue behind. A
// burst that follows another of the same process without a gap is not a
// wake-up.
//
// Which wake-ups pay (pays()): one that needs an idle core, made by a timer
// or an arrival (no waker), or by a waker that keeps running. Two pay
// nothing: a hand-off, made from the completion of a burst whose process
// then has nothing left to run (the waker sleeps and the woken thread takes
// its core, which never went idle), and a wake-up with every core taken
// (the thread joins the others in processor sharing).
#pragma once

#include <cstddef>
#include <stdexcept>

#include "sim/engine/time.hpp"

namespace stacksim {

class WakeupLatency {
 public:
  // Who made the wake-up: nothing running (a timer, an arrival), the woken
  // process itself (it goes on where it ran), a waker whose process sleeps
  // after this completion, or one that keeps running.
  enum class Waker { kNone, kSelf, kSleeps, kGoesOn };

  void set(SimTime latency_ns) {
    if (latency_ns < 0)
      throw std::invalid_argument("CpuHost: the wake-up latency must be 0 or more");
    latency_ns_ = latency_ns;
  }
  SimTime latency() const { return latency_ns_; }
  bool on() const { return latency_ns_ > 0; }
  // Whether this wake-up waits the latency, with `threads` running or
  // waking against `capacity` cores.
  bool pays(Waker waker, std::size_t threads, double capacity) const {
    if (!on() || waker == Waker::kSelf || waker == Waker::kSleeps) return false;
    return static_cast<double>(threads) < capacity;
  }

 private:
  SimTime latency_ns_ = 0;
};

}  // namespace stacksim
