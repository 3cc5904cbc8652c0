#include "calibrate/table_search.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>

#include "common/input_error.hpp"

namespace stacksim::calibrate::table_search {
namespace {
// The simulated figures of one row, as logs: throughput, P50, P99, peak sessions.
using RowLogs = std::array<double, 4>;
enum Figure { kThroughput, kP50, kP99, kDb };
constexpr double kStep = 0.2;                    // finite-difference step in log(factor)
constexpr double kMinLog = -4.0, kMaxLog = 4.0;  // factors within e^-4 .. e^4

struct GlobalFactor {
  const char* name;
  double prior_sd;
};
// Wide priors for the host (another machine may be several times slower
// per request), narrower for each stack's level relative to the host.
constexpr GlobalFactor kGlobals[] = {{"speed", 2.0}, {"kernel.per_hop", 1.5}, {"connect", 1.0}};
constexpr double kAppPriorSd = 0.5;

Distribution times(const Distribution& d, double f) {
  return Distribution(d.shape(), d.mean() * f, d.cv());
}

}  // namespace

std::vector<TableParameter> build_parameters(const PublishedTable& table,
                                             const TableFitOptions& o) {
  std::string names;
  for (const GlobalFactor& g : kGlobals) names += (names.empty() ? "" : ", ") + std::string(g.name);
  for (const std::string& h : o.hold)
    if (std::none_of(std::begin(kGlobals), std::end(kGlobals),
                     [&](const GlobalFactor& g) { return h == g.name; }))
      throw InputError("--hold " + h + ": not a host factor (" + names + ")");
  std::vector<TableParameter> params;
  for (const GlobalFactor& g : kGlobals) {
    if (std::find(o.hold.begin(), o.hold.end(), g.name) != o.hold.end()) continue;
    TableParameter p;
    p.name = g.name;
    p.prior_sd = g.prior_sd;
    params.push_back(p);
  }
  if (table.kind == ThroughputKind::kRelative) {
    TableParameter p;
    p.name = kBaselineLevel;
    p.prior_sd = 3.0;
    params.push_back(p);
  }
  for (const PublishedRow& r : table.rows) {
    TableParameter p;
    p.name = "app." + r.stack;
    p.stack = r.stack;
    p.prior_sd = kAppPriorSd;
    params.push_back(p);
  }
  return params;
}

// The prior with every factor of `theta` (logs, in the parameters' order) applied.
Model apply_factors(const Model& prior, const std::vector<TableParameter>& params,
                    const Eigen::VectorXd& theta) {
  Model m = prior;
  for (std::size_t k = 0; k < params.size(); ++k) {
    const double f = std::exp(theta[static_cast<Eigen::Index>(k)]);
    const std::string& name = params[k].name;
    if (name == "speed") {
      m.host.speed = std::clamp(prior.host.speed * f, 0.01, 100.0);
    } else if (name == "kernel.per_hop") {
      m.kernel.per_hop = times(m.kernel.per_hop, f);
    } else if (name == kBaselineLevel) {
      // not a property of the machine's model: only the residuals read it
    } else if (name == "connect") {
      for (Distribution* d : {&m.pgbouncer.login, &m.pgbouncer.close}) *d = times(*d, f);
      for (auto& [stack_name, s] : m.stacks)
        for (Distribution* d : {&s.connect, &s.close}) *d = times(*d, f);
    } else {
      StackModel& s = m.stacks.at(params[k].stack);
      for (Distribution* d : {&s.pre, &s.connect, &s.query, &s.fetch, &s.close, &s.respond})
        *d = times(*d, f);
    }
  }
  return m;
}

namespace {

RowLogs logs_of(const RowFit& r) {
  return {std::log(r.throughput_rps), std::log(*r.fitted.p50_ms), std::log(*r.fitted.p99_ms),
          std::log(std::max(0.5, *r.fitted.db_sessions_peak))};
}

// The published figures a fit can use: (row, figure), in a fixed order.
struct Residuals {
  std::vector<std::pair<std::size_t, Figure>> index;
  Eigen::VectorXd published;  // logs
  Eigen::VectorXd sigma;

