#include "calibrate/scheduler_fit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "sim/scenario/json_fields.hpp"

namespace stacksim::calibrate {

namespace {

// The error a candidate is judged by: the mean |throughput error| at each
// point's measured speed (points without a speed are left out).
double mean_abs_error_at_speed(const ValidationReport& rep) {
  double sum = 0;
  int n = 0;
  for (const ValidationPoint& p : rep.points) {
    if (!std::isfinite(p.at_speed.throughput.error)) continue;
    sum += std::abs(p.at_speed.throughput.error);
    ++n;
  }
  return n > 0 ? sum / n : std::numeric_limits<double>::infinity();
}
double criterion(const SchedulerCandidate& c) {
  return c.criterion;
}

class Search {
 public:
  Search(const Model& model, const live::SweepPlan& plan, const live::StackRecipes& recipes,
         const std::vector<nlohmann::json>& records, const ValidateOptions& simulation,
         double min_latency_us)
      : model_(model),
        plan_(plan),
        recipes_(recipes),
        records_(records),
        simulation_(simulation),
        min_latency_us_(min_latency_us) {
    simulation_.at_measured_speed = true;
  }

  void try_candidate(double beta, double latency_us) {
    // (A latency 1 ns under the floor is the floor read back from whole ns.)
    if (!(beta >= 0 && beta <= 1 && latency_us >= min_latency_us_ - 1e-3)) return;
    // The model holds the latency in whole ns: a probed 33.5955 us and the
    // prior's 33.596 are one candidate.
    const auto ns = [](double us) { return std::llround(us * 1e3); };
    for (const SchedulerCandidate& c : fit_.candidates)
      if (std::abs(c.beta - beta) < 1e-9 && ns(c.latency_us) == ns(latency_us)) return;
    Model m = model_;
    m.host.imbalance = beta;
    m.host.wakeup_latency_ns = static_cast<SimTime>(std::llround(latency_us * 1e3));
    const ValidationReport rep = validate_model(m, plan_, recipes_, records_, simulation_);
    fit_.points = rep.all.points;
    fit_.candidates.push_back(
        SchedulerCandidate{beta, latency_us, mean_abs_error_at_speed(rep), rep.all});
  }

  // Smallest error; a tie goes to the smaller beta, then the smaller latency
  // (the simpler host).
  const SchedulerCandidate& best() const {
    return *std::min_element(fit_.candidates.begin(), fit_.candidates.end(),
                             [](const SchedulerCandidate& a, const SchedulerCandidate& b) {
                               if (criterion(a) != criterion(b)) return criterion(a) < criterion(b);
                               if (a.beta != b.beta) return a.beta < b.beta;
                               return a.latency_us < b.latency_us;
                             });
  }

  bool empty() const { return fit_.candidates.empty(); }

  SchedulerFit result() {
    fit_.beta = best().beta;
    fit_.latency_us = best().latency_us;
    return fit_;
  }

