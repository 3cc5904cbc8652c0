#include "sim/metrics/replication_stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <numbers>

#include "sim/engine/rng.hpp"

namespace stacksim {
namespace {

// Two-sided 95% quantiles of Student's t from the tables: 12.706 for 1
// degree of freedom, 2.776 for 4 (five replications), 2.262 for 9, and the
// normal 1.960 in the limit.
TEST(ReplicationStats, StudentTQuantilesMatchTheTables) {
  EXPECT_NEAR(student_t_two_sided(0.95, 1), 12.7062047, 1e-6);
  EXPECT_NEAR(student_t_two_sided(0.95, 4), 2.7764451, 1e-6);
  EXPECT_NEAR(student_t_two_sided(0.95, 9), 2.2621572, 1e-6);
  EXPECT_NEAR(student_t_two_sided(0.95, 1e7), 1.9599640, 1e-6);
}

// Sample 1, 2, 3, 4, 5: mean 3; squared deviations 4+1+0+1+4 = 10, so
// s = sqrt(10 / 4) = 1.5811388; half-width = 2.7764451 * s / sqrt(5)
// = 2.7764451 * 0.7071068 = 1.9632432.
TEST(ReplicationStats, MeanSdAndHalfWidthOfAKnownSample) {
  ReplicationStats s;
  for (double x : {1.0, 2.0, 3.0, 4.0, 5.0}) s.add(x);
  EXPECT_EQ(s.n(), 5u);
  EXPECT_DOUBLE_EQ(s.mean(), 3.0);
  EXPECT_NEAR(s.stddev(), std::sqrt(2.5), 1e-12);
  EXPECT_NEAR(s.ci95_half_width(), 1.9632432, 1e-6);
}

// The same sample shifted by 10^9 has the same spread; a sum-of-squares
// formula would lose it to cancellation, Welford's update does not.
TEST(ReplicationStats, SpreadSurvivesALargeOffset) {
  ReplicationStats s;
  for (double x : {1.0, 2.0, 3.0, 4.0, 5.0}) s.add(1e9 + x);
  EXPECT_DOUBLE_EQ(s.mean(), 1e9 + 3.0);
  EXPECT_NEAR(s.stddev(), std::sqrt(2.5), 1e-6);
}

// One replication has no spread to estimate: sd and half-width are NaN, and
// the JSON says null rather than a fake 0. No replication has no mean either.
TEST(ReplicationStats, OneReplicationHasNoInterval) {
  ReplicationStats s;
  EXPECT_TRUE(std::isnan(s.mean()));
  s.add(1234.5);
  EXPECT_DOUBLE_EQ(s.mean(), 1234.5);
  EXPECT_TRUE(std::isnan(s.stddev()));
  EXPECT_TRUE(std::isnan(s.ci95_half_width()));
  const nlohmann::json j = s.summary();
  EXPECT_EQ(j, nlohmann::json::parse(R"({"mean": 1234.5, "ci95": null, "n": 1})"));
}

TEST(ReplicationStats, SummarySerialisesAsMeanCi95AndN) {
  ReplicationStats s;
  for (double x : {1.0, 2.0, 3.0, 4.0, 5.0}) s.add(x);
  const nlohmann::json j = s.summary();
  EXPECT_EQ(j.size(), 3u);
  EXPECT_DOUBLE_EQ(j.at("mean").get<double>(), 3.0);
  EXPECT_NEAR(j.at("ci95").get<double>(), 1.9632432, 1e-6);
  EXPECT_EQ(j.at("n").get<std::size_t>(), 5u);
}

// Coverage: 2000 independent replications, each the mean of 5 draws from
// N(10, 2^2). A correct 95% t-interval covers 10 in each with probability
// 0.95, so the count K ~ Binomial(2000, 0.95): mean 1900, sd
// sqrt(2000 * 0.95 * 0.05) = 9.75, i.e. 0.49 percentage points. The band
// [93.5%, 96.5%] = [1870, 1930] is +-3.1 sd: a correct interval leaves it
// with probability about 0.2% (and the seed is fixed). Using the normal 1.96
// instead of t(4) = 2.776 would cover only P(|T_4| < 1.96) = 87.8%, about
// 1756 of 2000, 15 sd below the band, so this test can fail.
TEST(ReplicationStats, NinetyFivePercentIntervalCoversTheTrueMeanAsOftenAsItShould) {
  constexpr double kTrueMean = 10.0;
  constexpr double kSigma = 2.0;
  constexpr int kReplications = 2000;
  int covered = 0;
  for (int r = 0; r < kReplications; ++r) {
    Rng rng(7, "test.coverage", static_cast<std::uint64_t>(r));
    ReplicationStats s;
    for (int i = 0; i < 5; ++i) {
      // Box-Muller: sqrt(-2 ln u1) cos(2 pi u2) is standard normal.
      const double u1 = rng.uniform_open01();
      const double u2 = rng.uniform_open01();
      const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
      s.add(kTrueMean + kSigma * z);
    }
    if (std::abs(s.mean() - kTrueMean) <= s.ci95_half_width()) ++covered;
  }
  EXPECT_GE(covered, 1870);
  EXPECT_LE(covered, 1930);
}

}  // namespace
}  // namespace stacksim
