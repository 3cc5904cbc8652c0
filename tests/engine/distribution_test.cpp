// The samplers' first two moments against their closed forms. With n
// independent samples, the sample mean has standard error sd(X) / sqrt(n)
// and the sample second moment sqrt((E[X^4] - E[X^2]^2) / n) (CLT); each is
// asserted within 5 standard errors (a false alarm about once in 1.7 million
// for a correct sampler). The mean and the second moment fix the CV:
// cv^2 = E[X^2] / mean^2 - 1.
#include "sim/engine/distribution.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "sim/engine/rng.hpp"

namespace stacksim {
namespace {

struct Moments {
  double m1, m2, m4;  // E[X], E[X^2], E[X^4]
};

// Exponential(mean m): E[X^r] = r! m^r.
Moments exponential_moments(double m) {
  return {m, 2 * m * m, 24 * m * m * m * m};
}
// Gamma(k, theta): E[X^r] = theta^r k (k+1) ... (k+r-1); k = 1/cv^2, theta = m cv^2.
Moments gamma_moments(double m, double cv) {
  const double k = 1 / (cv * cv), t = m * cv * cv;
  return {k * t, k * (k + 1) * t * t, k * (k + 1) * (k + 2) * (k + 3) * t * t * t * t};
}
// Lognormal(mu, s^2): E[X^r] = exp(r mu + r^2 s^2 / 2); s^2 = ln(1 + cv^2),
// mu = ln m - s^2 / 2.
Moments lognormal_moments(double m, double cv) {
  const double s2 = std::log1p(cv * cv), mu = std::log(m) - s2 / 2;
  auto e = [&](double r) { return std::exp(r * mu + r * r * s2 / 2); };
  return {e(1), e(2), e(4)};
}

void check(const Distribution& d, const Moments& want, const char* stream) {
  Rng rng(11, stream, 0);
  const int n = 2'000'000;
  double s1 = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = d.sample(rng);
    ASSERT_GE(x, 0.0);
    s1 += x;
    s2 += x * x;
  }
  const double se1 = std::sqrt((want.m2 - want.m1 * want.m1) / n);
  const double se2 = std::sqrt((want.m4 - want.m2 * want.m2) / n);
  EXPECT_NEAR(s1 / n, want.m1, 5 * se1) << stream << ": mean";
  EXPECT_NEAR(s2 / n, want.m2, 5 * se2) << stream << ": second moment";
}

TEST(Distribution, ExponentialHasItsMeanAndCvOne) {
  // mean 2.5 ms in ns: E[X^2] = 2 m^2 (cv = 1).
  const double m = 2.5e6;
  check(Distribution::exponential(m), exponential_moments(m), "exponential");
}

TEST(Distribution, GammaWithCvAboveOneHasItsMeanAndCv) {
  // cv = 2: shape k = 1/4 < 1, the U^(1/k) boost of Marsaglia-Tsang.
  check(Distribution(Shape::kGamma, 3.0, 2.0), gamma_moments(3.0, 2.0), "gamma_cv2");
}

TEST(Distribution, GammaWithCvBelowOneHasItsMeanAndCv) {
  // cv = 0.5: shape k = 4.
  check(Distribution(Shape::kGamma, 3.0, 0.5), gamma_moments(3.0, 0.5), "gamma_cv05");
}

TEST(Distribution, LognormalHasItsMeanAndCv) {
  // cv = 0.5 and 1.5 (E[X^4] / m^4 = (1 + cv^2)^6 = 1178 for 1.5: still a
  // usable standard error at n = 2e6; much larger cv would need far more).
  check(Distribution(Shape::kLognormal, 7.0, 0.5), lognormal_moments(7.0, 0.5), "lognormal_cv05");
  check(Distribution(Shape::kLognormal, 7.0, 1.5), lognormal_moments(7.0, 1.5), "lognormal_cv15");
}

TEST(Distribution, DeterministicAlwaysReturnsItsValue) {
  Rng rng(1, "det", 0);
  const Distribution d = Distribution::deterministic(1234.5);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(d.sample(rng), 1234.5);
  EXPECT_EQ(d.cv(), 0.0);
}

TEST(Distribution, SameStreamGivesTheSameSamples) {
  const Distribution d(Shape::kGamma, 5.0, 1.7);
  Rng a(9, "x", 3), b(9, "x", 3);
  for (int i = 0; i < 10'000; ++i) ASSERT_EQ(d.sample(a), d.sample(b));
}

TEST(Distribution, BadParametersAreRejected) {
  EXPECT_THROW(Distribution(Shape::kGamma, -1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(Distribution(Shape::kGamma, 1.0, 0.0), std::invalid_argument);
  EXPECT_THROW(Distribution(Shape::kLognormal, 1.0, -2.0), std::invalid_argument);
  EXPECT_THROW(Distribution(Shape::kExponential, NAN, 1.0), std::invalid_argument);
}

TEST(Distribution, ExponentialWithACvOtherThanOneIsRejectedAsDocumented) {
  // distribution.hpp: "cv ... must be 1 for exponential ... Throws
  // std::invalid_argument otherwise". A model saying exponential with cv 2
  // must not silently become cv 1.
  EXPECT_THROW(Distribution(Shape::kExponential, 1.0, 2.0), std::invalid_argument);
  EXPECT_NO_THROW(Distribution(Shape::kExponential, 1.0, 1.0));
}

TEST(Distribution, ShapeNamesRoundTrip) {
  for (Shape s : {Shape::kDeterministic, Shape::kExponential, Shape::kGamma, Shape::kLognormal}) {
    Shape back{};
    ASSERT_TRUE(parse_shape(to_string(s), back));
    EXPECT_EQ(back, s);
  }
  Shape ignored{};
  EXPECT_FALSE(parse_shape("weibull", ignored));
}

}  // namespace
}  // namespace stacksim
