// Exact MVA checked against closed-form results and, independently, against
// Buzen's convolution algorithm computed here from the product form.
#include "sim/analysis/mva.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/input_error.hpp"
#include "sim/analysis/bounds.hpp"
#include "sim/analysis/closed_network.hpp"

namespace stacksim::analysis {
namespace {

Station fcfs(const char* name, int c, double s_ms, double visits = 1.0) {
  Station s;
  s.name = name;
  s.kind = StationKind::kFcfs;
  s.servers = c;
  s.service_ms = s_ms;
  s.visits = visits;
  return s;
}
Station ps(const char* name, double s_ms, double visits = 1.0) {
  Station s = fcfs(name, 1, s_ms, visits);
  s.kind = StationKind::kPs;
  return s;
}
Station delay(const char* name, double s_ms, double visits = 1.0) {
  Station s = fcfs(name, 1, s_ms, visits);
  s.kind = StationKind::kDelay;
  return s;
}
ClosedNetwork network(int n, std::vector<Station> stations) {
  ClosedNetwork net;
  net.customers = n;
  net.stations = std::move(stations);
  bool unit = true;
  for (const auto& s : net.stations) unit = unit && s.visits == 1.0;
  net.routing = unit ? Routing::kCyclic : Routing::kRandom;
  return net;
}

// Buzen's convolution. Product form: P(n_1..n_K) = prod_k f_k(n_k) / G(N),
//   f_k(n) = D_k^n / prod_{j=1}^n a_k(j),  a_k(j) = 1 (ps), min(j, c) (fcfs),
//   j (delay);  G = f_1 * f_2 * ... * f_K (discrete convolution).
// Then X(N) = G(N-1) / G(N), p_k(0|N) = G_{-k}(N) / G(N) and
// Q_k(N) = sum_n n f_k(n) G_{-k}(N-n) / G(N), R_k = Q_k / X.
struct Convolution {
  double x_per_ms;
  std::vector<double> queue, residence_ms, p_empty;
};

std::vector<double> factor(const Station& s, int n_max) {
  std::vector<double> f(n_max + 1, 1.0);
  for (int n = 1; n <= n_max; ++n) {
    const double a = s.kind == StationKind::kPs     ? 1.0
                     : s.kind == StationKind::kFcfs ? std::min(n, s.servers)
                                                    : n;
    f[n] = f[n - 1] * s.demand_ms() / a;
  }
  return f;
}

std::vector<double> convolve_all(const ClosedNetwork& net, int n_max, int skip) {
  std::vector<double> g(n_max + 1, 0.0);
  g[0] = 1.0;
  for (int k = 0; k < static_cast<int>(net.stations.size()); ++k) {
    if (k == skip) continue;
    const auto f = factor(net.stations[k], n_max);
    std::vector<double> h(n_max + 1, 0.0);
    for (int n = 0; n <= n_max; ++n)
      for (int i = 0; i <= n; ++i) h[n] += f[i] * g[n - i];
    g = h;
  }
  return g;
}

Convolution buzen(const ClosedNetwork& net) {
  const int n = net.customers;
  const auto g = convolve_all(net, n, -1);
  Convolution c;
  c.x_per_ms = g[n - 1] / g[n];
  for (int k = 0; k < static_cast<int>(net.stations.size()); ++k) {
    const auto f = factor(net.stations[k], n);
    const auto rest = convolve_all(net, n, k);
    double q = 0.0;
    for (int i = 1; i <= n; ++i) q += i * f[i] * rest[n - i];
    q /= g[n];
    c.queue.push_back(q);
    c.residence_ms.push_back(q / c.x_per_ms);
    c.p_empty.push_back(rest[n] / g[n]);
  }
  return c;
}

TEST(Mva, ClosedMM6WithNoThinkTimeRunsAllSixServersFlatOut) {
  // N = 100 customers, c = 6 servers, S = 1 ms, nothing else: at least 94
  // customers always wait, every server is always busy, X = c / S = 6/ms =
  // 6000/s exactly, and R = N / X = 100/6 ms (Little).
  const auto net = network(100, {fcfs("servers", 6, 1.0)});
  const MvaResult r = solve_mva(net);
  EXPECT_NEAR(r.throughput_rps(100), 6000.0, 1e-9);
  EXPECT_NEAR(r.stations[0].residence_ms[100], 100.0 / 6.0, 1e-9);
  EXPECT_NEAR(r.stations[0].utilisation[100], 1.0, 1e-12);
  // With n <= 6 nobody waits: X(n) = n / S.
  for (int n = 1; n <= 6; ++n) EXPECT_NEAR(r.throughput_per_ms[n], n, 1e-12);
}

TEST(Mva, ClosedMM6WithTwentyMsDelayMatchesThePublishedFigures) {
  // The same plus a 20 ms delay station (think time Z): the exact solution
  // (issue 2, JMT's JMVA) is X = 4697.95/s and R1 = 1.2859 ms; check the
  // pair against Little's law too: N = X (R1 + Z).
  const auto net = network(100, {fcfs("servers", 6, 1.0), delay("think", 20.0)});
  const MvaResult r = solve_mva(net);
  EXPECT_NEAR(r.throughput_rps(100), 4697.95, 0.005);
  EXPECT_NEAR(r.stations[0].residence_ms[100], 1.2859, 0.00005);
  EXPECT_NEAR(r.throughput_per_ms[100] * (r.stations[0].residence_ms[100] + 20.0), 100.0, 1e-9);
}

TEST(Mva, ThreeStationNetworkAgreesWithBuzensConvolution) {
  // PS cpu (D = 0.5 x 4 = 2 ms), fcfs disk with 2 servers (D = 1.5 x 2 =
  // 3 ms), delay (Z = 10 ms), N = 20 (the shipped networks/three_station).
  const auto net =
      network(20, {ps("cpu", 0.5, 4.0), fcfs("disk", 2, 1.5, 2.0), delay("think", 10.0)});
  const MvaResult r = solve_mva(net);
  const Convolution c = buzen(net);
  EXPECT_NEAR(r.throughput_per_ms[20], c.x_per_ms, 1e-12 * c.x_per_ms);
  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE(net.stations[k].name);
    EXPECT_NEAR(r.stations[k].queue[20], c.queue[k], 1e-10 * c.queue[k]);
    EXPECT_NEAR(r.stations[k].residence_ms[20], c.residence_ms[k], 1e-10 * c.residence_ms[k]);
  }
  EXPECT_NEAR(r.stations[1].p_empty[20], c.p_empty[1], 1e-12);
  // Little's law over the network: sum_k Q_k = N.
  EXPECT_NEAR(r.stations[0].queue[20] + r.stations[1].queue[20] + r.stations[2].queue[20], 20.0,
              1e-9);
}

TEST(Mva, EveryPopulationAgreesWithConvolutionIncludingTwoMultiServerStations) {
  // Two load-dependent stations, so X_{-k} itself recurses through one.
  auto net = network(1, {fcfs("a", 3, 2.0), fcfs("b", 4, 2.5), ps("c", 0.7), delay("z", 5.0)});
  const MvaResult r = solve_mva(net, 40);
  for (int n = 1; n <= 40; ++n) {
    net.customers = n;
    const Convolution c = buzen(net);
    ASSERT_NEAR(r.throughput_per_ms[n], c.x_per_ms, 1e-11 * c.x_per_ms) << "n = " << n;
    ASSERT_NEAR(r.stations[0].p_empty[n], c.p_empty[0], 1e-12) << "n = " << n;
    ASSERT_NEAR(r.stations[1].p_empty[n], c.p_empty[1], 1e-12) << "n = " << n;
  }
}

TEST(Mva, TextbookEmptyProbabilityGoesNegativeWhereTheStableOneStaysExact) {
  // M/M/6 (S = 1 ms, the bottleneck: 6/ms) and a PS station (S = 0.1 ms,
  // capacity 10/ms), no think time, N = 100.
  // The servers are saturated, so the true p(0|n) = G_{-k}(n)/G(n) is tiny
  // and positive; 1 - sum_{j>=1} p(j|n) subtracts two numbers within an ulp
  // of 1, its rounding error (~1e-16) is then multiplied by D X / j > 1 at
  // every step, and the result turns negative and grows.
  const auto net = network(100, {fcfs("servers", 6, 1.0), ps("cpu", 0.1)});
  const MvaResult stable = solve_mva(net);
  const MvaResult textbook = solve_mva_textbook(net);
  const Convolution c = buzen(net);

  double most_negative = 0.0;
  for (int n = 1; n <= 100; ++n)
    most_negative = std::min(most_negative, textbook.stations[0].p_empty[n]);
  EXPECT_LT(most_negative, 0.0) << "the textbook update should have gone negative";

  for (int n = 1; n <= 100; ++n) ASSERT_GE(stable.stations[0].p_empty[n], 0.0) << "n = " << n;
  ASSERT_GT(c.p_empty[0], 0.0);
  EXPECT_NEAR(stable.stations[0].p_empty[100], c.p_empty[0], 1e-9 * c.p_empty[0]);
  EXPECT_NEAR(stable.throughput_per_ms[100], c.x_per_ms, 1e-12 * c.x_per_ms);
  // ...and the damage reaches the throughput.
  EXPECT_GT(std::abs(textbook.throughput_per_ms[100] - c.x_per_ms), 1e-6 * c.x_per_ms);
}

TEST(Mva, SingleServerFcfsAndPsGiveTheSameLoadIndependentAnswer) {
  // One exponential server: FCFS with c = 1 and PS have the same product
  // form f(n) = D^n, so identical MVA results.
  const auto a = solve_mva(network(30, {fcfs("q", 1, 2.0), delay("z", 7.0)}));
  const auto b = solve_mva(network(30, {ps("q", 2.0), delay("z", 7.0)}));
  for (int n = 1; n <= 30; ++n) EXPECT_DOUBLE_EQ(a.throughput_per_ms[n], b.throughput_per_ms[n]);
}

TEST(Bounds, ThroughputIsCappedByCustomersOrByTheBottleneckStation) {
  // D = (1/6 per server on 6 servers, 2 ms PS), Z = 20 ms.
  // N = 5:   N / (sum D + Z) = 5 / 23 = 0.2174/ms  <  min(6/1, 1/2) = 0.5/ms: customers bind.
  // N = 100: 100 / 23 = 4.35/ms  >  0.5/ms: the PS station "cpu" binds.
  const std::vector<BoundStation> st = {{"servers", 1.0, 6}, {"cpu", 2.0, 1}};
  const ThroughputBound few = asymptotic_bounds(st, 20.0, 5);
  EXPECT_TRUE(few.population_binds);
  EXPECT_EQ(few.binding, "customers");
  EXPECT_NEAR(few.throughput_per_ms, 5.0 / 23.0, 1e-12);
  EXPECT_EQ(few.bottleneck, "cpu");
  const ThroughputBound many = asymptotic_bounds(st, 20.0, 100);
  EXPECT_FALSE(many.population_binds);
  EXPECT_EQ(many.binding, "cpu");
  EXPECT_NEAR(many.throughput_per_ms, 0.5, 1e-12);
  // R >= N / X_max - Z = 100 / 0.5 - 20 = 180 ms; the knee N* = 23 * 0.5.
  EXPECT_NEAR(many.response_lower_ms, 180.0, 1e-9);
  EXPECT_NEAR(many.knee_customers, 11.5, 1e-12);
}

TEST(Bounds, ExactMvaThroughputNeverExceedsTheAsymptoticBound) {
  // X(n) <= min(n / (sum D + Z), min c_k / D_k) for every n.
  const auto net =
      network(60, {ps("cpu", 0.5, 4.0), fcfs("disk", 2, 1.5, 2.0), delay("think", 10.0)});
  const MvaResult r = solve_mva(net);
  for (int n = 1; n <= 60; ++n) {
    const ThroughputBound b = asymptotic_bounds(net, n);
    EXPECT_LE(r.throughput_per_ms[n], b.throughput_per_ms * (1 + 1e-12)) << "n = " << n;
  }
  EXPECT_EQ(asymptotic_bounds(net).bottleneck, "cpu");  // 1/2 ms < 2/3 ms
}

}  // namespace
}  // namespace stacksim::analysis

namespace stacksim::analysis {
namespace {

TEST(Mva, NetworkTooLargeForTheExactSolverIsBadInputNotAHang) {
  // 25 two-server fcfs stations: 2^25 subsets to solve. Refused at once.
  std::vector<Station> st;
  for (int k = 0; k < 25; ++k) st.push_back(fcfs(("s" + std::to_string(k)).c_str(), 2, 1.0));
  EXPECT_THROW(solve_mva(network(10, st)), InputError);
  // One station with a million servers and a million customers: 1e12 steps.
  EXPECT_THROW(solve_mva(network(1'000'000, {fcfs("big", 1'000'000, 1.0)})), InputError);
}

}  // namespace
}  // namespace stacksim::analysis