  Residuals(const PublishedTable& table, const FigureNoise& noise) {
    std::vector<double> pub, sig;
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
      const PublishedRow& r = table.rows[i];
      const PublishedFigures& f = r.figures;
      auto add = [&](const std::optional<double>& v, Figure fig, double s) {
        if (!v) return;
        index.emplace_back(i, fig);
        pub.push_back(std::log(std::max(0.5, *v)));
        sig.push_back(s);
      };
      add(f.throughput, kThroughput, noise.throughput);
      add(f.p50_ms, kP50, noise.p50);
      add(f.p99_ms, kP99, noise.p99);
      add(f.db_sessions_peak, kDb, noise.db_sessions);
    }
    published = Eigen::Map<Eigen::VectorXd>(pub.data(), static_cast<Eigen::Index>(pub.size()));
    sigma = Eigen::Map<Eigen::VectorXd>(sig.data(), static_cast<Eigen::Index>(sig.size()));
  }
  Eigen::Index size() const { return published.size(); }

  // Folds the simulation's own noise (per figure, in log units) into each
  // figure's: a residual within it says nothing.
  void add_simulation_noise(const RowLogs& sd) {
    simulation_sd = sd;
    for (Eigen::Index k = 0; k < size(); ++k) {
      const double s = sd[index[static_cast<std::size_t>(k)].second];
      sigma[k] = std::sqrt(sigma[k] * sigma[k] + s * s);
    }
  }
  // A change of a figure by a parameter's step, in residual units, or 0 where
  // it is within twice the simulation's noise (a derivative the noise made).
  double significant(Eigen::Index k, double change) const {
    const double raw = change * sigma[k];
    const double noise = simulation_sd[index[static_cast<std::size_t>(k)].second];
    return std::abs(raw) < 2 * noise ? 0.0 : change;
  }
  RowLogs simulation_sd{};

  // Whitened residuals from each row's simulated logs; `level`: the log of
  // the requests/s a relative throughput of 1 stands for (0 when absolute).
  Eigen::VectorXd of(const std::vector<RowLogs>& y, double level) const {
    Eigen::VectorXd r(size());
    for (Eigen::Index k = 0; k < size(); ++k) {
      const auto [row, fig] = index[static_cast<std::size_t>(k)];
      double v = y[row][fig];
      if (fig == kThroughput) v -= level;
      r[k] = (v - published[k]) / sigma[k];
    }
    return r;
  }
};

// The search: the prior, the table and the evaluations it has run.
class Search {
 public:
  Search(const PublishedTable& table, const Model& prior, const TableFitOptions& o,
         const FigureNoise& noise, std::vector<TableParameter>& params, Progress* progress)
      : table_(table),
        prior_(prior),
        o_(o),
        params_(params),
        progress_(progress),
        residuals_(table, noise) {
    base_ = static_cast<std::size_t>(
        std::find_if(table.rows.begin(), table.rows.end(),
                     [&](const PublishedRow& r) { return r.stack == table.baseline; }) -
        table.rows.begin());
    prior_sd_.resize(static_cast<Eigen::Index>(params.size()));
    app_of_row_.assign(table.rows.size(), -1);
    for (std::size_t k = 0; k < params.size(); ++k) {
      prior_sd_[static_cast<Eigen::Index>(k)] = params[k].prior_sd;
      if (params[k].name == kBaselineLevel) level_ = static_cast<Eigen::Index>(k);
      for (std::size_t i = 0; i < table.rows.size(); ++i)
        if (!params[k].stack.empty() && table.rows[i].stack == params[k].stack)
          app_of_row_[i] = static_cast<Eigen::Index>(k);
    }
  }

