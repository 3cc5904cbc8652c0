// Sequential stopping (sim/experiment/sequential.hpp). With n replications
// of standard deviation s and mean m, the 95% half-width is
// t(0.975, n-1) * s / sqrt(n); a point stops once that is <= precision * m,
// else asks for about (t * s / (precision * m))^2, at least n + 1, at most
// 2n, never over the maximum.
#include "sim/experiment/sequential.hpp"

#include <gtest/gtest.h>

#include "common/input_error.hpp"
#include "sim/experiment/experiment.hpp"
#include "sim/experiment/report.hpp"
#include "tests/support/input_error.hpp"
#include "tests/support/shipped_inputs.hpp"

namespace stacksim {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;
using stacksim::testing::shipped_model;
using stacksim::testing::shipped_scenario;

std::vector<RunResult> throughputs(const std::vector<double>& values) {
  std::vector<RunResult> out;
  for (double v : values) {
    RunResult r;
    r.throughput_rps = v;
    out.push_back(r);
  }
  return out;
}

TEST(SequentialStopping, IdenticalReplicationsNeedNoMore) {
  const auto same = throughputs({100, 100, 100});
  EXPECT_EQ(replications_needed({&same}, {0.01, 50}), 3u);
  EXPECT_TRUE(meets_precision(same, 0.01));
}

// 90, 100, 110: s = 10, m = 100, t(0.975, 2) = 4.303: half-width 24.8, over
// 1% of 100; (4.303 * 10 / 1)^2 = 1851 wanted, so the round doubles to 6.
TEST(SequentialStopping, ANoisySeriesAsksForAtMostDoubleItsReplications) {
  const auto noisy = throughputs({90, 100, 110});
  EXPECT_FALSE(meets_precision(noisy, 0.01));
  EXPECT_EQ(replications_needed({&noisy}, {0.01, 50}), 6u);
  EXPECT_EQ(replications_needed({&noisy}, {0.01, 4}), 4u);
  // At 30%: half-width 24.8 <= 30 is met.
  EXPECT_EQ(replications_needed({&noisy}, {0.30, 50}), 3u);
}

// A point holding several series needs what its noisiest one needs.
TEST(SequentialStopping, APointNeedsWhatItsNoisiestSeriesNeeds) {
  const auto quiet = throughputs({100, 100.1, 99.9});
  const auto noisy = throughputs({90, 100, 110});
  EXPECT_EQ(replications_needed({&quiet, &noisy}, {0.01, 50}), 6u);
}

TEST(SequentialStopping, RoundsStopAtTheMaximum) {
  std::vector<RunResult> series = throughputs({90, 110});
  std::vector<int> firsts;
  replicate_until_precise(
      1, {0.001, 7}, [&](std::size_t) { return PointSeries{&series}; },
      [&](const std::vector<MoreReplications>& more) {
        for (const MoreReplications& m : more) {
          firsts.push_back(m.first);
          for (int k = 0; k < m.count; ++k)
            series.push_back(throughputs({series.size() % 2 ? 90.0 : 110.0}).front());
        }
      });
  EXPECT_EQ(series.size(), 7u);
  EXPECT_EQ(firsts, (std::vector<int>{2, 4}));  // 2 -> 4 -> 7 (double, then the cap)
}

TEST(SequentialStopping, BadRulesNameTheirFlag) {
  for (double p : {0.0, -0.1, 1.0, 2.0})
    EXPECT_THROW(check_stopping_rule({p, 50}, 3, "--precision", "--max-replications"), InputError);
  EXPECT_THROW(check_stopping_rule({0.01, 50}, 1, "--precision", "--max-replications"), InputError);
  // A maximum under the first replications is refused.
  EXPECT_TRUE(says(input_error_of([] {
                     check_stopping_rule({0.01, 2}, 3, "--precision", "--max-replications");
                   }),
                   "--max-replications"));
  EXPECT_NO_THROW(check_stopping_rule({0.01, 3}, 3, "--precision", "--max-replications"));
}

// The shipped model at 2 cores: gunicorn-flask is bound by its 5 workers
// (W / (D + h)), and its throughput over 3,000 requests barely moves
// between seeds; uvicorn-starlette at 300 requests is CPU-bound and moves
// by a few percent.
Scenario small_scenario() {
  Scenario sc = shipped_scenario();
  sc.stacks = {"gunicorn-flask", "uvicorn-starlette"};
  sc.replications = 3;
  sc.warmup_requests = 100;
  return sc;
}

TEST(SimSequentialStopping, AQuietPointStopsAtTheFirstReplications) {
  Scenario sc = small_scenario();
  sc.stacks = {"gunicorn-flask"};
  sc.requests = 3000;
  const auto r = run_experiment(shipped_model(), sc, 1, nullptr, {0.05, 20});
  const StackResult& s = r.front().stacks.front();
  EXPECT_EQ(s.replications.size(), 3u);
  ASSERT_TRUE(s.precision_met.has_value());
  EXPECT_TRUE(*s.precision_met);
}

TEST(SimSequentialStopping, ANoisyPointGoesOnAndTheCapIsReported) {
  Scenario sc = small_scenario();
  sc.stacks = {"uvicorn-starlette"};
  sc.requests = 300;
  const Model m = shipped_model();
  const auto r = run_experiment(m, sc, 1, nullptr, {0.0005, 8});
  const StackResult& s = r.front().stacks.front();
  EXPECT_EQ(s.replications.size(), 8u);
  ASSERT_TRUE(s.precision_met.has_value());
  EXPECT_FALSE(*s.precision_met);
  const nlohmann::json j = report_json(m, sc, r);
  EXPECT_EQ(j["configurations"][0]["stacks"][0]["replications"], 8);
  EXPECT_EQ(j["configurations"][0]["stacks"][0]["precision_met"], false);
  // The added replications are those a fixed count of 8 runs.
  Scenario eight = sc;
  eight.replications = 8;
  const auto fixed = run_experiment(m, eight, 1);
  for (std::size_t i = 0; i < 8; ++i)
    EXPECT_EQ(s.replications[i].throughput_rps,
              fixed.front().stacks.front().replications[i].throughput_rps);
}

TEST(SimSequentialStopping, TheSameBitsWhateverTheThreads) {
  Scenario sc = small_scenario();
  sc.requests = 400;
  sc.sweep = {{"clients", {"20", "100"}}};
  const Model m = shipped_model();
  const auto one = run_experiment(m, sc, 1, nullptr, {0.01, 10});
  const auto two = run_experiment(m, sc, 2, nullptr, {0.01, 10});
  EXPECT_EQ(report_json(m, sc, one).dump(), report_json(m, sc, two).dump());
  std::size_t refined = 0;
  for (const ConfigurationResult& cr : one)
    for (const StackResult& s : cr.stacks) refined += s.replications.size() > 3;
  EXPECT_GT(refined, 0u);
}

}  // namespace
}  // namespace stacksim
