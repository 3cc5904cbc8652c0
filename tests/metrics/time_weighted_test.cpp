#include "sim/metrics/time_weighted.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace stacksim {
namespace {

// t=0..10 value 0, t=10..30 value 2, t=30..40 value 5, t=40..50 value 1:
// area = 0*10 + 2*20 + 5*10 + 1*10 = 100 value-ns over 50 ns, average 2.0,
// peak 5.
TEST(TimeWeighted, AverageOfAKnownStepFunction) {
  TimeWeighted q(0, 0.0);
  q.set(10, 2.0);
  q.set(30, 5.0);
  q.set(40, 1.0);
  EXPECT_DOUBLE_EQ(q.area(50), 100.0);
  EXPECT_DOUBLE_EQ(q.average(50), 2.0);
  EXPECT_DOUBLE_EQ(q.max(), 5.0);
  EXPECT_DOUBLE_EQ(q.value(), 1.0);
  // Reading does not change the state: the same question gives the same answer.
  EXPECT_DOUBLE_EQ(q.average(50), 2.0);
}

// Continuing the timeline above, the warm-up ends at t=50 (value 1). Then
// t=60 value 3; at t=70 the new window holds 1*10 + 3*10 = 40 over 20 ns,
// average 2.0, peak 3: the 5 before the reset is forgotten.
TEST(TimeWeighted, ResetStartsANewWindowKeepingTheCurrentValue) {
  TimeWeighted q(0, 0.0);
  q.set(10, 2.0);
  q.set(30, 5.0);
  q.set(40, 1.0);
  q.reset(50);
  EXPECT_EQ(q.window_start_ns(), 50);
  EXPECT_DOUBLE_EQ(q.max(), 1.0);
  q.set(60, 3.0);
  EXPECT_DOUBLE_EQ(q.average(70), 2.0);
  EXPECT_DOUBLE_EQ(q.max(), 3.0);
}

// A queue: arrivals at t=0 and t=100, departures at t=200 and t=400, window
// [0, 400]: length 1 for 100 ns, 2 for 100 ns, 1 for 200 ns = 500 / 400 =
// 1.25 on average (Little: 2 jobs, sojourns 200 and 300 ns, 500 ns / 400 ns).
TEST(TimeWeighted, AddCountsArrivalsAndDepartures) {
  TimeWeighted q(0, 0.0);
  q.add(0, +1);
  q.add(100, +1);
  q.add(200, -1);
  q.add(400, -1);
  EXPECT_DOUBLE_EQ(q.average(400), 1.25);
  EXPECT_DOUBLE_EQ(q.max(), 2.0);
  EXPECT_DOUBLE_EQ(q.value(), 0.0);
}

TEST(TimeWeighted, EmptyWindowReportsTheCurrentValue) {
  TimeWeighted q(1000, 4.0);
  EXPECT_DOUBLE_EQ(q.average(1000), 4.0);
  q.set(1000, 6.0);
  EXPECT_DOUBLE_EQ(q.average(1000), 6.0);
  EXPECT_DOUBLE_EQ(q.max(), 6.0);
}

TEST(TimeWeighted, TimeGoingBackwardsIsRefused) {
  TimeWeighted q(0, 1.0);
  q.set(100, 2.0);
  EXPECT_THROW(q.set(99, 3.0), std::invalid_argument);
  EXPECT_THROW(q.average(50), std::invalid_argument);
  EXPECT_THROW(q.reset(10), std::invalid_argument);
  // The refused calls changed nothing: 1*100 + 2*100 = 300 over 200 ns.
  EXPECT_DOUBLE_EQ(q.average(200), 1.5);
}

}  // namespace
}  // namespace stacksim
