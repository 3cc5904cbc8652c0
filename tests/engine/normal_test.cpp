// The ziggurat normal against the normal CDF. With N draws, the share of
// samples below z estimates Phi(z) with standard error sqrt(p (1 - p) / N);
// each check allows 5 of them. The points cover the rectangles, the wedges
// and the tail beyond R = 3.4426, which has its own algorithm.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sim/engine/rng.hpp"

namespace stacksim {
namespace {

double phi(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

TEST(StandardNormal, SharesBelowEachPointMatchTheNormalCdf) {
  Rng rng(42, "normal", 0);
  constexpr int kN = 2'000'000;
  const std::vector<double> points = {-4.0, -3.5, -3.0, -2.0, -1.0, -0.3, 0.0,
                                      0.5,  1.0,  2.0,  3.0,  3.5,  4.0};
  std::vector<int> below(points.size(), 0);
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < kN; ++i) {
    const double z = rng.standard_normal();
    sum += z;
    sum_sq += z * z;
    for (std::size_t k = 0; k < points.size(); ++k) below[k] += z < points[k];
  }
  for (std::size_t k = 0; k < points.size(); ++k) {
    const double p = phi(points[k]);
    const double se = std::sqrt(p * (1 - p) / kN);
    EXPECT_NEAR(static_cast<double>(below[k]) / kN, p, 5 * se + 1e-7) << "z = " << points[k];
  }
  // Mean 0 (SE 1/sqrt(N)) and variance 1 (SE sqrt(2/N)).
  EXPECT_NEAR(sum / kN, 0.0, 5 / std::sqrt(kN));
  EXPECT_NEAR(sum_sq / kN, 1.0, 5 * std::sqrt(2.0 / kN));
}

TEST(StandardNormal, SameStreamSameValues) {
  Rng a(7, "x", 1), b(7, "x", 1);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.standard_normal(), b.standard_normal());
}

}  // namespace
}  // namespace stacksim
