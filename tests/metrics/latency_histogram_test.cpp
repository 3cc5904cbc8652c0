#include "sim/metrics/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <type_traits>
#include <vector>

#include "sim/engine/distribution.hpp"
#include "sim/engine/rng.hpp"

namespace stacksim {
namespace {

constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999, 1.0};

std::vector<SimTime> draw_ns(const Distribution& d, const char* stream, int n) {
  Rng rng(42, stream, 0);
  std::vector<SimTime> values;
  values.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) values.push_back(std::llround(d.sample(rng)));
  return values;
}

// The exact sample quantile by the histogram's own definition: the
// quantile_rank(q, n)-th smallest value.
SimTime exact_quantile(std::vector<SimTime> sorted, double q) {
  std::sort(sorted.begin(), sorted.end());
  const std::uint64_t rank = LatencyHistogram::quantile_rank(q, sorted.size());
  return sorted[rank - 1];
}

void expect_quantiles_within_stated_error(const std::vector<SimTime>& values) {
  LatencyHistogram h;
  for (SimTime v : values) h.record(v);
  for (double q : kQuantiles) {
    const SimTime truth = exact_quantile(values, q);
    const SimTime estimate = h.quantile_ns(q);
    EXPECT_LE(std::abs(static_cast<double>(estimate - truth)),
              LatencyHistogram::kMaxRelativeError * static_cast<double>(truth))
        << "q = " << q << ", true " << truth << " ns, estimate " << estimate << " ns";
  }
}

// Bucket i covers [lower(i), lower(i) + width(i)); the buckets tile
// [0, 2^63) without gaps, and width(i) <= max(1, lower(i) * 2^-7). The
// estimate lower + width / 2 is then at most width / 2 <= lower * 2^-8 <=
// v * 2^-8 from any v in the bucket: that is the stated error bound.
TEST(LatencyHistogram, BucketsTileTheRangeAndAreNarrowerThanTheStatedShare) {
  SimTime expected_lower = 0;
  for (std::size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
    const SimTime lower = LatencyHistogram::bucket_lower_ns(i);
    const SimTime width = LatencyHistogram::bucket_width_ns(i);
    ASSERT_EQ(lower, expected_lower) << "bucket " << i;
    ASSERT_LE(static_cast<double>(width),
              std::max(1.0, static_cast<double>(lower) / LatencyHistogram::kSubBucketCount));
    const SimTime last = lower + (width - 1);
    ASSERT_EQ(LatencyHistogram::bucket_index(lower), i);
    ASSERT_EQ(LatencyHistogram::bucket_index(last), i);
    const SimTime middle = lower + width / 2;
    for (SimTime v : {lower, last}) {
      ASSERT_LE(std::abs(static_cast<double>(middle - v)),
                LatencyHistogram::kMaxRelativeError * static_cast<double>(v))
          << "bucket " << i << ", value " << v;
    }
    if (i + 1 < LatencyHistogram::kBucketCount) {
      expected_lower = lower + width;
    } else {
      EXPECT_EQ(last, INT64_MAX);
    }
  }
}

// 1..10^6 recorded once each: the r-th smallest value is r itself, so the
// q-quantile is quantile_rank(q, 10^6); min 1, max 10^6, mean
// (10^6 + 1) / 2 = 500000.5 exactly.
TEST(LatencyHistogram, UniformOneToMillionQuantilesAreWithinStatedError) {
  constexpr std::int64_t kN = 1'000'000;
  LatencyHistogram h;
  for (std::int64_t v = 1; v <= kN; ++v) h.record(v);
  for (double q : kQuantiles) {
    const auto truth = static_cast<double>(LatencyHistogram::quantile_rank(q, kN));
    EXPECT_LE(std::abs(static_cast<double>(h.quantile_ns(q)) - truth),
              LatencyHistogram::kMaxRelativeError * truth)
        << "q = " << q;
  }
  EXPECT_EQ(h.count(), static_cast<std::uint64_t>(kN));
  EXPECT_EQ(h.min_ns(), 1);
  EXPECT_EQ(h.max_ns(), kN);
  EXPECT_EQ(h.mean_ns(), 500000.5);
}

// Exponential with mean 1 ms: 10^6 seeded samples against their own sorted
// order statistics.
TEST(LatencyHistogram, ExponentialSampleQuantilesAreWithinStatedError) {
  expect_quantiles_within_stated_error(
      draw_ns(Distribution::exponential(1e6), "test.exponential", 1'000'000));
}

