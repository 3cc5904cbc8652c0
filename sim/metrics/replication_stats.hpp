// Summary of one scalar (throughput, a percentile) over independent
// replications: mean, sample standard deviation and the 95% confidence
// half-width t_{0.975, n-1} * s / sqrt(n), the t quantile from Boost.Math.
// Values are folded in one at a time (Welford), so nothing is stored per
// replication. With one replication there is no spread to estimate: the
// standard deviation and half-width are NaN, and JSON says null.
#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>

namespace stacksim {

// What a report prints per figure: {"mean": m, "ci95": h, "n": n}, where the
// 95% interval is [m - h, m + h]; "ci95" is null when n < 2 (and "mean" is
// null when n = 0).
struct Summary {
  double mean = 0.0;
  double ci95 = 0.0;  // half-width; NaN when n < 2
  std::size_t n = 0;
};

void to_json(nlohmann::json& j, const Summary& s);

class ReplicationStats {
 public:
  void add(double value);

  std::size_t n() const { return n_; }
  double mean() const;             // NaN when n = 0
  double stddev() const;           // sample (n - 1) standard deviation; NaN when n < 2
  double ci95_half_width() const;  // NaN when n < 2
  Summary summary() const { return {mean(), ci95_half_width(), n_}; }

 private:
  std::size_t n_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;  // sum of squared deviations from the running mean
};

// The two-sided `confidence` quantile of Student's t with `dof` degrees of
// freedom: t such that P(|T| <= t) = confidence (2.776 for 0.95 and dof 4).
double student_t_two_sided(double confidence, double dof);

}  // namespace stacksim
