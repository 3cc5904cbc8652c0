// How each accept policy spreads new connections over the workers, against
// its closed form. The live runner records the same thing (served counts per
// worker), and docs/validation/async-tails.md sets the two side by side with
// Pearson's dispersion index D = sum_i (n_i - N/W)^2 / (N/W) / (W - 1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include "sim/components/app_server.hpp"
#include "sim/engine/simulator.hpp"

namespace stacksim {
namespace {

class Silent final : public StackObserver {
 public:
  void on_complete(const Request&, SimTime) override {}
  void on_failed(const Request&, SimTime) override {}
  void on_occupancy(Occupancy, double, SimTime) override {}
};

// W async workers (no cap that N connections reach) under `policy`.
struct Server {
  Server(int workers, AcceptPolicy policy, std::uint64_t seed)
      : host(sim, 2),
        app(sim, host, observer, "app", workers, 1 << 20, policy, 16, Rng(seed, "app", 0)) {}
  Simulator sim;
  CpuHost host;
  Silent observer;
  AppServer app;
};

double dispersion_index(const AppServer& app) {
  const int w = app.workers();
  double n = 0;
  for (int i = 0; i < w; ++i) n += static_cast<double>(app.served(i));
  const double expected = n / w;
  double x2 = 0;
  for (int i = 0; i < w; ++i) {
    const double d = static_cast<double>(app.served(i)) - expected;
    x2 += d * d / expected;
  }
  return x2 / (w - 1);
}

// Random placement makes the counts Multinomial(N, 1/W), so Pearson's X^2
// is chi-square with W - 1 degrees of freedom: D has mean 1 and variance
// 2 / (W - 1). Over R = 400 independent servers of W = 4 the mean of D is
// 1 with standard error sqrt(2/3/400) = 0.041; its sample variance is 2/3
// give or take 0.08 (from chi-square's fourth moment). Checked at 5
// standard errors each.
TEST(AcceptPolicy, RandomSpreadsConnectionsMultinomially) {
  constexpr int kWorkers = 4, kConnections = 2000, kServers = 400;
  std::vector<double> d;
  for (int s = 0; s < kServers; ++s) {
    Server server(kWorkers, AcceptPolicy::kRandom, static_cast<std::uint64_t>(s));
    std::deque<Request> requests(kConnections);
    for (Request& r : requests) ASSERT_EQ(server.app.accept(r, {}), AppServer::Admit::kNow);
    d.push_back(dispersion_index(server.app));
  }
  double mean = 0, var = 0;
  for (double x : d) mean += x / kServers;
  for (double x : d) var += (x - mean) * (x - mean) / (kServers - 1);
  EXPECT_NEAR(mean, 1.0, 5 * 0.041);
  EXPECT_NEAR(var, 2.0 / 3.0, 0.4);
}

// Round robin deals the connections in turn: N = k W gives every worker k.
TEST(AcceptPolicy, RoundRobinDealsEveryWorkerTheSameCount) {
  Server server(3, AcceptPolicy::kRoundRobin, 1);
  std::deque<Request> requests(300);
  for (Request& r : requests) server.app.accept(r, {});
  for (int w = 0; w < 3; ++w) EXPECT_EQ(server.app.served(w), 100u);
  EXPECT_EQ(dispersion_index(server.app), 0.0);
}

// Least loaded in a closed loop of C = 10 connections on W = 3 workers: a
// random one of those in flight ends and a new one is accepted, 3000 times.
// The new one goes to a worker with the fewest, so the in-flight counts
// never differ by more than one after an accept (they start 4, 3, 3).
TEST(AcceptPolicy, LeastLoadedKeepsTheInFlightCountsWithinOne) {
  Server server(3, AcceptPolicy::kLeastLoaded, 1);
  Rng pick(7, "closed-loop", 0);
  std::deque<Request> requests;
  std::vector<Request*> in_flight;
  for (int c = 0; c < 10; ++c) {
    requests.emplace_back();
    server.app.accept(requests.back(), {});
    in_flight.push_back(&requests.back());
  }
  for (int step = 0; step < 3000; ++step) {
    const auto k = static_cast<std::size_t>(pick.uniform_index(in_flight.size()));
    server.app.release(*in_flight[k]);
    requests.emplace_back();
    server.app.accept(requests.back(), {});
    in_flight[k] = &requests.back();
    const int most =
        std::max({server.app.in_flight(0), server.app.in_flight(1), server.app.in_flight(2)});
    const int least =
        std::min({server.app.in_flight(0), server.app.in_flight(1), server.app.in_flight(2)});
    ASSERT_LE(most - least, 1) << "step " << step;
  }
}

}  // namespace
}  // namespace stacksim
