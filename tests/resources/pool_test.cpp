// Pool: FIFO waiters, pull hand-off, lazy creation, LIFO reuse of idle
// units, peak and time-weighted use. Timelines first, then the checks.
#include "sim/resources/pool.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "sim/engine/event.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/metrics/time_weighted.hpp"
#include "tests/support/event_recorder.hpp"

namespace stacksim {
namespace {

// A waiter that records who was granted (args: the argument of its
// continuation) and when (times).
using Granted = testing::EventRecorder;

// Releases `unit` of `pool` when its event fires.
class Releaser final : public EventHandler {
 public:
  explicit Releaser(Pool& pool) : pool_(pool) {}
  void on_event(std::uint64_t unit) override { pool_.release(static_cast<int>(unit)); }

 private:
  Pool& pool_;
};

TEST(Pool, WaitersGetFreedUnitsInFifoOrder) {
  // Capacity 1. t=0 A takes unit 0; B, C, D queue in that order. A releases
  // at t=10: B gets unit 0 at t=10 (pull hand-off: in_use stays 1); B
  // releases at t=20: C; C at t=30: D.
  Simulator sim;
  Pool pool(1, /*lazy=*/false);
  Granted g(sim);
  Releaser rel(pool);
  const Pool::Grant a = pool.acquire(Continuation{&g, 0}, nullptr);
  ASSERT_EQ(a.unit, 0);
  int unit_b = -1, unit_c = -1, unit_d = -1;
  EXPECT_EQ(pool.acquire(Continuation{&g, 1}, &unit_b).unit, -1);
  EXPECT_EQ(pool.acquire(Continuation{&g, 2}, &unit_c).unit, -1);
  EXPECT_EQ(pool.acquire(Continuation{&g, 3}, &unit_d).unit, -1);
  EXPECT_EQ(pool.waiting(), 3u);
  for (SimTime t : {10, 20, 30}) sim.schedule_at(t, rel, 0);
  sim.run();
  EXPECT_EQ(g.args, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(g.times, (std::vector<SimTime>{10, 20, 30}));
  EXPECT_EQ(unit_b, 0);
  EXPECT_EQ(unit_c, 0);
  EXPECT_EQ(unit_d, 0);
  EXPECT_EQ(pool.in_use(), 1);  // D still holds it
  EXPECT_EQ(pool.peak_in_use(), 1);
  EXPECT_EQ(pool.waiting(), 0u);
}

TEST(Pool, ReleasedUnitGoesStraightToTheWaiterNotBackToIdle) {
  // Capacity 2, both taken (units 0 and 1); W waits. Unit 1 is released:
  // W is granted unit 1 during release() itself; nothing is idle, so a
  // newcomer X must wait.
  Simulator sim;
  Pool pool(2, false);
  Granted g(sim);
  EXPECT_EQ(pool.acquire(Continuation{&g, 0}, nullptr).unit, 0);
  EXPECT_EQ(pool.acquire(Continuation{&g, 1}, nullptr).unit, 1);
  int unit_w = -1, unit_x = -1;
  pool.acquire(Continuation{&g, 7}, &unit_w);
  pool.release(1);
  EXPECT_EQ(g.args, (std::vector<std::uint64_t>{7}));
  EXPECT_EQ(unit_w, 1);
  EXPECT_EQ(pool.in_use(), 2);
  EXPECT_EQ(pool.acquire(Continuation{&g, 8}, &unit_x).unit, -1);
  EXPECT_EQ(pool.waiting(), 1u);
}

TEST(Pool, LazyPoolCreatesUnitsOnlyWhenNoneIsIdle) {
  // Lazy, capacity 3. First acquire: unit 0, created (the caller pays the
  // creation cost). Release it; acquire again: unit 0 again, not created.
  // Two more at once: unit 0 (reused) and unit 1 (created). created() = 2.
  Simulator sim;
  Pool pool(3, /*lazy=*/true);
  Granted g(sim);
  EXPECT_EQ(pool.created(), 0);
  Pool::Grant first = pool.acquire(Continuation{&g, 0}, nullptr);
  EXPECT_EQ(first.unit, 0);
  EXPECT_TRUE(first.created);
  pool.release(0);
  Pool::Grant again = pool.acquire(Continuation{&g, 0}, nullptr);
  EXPECT_EQ(again.unit, 0);
  EXPECT_FALSE(again.created);
  Pool::Grant second = pool.acquire(Continuation{&g, 0}, nullptr);
  EXPECT_EQ(second.unit, 1);
  EXPECT_TRUE(second.created);
  EXPECT_EQ(pool.created(), 2);
}

TEST(Pool, IdleUnitsAreReusedLastInFirstOut) {
  // Units 0, 1, 2 taken; released in the order 0, 2, 1. The next three
  // acquires get 1, 2, 0 (the most recently released first, as pgbouncer
  // does), none created.
  Simulator sim;
  Pool pool(3, true);
  Granted g(sim);
  for (int u = 0; u < 3; ++u) EXPECT_EQ(pool.acquire(Continuation{&g, 0}, nullptr).unit, u);
  pool.release(0);
  pool.release(2);
  pool.release(1);
  for (int want : {1, 2, 0}) {
    const Pool::Grant gr = pool.acquire(Continuation{&g, 0}, nullptr);
    EXPECT_EQ(gr.unit, want);
    EXPECT_FALSE(gr.created);
  }
  EXPECT_EQ(pool.created(), 3);
}

TEST(Pool, PeakAndEveryChangeOfUseFollowTheTimeline) {
  // Capacity 4. t=0 take 1; t=10 take 2 more (3 in use, the peak); t=30
  // release 2 (1 in use); t=50 read. The listener sees every change, so a
  // time-weighted metric fed by it has the area 1 x 10 + 3 x 20 + 1 x 20 =
  // 90 unit-ns. reset_statistics at t=50 sets the peak to in_use = 1; the
  // metric's own reset its area to 0, and at t=60 the area is 1 x 10.
  Simulator sim;
  Pool pool(4, false);
  TimeWeighted use;
  std::vector<int> seen;
  pool.on_change([&](int in_use) {
    use.set(sim.now(), in_use);
    seen.push_back(in_use);
  });
  Granted g(sim);
  struct Step final : EventHandler {
    Pool* pool;
    Granted* g;
    void on_event(std::uint64_t what) override {
      if (what == 1) {
        pool->acquire(Continuation{g, 0}, nullptr);
        pool->acquire(Continuation{g, 0}, nullptr);
      } else if (what == 2) {
        pool->release(1);
        pool->release(2);
      }
    }
  } step;
  step.pool = &pool;
  step.g = &g;
  EXPECT_EQ(pool.acquire(Continuation{&g, 0}, nullptr).unit, 0);
  sim.schedule_at(10, step, 1);
  sim.schedule_at(30, step, 2);
  sim.run_until(50);
  EXPECT_EQ(pool.peak_in_use(), 3);
  EXPECT_EQ(pool.in_use(), 1);
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 2, 1}));
  EXPECT_DOUBLE_EQ(use.area(50), 90.0);
  pool.reset_statistics();
  use.reset(50);
  EXPECT_EQ(pool.peak_in_use(), 1);
  sim.run_until(60);
  EXPECT_DOUBLE_EQ(use.area(60), 10.0);
}

// A unit handed from one holder to a waiter does not change the use: the
// listener is not called for it.
TEST(Pool, AHandOffIsNoChangeOfUse) {
  Simulator sim;
  Pool pool(1, false);
  int changes = 0;
  pool.on_change([&](int) { ++changes; });
  Granted g(sim);
  int unit = -1;
  ASSERT_EQ(pool.acquire(Continuation{&g, 0}, nullptr).unit, 0);
  EXPECT_EQ(pool.acquire(Continuation{&g, 0}, &unit).unit, -1);  // queued
  EXPECT_EQ(changes, 1);
  pool.release(0);  // to the waiter
  EXPECT_EQ(unit, 0);
  EXPECT_EQ(pool.in_use(), 1);
  EXPECT_EQ(changes, 1);
  pool.release(0);
  EXPECT_EQ(changes, 2);
  EXPECT_EQ(pool.in_use(), 0);
}

}  // namespace
}  // namespace stacksim