 private:
  const Model& model_;
  const live::SweepPlan& plan_;
  const live::StackRecipes& recipes_;
  const std::vector<nlohmann::json>& records_;
  ValidateOptions simulation_;
  double min_latency_us_;
  SchedulerFit fit_;
};

// Half the smallest gap between neighbours of a sorted grid (0: no refine).
double half_step(std::vector<double> grid) {
  std::sort(grid.begin(), grid.end());
  double step = 0;
  for (std::size_t i = 1; i < grid.size(); ++i) {
    const double gap = grid[i] - grid[i - 1];
    if (gap > 0 && (step == 0 || gap < step)) step = gap;
  }
  return step / 2;
}

}  // namespace

SchedulerFit fit_scheduler(const Model& model, const live::SweepPlan& plan,
                           const live::StackRecipes& recipes,
                           const std::vector<nlohmann::json>& records,
                           const SchedulerFitOptions& o) {
  Search search(model, plan, recipes, records, o.simulation, o.min_latency_us);
  const double prior_latency_us = static_cast<double>(model.host.wakeup_latency_ns) * 1e-3;
  search.try_candidate(model.host.imbalance, prior_latency_us);
  for (double l : o.latency_grid_us) search.try_candidate(model.host.imbalance, l);
  if (search.empty())
    throw std::invalid_argument("fit_scheduler: no wake-up latency in the grid at or above " +
                                std::to_string(o.min_latency_us) + " us");
  const double l1 = search.best().latency_us;
  for (double b : o.beta_grid) search.try_candidate(b, l1);
  const double b1 = search.best().beta;
  for (double l : o.latency_grid_us) search.try_candidate(b1, l);
  if (o.refine) {
    const SchedulerCandidate centre = search.best();
    const double db = half_step(o.beta_grid), dl = half_step(o.latency_grid_us);
    for (double b : {centre.beta - db, centre.beta + db})
      if (db > 0) search.try_candidate(b, centre.latency_us);
    for (double l : {centre.latency_us - dl, centre.latency_us + dl})
      if (dl > 0) search.try_candidate(search.best().beta, l);
  }
  return search.result();
}

nlohmann::json to_json(const SchedulerFit& f) {
  nlohmann::json candidates = nlohmann::json::array();
  const auto number = json_fields::number_or_null;
  for (const SchedulerCandidate& c : f.candidates) {
    candidates.push_back({{"beta", c.beta},
                          {"wakeup_latency_us", c.latency_us},
                          {"mean_abs_throughput_error_at_speed", number(c.criterion)},
                          {"throughput_at_speed", number(c.errors.throughput_at_speed)},
                          {"throughput", number(c.errors.throughput)},
                          {"p50", number(c.errors.p50)},
                          {"p99", number(c.errors.p99)},
                          {"sessions", number(c.errors.sessions)}});
  }
  return {{"beta", f.beta},
          {"wakeup_latency_us", f.latency_us},
          {"method",
           "simulated every configuration of the calibration plan for each (beta, wake-up "
           "latency), searched coordinate-wise; kept the smallest mean absolute throughput "
           "error at each point's measured CPU speed over its records; the other errors are "
           "medians of |predicted - measured| / measured"},
          {"points", f.points},
          {"candidates", candidates}};
}

void record_scheduler_fit(Calibration& c, const SchedulerFit& fit, const std::string& tool,
                          const std::string& plan, const std::string& store) {
  std::erase_if(c.not_identified,
                [](const std::string& s) { return s.starts_with(kSchedulerNotFitted); });
  nlohmann::json& prov = c.model.provenance;
  prov["not_identified"] = c.not_identified;
  prov["scheduler_fit"] = to_json(fit);
  prov["tool"] = tool;
  prov["plan"] = plan;
  prov["store"] = store;
}

std::string format_summary(const SchedulerFit& f) {
  std::vector<SchedulerCandidate> rows = f.candidates;
  std::sort(rows.begin(), rows.end(), [](const SchedulerCandidate& a, const SchedulerCandidate& b) {
    return a.beta != b.beta ? a.beta < b.beta : a.latency_us < b.latency_us;
  });
  std::string out = "host.imbalance and host.wakeup_latency_us, fitted by simulating the plan's " +
                    std::to_string(f.points) +
                    " points (the criterion: mean absolute throughput error at the runs' "
                    "measured speed; then median absolute errors):\n  beta  latency us  "
                    "criterion  at speed  throughput   P50     P99\n";
  char line[128];
  for (const SchedulerCandidate& c : rows) {
    std::snprintf(line, sizeof line,
                  "  %.2f  %10.0f  %8.2f%%  %7.1f%%  %9.1f%%  %5.1f%%  %5.1f%%%s\n", c.beta,
                  c.latency_us, 100 * c.criterion, 100 * c.errors.throughput_at_speed,
                  100 * c.errors.throughput, 100 * c.errors.p50, 100 * c.errors.p99,
                  c.beta == f.beta && c.latency_us == f.latency_us ? "   <- kept" : "");
    out += line;
  }
  return out;
}

}  // namespace stacksim::calibrate
