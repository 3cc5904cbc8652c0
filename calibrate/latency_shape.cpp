#include "calibrate/latency_shape.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "sim/scenario/json_fields.hpp"

namespace stacksim::calibrate {

namespace {

constexpr AcceptPolicy kPolicies[] = {AcceptPolicy::kRandom, AcceptPolicy::kRoundRobin,
                                      AcceptPolicy::kLeastLoaded};
constexpr WorkerOrder kOrders[] = {WorkerOrder::kFifo, WorkerOrder::kRandom};

bool has_shape(const StackModel& s) {
  return s.type != WorkerType::kSync;
}

// |log(predicted / measured)|, or NaN where either is not a positive number.
double log_error(const Comparison& c) {
  if (!(c.predicted > 0 && c.median > 0)) return std::nan("");
  return std::abs(std::log(c.predicted / c.median));
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// How one candidate did on one stack's points (at the runs' measured speed;
// points without a speed are left out).
ShapeCandidate judge(const LatencyShape& shape, const std::vector<const ValidationPoint*>& points) {
  ShapeCandidate c{shape, 0, 0, 0};
  std::vector<double> p50, p99;
  double sum = 0;
  int n = 0;
  for (const ValidationPoint* p : points) {
    const double e50 = log_error(p->at_speed.p50), e99 = log_error(p->at_speed.p99);
    if (!std::isfinite(e50) || !std::isfinite(e99)) continue;
    sum += e50 + e99;
    n += 2;
    p50.push_back(p->at_speed.p50.error);
    p99.push_back(p->at_speed.p99.error);
  }
  c.criterion = n > 0 ? sum / n : std::numeric_limits<double>::infinity();
  c.p50_error = median(p50);
  c.p99_error = median(p99);
  return c;
}

}  // namespace

std::string to_string(const LatencyShape& s) {
  return std::string(to_string(s.accept_policy)) + "/" + std::string(to_string(s.worker_order));
}

LatencyShapeFit fit_latency_shape(const Model& model, const live::SweepPlan& plan,
                                  const live::StackRecipes& recipes,
                                  const std::vector<nlohmann::json>& records,
                                  const LatencyShapeOptions& options) {
  ValidateOptions simulation = options.simulation;
  simulation.at_measured_speed = true;
  // The pairs to simulate: each stack's own first (so ties keep it), then
  // the six in a fixed order.
  std::vector<LatencyShape> shapes;
  for (const auto& [name, s] : model.stacks)
    if (has_shape(s)) shapes.push_back({s.accept_policy, s.worker_order});
  for (AcceptPolicy p : kPolicies)
    for (WorkerOrder o : kOrders) shapes.push_back({p, o});

  LatencyShapeFit fit;
  std::vector<LatencyShape> done;
  for (const LatencyShape& shape : shapes) {
    if (std::find(done.begin(), done.end(), shape) != done.end()) continue;
    done.push_back(shape);
    Model m = model;
    for (auto& [name, s] : m.stacks) {
      if (!has_shape(s)) continue;
      s.accept_policy = shape.accept_policy;
      s.worker_order = shape.worker_order;
    }
    const ValidationReport rep = validate_model(m, plan, recipes, records, simulation);
    std::map<std::string, std::vector<const ValidationPoint*>> by_stack;
    for (const ValidationPoint& p : rep.points)
      if (has_shape(model.stacks.at(p.stack))) by_stack[p.stack].push_back(&p);
    for (const auto& [name, points] : by_stack) {
      StackShapeFit& f = fit.stacks[name];
      const StackModel& s = model.stacks.at(name);
      f.before = {s.accept_policy, s.worker_order};
      f.points = static_cast<int>(points.size());
      f.candidates.push_back(judge(shape, points));
    }
  }
  for (auto& [name, f] : fit.stacks) {
    // The stack's own pair is judged first among equals: a strict < keeps it.
    const auto own = std::find_if(f.candidates.begin(), f.candidates.end(),
                                  [&](const ShapeCandidate& c) { return c.shape == f.before; });
    const ShapeCandidate* best = &*own;
    for (const ShapeCandidate& c : f.candidates)
      if (c.criterion < best->criterion) best = &c;
    f.chosen = best->shape;
  }
  return fit;
}

void apply(const LatencyShapeFit& fit, Model& model) {
  for (const auto& [name, f] : fit.stacks) {
    StackModel& s = model.stacks.at(name);
    s.accept_policy = f.chosen.accept_policy;
    s.worker_order = f.chosen.worker_order;
  }
}

nlohmann::json to_json(const LatencyShapeFit& f) {
  const auto number = json_fields::number_or_null;
  nlohmann::json stacks = nlohmann::json::object();
  for (const auto& [name, s] : f.stacks) {
    nlohmann::json candidates = nlohmann::json::array();
    for (const ShapeCandidate& c : s.candidates)
      candidates.push_back({{"accept_policy", to_string(c.shape.accept_policy)},
                            {"worker_order", to_string(c.shape.worker_order)},
                            {"criterion", number(c.criterion)},
                            {"p50_error_at_speed", number(c.p50_error)},
                            {"p99_error_at_speed", number(c.p99_error)}});
    stacks[name] = {{"accept_policy", to_string(s.chosen.accept_policy)},
                    {"worker_order", to_string(s.chosen.worker_order)},
                    {"before", to_string(s.before)},
                    {"points", s.points},
                    {"candidates", candidates}};
  }
  return {{"method",
           "each async stack's accept_policy and worker_order: the plan simulated once per pair, "
           "kept the smallest mean |log(predicted / measured)| of P50 and P99 at the runs' "
           "measured speed over the stack's own points; a tie keeps the prior's pair"},
          {"stacks", stacks}};
}

std::string format_summary(const LatencyShapeFit& f) {
  std::string out =
      "accept_policy/worker_order of each async stack, by simulating its plan points (the "
      "criterion: mean |log| error of P50 and P99 at the runs' speed; the kept pair's median "
      "P99 error):\n";
  char line[256];
  for (const auto& [name, s] : f.stacks) {
    const auto kept = std::find_if(s.candidates.begin(), s.candidates.end(),
                                   [&](const ShapeCandidate& c) { return c.shape == s.chosen; });
    std::snprintf(line, sizeof line, "  %-24s %-22s P99 %+6.1f%%  (was %s)  ", name.c_str(),
                  to_string(s.chosen).c_str(), 100 * kept->p99_error, to_string(s.before).c_str());
    out += line;
    for (const ShapeCandidate& c : s.candidates) {
      std::snprintf(line, sizeof line, " %s %.3f", to_string(c.shape).c_str(), c.criterion);
      out += line;
    }
    out += "\n";
  }
  return out;
}

}  // namespace stacksim::calibrate
