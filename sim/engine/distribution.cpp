#include "sim/engine/distribution.hpp"

#include <cmath>
#include <stdexcept>

#include "common/name_table.hpp"

namespace stacksim {

namespace {
// In the order error messages list them (shape_names).
constexpr NameTable<Shape, 4> kShapes{{
    {Shape::kGamma, "gamma"},
    {Shape::kLognormal, "lognormal"},
    {Shape::kExponential, "exponential"},
    {Shape::kDeterministic, "deterministic"},
}};
}  // namespace

STACKSIM_NAME_FUNCTIONS(Shape, kShapes, parse_shape, shape_names)

Distribution::Distribution(Shape shape, double mean, double cv)
    : shape_(shape), mean_(mean), cv_(cv) {
  if (!(mean >= 0.0) || !std::isfinite(mean)) throw std::invalid_argument("mean must be >= 0");
  switch (shape) {
    case Shape::kDeterministic:
      cv_ = 0.0;
      break;
    case Shape::kExponential:
      if (cv != 1.0) throw std::invalid_argument("an exponential's cv is 1");
      break;
    case Shape::kGamma:
      if (!(cv > 0.0) || !std::isfinite(cv)) throw std::invalid_argument("cv must be > 0");
      p1_ = 1.0 / (cv * cv);  // shape k
      p2_ = mean * cv * cv;   // scale theta
      d_ = (p1_ < 1.0 ? p1_ + 1.0 : p1_) - 1.0 / 3.0;
      c_ = 1.0 / std::sqrt(9.0 * d_);
      break;
    case Shape::kLognormal: {
      if (!(cv > 0.0) || !std::isfinite(cv)) throw std::invalid_argument("cv must be > 0");
      const double s2 = std::log1p(cv * cv);
      p2_ = std::sqrt(s2);                                    // sigma
      p1_ = (mean > 0.0 ? std::log(mean) : -1e300) - s2 / 2;  // mu
      break;
    }
  }
}

// Marsaglia and Tsang (2000); for k < 1, Gamma(k) = Gamma(k + 1) * U^(1/k).
double Distribution::standard_gamma(Rng& rng) const {
  double g;
  for (;;) {
    double x, v;
    do {
      x = rng.standard_normal();
      v = 1.0 + c_ * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.uniform_open01();
    if (u < 1.0 - 0.0331 * x * x * x * x ||
        std::log(u) < 0.5 * x * x + d_ * (1.0 - v + std::log(v))) {
      g = d_ * v;
      break;
    }
  }
  return p1_ < 1.0 ? g * std::pow(rng.uniform_open01(), 1.0 / p1_) : g;
}

}  // namespace stacksim
