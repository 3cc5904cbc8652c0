// Least squares for the calibration (Eigen): a line y = a + b x with
// further regressors, fitted only as far as the data identify it, with
// standard errors and residuals, and read at any point with its error.
#pragma once

#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace stacksim::calibrate {

inline constexpr double kNotIdentified = std::numeric_limits<double>::quiet_NaN();

// y = intercept + slope * x [+ sum of coef_j * z_j] by least squares. The
// extra terms z_j are further regressors (the load model's). A regressor is
// fitted only when the data can identify it: enough points (one more than
// the coefficients up to it) and some spread; otherwise it is left out and
// the note says so. Standard errors need more points than coefficients;
// else they are NaN (not identified). Residuals are y - fitted, in y's units.
struct ExtraTerm {
  std::string name;
  bool identified = false;
  double coef = 0, se = kNotIdentified;
  double mean = 0, ref = 0;  // ref: where the value is read (the mean unless moved)
};
struct LinearFit {
  int n = 0;
  bool slope_identified = false;
  double intercept = 0, intercept_se = kNotIdentified;  // at x = 0 and every z_j = 0
  double slope = 0, slope_se = kNotIdentified;
  double x_mean = 0;
  double x_ref = 0;  // where the model takes its value: x_mean unless moved by evaluate_at
  double value = 0, value_se = kNotIdentified;  // the fit at (x_ref, z_j refs)
  double residual_sd = kNotIdentified;          // sqrt(RSS / (n - p))
  std::vector<ExtraTerm> extra;
  std::vector<double> residuals;
  std::vector<double> cov;  // identified coefficients' covariance, centred design, row-major
  std::string note;         // why a part was not identified, or empty
  const ExtraTerm* term(const std::string& name) const;
};
using Column = std::pair<std::string, std::vector<double>>;  // an extra regressor, by name
// `exact`: a regressor is identified with as many points as coefficients
// (the fit goes through them; no standard error), for plans built to pin
// each coefficient by one point. Throws std::invalid_argument on empty or
// mismatched input.
LinearFit fit_linear(const std::vector<double>& x, const std::vector<double>& y, bool with_slope,
                     const std::vector<Column>& extra = {}, bool exact = false);
// Moves the value to x (extra terms at their refs, or at `extra_refs`): the
// fit there, with its standard error from the coefficients' covariance.
// Unidentified coefficients contribute nothing.
void evaluate_at(LinearFit& f, double x);
void evaluate_at(LinearFit& f, double x, const std::vector<double>& extra_refs);

}  // namespace stacksim::calibrate