// Lognormal with mean 1 ms and cv 4 spreads over many powers of two (from
// tens of ns to seconds), exercising many bucket widths at once.
TEST(LatencyHistogram, HeavyTailedSampleQuantilesAreWithinStatedError) {
  expect_quantiles_within_stated_error(
      draw_ns(Distribution(Shape::kLognormal, 1e6, 4.0), "test.lognormal", 300'000));
}

// min, max and mean are kept beside the buckets, so they are exact: the mean
// equals the integer sum divided by the count, both exact in a double here
// (sum < 2^53).
TEST(LatencyHistogram, MinMaxAndMeanAreExact) {
  const auto values = draw_ns(Distribution::exponential(1e6), "test.exact", 100'000);
  LatencyHistogram h;
  std::int64_t sum = 0;
  for (SimTime v : values) {
    h.record(v);
    sum += v;
  }
  EXPECT_EQ(h.min_ns(), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(h.max_ns(), *std::max_element(values.begin(), values.end()));
  EXPECT_EQ(h.quantile_ns(0.0), h.min_ns());
  EXPECT_EQ(h.quantile_ns(1.0), h.max_ns());
  EXPECT_EQ(h.mean_ns(), static_cast<double>(sum) / static_cast<double>(values.size()));
}

// Three values of 2^63 - 1 sum to 2^64 + 2^63 - 3: the sum must carry past
// 64 bits, and the mean is 2^63 - 1, which rounds to 2^63 as a double.
// Without the carry it would come out near 3.07e18.
TEST(LatencyHistogram, MeanStaysExactWhenTheSumPassesSixtyFourBits) {
  LatencyHistogram h;
  for (int i = 0; i < 3; ++i) h.record(INT64_MAX);
  EXPECT_EQ(h.mean_ns(), 0x1p63);
  EXPECT_EQ(h.quantile_ns(0.5), INT64_MAX);
}

// The q-quantile of n samples is the ceil(q * n)-th smallest (at least the
// first), with decimal q taken at face value: 0.9 * 10 is rank 9 although
// 0.9 is stored as 0.900000000000000022.
TEST(LatencyHistogram, QuantileRankIsCeilingOfQTimesN) {
  EXPECT_EQ(LatencyHistogram::quantile_rank(0.9, 10), 9u);
  EXPECT_EQ(LatencyHistogram::quantile_rank(0.99, 1'000'000), 990'000u);
  EXPECT_EQ(LatencyHistogram::quantile_rank(0.999, 1000), 999u);
  EXPECT_EQ(LatencyHistogram::quantile_rank(0.5, 3), 2u);
  EXPECT_EQ(LatencyHistogram::quantile_rank(0.5, 4), 2u);
  EXPECT_EQ(LatencyHistogram::quantile_rank(0.001, 10), 1u);
  EXPECT_EQ(LatencyHistogram::quantile_rank(0.0, 10), 1u);
  EXPECT_EQ(LatencyHistogram::quantile_rank(1.0, 10), 10u);
}

// Counts, sums and extremes all add, so merging two halves must give the
// very same histogram as recording everything into one.
TEST(LatencyHistogram, MergeEqualsRecordingAll) {
  const auto values = draw_ns(Distribution(Shape::kGamma, 5e6, 0.5), "test.merge", 50'000);
  LatencyHistogram all, even, odd;
  for (std::size_t i = 0; i < values.size(); ++i) {
    all.record(values[i]);
    (i % 2 == 0 ? even : odd).record(values[i]);
  }
  even.merge(odd);
  EXPECT_TRUE(even == all);
  for (double q : kQuantiles) EXPECT_EQ(even.quantile_ns(q), all.quantile_ns(q));
  EXPECT_EQ(even.mean_ns(), all.mean_ns());

  LatencyHistogram empty;
  all.merge(empty);
  EXPECT_TRUE(even == all);
  empty.merge(all);
  EXPECT_TRUE(empty == all);
}

// The footprint is fixed at compile time: one 64-bit counter per bucket plus
// count, the 128-bit sum, min and max, and no heap memory (trivially
// copyable), whatever the number of samples. 7296 buckets = 57 KiB.
TEST(LatencyHistogram, MemoryFootprintDoesNotDependOnSampleCount) {
  static_assert(std::is_trivially_copyable_v<LatencyHistogram>);
  static_assert(sizeof(LatencyHistogram) ==
                (LatencyHistogram::kBucketCount + 5) * sizeof(std::uint64_t));
  EXPECT_EQ(LatencyHistogram::kBucketCount, 7296u);
  // Every int64 value has a bucket: the largest lands in the last one.
  EXPECT_EQ(LatencyHistogram::bucket_index(INT64_MAX), LatencyHistogram::kBucketCount - 1);
}

TEST(LatencyHistogram, ResetForgetsEverything) {
  LatencyHistogram h;
  h.record(5);
  h.record(7'000'000);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_TRUE(h == LatencyHistogram{});
}

TEST(LatencyHistogram, EmptyHistogramAndBadArgumentsAreRefused) {
  LatencyHistogram h;
  EXPECT_THROW(h.quantile_ns(0.5), std::logic_error);
  EXPECT_THROW(h.min_ns(), std::logic_error);
  EXPECT_THROW(h.max_ns(), std::logic_error);
  EXPECT_THROW(h.mean_ns(), std::logic_error);
  EXPECT_THROW(h.record(-1), std::invalid_argument);
  h.record(3);
  EXPECT_THROW(h.quantile_ns(1.5), std::invalid_argument);
  EXPECT_THROW(h.quantile_ns(-0.1), std::invalid_argument);
  EXPECT_THROW(h.quantile_ns(std::nan("")), std::invalid_argument);
  EXPECT_EQ(h.count(), 1u);
}

}  // namespace
}  // namespace stacksim
