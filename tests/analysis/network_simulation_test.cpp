// The engine proves itself: the project's Simulator, CpuHost and Pool,
// wired as a closed network, must reproduce exact MVA. Each check asks that
// the exact value lies inside the simulation's 95% Student-t interval over
// independent replications (seed fixed, so the outcome is reproducible; a
// correct simulator misses a given interval with probability 5%). The
// additional checks (shape insensitivity, U and Q) allow 2 half-widths, a
// ~99.9% interval, so that a dozen of them together still rarely miss by
// chance while a bias of a few half-widths fails.
#include "sim/analysis/network_simulation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "common/input_error.hpp"
#include "sim/analysis/closed_network.hpp"
#include "sim/analysis/mva.hpp"

namespace stacksim::analysis {
namespace {

const std::string kDir = std::string(STACKSIM_SOURCE_DIR) + "/networks/";

SimulationOptions options() {
  SimulationOptions o;
  o.replications = 10;
  o.jobs = 40'000;
  o.seed = 1;
  return o;
}

// |x - mean| <= widen * half-width.
bool inside(const Estimate& e, double x, double widen) {
  return std::abs(x - e.mean) <= widen * e.half_width;
}

void expect_agreement(const ClosedNetwork& net, const NetworkSimulationResult& sim,
                      double widen = 1.0) {
  const MvaResult mva = solve_mva(net);
  const int n = net.customers;
  EXPECT_TRUE(inside(sim.throughput_rps, mva.throughput_rps(n), widen))
      << "X: MVA " << mva.throughput_rps(n) << "/s, simulation " << sim.throughput_rps.mean
      << " +- " << sim.throughput_rps.half_width;
  for (std::size_t k = 0; k < net.stations.size(); ++k) {
    const Estimate& r = sim.stations[k].residence_ms;
    EXPECT_TRUE(inside(r, mva.stations[k].residence_ms[n], widen))
        << net.stations[k].name << ": R MVA " << mva.stations[k].residence_ms[n]
        << " ms, simulation " << r.mean << " +- " << r.half_width;
  }
  // Little's law on every run: N = sum_k X_k r_k (visit rate times sojourn
  // per visit; with V_k visits per cycle X_k r_k = X R_k, so this is
  // N = X (R + Z)). Only the jobs in progress at the ends of the measured
  // window (N of them, against ~jobs x stations completions) can break it.
  for (const ReplicationRecord& rec : sim.replications)
    EXPECT_LT(rec.little_relative_error, 1e-3)
        << "X " << rec.throughput_rps << " R " << rec.cycle_time_ms;
}

TEST(Estimate95, IsStudentTOverTheSamples) {
  // {1, 2, 3, 4, 5}: mean 3, s = sqrt(10 / 4) = 1.5811, t_{0.975, 4} = 2.7764,
  // half-width = 2.7764 x 1.5811 / sqrt(5) = 1.9632.
  const Estimate e = estimate_95({1, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(e.mean, 3.0);
  EXPECT_NEAR(e.half_width, 1.9632, 1e-4);
  EXPECT_EQ(e.samples, 5);
  EXPECT_TRUE(e.contains(4.96));
  EXPECT_FALSE(e.contains(4.97));
  EXPECT_EQ(estimate_95({7.0}).half_width, 0.0);  // no spread from one sample
}

TEST(NetworkSimulation, ClosedMM6AgreesWithExactMva) {
  // X = 6000/s and R = N / X = 16.667 ms exactly (mva_test.cpp). With every
  // server always busy, X's spread is the spread of a sum of exponentials.
  const ClosedNetwork net = load_network(kDir + "mmc.json");
  expect_agreement(net, simulate_network(net, options()));
}

TEST(NetworkSimulation, ClosedMM6WithDelayAgreesWithExactMva) {
  // X = 4697.95/s, R1 = 1.2859 ms, R2 = Z = 20 ms.
  const ClosedNetwork net = load_network(kDir + "mmc_delay.json");
  expect_agreement(net, simulate_network(net, options()));
}

TEST(NetworkSimulation, ThreeStationNetworkWithRandomRoutingAgreesWithExactMva) {
  // PS cpu through CpuHost, 2-server disk through Pool, delay; visit ratios
  // 4 : 2 : 1 by random routing.
  const ClosedNetwork net = load_network(kDir + "three_station.json");
  expect_agreement(net, simulate_network(net, options()));
}

TEST(NetworkSimulation, SmallPopulationsAgreeToo) {
  // N = 1: no queueing at all, X = 1 / sum D = 1 / 15 ms = 66.67/s. N = 3
  // and 7 on the same three stations: light and moderate queueing, where
  // the multi-server disk is mostly below its 2 servers.
  ClosedNetwork net = load_network(kDir + "three_station.json");
  for (int n : {1, 3, 7}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    net.customers = n;
    expect_agreement(net, simulate_network(net, options()), 2.0);
  }
  EXPECT_NEAR(solve_mva(net, 1).throughput_rps(1), 1000.0 / 15.0, 1e-9);
}

TEST(NetworkSimulation, PsStationIsInsensitiveToTheServiceShape) {
  // BCMP: a PS station's product form depends only on the mean, so a
  // lognormal cpu with cv = 3 or a deterministic one keeps MVA's answer.
  ClosedNetwork net = load_network(kDir + "three_station.json");
  net.stations[0].shape = Shape::kLognormal;
  net.stations[0].cv = 3.0;
  expect_agreement(net, simulate_network(net, options()), 2.0);
  net.stations[0].shape = Shape::kDeterministic;
  net.stations[0].cv = 0.0;
  expect_agreement(net, simulate_network(net, options()), 2.0);
}

TEST(NetworkSimulation, UtilisationAndQueueMatchMvaToo) {
  // U_k = X D_k / c_k and Q_k = X R_k: the time averages, not the sojourns.
  const ClosedNetwork net = load_network(kDir + "three_station.json");
  const NetworkSimulationResult sim = simulate_network(net, options());
  const MvaResult mva = solve_mva(net);
  for (std::size_t k = 0; k < net.stations.size(); ++k) {
    SCOPED_TRACE(net.stations[k].name);
    EXPECT_TRUE(inside(sim.stations[k].utilisation, mva.stations[k].utilisation[20], 2.0))
        << mva.stations[k].utilisation[20] << " vs " << sim.stations[k].utilisation.mean << " +- "
        << sim.stations[k].utilisation.half_width;
    EXPECT_TRUE(inside(sim.stations[k].queue, mva.stations[k].queue[20], 2.0))
        << mva.stations[k].queue[20] << " vs " << sim.stations[k].queue.mean << " +- "
        << sim.stations[k].queue.half_width;
  }
}

TEST(NetworkSimulation, SameSeedGivesIdenticalNumbersOnAnyThreadCountAndAnotherSeedDoesNot) {
  const ClosedNetwork net = load_network(kDir + "three_station.json");
  SimulationOptions o = options();
  o.replications = 3;
  o.jobs = 5'000;
  const auto a = simulate_network(net, o);
  const auto b = simulate_network(net, o);
  ASSERT_EQ(a.replications.size(), b.replications.size());
  for (std::size_t i = 0; i < a.replications.size(); ++i) {
    EXPECT_EQ(a.replications[i].throughput_rps, b.replications[i].throughput_rps);
    EXPECT_EQ(a.replications[i].cycle_time_ms, b.replications[i].cycle_time_ms);
    EXPECT_EQ(a.replications[i].events, b.replications[i].events);
  }
  o.threads = 2;  // replications spread over threads: the same numbers
  const auto d = simulate_network(net, o);
  for (std::size_t i = 0; i < a.replications.size(); ++i) {
    EXPECT_EQ(a.replications[i].throughput_rps, d.replications[i].throughput_rps);
    EXPECT_EQ(a.replications[i].events, d.replications[i].events);
  }
  EXPECT_EQ(a.stations[1].residence_ms.mean, d.stations[1].residence_ms.mean);
  o.threads = 1;
  o.seed = 2;
  const auto c = simulate_network(net, o);
  EXPECT_NE(a.replications[0].throughput_rps, c.replications[0].throughput_rps);
}

TEST(NetworkSimulation, RunLongerThanTheClockIsBadInputNotAnOverflow) {
  // One customer, a 1e6 ms (1e12 ns) delay: 1e8 cycles need 1e20 ns > 2^63.
  ClosedNetwork net = load_network(kDir + "mmc_delay.json");
  net.customers = 1;
  net.stations[1].service_ms = 1e6;
  SimulationOptions o = options();
  o.jobs = 100'000'000;
  EXPECT_THROW(simulate_network(net, o), InputError);
}

}  // namespace
}  // namespace stacksim::analysis
