// The crossover map on a stack whose crossing can be worked out by hand.
//
// The model: every demand 0 except the app worker's `pre`: p = 0.02 ms for
// the sync stack, c = 1 ms for the coroutine stack. On n = 2 cores with
// plenty of clients and sessions:
//   sync       W / (D + h), h = p at the model's means
//   coroutine  n / c = 2000 rps (CPU; three workers, so not their threads)
// so the ratio async/sync is 2000 (D + h) / (1000 W), and it crosses a level
// L at D* = L W c / n - h: 9.98 ms for W = 20, 4.98 ms for W = 10.
// The simulation departs from it in one known way: the bursts are
// deterministic, so the W sync workers leave the delay together and their W
// bursts of p share the n cores at once: h = W p / n (0.2 ms at W = 20), and
// the simulated crossing sits at L W c / n - W p / n, up to the ~1% of the
// window's edges (explanation_test.cpp).
#include "sim/experiment/crossover.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "common/input_error.hpp"
#include "sim/experiment/crossover_report.hpp"
#include "tests/components/test_stack_model.hpp"
#include "tests/support/input_error.hpp"
#include "tests/support/shipped_inputs.hpp"

namespace stacksim {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

using testing::us;

Model hand_model() {
  Model m = testing::uniform_model(0, 20);  // sync p = 0.02 ms
  m.stacks.at("coroutine").pre = us(1000);  // async c = 1 ms
  return m;
}

CrossoverSpec hand_spec(int replications) {
  CrossoverSpec spec;
  spec.scenario = testing::small_scenario();
  spec.scenario.workers = {20, 3, 3};
  spec.scenario.clients = 200;
  spec.scenario.sessions = 1000;
  spec.scenario.requests = 3000;
  spec.scenario.warmup_requests = 500;
  spec.scenario.replications = replications;
  spec.sync_side = {"sync"};
  spec.async_side = {"coroutine"};
  spec.x = make_x_axis("--x", "workers.sync", {10, 20});
  spec.y = make_y_axis("--y", "delay_ms", 0, 24, 4);  // 0, 8, 16, 24
  spec.tolerance = 0.02;
  return spec;
}

TEST(Crossover, SimulatedDelayMeetsTheAnalyticDStarUpToTheWorkersLockstep) {
  const CrossoverSpec spec = hand_spec(3);
  const CrossoverResult r = run_crossover(hand_model(), spec);
  ASSERT_EQ(r.curves.size(), 1u);
  const double p = 0.02, c = 1.0, n = 2;
  const double workers[] = {10, 20};
  for (std::size_t ix = 0; ix < 2; ++ix) {
    const double w = workers[ix];
    const double d_star = w * c / n - p;
    const double lockstep = w * c / n - w * p / n;
    const CurvePoint& pt = r.curves[0].points[ix];
    ASSERT_TRUE(pt.y_star) << pt.none_reason;
    ASSERT_TRUE(pt.analytic.y) << pt.analytic.formula;
    EXPECT_NEAR(*pt.analytic.y, d_star, 1e-9) << pt.analytic.formula;
    EXPECT_NEAR(pt.y_star->mean, lockstep, 0.01 * d_star) << pt.why;
    // The stated tolerance against D*: the lockstep's W p / n - p, plus 1%.
    EXPECT_NEAR(pt.y_star->mean, d_star, w * p / n - p + 0.01 * d_star) << pt.why;
    EXPECT_NE(pt.why.find("CPU contention raises it"), std::string::npos) << pt.why;
    EXPECT_EQ(pt.per_replication.size(), 3u);
    // Each replication's bisection ends on a bracket no wider than the
    // tolerance around its y*, so the brackets' hull holds every y*.
    const auto [lo, hi] = std::minmax_element(pt.per_replication.begin(), pt.per_replication.end());
    EXPECT_LE(pt.bracket_hi - pt.bracket_lo, spec.tolerance + (*hi - *lo) + 1e-9);
    EXPECT_LE(pt.bracket_lo, *lo);
    EXPECT_GE(pt.bracket_hi, *hi);
    // The grid brackets D*: below it sync is ahead, above it async.
    const std::size_t below = d_star < 8 ? 0 : 1;
    EXPECT_LT(r.cell(ix, below, 4).ratio, 1.0);
    EXPECT_GT(r.cell(ix, below + 1, 4).ratio, 1.0);
    EXPECT_EQ(r.cell(ix, below + 1, 4).sync.binding, "workers");
    EXPECT_EQ(r.cell(ix, below + 1, 4).async.binding, "cpu");
  }
  // More sync workers push the crossing to longer delays.
  EXPECT_GT(r.curves[0].points[1].y_star->mean, r.curves[0].points[0].y_star->mean);
  EXPECT_NE(r.curves[0].summary.find("rises"), std::string::npos) << r.curves[0].summary;
}

// On a whole-number knob the bisection ends on adjacent values: at D = 10.15
// ms, in lockstep, the ratio is 2000 (10.15 + W p / n) / (1000 W) = 20.3 / W
// + 0.02: above 1 at W = 20 (1.035), below at W = 21 (0.987): y* = 21, the
// first value past the crossing.
TEST(Crossover, OnAWholeNumberKnobBisectionEndsOnAdjacentValues) {
  CrossoverSpec spec = hand_spec(2);
  spec.x = make_x_axis("--x", "delay_ms", {10.15});
  spec.y = make_y_axis("--y", "workers.sync", 2, 40, 5);
  const CrossoverResult r = run_crossover(hand_model(), spec);
  const CurvePoint& p = r.curves.at(0).points.at(0);
  ASSERT_TRUE(p.y_star) << p.none_reason;
  EXPECT_EQ(p.y_star->mean, 21);
  EXPECT_EQ(p.bracket_lo, 20);
  EXPECT_EQ(p.bracket_hi, 21);
  EXPECT_FALSE(p.analytic.y);  // the bounds' D* is in delay_ms
}

TEST(Crossover, ALevelThatNoPointReachesIsAnInputErrorNamingIt) {
  CrossoverSpec spec = hand_spec(2);
  spec.levels = {1.0, 50.0};
  EXPECT_TRUE(says(input_error_of([&] { run_crossover(hand_model(), spec); }),
                   "--level 50: no point of the map reaches it"));
}

TEST(Crossover, SameSeedSameBitsWhateverTheThreadCount) {
  CrossoverSpec spec = hand_spec(2);
  spec.scenario.requests = 1000;
  spec.threads = 1;
  const Model m = hand_model();
  const std::string one = crossover_json(m, spec, run_crossover(m, spec)).dump();
  const std::string again = crossover_json(m, spec, run_crossover(m, spec)).dump();
  spec.threads = 2;
  const std::string two = crossover_json(m, spec, run_crossover(m, spec)).dump();
  EXPECT_EQ(one, again);
  EXPECT_EQ(one, two);
}

// Sequential stopping, on the shipped model where runs of 500 requests
// vary by a few percent: every cell ends within the precision or at the
// most replications allowed, some needed more than the first three, and the
// added runs leave the bits independent of the thread count.
TEST(Crossover, SequentialStoppingAddsReplicationsUntilThePrecisionIsMet) {
  const Model m = testing::shipped_model();
  CrossoverSpec spec = testing::shipped_crossover(500, 100, 3);
  spec.x = make_x_axis("--x", "clients", {20, 100});
  spec.y = make_y_axis("--y", "delay_ms", 0, 20, 3);
  spec.levels = {2.0};
  spec.precision = 0.01;
  spec.max_replications = 12;
  spec.threads = 1;
  const CrossoverResult one = run_crossover(m, spec);
  std::size_t refined = 0;
  for (const CrossoverCell& c : one.cells) {
    EXPECT_TRUE(c.replications == 12 || (c.sync.rel_ci95 <= 0.01 && c.async.rel_ci95 <= 0.01))
        << c.x << " " << c.y << ": " << c.replications << " replications";
    refined += c.replications > 3;
  }
  EXPECT_GT(refined, 0u);
  spec.threads = 2;
  EXPECT_EQ(crossover_json(m, spec, one).dump(),
            crossover_json(m, spec, run_crossover(m, spec)).dump());
}

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  for (std::string f; std::getline(in, f, ',');) out.push_back(f);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

TEST(CrossoverReport, CsvAndTableReadBackToTheResult) {
  CrossoverSpec spec = hand_spec(2);
  spec.scenario.requests = 1000;
  const Model m = hand_model();
  const CrossoverResult r = run_crossover(m, spec);

  std::ostringstream csv;
  print_crossover_csv(csv, spec, r);
  std::stringstream in(csv.str());
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = fields(line);
  std::size_t cells = 0, curves = 0;
  while (std::getline(in, line)) {
    const std::vector<std::string> f = fields(line);
    ASSERT_EQ(f.size(), header.size()) << line;
    if (f[0] == "cell") {
      const CrossoverCell& c = r.cells[cells++];
      EXPECT_EQ(std::stod(f[2]), c.x);
      EXPECT_EQ(std::stod(f[3]), c.y);
      EXPECT_EQ(std::stod(f[4]), c.ratio);
      EXPECT_EQ(f[8], c.sync.binding);
    } else {
      ASSERT_EQ(f[0], "curve");
      const CurvePoint& p = r.curves[0].points[curves++];
      EXPECT_EQ(std::stod(f[2]), p.x);
      EXPECT_EQ(std::stod(f[12]), p.y_star->mean);
      EXPECT_EQ(std::stod(f[16]), *p.analytic.y);
    }
  }
  EXPECT_EQ(cells, 8u);
  EXPECT_EQ(curves, 2u);

  // The table's curve rows: X, y*, +-95%, bracket, the bounds' D*.
  std::ostringstream table;
  print_crossover_table(table, spec, r);
  std::stringstream rows(table.str());
  std::size_t read = 0;
  while (std::getline(rows, line)) {
    for (const CurvePoint& p : r.curves[0].points) {
      std::stringstream row(line);
      std::string x;
      double y = 0, h = 0, lo = 0, hi = 0, d = 0;
      if (!(row >> x >> y >> h >> lo >> hi >> d) || x != knob_text(spec.x, p.x)) continue;
      EXPECT_NEAR(y, p.y_star->mean, 1e-4);
      EXPECT_NEAR(h, p.y_star->ci95, 1e-4);
      EXPECT_NEAR(d, *p.analytic.y, 1e-4);
      ++read;
    }
  }
  EXPECT_EQ(read, 2u);
}

}  // namespace
}  // namespace stacksim
