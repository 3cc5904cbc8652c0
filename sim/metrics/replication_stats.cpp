#include "sim/metrics/replication_stats.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "sim/scenario/json_fields.hpp"

namespace stacksim {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using json_fields::number_or_null;
}  // namespace

void to_json(nlohmann::json& j, const Summary& s) {
  j = nlohmann::json{
      {"mean", number_or_null(s.mean)}, {"ci95", number_or_null(s.ci95)}, {"n", s.n}};
}

void ReplicationStats::add(double value) {
  // Welford's update: stable where sum-of-squares minus square-of-sum is not
  // (throughputs of 10^4 rps differing in the fourth digit).
  ++n_;
  const double delta = value - mean_;
  mean_ += delta / static_cast<double>(n_);
  m2_ += delta * (value - mean_);
}

double ReplicationStats::mean() const {
  return n_ == 0 ? kNaN : mean_;
}

double ReplicationStats::stddev() const {
  if (n_ < 2) return kNaN;
  return std::sqrt(m2_ / static_cast<double>(n_ - 1));
}

double ReplicationStats::ci95_half_width() const {
  if (n_ < 2) return kNaN;
  const double t = student_t_two_sided(0.95, static_cast<double>(n_ - 1));
  return t * stddev() / std::sqrt(static_cast<double>(n_));
}

double student_t_two_sided(double confidence, double dof) {
  const boost::math::students_t dist(dof);
  return boost::math::quantile(dist, 0.5 + confidence / 2.0);
}

}  // namespace stacksim
