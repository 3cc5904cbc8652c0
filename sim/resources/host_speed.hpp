// The speed part of the CPU model (CpuHost): every demand is CPU time on
// the machine the model describes; a host of speed s (relative to that
// machine) runs each burst, its kernel work and its context switch in 1/s
// of that time, and accounts that time. Speed 1, the default, changes
// nothing. The explanation divides its demands by the same speed.
#pragma once

#include <cmath>
#include <stdexcept>

#include "sim/engine/time.hpp"

namespace stacksim {

class HostSpeed {
 public:
  HostSpeed() = default;
  explicit HostSpeed(double speed) { set(speed); }
  void set(double speed) {
    if (!(speed > 0 && std::isfinite(speed)))
      throw std::invalid_argument("CpuHost: the speed must be a positive number");
    speed_ = speed;
  }
  double value() const { return speed_; }
  bool changes_nothing() const { return speed_ == 1.0; }
  // How long a demand of ns at speed 1 takes on this host.
  SimTime apply(SimTime ns) const {
    return static_cast<SimTime>(std::llround(static_cast<double>(ns) / speed_));
  }
  // The same for a mean, in any unit of time (the explanation's bounds).
  double time_of(double demand) const { return demand / speed_; }

 private:
  double speed_ = 1.0;
};

}  // namespace stacksim
