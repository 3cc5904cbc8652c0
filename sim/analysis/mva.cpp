#include "sim/analysis/mva.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>

#include "common/input_error.hpp"

namespace stacksim::analysis {

namespace {

bool load_dependent(const Station& s) {
  return s.kind == StationKind::kFcfs && s.servers > 1;
}

// Stations taking part in one solve are a bit mask over the network's
// stations, so the networks "without station k" share the memo.
using Mask = std::uint64_t;

class Solver {
 public:
  Solver(const ClosedNetwork& net, int customers, bool textbook)
      : net_(net), n_max_(customers), textbook_(textbook) {
    if (net.stations.size() > 63) throw std::invalid_argument("MVA: at most 63 stations");
  }

  // Solves the sub-network `mask`; fills `out` when given, and always
  // returns X(n), n = 0..N (memoised).
  const std::vector<double>& solve(Mask mask, MvaResult* out) {
    if (out == nullptr) {
      auto it = memo_.find(mask);
      if (it != memo_.end()) return it->second;
    }
    const std::size_t k_count = net_.stations.size();
    const int n_max = n_max_;
    std::vector<double> x(n_max + 1, 0.0);
    std::vector<double> q(k_count, 0.0), r(k_count, 0.0);
    // p[k][j] = p_k(j|n-1): j < c for the stable method, j <= n for textbook.
    std::vector<std::vector<double>> p(k_count);
    for (std::size_t k = 0; k < k_count; ++k) {
      if (!(mask >> k & 1) || !load_dependent(net_.stations[k])) continue;
      const std::size_t len = textbook_ ? n_max + 1 : net_.stations[k].servers;
      p[k].assign(len, 0.0);
      p[k][0] = 1.0;
    }
    if (out != nullptr) {
      out->customers = n_max;
      out->stations.assign(k_count, MvaStationResult{});
      for (std::size_t k = 0; k < k_count; ++k) {
        auto& s = out->stations[k];
        s.residence_ms.assign(n_max + 1, 0.0);
        s.queue.assign(n_max + 1, 0.0);
        s.utilisation.assign(n_max + 1, 0.0);
        if (load_dependent(net_.stations[k])) {
          s.p_empty.assign(n_max + 1, 0.0);
          s.p_empty[0] = 1.0;
        }
      }
    }
    for (int n = 1; n <= n_max; ++n) {
      double cycle = 0.0;
      for (std::size_t k = 0; k < k_count; ++k) {
        if (!(mask >> k & 1)) continue;
        const Station& s = net_.stations[k];
        const double d = s.demand_ms();
        if (s.kind == StationKind::kDelay) {
          r[k] = d;
        } else if (!load_dependent(s)) {
          r[k] = d * (1.0 + q[k]);  // arrival theorem: sees Q(n-1)
        } else {
          // R = D/c [1 + Q(n-1) + sum_{j=0}^{c-2} (c-1-j) p(j|n-1)]: an
          // arrival finding j < c busy servers does not wait.
          const int c = s.servers;
          double idle = 0.0;
          for (int j = 0; j <= c - 2; ++j) idle += (c - 1 - j) * p[k][j];
          r[k] = d / c * (1.0 + q[k] + idle);
        }
        cycle += r[k];
      }
      x[n] = n / cycle;
      for (std::size_t k = 0; k < k_count; ++k) {
        if (!(mask >> k & 1)) continue;
        const Station& s = net_.stations[k];
        q[k] = x[n] * r[k];
        if (load_dependent(s)) update_marginals(mask, k, n, x[n], p[k]);
      }
      if (out != nullptr) {
        for (std::size_t k = 0; k < k_count; ++k) {
          if (!(mask >> k & 1)) continue;
          const Station& s = net_.stations[k];
          auto& o = out->stations[k];
          o.residence_ms[n] = r[k];
          o.queue[n] = q[k];
          o.utilisation[n] = x[n] * s.demand_ms() / (s.kind == StationKind::kFcfs ? s.servers : 1);
          if (load_dependent(s)) o.p_empty[n] = p[k][0];
        }
      }
    }
    if (out != nullptr) out->throughput_per_ms = x;
    return memo_[mask] = std::move(x);
  }

 private:
  // From p(.|n-1) in place to p(.|n):
  //   p(j|n) = D X(n) / min(j, c) * p(j-1|n-1),  j >= 1;
  //   p(0|n) by the ratio of throughputs (stable) or 1 - sum (textbook).
  void update_marginals(Mask mask, std::size_t k, int n, double x_n, std::vector<double>& p) {
    const Station& s = net_.stations[k];
    const double d = s.demand_ms();
    const int top = textbook_ ? n : static_cast<int>(p.size()) - 1;
    for (int j = top; j >= 1; --j) p[j] = d * x_n / std::min(j, s.servers) * p[j - 1];
    if (textbook_) {
      double sum = 0.0;
      for (int j = 1; j <= n; ++j) sum += p[j];
      p[0] = 1.0 - sum;
      return;
    }
    const Mask rest = mask & ~(Mask{1} << k);
    if (rest == 0) {
      p[0] = 0.0;  // nowhere else to be: with n >= 1 the station is never empty
      return;
    }
    const double x_rest = solve(rest, nullptr)[n];
    p[0] = p[0] * x_n / x_rest;
  }

  const ClosedNetwork& net_;
  int n_max_;
  bool textbook_;
  std::map<Mask, std::vector<double>> memo_;
};

MvaResult run(const ClosedNetwork& net, int customers, bool textbook) {
  validate(net);
  const int n = customers > 0 ? customers : net.customers;
  // The stable method solves every subset of the multi-server stations
  // (2^m networks), each in O(N sum_k c_k): refuse what would not finish
  // in seconds rather than hang.
  int multi = 0;
  double per_solve = 0.0;
  for (const Station& s : net.stations) {
    multi += load_dependent(s) ? 1 : 0;
    per_solve += load_dependent(s) ? s.servers : 1;
  }
  const double work = std::ldexp(1.0, multi) * (n + 1.0) * per_solve;
  if (multi > 24 || work > 2e9) {
    throw InputError((net.source.empty() ? std::string("network") : net.source) +
                     ": stations: " + std::to_string(multi) +
                     " multi-server fcfs stations with these server counts and " +
                     std::to_string(n) + " customers are too much for exact MVA (~" +
                     std::to_string(static_cast<long long>(work)) + " steps, limit 2e9)");
  }
  Solver solver(net, n, textbook);
  const Mask all = net.stations.size() == 64 ? ~Mask{0} : (Mask{1} << net.stations.size()) - 1;
  MvaResult result;
  solver.solve(all, &result);
  return result;
}

}  // namespace

double MvaResult::cycle_time_ms(int n) const {
  double sum = 0.0;
  for (const auto& s : stations) sum += s.residence_ms[n];
  return sum;
}

MvaResult solve_mva(const ClosedNetwork& net, int customers) {
  return run(net, customers, false);
}

MvaResult solve_mva_textbook(const ClosedNetwork& net, int customers) {
  return run(net, customers, true);
}

}  // namespace stacksim::analysis
