// Service-demand distributions by mean and coefficient of variation, as the
// model files state them. The samplers are written here on top of Rng rather
// than taken from std::*_distribution, whose algorithms (and so whose
// numbers) differ between standard libraries.
#pragma once

#include <cmath>
#include <string>
#include <string_view>

#include "sim/engine/rng.hpp"

namespace stacksim {

enum class Shape { kDeterministic, kExponential, kGamma, kLognormal };

std::string_view to_string(Shape s);
// Returns false for an unknown name.
bool parse_shape(std::string_view name, Shape& out);
// "gamma|lognormal|exponential|deterministic": the accepted names, for messages.
std::string shape_names();

class Distribution {
 public:
  Distribution() = default;
  // mean >= 0; cv >= 0 (ignored for deterministic, must be 1 for exponential,
  // > 0 for gamma and lognormal). Throws std::invalid_argument otherwise.
  Distribution(Shape shape, double mean, double cv = 1.0);

  static Distribution deterministic(double v) { return {Shape::kDeterministic, v, 0.0}; }
  static Distribution exponential(double mean) { return {Shape::kExponential, mean, 1.0}; }

  // Inline: the stack draws one or more per burst.
  double sample(Rng& rng) const {
    if (mean_ == 0.0) return 0.0;
    switch (shape_) {
      case Shape::kDeterministic:
        return mean_;
      case Shape::kExponential:
        return -mean_ * std::log(rng.uniform_open01());
      case Shape::kGamma:
        return p2_ * standard_gamma(rng);
      case Shape::kLognormal:
        return std::exp(p1_ + p2_ * rng.standard_normal());
    }
    return mean_;
  }

  Shape shape() const { return shape_; }
  double mean() const { return mean_; }
  double cv() const { return cv_; }

 private:
  // Gamma(k) with scale 1 by Marsaglia and Tsang, from the precomputed d, c.
  double standard_gamma(Rng& rng) const;

  Shape shape_ = Shape::kDeterministic;
  double mean_ = 0.0;
  double cv_ = 0.0;
  // Derived parameters: gamma (k, theta, and Marsaglia-Tsang's d and c for
  // max(k, k + 1)); lognormal (mu, sigma).
  double p1_ = 0.0;
  double p2_ = 0.0;
  double d_ = 0.0;
  double c_ = 0.0;
};

}  // namespace stacksim