  std::vector<RowLogs> evaluate(const Eigen::VectorXd& theta, std::uint64_t seed_offset = 0) {
    ++simulations_;
    const Model m = apply_factors(prior_, params_, theta);
    const std::vector<RowFit> rows = simulate_rows(table_, m, o_.requests, o_.warmup_requests, 1,
                                                   o_.threads, progress_, seed_offset);
    std::vector<RowLogs> y;
    for (const RowFit& r : rows) y.push_back(logs_of(r));
    if (simulations_ == 1) prior_level_ = y[base_][kThroughput];
    return y;
  }
  // The simulation's noise at `theta`: the same point run again with other
  // seeds, the spread of each figure pooled over the rows.
  void measure_noise(const Eigen::VectorXd& theta, const std::vector<RowLogs>& y) {
    const std::vector<RowLogs> other = evaluate(theta, 1000);
    RowLogs sd{};
    for (int f = 0; f < 4; ++f) {
      // The median absolute difference, as a standard deviation of one run:
      // robust to a row whose two runs part ways.
      std::vector<double> d;
      for (std::size_t i = 0; i < y.size(); ++i) d.push_back(std::abs(y[i][f] - other[i][f]));
      std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2), d.end());
      sd[f] = 1.4826 * d[d.size() / 2] / std::sqrt(2.0);
    }
    residuals_.add_simulation_noise(sd);
  }
  const RowLogs& simulation_sd() const { return residuals_.simulation_sd; }
  // The baseline's requests/s the fit arrived at (relative tables).
  double baseline_rps(const Eigen::VectorXd& theta) const {
    return level_ < 0 ? 0 : std::exp(prior_level_ + theta[level_]);
  }
  // Data residuals, then one per parameter for its prior (centred on 0: factor 1).
  Eigen::VectorXd residuals(const std::vector<RowLogs>& y, const Eigen::VectorXd& theta) const {
    Eigen::VectorXd r(residuals_.size() + theta.size());
    const double level = level_ < 0 ? 0 : prior_level_ + theta[level_];
    r << residuals_.of(y, level), theta.cwiseQuotient(prior_sd_);
    return r;
  }
  // d(residuals)/d(theta) by forward differences. A row depends on its own
  // stack's factor only, so every app factor moves in one simulation.
  Eigen::MatrixXd jacobian(const Eigen::VectorXd& theta, const Eigen::VectorXd& r0) {
    const Eigen::Index n = theta.size(), m = r0.size();
    Eigen::MatrixXd j = Eigen::MatrixXd::Zero(m, n);
    Eigen::VectorXd apps = theta;
    std::vector<Eigen::Index> app_of_row(table_.rows.size(), -1);
    for (Eigen::Index k = 0; k < n; ++k) {
      const TableParameter& p = params_[static_cast<std::size_t>(k)];
      if (!p.stack.empty()) {
        apps[k] += kStep;
        for (std::size_t i = 0; i < table_.rows.size(); ++i)
          if (table_.rows[i].stack == p.stack) app_of_row[i] = k;
        continue;
      }
      Eigen::VectorXd t = theta;
      t[k] += kStep;
      // The baseline's level moves the residuals, not the simulations.
      j.col(k) = column(residuals(k == level_ ? evaluate_cached_ : evaluate(t), t) - r0);
    }
    // Each row's change, in the app-moved simulation, is its own factor's.
    const std::vector<RowLogs> y_apps = evaluate(apps);
    const std::vector<RowLogs> y0 = evaluate_cached_;
    for (std::size_t i = 0; i < table_.rows.size(); ++i) {
      if (app_of_row[i] < 0) continue;
      std::vector<RowLogs> y = y0;
      y[i] = y_apps[i];
      Eigen::VectorXd t = theta;
      t[app_of_row[i]] += kStep;
      j.col(app_of_row[i]) += column(residuals(y, t) - r0);
    }
    return j;
  }
  void remember(const std::vector<RowLogs>& y) { evaluate_cached_ = y; }
  const Model& prior() const { return prior_; }
  void set_accept_policy(std::size_t row, AcceptPolicy p) {
    prior_.stacks.at(table_.rows[row].stack).accept_policy = p;
  }
  AcceptPolicy accept_policy(std::size_t row) const {
    return prior_.stacks.at(table_.rows[row].stack).accept_policy;
  }
  bool is_sync(std::size_t row) const {
    return prior_.stacks.at(table_.rows[row].stack).type == WorkerType::kSync;
  }
  // A Jacobian column from the residuals' change over one step: the data
  // part only where it stands out of the simulation's noise.
  Eigen::VectorXd column(Eigen::VectorXd change) const {
    for (Eigen::Index k = 0; k < residuals_.size(); ++k)
      change[k] = residuals_.significant(k, change[k]);
    return change / kStep;
  }
  Eigen::Index data_size() const { return residuals_.size(); }
  Eigen::Index app_of_row(std::size_t row) const { return app_of_row_[row]; }
  // The parameters that are not a row's: the host's factors and the baseline's level.
  std::vector<Eigen::Index> host_params() const {
    std::vector<Eigen::Index> out;
    for (std::size_t k = 0; k < params_.size(); ++k)
      if (params_[k].stack.empty()) out.push_back(static_cast<Eigen::Index>(k));
    return out;
  }
  bool moves_simulation(Eigen::Index k) const { return k != level_; }
  // A row's share of the cost: its figures' residuals and its factor's prior.
  double row_cost(std::size_t row, const Eigen::VectorXd& r) const {
    double c = std::pow(r[residuals_.size() + app_of_row_[row]], 2);
    for (Eigen::Index k = 0; k < residuals_.size(); ++k)
      if (residuals_.index[static_cast<std::size_t>(k)].first == row) c += r[k] * r[k];
    return c;
  }
  int simulations() const { return simulations_; }

 private:
  const PublishedTable& table_;
  Model prior_;  // the prior, with the accept policies chosen so far
  const TableFitOptions& o_;
  std::vector<TableParameter>& params_;
  Progress* progress_;
  Residuals residuals_;
  std::size_t base_ = 0;
  Eigen::Index level_ = -1;               // the baseline_rps parameter, if any
  std::vector<Eigen::Index> app_of_row_;  // each row's own factor
  double prior_level_ = 0;                // log of the prior's simulated baseline requests/s
  Eigen::VectorXd prior_sd_;
  std::vector<RowLogs> evaluate_cached_;
  int simulations_ = 0;
};

