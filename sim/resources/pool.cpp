#include "sim/resources/pool.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace stacksim {

Pool::Pool(int capacity, bool lazy) : capacity_(capacity) {
  if (capacity < 1) throw std::invalid_argument("a pool needs at least one unit");
  if (!lazy) {
    created_ = capacity;
    for (int u = capacity - 1; u >= 0; --u) idle_.push_back(u);
  }
}

Pool::Grant Pool::acquire(Continuation granted, int* unit_out) {
  Grant g;
  if (!idle_.empty()) {
    g.unit = idle_.back();
    idle_.pop_back();
  } else if (created_ < capacity_) {
    g.unit = created_++;
    g.created = true;
  } else {
    if (unit_out == nullptr || !granted)
      throw std::logic_error("Pool::acquire: a caller that may wait needs unit_out and granted");
    waiters_.push_back(Waiter{granted, unit_out});
    return g;
  }
  peak_in_use_ = std::max(peak_in_use_, ++in_use_);
  if (listener_) listener_(in_use_);
  return g;
}

void Pool::release(int unit) {
  assert(unit >= 0 && unit < created_);
  if (!waiters_.empty()) {
    const Waiter w = waiters_.front();
    waiters_.pop_front();
    *w.unit_out = unit;
    w.granted();  // in_use is unchanged: the unit passes hand to hand
    return;
  }
  --in_use_;
  idle_.push_back(unit);
  if (listener_) listener_(in_use_);
}

void Pool::reset_statistics() {
  peak_in_use_ = in_use_;
}

}  // namespace stacksim
