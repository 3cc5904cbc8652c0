#include "calibrate/table_fit.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>

#include "calibrate/table_search.hpp"
#include "common/input_error.hpp"
#include "sim/experiment/experiment.hpp"

namespace stacksim::calibrate {

TableFitOptions::TableFitOptions() : corrections(CpuCorrections::none()) {
  corrections.add(CpuCorrection::kSpeed);
}

std::vector<RowFit> simulate_rows(const PublishedTable& table, const Model& model, int requests,
                                  int warmup, int replications, unsigned threads,
                                  Progress* progress, std::uint64_t seed_offset) {
  std::vector<Scenario> scenarios;
  scenarios.reserve(table.rows.size());
  for (const PublishedRow& r : table.rows) {
    Scenario sc = r.scenario;
    sc.requests = requests;
    sc.warmup_requests = warmup;
    sc.replications = replications;
    sc.seed += seed_offset;
    scenarios.push_back(std::move(sc));
  }
  std::vector<RunJob> jobs;
  for (std::size_t i = 0; i < table.rows.size(); ++i)
    for (int rep = 0; rep < replications; ++rep)
      jobs.push_back({&scenarios[i], &model.stacks.at(table.rows[i].stack), rep});
  const std::vector<RunResult> runs = run_jobs(model, jobs, threads, progress);
  std::vector<RowFit> out;
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    RowFit f;
    f.row = &table.rows[i];
    double x = 0, p50 = 0, p99 = 0, db = 0, hold = 0, cpu = 0;
    for (int rep = 0; rep < replications; ++rep) {
      const RunResult& run =
          runs[i * static_cast<std::size_t>(replications) + static_cast<std::size_t>(rep)];
      x += run.throughput_rps, p50 += run.p50_ms, p99 += run.p99_ms;
      db += run.db_sessions_peak, hold += run.worker_hold_ms;
      for (double c : run.cpu_us_per_request) cpu += c / 1000;
    }
    const double n = replications;
    f.throughput_rps = x / n, f.worker_hold_ms = hold / n, f.cpu_ms_per_request = cpu / n;
    f.fitted.throughput = f.throughput_rps;
    f.fitted.p50_ms = p50 / n, f.fitted.p99_ms = p99 / n, f.fitted.db_sessions_peak = db / n;
    out.push_back(f);
  }
  if (table.kind == ThroughputKind::kRelative) {
    const double base = std::find_if(out.begin(), out.end(), [&](const RowFit& f) {
                          return f.row->stack == table.baseline;
                        })->throughput_rps;
    for (RowFit& f : out) f.fitted.throughput = f.throughput_rps / base;
  }
  return out;
}

namespace {

// Each log factor's spread: with the priors (the range reported) and from
// the table alone (what says whether the table pins it; a direction the
// table cannot see has an unbounded spread there), the noise scale folded
// in, and the factor each one moves with where the table cannot tell them apart.
void describe_posterior(const table_search::Outcome& m, TableFit& fit) {
  const auto inverse = [](Eigen::MatrixXd h) {
    h.diagonal().array() += 1e-9;
    return Eigen::MatrixXd(h.ldlt().solve(Eigen::MatrixXd::Identity(h.rows(), h.cols())));
  };
  const Eigen::MatrixXd cov = inverse(m.jacobian.transpose() * m.jacobian);
  const Eigen::MatrixXd data = m.jacobian.topRows(m.data_size);
  const Eigen::MatrixXd table_cov = inverse(data.transpose() * data);
  fit.chi2 = m.residuals.head(m.data_size).squaredNorm();
  const double dof = static_cast<double>(m.data_size) - static_cast<double>(fit.parameters.size());
  fit.noise_scale = std::max(1.0, dof > 0 ? std::sqrt(fit.chi2 / dof) : 1.0);
  for (std::size_t k = 0; k < fit.parameters.size(); ++k) {
    TableParameter& p = fit.parameters[k];
    const auto i = static_cast<Eigen::Index>(k);
    p.value = std::exp(m.theta[i]);
    p.sd = std::sqrt(std::max(0.0, cov(i, i))) * fit.noise_scale;
    p.sd_table = std::sqrt(std::max(0.0, table_cov(i, i))) * fit.noise_scale;
    p.pinned = p.sd_table < 0.5 * p.prior_sd;
    for (Eigen::Index j = 0; j < table_cov.cols(); ++j) {
      if (j == i) continue;
      const double r = table_cov(i, j) / std::sqrt(table_cov(i, i) * table_cov(j, j));
      if (std::abs(r) > 0.9 && std::abs(r) > std::abs(p.correlation)) {
        p.correlation = r;
        p.moves_with = fit.parameters[static_cast<std::size_t>(j)].name;
      }
    }
  }
}

// The fitted model: the table's stacks only (the others were not fitted), on
// a host of the scenario's cores with plain processor sharing plus the
// corrections asked for; this host's VM terms do not carry to the author's.
Model fitted_model(const Model& prior, const PublishedTable& table, const Scenario& scenario,
                   const TableFit& fit, const TableFitOptions& o) {
  Eigen::VectorXd theta(static_cast<Eigen::Index>(fit.parameters.size()));
  for (std::size_t k = 0; k < fit.parameters.size(); ++k)
    theta[static_cast<Eigen::Index>(k)] = std::log(fit.parameters[k].value);
  Model m = table_search::apply_factors(prior, fit.parameters, theta);
  std::map<std::string, StackModel> stacks;
  for (const PublishedRow& r : table.rows) stacks.emplace(r.stack, m.stacks.at(r.stack));
  m.stacks = std::move(stacks);
  m.host.cores = scenario.cores;
  m.host.cpu_model = "the machine of " + table.source + " (not known; fitted from its table)";
  m.host.corrections = o.corrections;
  m.host.imbalance = 0;
  m.host.wakeup_latency_ns = 0;
  m.host.profile.reset();
  return m;
}

}  // namespace

TableFit fit_table(const PublishedTable& table, const Model& prior, const Scenario& scenario,
                   const TableFitOptions& o) {
  TableFit fit;
  fit.parameters = table_search::build_parameters(table, o);
  Model start = prior;
  start.host.corrections = o.corrections;
  fit.figures = table.figure_count();
  if (fit.figures < static_cast<int>(fit.parameters.size()))
    throw InputError(table.source + ": " + std::to_string(fit.figures) + " published figures for " +
                     std::to_string(fit.parameters.size()) +
                     " parameters (one per row and the host's): give more columns or rows, or "
                     "hold host factors (--hold)");
  Progress progress("simulations", 0, o.progress);
  const table_search::Outcome m =
      table_search::search(table, start, o, fit.noise, fit.parameters, &progress);
  fit.iterations = m.iterations;
  fit.converged = m.converged;
  fit.simulations = m.simulations;
  fit.simulation_noise = m.simulation_noise;
  describe_posterior(m, fit);
  for (TableParameter& p : fit.parameters)
    if (p.name == table_search::kBaselineLevel) p.value = m.baseline_rps;  // in requests/s
  fit.model = fitted_model(m.prior, table, scenario, fit, o);
  fit.rows = simulate_rows(table, fit.model, scenario.requests, scenario.warmup_requests,
                           o.report_replications, o.threads, &progress);
  return fit;
}

}  // namespace stacksim::calibrate
