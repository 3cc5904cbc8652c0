// The time-weighted average and peak of a piecewise-constant quantity (queue
// length, pool occupancy, processes runnable): the owner calls set() whenever
// the value changes, and the area under the step function is accumulated as
// value * ns, so a change costs O(1) and nothing is stored per change.
// reset() starts a new measuring window (the end of the warm-up).
#pragma once

#include <algorithm>
#include <stdexcept>

#include "sim/engine/time.hpp"

namespace stacksim {

class TimeWeighted {
 public:
  explicit TimeWeighted(SimTime start_ns = 0, double initial_value = 0.0)
      : start_ns_(start_ns), last_ns_(start_ns), value_(initial_value), max_(initial_value) {}

  // The quantity takes `value` from now_ns on. Time may not go backwards
  // (std::invalid_argument): that is a caller's bug, not bad input.
  void set(SimTime now_ns, double value) {
    advance(now_ns);
    value_ = value;
    max_ = std::max(max_, value);
  }
  // For counters that move by steps: add(now, +1) on arrival, -1 on departure.
  void add(SimTime now_ns, double delta) { set(now_ns, value_ + delta); }

  // Area / window length over [start, now_ns]; the current value for an
  // empty window. Unit: the value's unit (the average of a count is a count).
  double average(SimTime now_ns) const {
    check_not_before(now_ns);
    const SimTime window_ns = now_ns - start_ns_;
    if (window_ns == 0) return value_;
    return area(now_ns) / static_cast<double>(window_ns);
  }
  // Integral of the value over [start, now_ns], in value-ns.
  double area(SimTime now_ns) const {
    check_not_before(now_ns);
    return area_ + value_ * static_cast<double>(now_ns - last_ns_);
  }
  // The largest value held in the window, including the value at its start.
  double max() const { return max_; }
  double value() const { return value_; }
  SimTime window_start_ns() const { return start_ns_; }

  // Starts a new window at now_ns, keeping the current value.
  void reset(SimTime now_ns) {
    advance(now_ns);
    start_ns_ = now_ns;
    area_ = 0.0;
    max_ = value_;
  }

 private:
  void check_not_before(SimTime now_ns) const {
    if (now_ns < last_ns_) throw std::invalid_argument("TimeWeighted: time went backwards");
  }
  void advance(SimTime now_ns) {
    check_not_before(now_ns);
    area_ += value_ * static_cast<double>(now_ns - last_ns_);
    last_ns_ = now_ns;
  }

  SimTime start_ns_;
  SimTime last_ns_;
  double value_;
  double max_;
  double area_ = 0.0;
};

}  // namespace stacksim
