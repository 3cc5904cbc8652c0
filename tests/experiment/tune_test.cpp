// `stacksim tune` on a stack whose optimum can be worked out by hand.
//
// The model: every demand 0 except the sync worker's `pre`, exponential with
// mean p = 1 ms, on n = 2 cores, with D = 20 ms of query delay, 200 clients
// (always more than workers, so a worker never waits for work) and 200
// sessions. Each of W workers cycles through a CPU burst and the delay: the
// closed network of a delay station (20 ms) and a 2-server exponential
// station (1 ms; processor sharing on 2 cores has the same birth-death
// process), W customers. Its throughput X(W) comes from exact MVA
// (sim/analysis/mva.hpp): W / 21 ms while the CPU has room, n / p = 2000 rps
// once it binds, a smooth bend between; the knee of the two lines is
// W* = 2000 rps x 21 ms = 42. The choice is the cheapest W within 1% (or
// the 95% interval) of the best, so it sits where the MVA curve reaches
// 98-99% of its top.
// For a target X (goal c) the least W is the least with X(W) >= target
// (by Little's law, about X x 21 ms: 11 workers for 500 rps).
#include "sim/experiment/tune.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "common/input_error.hpp"
#include "sim/analysis/mva.hpp"
#include "sim/experiment/tune_report.hpp"
#include "tests/components/test_stack_model.hpp"
#include "tests/support/input_error.hpp"

