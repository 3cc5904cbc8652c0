// The event loop's contract: (time, sequence) order, cancel by flag, time
// never going backwards, and the edges of run / run_until / stop. Timers:
// armed in place, in the same (time, sequence) order as pushed events, so
// arming one runs events exactly as a cancel and a push would.
#include "sim/engine/simulator.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "sim/engine/event.hpp"
#include "sim/engine/rng.hpp"
#include "tests/support/event_recorder.hpp"

namespace stacksim {
namespace {

using testing::EventRecorder;

TEST(Simulator, EventsAtEqualTimesRunInInsertionOrder) {
  // Five events at t = 7 scheduled in the order 0..4, interleaved with
  // earlier and later ones: the t = 7 group runs 0, 1, 2, 3, 4.
  Simulator sim;
  EventRecorder rec(sim);
  sim.schedule_at(9, rec, 100);
  for (std::uint64_t i = 0; i < 5; ++i) {
    sim.schedule_at(7, rec, i);
    sim.schedule_at(3, rec, 50 + i);
  }
  sim.run();
  const std::vector<std::uint64_t> expected = {50, 51, 52, 53, 54, 0, 1, 2, 3, 4, 100};
  EXPECT_EQ(rec.args, expected);
}

TEST(Simulator, CancelledEventIsSkippedAndOthersStillRun) {
  // t=1 a, t=2 b (cancelled), t=3 c: only a and c run; cancelling twice
  // or cancelling an event that already ran changes nothing.
  Simulator sim;
  EventRecorder rec(sim);
  const EventId a = sim.schedule_at(1, rec, 1);
  const EventId b = sim.schedule_at(2, rec, 2);
  sim.schedule_at(3, rec, 3);
  EXPECT_TRUE(sim.is_pending(b));
  sim.cancel(b);
  sim.cancel(b);
  EXPECT_FALSE(sim.is_pending(b));
  sim.run();
  EXPECT_EQ(rec.args, (std::vector<std::uint64_t>{1, 3}));
  EXPECT_EQ(rec.times, (std::vector<SimTime>{1, 3}));
  EXPECT_EQ(sim.events_processed(), 2u);
  sim.cancel(a);  // already ran: a no-op
  EXPECT_FALSE(sim.is_pending(a));
}

TEST(Simulator, StaleIdDoesNotCancelTheEventThatReusedItsSlot) {
  // a runs and frees its slot; b takes the same slot. Cancelling a's old id
  // must not touch b (the sequence number guards the slot).
  Simulator sim;
  EventRecorder rec(sim);
  const EventId a = sim.schedule_at(1, rec, 1);
  sim.run();
  const EventId b = sim.schedule_at(2, rec, 2);
  ASSERT_EQ(a.slot, b.slot) << "the test expects the freed slot to be reused";
  sim.cancel(a);
  EXPECT_TRUE(sim.is_pending(b));
  sim.run();
  EXPECT_EQ(rec.args, (std::vector<std::uint64_t>{1, 2}));
}

TEST(Simulator, TimeNeverGoesBackwardsUnderRandomScheduling) {
  // 20,000 events at random times, each handler scheduling a follow-up at a
  // random delay >= 0 (zero delays included): now() is non-decreasing and
  // equal times keep their scheduling order.
  struct Chain final : EventHandler {
    Simulator* sim;
    Rng rng{42, "chain", 0};
    std::vector<SimTime> seen;
    int left = 20'000;
    void on_event(std::uint64_t) override {
      seen.push_back(sim->now());
      if (--left > 0) sim->schedule_in(static_cast<SimTime>(rng.uniform_index(4)), *this);
    }
  } chain;
  Simulator sim;
  chain.sim = &sim;
  for (int i = 0; i < 50; ++i)
    sim.schedule_at(static_cast<SimTime>(chain.rng.uniform_index(10)), chain);
  sim.run();
  ASSERT_GE(chain.seen.size(), 20'000u);
  for (std::size_t i = 1; i < chain.seen.size(); ++i) ASSERT_LE(chain.seen[i - 1], chain.seen[i]);
}

TEST(Simulator, SchedulingInThePastThrows) {
  Simulator sim;
  EventRecorder rec(sim);
  sim.schedule_at(10, rec);
  sim.run();
  EXPECT_THROW(sim.schedule_at(9, rec), std::logic_error);
  EXPECT_NO_THROW(sim.schedule_at(10, rec));  // now itself is allowed
}

TEST(Simulator, RunUntilRunsEventsUpToAndIncludingTheLimitThenSetsNow) {
  // Events at 5, 10, 15; run_until(10) runs two, leaves now = 10; then
  // run_until(12) runs none and sets now = 12; run() finishes the third.
  Simulator sim;
  EventRecorder rec(sim);
  for (SimTime t : {5, 10, 15}) sim.schedule_at(t, rec, static_cast<std::uint64_t>(t));
  sim.run_until(10);
  EXPECT_EQ(rec.args.size(), 2u);
  EXPECT_EQ(sim.now(), 10);
  sim.run_until(12);
  EXPECT_EQ(sim.now(), 12);
  EXPECT_EQ(rec.args.size(), 2u);
  sim.run();
  EXPECT_EQ(rec.args, (std::vector<std::uint64_t>{5, 10, 15}));
}

TEST(Simulator, RunUntilTheEndOfTimeRunsEachEventOnce) {
  // One event at t = 1, then run_until(kTimeNever): it must run exactly once
  // and return. (The handler stops the loop on a second call so that a
  // failure shows as a count instead of a hang.)
  struct Counter final : EventHandler {
    Simulator* sim;
    int calls = 0;
    void on_event(std::uint64_t) override {
      if (++calls >= 2) sim->stop();
    }
  } counter;
  Simulator sim;
  counter.sim = &sim;
  sim.schedule_at(1, counter);
  sim.run_until(kTimeNever);
  EXPECT_EQ(counter.calls, 1);
}

TEST(Simulator, StopReturnsAfterTheCurrentEventAndRunResumes) {
  struct Stopper final : EventHandler {
    Simulator* sim;
    std::vector<SimTime> seen;
    void on_event(std::uint64_t arg) override {
      seen.push_back(sim->now());
      if (arg == 1) sim->stop();
    }
  } s;
  Simulator sim;
  s.sim = &sim;
  sim.schedule_at(1, s, 0);
  sim.schedule_at(2, s, 1);
  sim.schedule_at(3, s, 0);
  sim.run();
  EXPECT_EQ(s.seen, (std::vector<SimTime>{1, 2}));
  sim.run();
  EXPECT_EQ(s.seen, (std::vector<SimTime>{1, 2, 3}));
}

TEST(SimulatorTimer, ArmedTimerRunsInSequenceOrderAmongPushedEventsAndDisarmsOnFiring) {
  // At t = 7: event 0, the timer (arg 9) armed, event 1; then the timer is
  // moved to t = 5 and back to 7 after event 2: it runs after 2, the
  // order of its last arming.
  Simulator sim;
  EventRecorder rec(sim);
  const TimerId t = sim.add_timer(rec, 9);
  EXPECT_FALSE(sim.armed(t));
  sim.schedule_at(7, rec, 0);
  sim.arm(t, 7);
  sim.schedule_at(7, rec, 1);
  sim.arm(t, 5);
  sim.schedule_at(7, rec, 2);
  sim.arm(t, 7);
  sim.schedule_at(7, rec, 3);
  EXPECT_TRUE(sim.armed(t));
  sim.run();
  EXPECT_EQ(rec.args, (std::vector<std::uint64_t>{0, 1, 2, 9, 3}));
  EXPECT_FALSE(sim.armed(t));
  EXPECT_EQ(sim.events_processed(), 5u);
}

TEST(SimulatorTimer, DisarmedTimerDoesNotFireAndArmingInThePastThrows) {
  Simulator sim;
  EventRecorder rec(sim);
  const TimerId t = sim.add_timer(rec, 9);
  const TimerId u = sim.add_timer(rec, 8);
  sim.arm(t, 4);
  sim.arm(u, 6);
  sim.disarm(t);
  sim.schedule_at(5, rec, 1);
  sim.run_until(5);  // the timer at 6 is after the limit
  EXPECT_EQ(rec.args, (std::vector<std::uint64_t>{1}));
  EXPECT_TRUE(sim.armed(u));
  EXPECT_THROW(sim.arm(t, 4), std::logic_error);
  sim.run();
  EXPECT_EQ(rec.args, (std::vector<std::uint64_t>{1, 8}));
  EXPECT_EQ(rec.times, (std::vector<SimTime>{5, 6}));
}

// The same random process twice: an owner with one pending event that it
// moves at random (often to a time other events share), among random
// pushes. Once with cancel and push, once with a timer: the same events at
// the same times in the same order.
TEST(SimulatorTimer, ArmingRunsEventsExactlyAsCancelAndPushWould) {
  struct Process final : EventHandler {
    Simulator sim;
    bool use_timer = false;
    Rng rng{7, "timer-equivalence", 0};
    EventId pending;
    TimerId timer;
    std::vector<std::pair<SimTime, std::uint64_t>> seen;
    int left = 30'000;
    void move_own(SimTime at) {
      if (use_timer) {
        sim.arm(timer, at);
      } else {
        sim.cancel(pending);
        pending = sim.schedule_at(at, *this, 0);
      }
    }
    void on_event(std::uint64_t arg) override {
      seen.emplace_back(sim.now(), arg);
      if (--left <= 0) return;
      const auto delay = [&] { return static_cast<SimTime>(rng.uniform_index(5)); };
      for (std::uint64_t k = rng.uniform_index(3); k > 0; --k)
        sim.schedule_in(delay(), *this, 1 + rng.uniform_index(1000));
      if (arg == 0 || rng.uniform_index(2) == 0) move_own(sim.now() + delay());
    }
  };
  Process with_push, with_timer;
  with_timer.use_timer = true;
  with_timer.timer = with_timer.sim.add_timer(with_timer, 0);
  for (Process* p : {&with_push, &with_timer}) {
    p->sim.schedule_at(0, *p, 1);
    p->move_own(0);
    p->sim.run();
  }
  ASSERT_EQ(with_push.seen.size(), with_timer.seen.size());
  EXPECT_EQ(with_push.seen, with_timer.seen);
  EXPECT_EQ(with_push.sim.events_processed(), with_timer.sim.events_processed());
  EXPECT_GT(with_push.seen.size(), 30'000u);
}

}  // namespace
}  // namespace stacksim
