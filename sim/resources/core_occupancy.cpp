#include "sim/resources/core_occupancy.hpp"

#include <algorithm>
#include <stdexcept>

namespace stacksim {

CoreOccupancy::CoreOccupancy(int cores) : cores_(cores) {
  if (cores < 1) throw std::invalid_argument("a host needs at least one core");
  tabulate();
}

void CoreOccupancy::tabulate() {
  constexpr std::size_t kTabulated = 1024;  // bursts in service; more are computed
  by_n_.clear();
  for (std::size_t n = 0; n < kTabulated; ++n)
    by_n_.push_back(AtN{compute_busy_cores(n), compute_rate(n)});
}

double CoreOccupancy::compute_rate(std::size_t n) const {
  const auto bursts = static_cast<double>(n);
  if (imbalance_ == 0) return bursts <= capacity() ? 1.0 : capacity() / bursts;
  return n == 0 ? 1.0 : compute_busy_cores(n) / bursts;
}

void CoreOccupancy::set_background(double b) {
  if (!(b >= 0 && b < cores_))
    throw std::invalid_argument("CpuHost: background cores must be in [0, cores)");
  background_ = b;
  tabulate();
}

void CoreOccupancy::set_imbalance(double beta) {
  if (!(beta >= 0 && beta <= 1))
    throw std::invalid_argument("CpuHost: imbalance must be in [0, 1]");
  imbalance_ = beta;
  if (placement_loss_.empty()) {
    // Beyond the table the loss is below 1e-12 cores (or n is past 4096).
    const double c = cores_;
    double empty_share = 1.0;  // (1 - 1/c)^n
    for (std::size_t n = 0; n <= 4096; ++n) {
      const double loss = std::min<double>(static_cast<double>(n), c) - c * (1.0 - empty_share);
      if (static_cast<double>(n) > c && loss < 1e-12) break;
      placement_loss_.push_back(loss);
      empty_share *= 1.0 - 1.0 / c;
    }
  }
  tabulate();
}

double CoreOccupancy::placement_loss(std::size_t n) const {
  return n < placement_loss_.size() ? placement_loss_[n] : 0.0;
}

double CoreOccupancy::compute_busy_cores(std::size_t n) const {
  const double busy = std::min<double>(static_cast<double>(n), capacity());
  if (imbalance_ == 0) return busy;
  // The background fluid scales what the placement leaves: a core lost to
  // imbalance is lost whatever share of it background work would take.
  return std::max(0.0, busy - imbalance_ * placement_loss(n) * capacity() / cores_);
}

}  // namespace stacksim
