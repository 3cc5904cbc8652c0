// Exact Mean Value Analysis of a single-class closed network (Reiser and
// Lavenberg), for n = 1..N customers. Delay and PS stations are the usual
// load-independent recursion; an FCFS station with c > 1 exponential servers
// is load-dependent and needs its marginal probabilities p_k(j|n), j < c.
//
// The textbook update p_k(0|n) = 1 - sum_{j>=1} p_k(j|n) subtracts two
// numbers that are both almost 1 when the station is saturated (zero think
// time): the difference is rounding noise, goes negative, and the recursion
// then amplifies it. solve_mva uses an exact route with no subtraction:
//
//   p_k(0|n) = G_{-k}(n) / G(n)          (the other stations hold all n)
//   X(n)     = G(n-1) / G(n),  X_{-k}(n) = G_{-k}(n-1) / G_{-k}(n)
//   => p_k(0|n) = p_k(0|n-1) * X(n) / X_{-k}(n),   p_k(0|0) = 1,
//
// where G is the normalising constant and X_{-k} the throughput of the same
// network without station k, solved by the same MVA (recursively, memoised
// per subset of stations). Every factor is positive. If the other stations
// are all gone, G_{-k}(n) = 0 for n >= 1 and p_k(0|n) = 0.
#pragma once

#include <cstddef>
#include <vector>

#include "sim/analysis/closed_network.hpp"

namespace stacksim::analysis {

struct MvaStationResult {
  // Index n = 0..N; entry 0 is the empty network.
  std::vector<double> residence_ms;  // R_k(n): time per cycle at k, all visits
  std::vector<double> queue;         // Q_k(n): mean number at k (waiting + in service)
  // U_k(n) = X(n) D_k / c_k: busy fraction per server for ps and fcfs; for a
  // delay station the mean number in service, X(n) D_k.
  std::vector<double> utilisation;
  // p_k(0|n), the probability the station is empty. Tracked for fcfs with
  // c > 1 (where MVA needs it); for the others left empty.
  std::vector<double> p_empty;
};

struct MvaResult {
  int customers = 0;
  std::vector<double> throughput_per_ms;   // X(n), cycles per ms, index n = 0..N
  std::vector<MvaStationResult> stations;  // in the network's order

  double throughput_rps(int n) const { return throughput_per_ms[n] * 1e3; }
  double cycle_time_ms(int n) const;  // sum_k R_k(n), think time (delay) included
};

// Exact and stable for every station kind. customers <= 0 means the
// network's own N. Throws stacksim::InputError for an invalid network or
// one too large to solve in seconds (2^m N sum_k c_k > 2e9 steps, m the
// number of multi-server fcfs stations).
MvaResult solve_mva(const ClosedNetwork& net, int customers = 0);

// The textbook load-dependent MVA with p_k(0|n) = 1 - sum_{j>=1} p_k(j|n)
// and the full marginal p_k(j|n), j = 0..n, for every fcfs station. Kept
// only to show (tests, docs/qn.md) why solve_mva does not use it.
MvaResult solve_mva_textbook(const ClosedNetwork& net, int customers = 0);

}  // namespace stacksim::analysis
