// FixedDelay: every wait lasts the same D, so waits end in the order they
// began, each exactly D after its start.
#include "sim/resources/fixed_delay.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace stacksim {
namespace {

struct Recorder final : EventHandler {
  explicit Recorder(Simulator& s) : sim(s) {}
  void on_event(std::uint64_t arg) override { ends.push_back({arg, sim.now()}); }
  Simulator& sim;
  std::vector<std::pair<std::uint64_t, SimTime>> ends;
};

struct Starter final : EventHandler {
  Starter(FixedDelay& d, Recorder& r) : delay(d), rec(r) {}
  void on_event(std::uint64_t arg) override { delay.wait(Continuation{&rec, arg}); }
  FixedDelay& delay;
  Recorder& rec;
};

// D = 10. t=0 A starts; t=3 B starts; t=3 C starts; t=12 D starts.
// A ends at 10, B and C at 13 in that order, D at 22.
TEST(FixedDelay, WaitsEndExactlyDLaterInTheOrderTheyBegan) {
  Simulator sim;
  FixedDelay delay(sim, 10);
  Recorder rec(sim);
  Starter start(delay, rec);
  sim.schedule_at(0, start, 'A');
  sim.schedule_at(3, start, 'B');
  sim.schedule_at(3, start, 'C');
  sim.schedule_at(12, start, 'D');
  sim.run();
  const std::vector<std::pair<std::uint64_t, SimTime>> expected = {
      {'A', 10}, {'B', 13}, {'C', 13}, {'D', 22}};
  EXPECT_EQ(rec.ends, expected);
  EXPECT_EQ(delay.waiting(), 0u);
}

// A wait started by a callback of a wait that just ended ends D later, not
// in the same pass.
struct Chain final : EventHandler {
  Chain(Simulator& s, FixedDelay& d) : sim(s), delay(d) {}
  void on_event(std::uint64_t left) override {
    ends.push_back(sim.now());
    if (left > 0) delay.wait(Continuation{this, left - 1});
  }
  Simulator& sim;
  FixedDelay& delay;
  std::vector<SimTime> ends;
};

TEST(FixedDelay, AWaitStartedAsOneEndsRunsAFullDelayLater) {
  Simulator sim;
  FixedDelay delay(sim, 7);
  Chain chain(sim, delay);
  delay.wait(Continuation{&chain, 2});
  sim.run();
  EXPECT_EQ(chain.ends, (std::vector<SimTime>{7, 14, 21}));
}

}  // namespace
}  // namespace stacksim
