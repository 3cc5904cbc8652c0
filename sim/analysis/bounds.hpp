// Asymptotic bounds of a closed network (Denning and Buzen's operational
// laws): with N customers, think time Z and per-station demands D_k on c_k
// servers, X <= min(N / (sum_k D_k + Z), min_k c_k / D_k). The simulator's
// explanation names the binding term ("customers" or a station) with the
// numbers; header-only because it is a few lines of arithmetic.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "sim/analysis/closed_network.hpp"

namespace stacksim::analysis {

struct BoundStation {
  std::string name;
  double demand_ms = 0.0;  // D_k: service time per visit times visits per cycle
  int servers = 1;         // c_k
};

struct ThroughputBound {
  double population_per_ms = 0.0;                                   // N / (sum D + Z)
  double station_per_ms = std::numeric_limits<double>::infinity();  // min_k c_k / D_k
  std::string bottleneck;          // the station with the smallest c_k / D_k
  double throughput_per_ms = 0.0;  // the smaller of the two
  std::string binding;             // "customers" or the bottleneck's name
  bool population_binds = false;
  // R >= max(sum D, N / X_station - Z): response time excluding think time.
  double response_lower_ms = 0.0;
  // N* = (sum D + Z) / max_k (D_k / c_k): the population where the two bounds meet.
  double knee_customers = 0.0;

  double throughput_rps() const { return throughput_per_ms * 1e3; }
};

inline ThroughputBound asymptotic_bounds(const std::vector<BoundStation>& stations, double think_ms,
                                         int customers) {
  ThroughputBound b;
  double total_ms = 0.0;
  for (const BoundStation& s : stations) {
    total_ms += s.demand_ms;
    if (s.demand_ms > 0.0 && s.servers > 0) {
      const double cap = s.servers / s.demand_ms;
      if (cap < b.station_per_ms) {
        b.station_per_ms = cap;
        b.bottleneck = s.name;
      }
    }
  }
  const double cycle_ms = total_ms + think_ms;
  b.population_per_ms =
      cycle_ms > 0.0 ? customers / cycle_ms : std::numeric_limits<double>::infinity();
  b.population_binds = b.population_per_ms <= b.station_per_ms;
  b.throughput_per_ms = b.population_binds ? b.population_per_ms : b.station_per_ms;
  b.binding = b.population_binds ? std::string("customers") : b.bottleneck;
  b.response_lower_ms = total_ms;
  if (std::isfinite(b.station_per_ms)) {
    b.response_lower_ms = std::max(total_ms, customers / b.station_per_ms - think_ms);
    b.knee_customers = cycle_ms * b.station_per_ms;
  }
  return b;
}

// Delay stations become the think time Z; ps and fcfs stations the D_k.
inline ThroughputBound asymptotic_bounds(const ClosedNetwork& net, int customers = 0) {
  std::vector<BoundStation> queues;
  for (const Station& s : net.stations) {
    if (s.kind == StationKind::kDelay) continue;
    queues.push_back(BoundStation{s.name, s.demand_ms(), s.servers});
  }
  return asymptotic_bounds(queues, net.think_ms(), customers > 0 ? customers : net.customers);
}

}  // namespace stacksim::analysis
