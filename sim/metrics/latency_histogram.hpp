// A streaming histogram of non-negative nanosecond values (latencies, hold
// times) with a fixed footprint, so a run's memory does not grow with its
// request count. Log-linear buckets, as in HdrHistogram: values below 2^8 get
// one bucket each; above, every power-of-two range [2^e, 2^(e+1)) is split
// into 2^7 = 128 equal sub-buckets. A bucket's width is at most 2^-7 of its
// lower bound, and a quantile is reported as the middle of its bucket, so
//
//   |quantile(q) - true sample quantile| <= 2^-8 * true quantile  (0.39%).
//
// count, min, max and the sum (so the mean) are kept exactly on the side.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "sim/engine/time.hpp"

namespace stacksim {

class LatencyHistogram {
 public:
  // Sub-buckets per power of two = 2^kSubBucketBits.
  static constexpr int kSubBucketBits = 7;
  static constexpr std::int64_t kSubBucketCount = std::int64_t{1} << kSubBucketBits;
  // Values below 2 * kSubBucketCount are exact; from there each bucket is
  // 2^shift wide, shift = bit_width(v) - (kSubBucketBits + 1), up to 55 for
  // the largest int64.
  static constexpr int kMaxShift = 63 - (kSubBucketBits + 1);
  static constexpr std::size_t kBucketCount =
      static_cast<std::size_t>((kMaxShift + 2) * kSubBucketCount);
  // The stated bound on |reported - true| / true for every quantile.
  static constexpr double kMaxRelativeError = 1.0 / (2.0 * kSubBucketCount);

  // value_ns >= 0; a negative value is a caller's bug and throws
  // std::invalid_argument. No loops: one bit scan, one shift, one increment.
  void record(SimTime value_ns) {
    if (value_ns < 0) [[unlikely]] {
      throw std::invalid_argument("LatencyHistogram::record: negative value");
    }
    const auto v = static_cast<std::uint64_t>(value_ns);
    ++counts_[bucket_index(value_ns)];
    ++count_;
    sum_lo_ += v;
    sum_hi_ += (sum_lo_ < v) ? 1 : 0;  // carry: the sum is exact to 2^128
    if (value_ns < min_ns_) min_ns_ = value_ns;
    if (value_ns > max_ns_) max_ns_ = value_ns;
  }

  // Afterwards *this is exactly what recording both sample sets would give.
  void merge(const LatencyHistogram& other);
  void reset() { *this = LatencyHistogram{}; }

  std::uint64_t count() const { return count_; }
  // min, max, mean and quantile need count() > 0 and throw std::logic_error
  // otherwise: a report of zero requests must say so, not print zeros.
  SimTime min_ns() const;
  SimTime max_ns() const;
  double mean_ns() const;
  // The q-quantile, q in [0, 1], of the recorded sample, defined as the
  // smallest recorded v with at least quantile_rank(q, count()) samples <= v
  // (so q = 0 gives min, q = 1 gives max, both exact). Within
  // kMaxRelativeError of that value. Costs a scan of the buckets.
  SimTime quantile_ns(double q) const;

  // The 1-based rank that defines the q-quantile of n samples:
  // max(1, ceil(q * n)), with q * n taken as an integer when it is one up to
  // rounding (0.99 * 10^6 is rank 990000, not 990001).
  static std::uint64_t quantile_rank(double q, std::uint64_t n);

  // Bucket arithmetic, public so tests can check the error bound bucket by
  // bucket. Bucket i holds [bucket_lower_ns(i), bucket_lower_ns(i) + width).
  static std::size_t bucket_index(SimTime value_ns) {
    const auto v = static_cast<std::uint64_t>(value_ns);
    const int width_bits = std::bit_width(v);
    const int shift = width_bits > kSubBucketBits + 1 ? width_bits - (kSubBucketBits + 1) : 0;
    // For shift > 0, v >> shift lies in [kSubBucketCount, 2 * kSubBucketCount):
    // the index runs on continuously from the exact buckets below.
    return static_cast<std::size_t>(shift) * kSubBucketCount + (v >> shift);
  }
  static SimTime bucket_lower_ns(std::size_t index);
  static SimTime bucket_width_ns(std::size_t index);

  bool operator==(const LatencyHistogram&) const = default;

 private:
  void require_samples(const char* what) const;

  std::array<std::uint64_t, kBucketCount> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_lo_ = 0;
  std::uint64_t sum_hi_ = 0;
  SimTime min_ns_ = kTimeNever;
  SimTime max_ns_ = -1;
};

}  // namespace stacksim
