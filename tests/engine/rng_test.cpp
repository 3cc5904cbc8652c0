// Random streams: reproducible from the seed, independent by name and by
// substream, and in range.
#include "sim/engine/rng.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

namespace stacksim {
namespace {

std::vector<std::uint64_t> draw(Rng rng, int n) {
  std::vector<std::uint64_t> v;
  for (int i = 0; i < n; ++i) v.push_back(rng.next_u64());
  return v;
}

TEST(Rng, SameSeedStreamAndSubstreamGiveTheSameBits) {
  EXPECT_EQ(draw(Rng(7, "app.worker.3", 2), 1000), draw(Rng(7, "app.worker.3", 2), 1000));
}

TEST(Rng, DistinctStreamNamesSeedsAndSubstreamsGiveDistinctStreams) {
  // Any two of these sharing even one of their first 1000 64-bit words would
  // be a 1000^2 / 2^64 ~ 5e-14 coincidence for independent streams.
  const std::vector<std::vector<std::uint64_t>> streams = {
      draw(Rng(7, "app.worker.3", 0), 1000), draw(Rng(7, "app.worker.4", 0), 1000),
      draw(Rng(7, "app.worker.3", 1), 1000), draw(Rng(8, "app.worker.3", 0), 1000),
      draw(Rng(7, "pgbouncer", 0), 1000)};
  std::set<std::uint64_t> all;
  for (const auto& s : streams) all.insert(s.begin(), s.end());
  EXPECT_EQ(all.size(), streams.size() * 1000);
}

TEST(Rng, FirstWordMatchesAnIndependentComputationOfTheAlgorithm) {
  // Seed 1, stream "default", substream 0: splitmix64 chain mixed with
  // FNV-1a("default"), four splitmix64 words as xoshiro256** state, first
  // output rotl(s1 * 5, 7) * 9. Computed independently in Python
  // (arbitrary-precision integers masked to 64 bits) as 0x28f0af633ed1773a:
  // the same bits on every platform and standard library.
  EXPECT_EQ(Rng(1, "default", 0).next_u64(), 0x28f0af633ed1773aULL);
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);   // FNV-1a offset basis
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);  // published FNV-1a test vector
}

TEST(Rng, UniformOpenIntervalHasTheRightMeanAndNeverHitsTheEnds) {
  // U(0,1): mean 1/2, variance 1/12; over n = 10^6 draws the sample mean's
  // standard error is sqrt(1/12 / n) = 2.9e-4: allow 5 of them.
  Rng rng(3, "uniform", 0);
  const int n = 1'000'000;
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform_open01();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / n, 0.5, 5 * std::sqrt(1.0 / 12.0 / n));
}

TEST(Rng, UniformIndexCoversEveryValueEvenly) {
  // 6 buckets, 600,000 draws: each count is Binomial(n, 1/6), standard
  // deviation sqrt(n p (1-p)) = 289; allow 5 of them.
  Rng rng(3, "index", 0);
  std::vector<int> count(6, 0);
  const int n = 600'000;
  for (int i = 0; i < n; ++i) {
    const auto k = rng.uniform_index(6);
    ASSERT_LT(k, 6u);
    ++count[k];
  }
  const double sd = std::sqrt(n * (1.0 / 6) * (5.0 / 6));
  for (int c : count) EXPECT_NEAR(c, n / 6.0, 5 * sd);
}

}  // namespace
}  // namespace stacksim
