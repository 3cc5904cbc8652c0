// The corrections CpuHost applies on top of processor sharing, each tested
// on its own against its formula (cpu_host_test.cpp tests them inside the
// host): CoreOccupancy (background, imbalance), IdleShare (load
// dependence), WakeupLatency (which wake-ups pay) and HostSpeed.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "sim/resources/core_occupancy.hpp"
#include "sim/resources/host_speed.hpp"
#include "sim/resources/idle_share.hpp"
#include "sim/resources/wakeup_latency.hpp"

namespace stacksim {
namespace {

// The expected number of occupied bins when n balls fall into c bins.
double occupied_bins(double n, double c) {
  return c * (1.0 - std::pow(1.0 - 1.0 / c, n));
}

TEST(CoreOccupancy, PlainProcessorSharingKeepsMinOfThreadsAndCoresBusy) {
  const CoreOccupancy occ(4);
  EXPECT_EQ(occ.capacity(), 4.0);
  for (std::size_t n : {0u, 1u, 3u, 4u, 5u, 40u}) {
    EXPECT_EQ(occ.busy_cores(n), std::min(4.0, static_cast<double>(n))) << n;
    EXPECT_EQ(occ.rate(n), n <= 4 ? 1.0 : 4.0 / static_cast<double>(n)) << n;
  }
}

TEST(CoreOccupancy, BackgroundTakesItsCoresOffWhatBurstsMayUse) {
  CoreOccupancy occ(2);
  occ.set_background(0.5);
  EXPECT_EQ(occ.capacity(), 1.5);
  EXPECT_EQ(occ.busy_cores(1), 1.0);
  EXPECT_EQ(occ.busy_cores(3), 1.5);
  EXPECT_EQ(occ.rate(3), 0.5);
}

TEST(CoreOccupancy, FullImbalanceKeepsTheBallsInBinsOccupancyBusy) {
  CoreOccupancy occ(4);
  occ.set_imbalance(1.0);
  for (std::size_t n : {1u, 2u, 3u, 4u, 8u, 20u}) {
    const double expected = occupied_bins(static_cast<double>(n), 4.0);
    EXPECT_NEAR(occ.busy_cores(n), expected, 1e-12) << n;
    EXPECT_NEAR(occ.rate(n), expected / static_cast<double>(n), 1e-12) << n;
  }
  EXPECT_NEAR(occ.busy_cores(2), 1.75, 1e-12);  // 4 (1 - (3/4)^2)
  // Many threads fill every core: the loss vanishes.
  EXPECT_NEAR(occ.busy_cores(200), 4.0, 1e-9);
  EXPECT_EQ(occ.busy_cores(100000), 4.0);
}

TEST(CoreOccupancy, PartialImbalanceInterpolatesAndTheBackgroundScalesTheLoss) {
  CoreOccupancy occ(2);
  occ.set_imbalance(0.25);
  // Two threads on two cores: random placement leaves a core empty half the time.
  EXPECT_NEAR(occ.busy_cores(2), 2.0 - 0.25 * (2.0 - occupied_bins(2, 2)), 1e-12);
  EXPECT_NEAR(occ.busy_cores(2), 1.875, 1e-12);
  occ.set_background(0.5);
  const double loss = 2.0 - occupied_bins(2, 2);
  EXPECT_NEAR(occ.busy_cores(2), 1.5 - 0.25 * loss * 1.5 / 2.0, 1e-12);
}

TEST(CoreOccupancy, BadSettingsAreRefused) {
  EXPECT_THROW(CoreOccupancy{0}, std::invalid_argument);
  CoreOccupancy occ(2);
  EXPECT_THROW(occ.set_background(2.0), std::invalid_argument);
  EXPECT_THROW(occ.set_background(-0.1), std::invalid_argument);
  EXPECT_THROW(occ.set_imbalance(1.5), std::invalid_argument);
  EXPECT_THROW(occ.set_imbalance(std::nan("")), std::invalid_argument);
}

TEST(IdleShare, TheBusyShareFollowsTheExponentialAndStretchesByOnePlusKIdle) {
  IdleShare idle;
  idle.set_window(10);
  EXPECT_EQ(idle.idle(), 1.0);               // a host that never ran
  EXPECT_EQ(idle.stretch(1000, 0.5), 1500);  // (1 + 0.5 * 1) * 1000
  idle.advance(10, 1.0);                     // one window saturated
  EXPECT_NEAR(idle.idle(), std::exp(-1.0), 1e-15);
  EXPECT_EQ(idle.stretch(1000, 0.5), 1000 + std::llround(500 * std::exp(-1.0)));
  idle.advance(1000, 1.0);  // saturated for 100 windows: no stretch left
  EXPECT_EQ(idle.stretch(1000, 0.5), 1000);
  idle.advance(10, 0.0);  // idle again for one window
  EXPECT_NEAR(idle.idle(), 1.0 - std::exp(-1.0), 1e-12);
}

TEST(IdleShare, BadSettingsAreRefused) {
  IdleShare idle;
  EXPECT_THROW(idle.set_window(0), std::invalid_argument);
  EXPECT_THROW(IdleShare::check_inflation(-0.1), std::invalid_argument);
  EXPECT_THROW(IdleShare::check_inflation(std::nan("")), std::invalid_argument);
  EXPECT_NO_THROW(IdleShare::check_inflation(0.0));
}

TEST(WakeupLatency, OnlyAWakeUpThatNeedsAnIdleCorePays) {
  using W = WakeupLatency::Waker;
  WakeupLatency off;
  EXPECT_FALSE(off.pays(W::kNone, 0, 2.0));  // no latency, nothing pays
  WakeupLatency w;
  w.set(50'000);
  EXPECT_TRUE(w.on());
  EXPECT_EQ(w.latency(), 50'000);
  // A timer or an arrival, and a waker that keeps running, with a core idle.
  EXPECT_TRUE(w.pays(W::kNone, 1, 2.0));
  EXPECT_TRUE(w.pays(W::kGoesOn, 0, 2.0));
  // Every core taken: the thread joins processor sharing.
  EXPECT_FALSE(w.pays(W::kNone, 2, 2.0));
  EXPECT_FALSE(w.pays(W::kGoesOn, 3, 2.0));
  // Background work leaves 1.5 cores: a second thread finds none idle.
  EXPECT_TRUE(w.pays(W::kNone, 1, 1.5));
  EXPECT_FALSE(w.pays(W::kNone, 2, 1.5));
  // A hand-off (the waker sleeps) and a process that goes on never pay.
  EXPECT_FALSE(w.pays(W::kSleeps, 0, 2.0));
  EXPECT_FALSE(w.pays(W::kSelf, 0, 2.0));
  EXPECT_THROW(w.set(-1), std::invalid_argument);
}

TEST(HostSpeed, EveryDemandTakesOneOverSpeedOfItsTime) {
  const HostSpeed one;
  EXPECT_TRUE(one.changes_nothing());
  EXPECT_EQ(one.apply(1234), 1234);
  const HostSpeed twice(2.0);
  EXPECT_EQ(twice.apply(1000), 500);
  EXPECT_EQ(twice.time_of(3.0), 1.5);
  EXPECT_EQ(HostSpeed(3.0).apply(1000), 333);  // to the nearest ns
  EXPECT_EQ(HostSpeed(0.5).apply(1000), 2000);
  EXPECT_THROW(HostSpeed{0.0}, std::invalid_argument);
  EXPECT_THROW(HostSpeed{-1.0}, std::invalid_argument);
  EXPECT_THROW(HostSpeed{INFINITY}, std::invalid_argument);
}

}  // namespace
}  // namespace stacksim
