#include "calibrate/imbalance_fit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace stacksim::calibrate {

namespace {

ImbalanceCandidate evaluate(Model model, double beta, const live::SweepPlan& plan,
                            const live::StackRecipes& recipes,
                            const std::vector<nlohmann::json>& records,
                            const ValidateOptions& simulation, int& points) {
  model.host.imbalance = beta;
  const ValidationReport rep = validate_model(model, plan, recipes, records, simulation);
  points = rep.all.points;
  return ImbalanceCandidate{beta, rep.all};
}

}  // namespace

ImbalanceFit fit_imbalance(const Model& model, const live::SweepPlan& plan,
                           const live::StackRecipes& recipes,
                           const std::vector<nlohmann::json>& records,
                           const ImbalanceFitOptions& o) {
  ImbalanceFit fit;
  auto best = [&fit] {
    // Smallest error; a tie goes to the smaller beta (the simpler host).
    return *std::min_element(fit.candidates.begin(), fit.candidates.end(),
                             [](const ImbalanceCandidate& a, const ImbalanceCandidate& b) {
                               return a.errors.throughput != b.errors.throughput
                                          ? a.errors.throughput < b.errors.throughput
                                          : a.beta < b.beta;
                             });
  };
  auto tried = [&fit](double beta) {
    return std::any_of(fit.candidates.begin(), fit.candidates.end(),
                       [beta](const ImbalanceCandidate& c) { return std::abs(c.beta - beta) < 1e-9; });
  };
  for (double beta : o.grid) {
    if (!(beta >= 0 && beta <= 1) || tried(beta)) continue;
    fit.candidates.push_back(evaluate(model, beta, plan, recipes, records, o.simulation, fit.points));
  }
  if (fit.candidates.empty()) {
    fit.candidates.push_back(evaluate(model, 0.0, plan, recipes, records, o.simulation, fit.points));
  }
  if (o.refine_step > 0) {
    const double centre = best().beta;
    for (double beta : {centre - o.refine_step, centre + o.refine_step}) {
      if (beta < 0 || beta > 1 || tried(beta)) continue;
      fit.candidates.push_back(
          evaluate(model, beta, plan, recipes, records, o.simulation, fit.points));
    }
  }
  fit.beta = best().beta;
  return fit;
}

nlohmann::json to_json(const ImbalanceFit& f) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const ImbalanceCandidate& c : f.candidates) {
    candidates.push_back({{"beta", c.beta},
                          {"throughput", c.errors.throughput},
                          {"p50", c.errors.p50},
                          {"p99", c.errors.p99},
                          {"sessions", c.errors.sessions}});
  }
  return {{"beta", f.beta},
          {"method",
           "simulated every configuration of the calibration plan for each beta; kept the "
           "smallest median absolute throughput error over its records (errors are medians of "
           "|predicted - measured| / measured)"},
          {"points", f.points},
          {"candidates", candidates}};
}

std::string format_summary(const ImbalanceFit& f) {
  std::vector<ImbalanceCandidate> rows = f.candidates;
  std::sort(rows.begin(), rows.end(),
            [](const ImbalanceCandidate& a, const ImbalanceCandidate& b) { return a.beta < b.beta; });
  std::string out = "host.imbalance, fitted by simulating the plan's " + std::to_string(f.points) +
                    " points (median absolute errors):\n  beta   throughput   P50     P99\n";
  char line[96];
  for (const ImbalanceCandidate& c : rows) {
    std::snprintf(line, sizeof line, "  %.2f   %6.1f%%    %5.1f%%  %5.1f%%%s\n", c.beta,
                  100 * c.errors.throughput, 100 * c.errors.p50, 100 * c.errors.p99,
                  c.beta == f.beta ? "   <- kept" : "");
    out += line;
  }
  return out;
}

}  // namespace stacksim::calibrate