namespace stacksim {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

Model hand_model() {
  Model m = testing::uniform_model(0, 0);
  m.stacks.at("sync").pre = Distribution(Shape::kExponential, 1e6, 1);  // p = 1 ms
  m.stacks.at("sync").memory = StackMemory{20, 30};
  return m;
}

// X(W) of the closed network above, in rps.
double mva_rps(int workers) {
  analysis::ClosedNetwork net;
  net.name = "sync";
  net.customers = workers;
  net.stations = {{"delay", analysis::StationKind::kDelay, 1, 20.0},
                  {"cpu", analysis::StationKind::kFcfs, 2, 1.0}};
  return analysis::solve_mva(net).throughput_rps(workers);
}

// The least W whose X(W) is at least `rps`.
int least_workers(double rps) {
  int w = 1;
  while (mva_rps(w) < rps) ++w;
  return w;
}

TuneSpec hand_spec(TuneGoal goal) {
  TuneSpec spec;
  spec.scenario = testing::small_scenario();
  spec.scenario.clients = 200;
  spec.scenario.requests = 3000;
  spec.scenario.warmup_requests = 500;
  spec.scenario.replications = 2;
  spec.stacks = {"sync"};
  spec.goal = goal;
  spec.knobs = {make_tune_knob("--knob workers", "workers", 1, 80),
                make_tune_knob("--knob sessions", "sessions", 200, 200)};
  spec.ladder_points = 5;
  return spec;
}

TEST(Tune, HighestThroughputChoosesWhereTheMvaCurveFlattens) {
  const TuneResult r = run_tune(hand_model(), hand_spec(TuneGoal::kMaxThroughput));
  ASSERT_EQ(r.stacks.size(), 1u);
  const StackTune& t = r.stacks[0];
  EXPECT_EQ(t.knobs[0].knob, "workers.sync");
  // Between the W reaching 97% of the top and the W reaching 99.5% of it:
  // the 1% band around the top, widened by the simulation's own noise.
  const double top = mva_rps(80);
  EXPECT_GE(t.chosen.workers, least_workers(0.97 * top)) << tune_label(t, t.chosen);
  EXPECT_LE(t.chosen.workers, least_workers(0.995 * top)) << tune_label(t, t.chosen);
  EXPECT_GE(t.chosen.workers, 42);  // never below the knee of the bounds
  EXPECT_NEAR(t.chosen.throughput.mean, mva_rps(t.chosen.workers), 0.03 * top);
  EXPECT_EQ(t.chosen.binding, "cpu");
  EXPECT_EQ(t.chosen.replications, 4u);  // refined at twice the ladder's
  // RAM: master 30 MB + W x 20 MB.
  ASSERT_TRUE(t.chosen.ram_mb);
  EXPECT_EQ(*t.chosen.ram_mb, 30 + 20.0 * t.chosen.workers);
  EXPECT_EQ(t.alternatives.size(), 3u);
  EXPECT_TRUE(t.reached);
}

// The connections a configuration's RAM counts: X x mean latency by
// Little's law, which in a closed loop without think time is every client
// (200), at most W x max_concurrency: 10 sync workers hold 10, 10
// coroutine workers all 200.
TEST(Tune, RamCountsTheConnectionsHeldByLittlesLawCappedByTheWorkersSlots) {
  Model m = hand_model();
  m.stacks.at("sync").memory->connection_mb = 0.5;
  m.stacks.at("coroutine").pre = Distribution(Shape::kExponential, 1e6, 1);
  m.stacks.at("coroutine").memory = StackMemory{20, 30, 0.25};
  TuneSpec spec = hand_spec(TuneGoal::kMaxThroughput);
  spec.stacks = {"sync", "coroutine"};
  spec.knobs = {make_tune_knob("--knob workers", "workers", 10, 10),
                make_tune_knob("--knob sessions", "sessions", 200, 200)};
  const TuneResult r = run_tune(m, spec);
  ASSERT_EQ(r.stacks.size(), 2u);
  const TunePoint& sync = r.stacks[0].chosen;
  EXPECT_EQ(sync.connections, 10);
  EXPECT_DOUBLE_EQ(*sync.ram_mb, 30 + 20 * 10 + 0.5 * 10);
  const TunePoint& async = r.stacks[1].chosen;
  EXPECT_NEAR(async.connections, 200, 2);
  EXPECT_DOUBLE_EQ(*async.ram_mb, 30 + 20 * 10 + 0.25 * async.connections);
}

TEST(Tune, RulesOfThumbPickWhatTheyStateAndTheModelPredictsThem) {
  const TuneResult r = run_tune(hand_model(), hand_spec(TuneGoal::kMaxThroughput));
  const StackTune& t = r.stacks[0];
  ASSERT_EQ(t.rules.size(), 3u);
  // gunicorn: 2 x 2 + 1 = 5 workers, at X(5) of the network (about 5 / 21 ms).
  EXPECT_EQ(t.rules[0].name, "gunicorn");
  EXPECT_EQ(t.rules[0].at.workers, 5);
  EXPECT_NEAR(t.rules[0].at.throughput.mean, mva_rps(5), 0.03 * mva_rps(5));
  EXPECT_NE(t.rules[0].verdict.find("less throughput than the tuned choice"), std::string::npos)
      << t.rules[0].verdict;
  // pool: 2 x 2 + 0 = 4 sessions, which then bind.
  EXPECT_EQ(t.rules[1].name, "pool");
  EXPECT_EQ(t.rules[1].at.sessions, 4);
  EXPECT_EQ(t.rules[1].at.workers, t.chosen.workers);
  EXPECT_EQ(t.rules[1].at.binding, "sessions");
  // Little: W = X x h with h the uncontended hold, 21 ms.
  EXPECT_EQ(t.rules[2].name, "little");
  EXPECT_NEAR(t.chosen.worker_hold_ms, 21, 1e-9);
  EXPECT_EQ(t.rules[2].at.workers, static_cast<int>(std::ceil(t.chosen.throughput.mean * 0.021)));
}

TEST(Tune, LeastWorkersForAThroughputFollowLittlesLaw) {
  TuneSpec spec = hand_spec(TuneGoal::kLeastForThroughput);
  spec.knobs[1] = make_tune_knob("--knob sessions", "sessions", 1, 200);
  spec.target_rps = 500;
  const TuneResult r = run_tune(hand_model(), spec);
  const StackTune& t = r.stacks[0];
  ASSERT_TRUE(t.reached);
  const int w = least_workers(500);  // 11, Little's ceil(500 x 21 ms)
  EXPECT_EQ(w, 11);
  EXPECT_GE(t.chosen.workers, w);
  EXPECT_LE(t.chosen.workers, w + 1);
  // Sessions: each request holds one for the delay, 20 ms: at least 10.
  EXPECT_GE(t.chosen.sessions, 10);
  EXPECT_LE(t.chosen.sessions, t.chosen.workers);
  EXPECT_GE(t.chosen.throughput.mean, 500);
  EXPECT_NE(t.monotonicity.find("meets it too"), std::string::npos) << t.monotonicity;
  // Little's rule on the target: 500 rps x 21 ms = 10.5, 11 workers.
  EXPECT_EQ(t.rules[2].at.workers, 11);
}

TEST(Tune, ATargetNoConfigurationReachesSaysWhatTheBestReached) {
  TuneSpec spec = hand_spec(TuneGoal::kLeastForThroughput);
  spec.target_rps = 5000;  // above n / p = 2000
  const std::string what = input_error_of([&] { run_tune(hand_model(), spec); });
  EXPECT_EQ(what.rfind("--throughput: no configuration reaches", 0), 0u) << what;
  EXPECT_TRUE(says(what, "the best reached: sync"));
}

TEST(Tune, SameBitsWhateverTheThreadCount) {
  TuneSpec one = hand_spec(TuneGoal::kMaxThroughputUnderP99);
  one.p99_limit_ms = 400;  // 200 clients at 2000 rps wait 100 ms
  one.ladder_points = 3;
  one.threads = 1;
  TuneSpec four = one;
  four.threads = 4;
  const Model m = hand_model();
  EXPECT_EQ(tune_json(m, one, run_tune(m, one)).dump(),
            tune_json(m, four, run_tune(m, four)).dump());
}

TEST(Tune, KnobsAreCheckedBeforeAnyRun) {
  const auto message = [](auto f) {
    try {
      f();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([] {
              make_tune_knob("--knob foo", "foo", 1, 2);
            }).rfind("--knob foo: \"foo\" is not a knob tune can search", 0),
            0u);
  EXPECT_NE(message([] { make_tune_knob("--knob backlog", "backlog", 9, 3); }).find("reversed"),
            std::string::npos);
  EXPECT_NE(message([] { make_tune_knob("--knob workers", "workers", 0, 3); }).find("outside"),
            std::string::npos);
  EXPECT_NE(message([] {
              make_tune_knob("--knob sessions", "sessions", 2.2, 2.7);
            }).find("no whole number"),
            std::string::npos);
  EXPECT_NE(message([] { make_tune_knob("--knob delay_ms", "delay_ms", 1, 2); }).find("not a knob"),
            std::string::npos);
  TuneSpec spec = hand_spec(TuneGoal::kMaxThroughput);
  spec.stacks = {"nope"};
  EXPECT_EQ(message([&] { check_tune(hand_model(), spec); }).rfind("--stack nope:", 0), 0u);
}

}  // namespace
}  // namespace stacksim
