// How many of a host's cores n runnable threads keep busy: the capacity
// part of the CPU model (CpuHost), kept apart so that the explanation's CPU
// bound uses the same numbers as the simulator.
//
// Plain processor sharing: min(n, cores). Two corrections, each off at 0:
//
// Background CPU (timers, housekeeping: CPU spent per second whatever the
// load) is a fluid: b cores always busy, so bursts share cores - b.
//
// Imbalance: one shared run queue keeps min(n, cores) cores busy with n
// runnable threads. Linux keeps a run queue per core and balances them now
// and then, so a core can sit idle while another has a queue. With
// imbalance beta in [0, 1], n runnable threads keep
//   min(n, cores) - beta * (min(n, cores) - cores * (1 - (1 - 1/cores)^n))
// cores busy: beta = 0 is the shared queue, beta = 1 places each thread on
// a core at random and never moves it (the expected number of occupied
// cores when n balls fall into `cores` bins). Every runnable thread then
// progresses at busy / n. The loss is largest for a few runnable threads
// and vanishes when n is large, which is what the live runs show: idle CPU
// next to waiting work at moderate load, a saturated host at high load.
#pragma once

#include <cstddef>
#include <vector>

namespace stacksim {

class CoreOccupancy {
 public:
  explicit CoreOccupancy(int cores);

  // Cores always busy with background work, in [0, cores).
  void set_background(double b);
  // Share of the random-placement loss, in [0, 1].
  void set_imbalance(double beta);

  int cores() const { return cores_; }
  double background() const { return background_; }
  double imbalance() const { return imbalance_; }
  // What the bursts may use at most: cores - background.
  double capacity() const { return cores_ - background_; }
  // Cores kept busy by n runnable threads (background excluded).
  double busy_cores(std::size_t n) const {
    return n < by_n_.size() ? by_n_[n].busy : compute_busy_cores(n);
  }
  // The rate at which each of n bursts in service progresses, in (0, 1].
  double rate(std::size_t n) const { return n < by_n_.size() ? by_n_[n].rate : compute_rate(n); }

 private:
  double placement_loss(std::size_t n) const;  // cores lost to imbalance, beta = 1
  double compute_busy_cores(std::size_t n) const;
  double compute_rate(std::size_t n) const;
  // The CPU host asks both at every event: both, computed once per setting
  // for the n a run meets (the same numbers, looked up).
  void tabulate();
  struct AtN {
    double busy, rate;
  };
  std::vector<AtN> by_n_;

  int cores_;
  double background_ = 0.0;
  double imbalance_ = 0.0;
  std::vector<double> placement_loss_;  // by n, cached: min(n, c) - c (1 - (1 - 1/c)^n)
};

}  // namespace stacksim
