#include "calibrate/least_squares.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace stacksim::calibrate {

namespace {
bool varies(const std::vector<double>& v, double mean) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return *hi - *lo > 1e-9 * std::max(1.0, std::abs(mean));
}
double mean_of(const std::vector<double>& v) {
  double m = 0;
  for (double e : v) m += e;
  return v.empty() ? 0.0 : m / static_cast<double>(v.size());
}
void add_note(LinearFit& f, const std::string& why) {
  f.note += (f.note.empty() ? "" : "; ") + why;
}

// Which regressors the data identify, in order: each needs one more point
// than the coefficients so far (or, exact, as many: the line through them,
// with no error estimate), and spread. Fills f.slope_identified and
// f.extra; returns the number of coefficients, the constant included.
int identify_terms(LinearFit& f, const std::vector<double>& x, bool with_slope,
                   const std::vector<Column>& extra, bool exact) {
  const int spare = exact ? 1 : 2;
  int p = 1;
  f.slope_identified = with_slope && f.n >= p + spare && varies(x, f.x_mean);
  if (with_slope && !f.slope_identified)
    add_note(f, f.n < p + spare ? "slope not identified: too few records"
                                : "slope not identified: the regressor does not vary");
  if (f.slope_identified) ++p;
  for (const Column& c : extra) {
    ExtraTerm t;
    t.name = c.first;
    t.mean = mean_of(c.second);
    t.ref = t.mean;
    t.identified = f.n >= p + spare && varies(c.second, t.mean);
    if (!t.identified)
      add_note(f, t.name + " not identified: " +
                      (f.n < p + spare ? std::string("too few records")
                                       : std::string("it does not vary")));
    if (t.identified) ++p;
    f.extra.push_back(t);
  }
  return p;
}

// Centred design: column 0 is 1, then x - mean(x), then each z_j - mean:
// the first coefficient is the value at the means.
Eigen::MatrixXd centred_design(const LinearFit& f, const std::vector<double>& x,
                               const std::vector<Column>& extra, int p) {
  Eigen::MatrixXd design(f.n, p);
  for (int i = 0; i < f.n; ++i) {
    int col = 0;
    design(i, col++) = 1.0;
    if (f.slope_identified) design(i, col++) = x[i] - f.x_mean;
    for (std::size_t j = 0; j < extra.size(); ++j)
      if (f.extra[j].identified) design(i, col++) = extra[j].second[i] - f.extra[j].mean;
  }
  return design;
}

// The centred coefficients back to y = intercept + slope x + sum coef_j z_j.
void store_coefficients(LinearFit& f, const Eigen::VectorXd& beta) {
  int col = 1;
  f.intercept = beta(0);
  if (f.slope_identified) {
    f.slope = beta(col++);
    f.intercept -= f.slope * f.x_mean;
  }
  for (ExtraTerm& t : f.extra) {
    if (!t.identified) continue;
    t.coef = beta(col++);
    f.intercept -= t.coef * t.mean;
  }
}

// Residual variance sigma2 = RSS / (n - p): the coefficients' covariance
// sigma2 (X'X)^-1 and their standard errors.
void store_errors(LinearFit& f, const Eigen::MatrixXd& design, double sigma2) {
  const auto p = static_cast<int>(design.cols());
  const Eigen::MatrixXd cov = sigma2 * (design.transpose() * design).inverse();
  f.residual_sd = std::sqrt(sigma2);
  f.cov.assign(static_cast<std::size_t>(p * p), 0.0);
  for (int r = 0; r < p; ++r)
    for (int c = 0; c < p; ++c) f.cov[static_cast<std::size_t>(r * p + c)] = cov(r, c);
  int col = 1;
  if (f.slope_identified) {
    f.slope_se = std::sqrt(cov(col, col));
    ++col;
  }
  for (ExtraTerm& t : f.extra) {
    if (!t.identified) continue;
    t.se = std::sqrt(cov(col, col));
    ++col;
  }
}
}  // namespace

const ExtraTerm* LinearFit::term(const std::string& name) const {
  for (const ExtraTerm& t : extra)
    if (t.name == name) return &t;
  return nullptr;
}

LinearFit fit_linear(const std::vector<double>& x, const std::vector<double>& y, bool with_slope,
                     const std::vector<Column>& extra, bool exact) {
  if (y.empty() || x.size() != y.size())
    throw std::invalid_argument("fit_linear: need as many x as y, at least one");
  for (const Column& c : extra)
    if (c.second.size() != y.size())
      throw std::invalid_argument("fit_linear: term " + c.first + " has not as many values as y");
  LinearFit f;
  f.n = static_cast<int>(y.size());
  f.x_mean = mean_of(x);
  f.x_ref = f.x_mean;
  const int p = identify_terms(f, x, with_slope, extra, exact);
  const Eigen::MatrixXd design = centred_design(f, x, extra, p);
  const Eigen::VectorXd obs = Eigen::Map<const Eigen::VectorXd>(y.data(), f.n);
  const Eigen::VectorXd beta = design.colPivHouseholderQr().solve(obs);
  const Eigen::VectorXd resid = obs - design * beta;
  f.residuals.assign(resid.data(), resid.data() + f.n);
  store_coefficients(f, beta);
  if (f.n > p) {
    store_errors(f, design, resid.squaredNorm() / (f.n - p));
  } else {
    add_note(f, "standard errors not identified: " + std::to_string(f.n) + " record(s) for " +
                    std::to_string(p) + " coefficient(s)");
  }
  // The intercept is the fit with every regressor at 0: same covariance, other point.
  LinearFit at_zero = f;
  evaluate_at(at_zero, 0.0, std::vector<double>(f.extra.size(), 0.0));
  f.intercept_se = at_zero.value_se;
  evaluate_at(f, f.x_mean);
  return f;
}

void evaluate_at(LinearFit& f, double x) {
  std::vector<double> refs;
  for (const ExtraTerm& t : f.extra) refs.push_back(t.ref);
  evaluate_at(f, x, refs);
}

void evaluate_at(LinearFit& f, double x, const std::vector<double>& extra_refs) {
  if (extra_refs.size() != f.extra.size())
    throw std::invalid_argument("evaluate_at: one ref per extra term");
  if (f.slope_identified) f.x_ref = x;
  // g = (1, x - mean, z_j - mean...) over the identified coefficients; value = intercept + ...
  std::vector<double> g = {1.0};
  f.value = f.intercept + f.slope * f.x_mean;
  if (f.slope_identified) {
    g.push_back(f.x_ref - f.x_mean);
    f.value += f.slope * (f.x_ref - f.x_mean);
  }
  for (std::size_t j = 0; j < f.extra.size(); ++j) {
    ExtraTerm& t = f.extra[j];
    if (!t.identified) continue;
    t.ref = extra_refs[j];
    f.value += t.coef * t.ref;
    g.push_back(t.ref - t.mean);
  }
  if (f.cov.empty()) {
    f.value_se = kNotIdentified;
    return;
  }
  const std::size_t p = g.size();
  double var = 0;
  for (std::size_t r = 0; r < p; ++r)
    for (std::size_t c = 0; c < p; ++c) var += g[r] * f.cov[r * p + c] * g[c];
  f.value_se = std::sqrt(std::max(0.0, var));
}

}  // namespace stacksim::calibrate