double cost_of(const Eigen::VectorXd& r) {
  return r.squaredNorm();
}

struct Minimum {
  Eigen::VectorXd theta, residuals;
  Eigen::MatrixXd jacobian;
  int iterations = 0;
  bool converged = false;
};

// Each row's own factor by a damped Newton step of its own (`lambda` per
// row), every row in one simulation: a row depends on its factor and the
// host's, not on the other rows'. A row keeps its step only if its own cost
// fell. `y` holds each row's figures at the current factors.
void fit_row_factors(Search& s, Eigen::VectorXd& theta, std::vector<double>& lambda,
                     std::vector<RowLogs>& y) {
  const Eigen::VectorXd r0 = s.residuals(y, theta);
  Eigen::VectorXd moved = theta;
  for (std::size_t i = 0; i < y.size(); ++i) moved[s.app_of_row(i)] += kStep;
  const std::vector<RowLogs> y_step = s.evaluate(moved);
  Eigen::VectorXd trial = theta;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const Eigen::Index k = s.app_of_row(i);
    std::vector<RowLogs> yi = y;
    yi[i] = y_step[i];
    Eigen::VectorXd t = theta;
    t[k] += kStep;
    const Eigen::VectorXd d = s.column(s.residuals(yi, t) - r0);
    const double jj = d.squaredNorm();
    if (jj > 0)
      trial[k] = std::clamp(theta[k] - std::clamp(d.dot(r0) / ((1 + lambda[i]) * jj), -0.7, 0.7),
                            kMinLog, kMaxLog);
  }
  const std::vector<RowLogs> y_try = s.evaluate(trial);
  const Eigen::VectorXd r_try = s.residuals(y_try, trial);
  for (std::size_t i = 0; i < y.size(); ++i) {
    const Eigen::Index k = s.app_of_row(i);
    if (trial[k] != theta[k] && s.row_cost(i, r_try) < s.row_cost(i, r0)) {
      theta[k] = trial[k];
      y[i] = y_try[i];
      lambda[i] = std::max(1e-3, lambda[i] / 3);
    } else {
      lambda[i] = std::min(1e6, lambda[i] * 4);
    }
  }
}

// One Levenberg-Marquardt step on the host's factors (and the baseline's
// level), the rows' factors held; false when no damping finds a lower cost.
bool step_host_factors(Search& s, Eigen::VectorXd& theta, double& lambda, std::vector<RowLogs>& y) {
  const std::vector<Eigen::Index> host = s.host_params();
  if (host.empty()) return false;
  const Eigen::VectorXd r0 = s.residuals(y, theta);
  Eigen::MatrixXd j(r0.size(), static_cast<Eigen::Index>(host.size()));
  for (std::size_t c = 0; c < host.size(); ++c) {
    Eigen::VectorXd t = theta;
    t[host[c]] += kStep;
    j.col(static_cast<Eigen::Index>(c)) =
        s.column(s.residuals(s.moves_simulation(host[c]) ? s.evaluate(t) : y, t) - r0);
  }
  const Eigen::MatrixXd h = j.transpose() * j;
  const Eigen::VectorXd g = j.transpose() * r0;
  for (int attempt = 0; attempt < 4; ++attempt, lambda = std::min(1e6, lambda * 4)) {
    Eigen::MatrixXd damped = h;
    damped.diagonal() += lambda * h.diagonal().cwiseMax(1e-9);
    const Eigen::VectorXd step = damped.ldlt().solve(-g);
    Eigen::VectorXd trial = theta;
    for (std::size_t c = 0; c < host.size(); ++c)
      trial[host[c]] =
          std::clamp(theta[host[c]] + step[static_cast<Eigen::Index>(c)], kMinLog, kMaxLog);
    const std::vector<RowLogs> y_try = s.evaluate(trial);
    if (cost_of(s.residuals(y_try, trial)) < cost_of(r0)) {
      theta = trial, y = y_try;
      lambda = std::max(1e-4, lambda / 3);
      return true;
    }
  }
  return false;
}

