// The search behind `calibrate table` (table_fit.hpp): the factors as
// parameters and what each does to a model, the table's figures as
// residuals, and their minimisation. Rows depend on their own factor and the
// host's, not on each other's, so every row takes a damped Newton step of
// its own in one simulation of all rows; the host's factors take
// Levenberg-Marquardt steps; each async row's accept policy is chosen by its
// latency's shape. The simulation's own noise is measured and folded in.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "calibrate/published_table.hpp"
#include "calibrate/table_fit.hpp"
#include "common/progress.hpp"

namespace stacksim::calibrate::table_search {

// A relative table's unknown: the baseline's requests/s on the author's
// machine, as a factor on the prior's simulated baseline. Every row's
// throughput is compared with its published multiple of it, so one row's
// simulation noise does not move the others' residuals.
inline constexpr const char* kBaselineLevel = "baseline_rps";

// The host's factors (less those `o.hold` names), the baseline's level for a
// relative table, and one factor per row, each with its prior spread.
// InputError for a --hold that names no host factor.
std::vector<TableParameter> build_parameters(const PublishedTable& table, const TableFitOptions& o);

// The prior with every factor of `theta` (logs, in the parameters' order) applied.
Model apply_factors(const Model& prior, const std::vector<TableParameter>& params,
                    const Eigen::VectorXd& theta);

struct Outcome {
  Eigen::VectorXd theta;      // log factors at the minimum
  Eigen::VectorXd residuals;  // the figures' (first data_size), then the priors'
  Eigen::MatrixXd jacobian;   // of the residuals at theta
  Eigen::Index data_size = 0;
  int iterations = 0, simulations = 0;
  bool converged = false;
  FigureNoise simulation_noise;  // measured, per figure (log)
  double baseline_rps = 0;       // a relative table's level, requests/s
  Model prior;                   // `start` with the accept policies chosen
};

// Minimises from factors of 1, at most o.max_iterations iterations.
Outcome search(const PublishedTable& table, const Model& start, const TableFitOptions& o,
               const FigureNoise& noise, std::vector<TableParameter>& params, Progress* progress);

}  // namespace stacksim::calibrate::table_search
