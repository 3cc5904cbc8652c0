// Fitting a model of someone else's machine from their published table: the
// prior model's demands carried there by a few factors, each chosen by
// simulating every row of the table, with a prior on each factor so that the
// table decides only what it can (a Gauss-Newton / Levenberg-Marquardt fit in
// log space; the posterior's spread says which factors the table pins).
//
// The factors (each a multiple of the prior's value, 1 before the fit):
//   speed            the host's speed: every CPU demand takes 1/speed of its time
//   kernel.per_hop   the kernel's work per socket hop (bridges, NAT, a container's
//                    port publishing add to every hop)
//   connect          what opening and closing a database connection costs per
//                    request: the app's connect and close, pgbouncer's login and close
//   baseline_rps     a relative table's unknown: the baseline's requests/s
//                    (its value is in requests/s, not a factor)
//   app.STACK        one per row: the app workers' CPU per request of that stack
//                    (a table pins each row's level; the ratio between a
//                    Python-heavy and a C-heavy part is not the same on every CPU)
// Besides the factors, each async row's accept policy is chosen from the
// three the simulator has, by the latency's shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "calibrate/published_table.hpp"
#include "common/progress.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

struct TableParameter {
  std::string name;
  std::string stack;       // the row's stack for app.STACK, else empty
  double prior_sd = 0.5;   // of log(factor)
  double value = 1;        // the fitted factor
  double sd = 0;           // posterior standard deviation of log(factor), priors included
  double sd_table = 0;     // the same from the table alone (no priors): what it pins
  bool pinned = false;     // the table alone narrows it to under half its prior spread
  std::string moves_with;  // the parameter it is most correlated with, |r| > 0.9
  double correlation = 0;  // that correlation
};

// A row's figures, published and as the fitted model simulates them (means
// over replications; throughput relative to the baseline's when the table's is).
struct RowFit {
  const PublishedRow* row = nullptr;
  PublishedFigures fitted;
  double throughput_rps = 0;  // simulated, absolute
  double worker_hold_ms = 0;  // simulated, per request
  double cpu_ms_per_request = 0;
};

struct TableFitOptions {
  int requests = 20000;  // per row and evaluation during the search
  int warmup_requests = 2000;
  int report_replications = 5;  // the final in-sample figures
  int max_iterations = 25;
  std::vector<std::string> hold;  // global factors kept at 1
  CpuCorrections corrections;     // the fitted model's (default: speed only)
  unsigned threads = 0;
  bool progress = false;
  TableFitOptions();
};

// The relative noise assumed of each published figure (log scale): what a
// residual is measured in.
struct FigureNoise {
  // P99 loosely: one run's tail, and a tail shape the model is known to miss
  // (docs/published.md).
  double throughput = 0.03, p50 = 0.05, p99 = 0.5, db_sessions = 0.10;
};

struct TableFit {
  Model model;  // the table's stacks, the factors applied, provenance filled
  std::vector<TableParameter> parameters;
  std::vector<RowFit> rows;
  FigureNoise noise;
  FigureNoise
      simulation_noise;    // the search's own (one run per row), measured: folded into `noise`
  double chi2 = 0;         // of the published figures at the fit, in noise units
  int figures = 0;         // published figures used
  double noise_scale = 1;  // sqrt(chi2 / (figures - parameters)), at least 1: sds include it
  int iterations = 0, simulations = 0;
  bool converged = false;
};

// `prior`: the model whose demands are carried over (it must have every
// stack the table's rows name). Throws InputError when the table gives fewer
// figures than there are parameters to fit, naming both counts.
TableFit fit_table(const PublishedTable& table, const Model& prior, const Scenario& scenario,
                   const TableFitOptions& options);

// The published figures as the model simulates them at the rows' configurations.
std::vector<RowFit> simulate_rows(const PublishedTable& table, const Model& model, int requests,
                                  int warmup, int replications, unsigned threads,
                                  Progress* progress = nullptr, std::uint64_t seed_offset = 0);

}  // namespace stacksim::calibrate