// How an async row's workers share new connections is not known on another
// machine, and it sets the latency's shape (P99 over P50: random placement
// leaves some event loops longer queues than others). Each async row takes
// the policy under which its own figures fit best at the current factors.
void choose_accept_policies(Search& s, const Eigen::VectorXd& theta, std::vector<RowLogs>& y) {
  std::vector<double> best(y.size());
  const Eigen::VectorXd r0 = s.residuals(y, theta);
  for (std::size_t i = 0; i < y.size(); ++i) best[i] = s.row_cost(i, r0);
  std::vector<AcceptPolicy> chosen(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) chosen[i] = s.accept_policy(i);
  for (AcceptPolicy p :
       {AcceptPolicy::kRandom, AcceptPolicy::kRoundRobin, AcceptPolicy::kLeastLoaded}) {
    std::vector<AcceptPolicy> before(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
      before[i] = s.accept_policy(i);
      if (!s.is_sync(i)) s.set_accept_policy(i, p);
    }
    const std::vector<RowLogs> y_p = s.evaluate(theta);
    const Eigen::VectorXd r = s.residuals(y_p, theta);
    for (std::size_t i = 0; i < y.size(); ++i) {
      s.set_accept_policy(i, before[i]);
      if (!s.is_sync(i) && p != before[i] && s.row_cost(i, r) < best[i]) {
        best[i] = s.row_cost(i, r), chosen[i] = p, y[i] = y_p[i];
      }
    }
  }
  for (std::size_t i = 0; i < y.size(); ++i) s.set_accept_policy(i, chosen[i]);
}

// Block coordinate descent: rounds of the rows' own factors, then a step of
// the host's, until an iteration lowers the cost by under 0.1%.
Minimum minimise(Search& search, Eigen::Index n, int max_iterations) {
  Minimum m;
  m.theta = Eigen::VectorXd::Zero(n);
  std::vector<RowLogs> y = search.evaluate(m.theta);
  search.measure_noise(m.theta, y);
  std::vector<double> row_lambda(y.size(), 0.1);
  double host_lambda = 1e-2;
  double cost = cost_of(search.residuals(y, m.theta));
  while (m.iterations < max_iterations && !m.converged) {
    ++m.iterations;
    for (double& l : row_lambda) l = std::min(l, 1.0);  // a row stuck by noise tries again
    if (m.iterations == 2 || m.iterations == 4) choose_accept_policies(search, m.theta, y);
    for (int round = 0; round < 3; ++round) fit_row_factors(search, m.theta, row_lambda, y);
    const bool moved = step_host_factors(search, m.theta, host_lambda, y);
    const double now = cost_of(search.residuals(y, m.theta));
    m.converged =
        m.iterations > 4 && (cost - now < 1e-3 * cost || (!moved && cost - now < 0.01 * cost));
    cost = now;
  }
  m.residuals = search.residuals(y, m.theta);
  search.remember(y);
  m.jacobian = search.jacobian(m.theta, m.residuals);
  return m;
}

}  // namespace

Outcome search(const PublishedTable& table, const Model& start, const TableFitOptions& o,
               const FigureNoise& noise, std::vector<TableParameter>& params, Progress* progress) {
  Search s(table, start, o, noise, params, progress);
  const Minimum m = minimise(s, static_cast<Eigen::Index>(params.size()), o.max_iterations);
  Outcome out;
  out.theta = m.theta, out.residuals = m.residuals, out.jacobian = m.jacobian;
  out.iterations = m.iterations, out.converged = m.converged;
  out.data_size = s.data_size(), out.simulations = s.simulations();
  const RowLogs& sim = s.simulation_sd();
  out.simulation_noise = {sim[kThroughput], sim[kP50], sim[kP99], sim[kDb]};
  out.baseline_rps = s.baseline_rps(m.theta);
  out.prior = s.prior();
  return out;
}

}  // namespace stacksim::calibrate::table_search
