#include <gtest/gtest.h>

#include <cmath>

#include "calibrate/fit.hpp"

namespace stacksim::calibrate {
namespace {

// x = 1..4, y = 2 + 3x + e with e = (+0.1, -0.1, -0.1, +0.1). e is orthogonal
// to 1 and to x - 2.5, so least squares returns a = 2, b = 3 exactly and the
// residuals are e. RSS = 0.04 on n - p = 2 degrees of freedom: s^2 = 0.02.
// Sxx = sum (x - 2.5)^2 = 5. SE(b) = sqrt(s^2/Sxx) = 0.0632456; the value at
// the mean x is 9.5 with SE sqrt(s^2/n) = 0.0707107; SE(a) = sqrt(s^2 (1/n +
// 2.5^2/Sxx)) = sqrt(0.03) = 0.1732051.
TEST(FitLinear, RecoversExactCoefficientsAndTextbookStandardErrors) {
  const std::vector<double> x{1, 2, 3, 4};
  const std::vector<double> y{5.1, 7.9, 10.9, 14.1};
  const LinearFit f = fit_linear(x, y, true);
  ASSERT_TRUE(f.slope_identified);
  EXPECT_EQ(f.n, 4);
  EXPECT_NEAR(f.intercept, 2.0, 1e-12);
  EXPECT_NEAR(f.slope, 3.0, 1e-12);
  EXPECT_NEAR(f.x_ref, 2.5, 1e-12);
  EXPECT_NEAR(f.value, 9.5, 1e-12);
  EXPECT_NEAR(f.slope_se, std::sqrt(0.02 / 5), 1e-12);
  EXPECT_NEAR(f.value_se, std::sqrt(0.02 / 4), 1e-12);
  EXPECT_NEAR(f.intercept_se, std::sqrt(0.03), 1e-12);
  EXPECT_NEAR(f.residual_sd, std::sqrt(0.02), 1e-12);
  const std::vector<double> e{0.1, -0.1, -0.1, 0.1};
  ASSERT_EQ(f.residuals.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(f.residuals[i], e[i], 1e-12);
}

// Read at x = 4 instead of the mean 2.5: 2 + 3*4 = 14, with variance
// s^2/n + (4 - 2.5)^2 s^2/Sxx = 0.005 + 0.009 = 0.014.
TEST(FitLinear, EvaluatedAtAnotherPointWidensTheStandardErrorByTheSlopes) {
  LinearFit f = fit_linear({1, 2, 3, 4}, {5.1, 7.9, 10.9, 14.1}, true);
  evaluate_at(f, 4.0);
  EXPECT_NEAR(f.value, 14.0, 1e-12);
  EXPECT_NEAR(f.value_se, std::sqrt(0.014), 1e-12);
  EXPECT_DOUBLE_EQ(f.x_ref, 4.0);
  EXPECT_DOUBLE_EQ(f.x_mean, 2.5);
}

// A regressor that never changes cannot separate a slope from the intercept:
// the fit is the mean (10, 12, 14 -> 12), s^2 = 8/2 = 4, SE = sqrt(4/3).
TEST(FitLinear, ConstantRegressorFitsTheMeanAndSaysTheSlopeIsNotIdentified) {
  const LinearFit f = fit_linear({5, 5, 5}, {10, 12, 14}, true);
  EXPECT_FALSE(f.slope_identified);
  EXPECT_NE(f.note.find("does not vary"), std::string::npos);
  EXPECT_DOUBLE_EQ(f.value, 12.0);
  EXPECT_NEAR(f.value_se, std::sqrt(4.0 / 3.0), 1e-12);
  EXPECT_TRUE(std::isnan(f.slope_se));
}

// One record: a value but no spread, so no standard error.
TEST(FitLinear, SingleRecordHasNoStandardError) {
  const LinearFit f = fit_linear({1}, {7}, true);
  EXPECT_DOUBLE_EQ(f.value, 7.0);
  EXPECT_TRUE(std::isnan(f.value_se));
  EXPECT_TRUE(std::isnan(f.residual_sd));
  EXPECT_NE(f.note.find("standard errors not identified"), std::string::npos);
}

TEST(FitLinear, RejectsEmptyOrMismatchedInput) {
  EXPECT_THROW(fit_linear({}, {}, false), std::invalid_argument);
  EXPECT_THROW(fit_linear({1, 2}, {1}, false), std::invalid_argument);
}

}  // namespace
}  // namespace stacksim::calibrate
