// Load dependence, the idle-inflation part of the CPU model (CpuHost): a
// burst submitted to a mostly idle host costs more than the same burst on a
// saturated one (cold caches, a core woken from a halt). The host's busy
// share u is smoothed exponentially over a window (exact for the piecewise
// constant busy count between changes), and a process of idle inflation k
// pays (1 + k * (1 - u)) times its demand. Off until some k > 0.
#pragma once

#include <cmath>
#include <stdexcept>

#include "sim/engine/time.hpp"

namespace stacksim {

class IdleShare {
 public:
  void set_window(SimTime window_ns) {
    if (window_ns <= 0) throw std::invalid_argument("CpuHost: the idle window must be positive");
    window_ns_ = static_cast<double>(window_ns);
  }
  // dt ns went by with busy_share of the cores busy.
  void advance(double dt, double busy_share) {
    u_ = busy_share + (u_ - busy_share) * std::exp(-dt / window_ns_);
  }
  double idle() const { return 1.0 - u_; }
  // The work of a demand of work_ns at idle inflation k, submitted now.
  SimTime stretch(SimTime work_ns, double k) const {
    return work_ns + static_cast<SimTime>(std::llround(static_cast<double>(work_ns) * k * idle()));
  }
  static void check_inflation(double k) {
    if (!(k >= 0)) throw std::invalid_argument("CpuHost: idle inflation must be 0 or more");
  }

 private:
  double window_ns_ = 5e6;
  double u_ = 0.0;
};

}  // namespace stacksim
