#include "sim/metrics/latency_histogram.hpp"

#include <cfloat>
#include <cmath>
#include <string>

namespace stacksim {

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  const std::uint64_t lo = sum_lo_ + other.sum_lo_;
  sum_hi_ += other.sum_hi_ + ((lo < sum_lo_) ? 1 : 0);
  sum_lo_ = lo;
  if (other.min_ns_ < min_ns_) min_ns_ = other.min_ns_;
  if (other.max_ns_ > max_ns_) max_ns_ = other.max_ns_;
}

void LatencyHistogram::require_samples(const char* what) const {
  if (count_ == 0) {
    throw std::logic_error(std::string("LatencyHistogram::") + what + " of an empty histogram");
  }
}

SimTime LatencyHistogram::min_ns() const {
  require_samples("min_ns");
  return min_ns_;
}

SimTime LatencyHistogram::max_ns() const {
  require_samples("max_ns");
  return max_ns_;
}

double LatencyHistogram::mean_ns() const {
  require_samples("mean_ns");
  // The 128-bit sum as a long double (64-bit mantissa on x86): exact for any
  // sum below 2^64, which is 10^7 samples of 30 minutes each.
  const long double sum =
      static_cast<long double>(sum_hi_) * 0x1.0p64L + static_cast<long double>(sum_lo_);
  return static_cast<double>(sum / static_cast<long double>(count_));
}

std::uint64_t LatencyHistogram::quantile_rank(double q, std::uint64_t n) {
  if (!(q >= 0.0 && q <= 1.0)) {
    throw std::invalid_argument("LatencyHistogram: quantile outside [0, 1]");
  }
  // A decimal q such as 0.9 is stored a few ulps off, and the product
  // rounds again: shave 4 ulps so an integral q * n stays that integer.
  const double x = q * static_cast<double>(n);
  const double r = std::ceil(x * (1.0 - 4.0 * DBL_EPSILON));
  if (r < 1.0) return 1;
  if (r >= static_cast<double>(n)) return n;
  return static_cast<std::uint64_t>(r);
}

SimTime LatencyHistogram::quantile_ns(double q) const {
  const std::uint64_t rank = quantile_rank(q, count_);
  require_samples("quantile_ns");
  if (rank == count_) return max_ns_;
  if (rank == 1) return min_ns_;
  // The rank-th smallest value lies in the first bucket whose cumulative
  // count reaches rank: fewer than rank samples are smaller than it.
  std::uint64_t cumulative = 0;
  std::size_t i = 0;
  for (; i < kBucketCount; ++i) {
    cumulative += counts_[i];
    if (cumulative >= rank) break;
  }
  // The bucket's middle is within width / 2 <= 2^-8 * lower of any value in
  // it. Clamping to [min, max], which holds the true value, only moves the
  // estimate towards it.
  SimTime estimate = bucket_lower_ns(i) + bucket_width_ns(i) / 2;
  if (estimate < min_ns_) estimate = min_ns_;
  if (estimate > max_ns_) estimate = max_ns_;
  return estimate;
}

SimTime LatencyHistogram::bucket_lower_ns(std::size_t index) {
  const auto i = static_cast<std::int64_t>(index);
  if (i < 2 * kSubBucketCount) return i;
  const std::int64_t shift = i / kSubBucketCount - 1;
  const std::int64_t sub = i - shift * kSubBucketCount;  // in [128, 256)
  return sub << shift;
}

SimTime LatencyHistogram::bucket_width_ns(std::size_t index) {
  const auto i = static_cast<std::int64_t>(index);
  if (i < 2 * kSubBucketCount) return 1;
  return std::int64_t{1} << (i / kSubBucketCount - 1);
}

}  // namespace stacksim
