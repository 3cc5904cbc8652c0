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

// How one candidate did on some points, one stack's or a worker type's (at
// the runs' measured speed; points without a speed are left out).
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
  c.p50_error = median_of(p50);
  c.p99_error = median_of(p99);
  return c;
}

// The six pairs, in a fixed order.
std::vector<LatencyShape> candidate_shapes() {
  std::vector<LatencyShape> out;
  for (AcceptPolicy p : kPolicies)
    for (WorkerOrder o : kOrders) out.push_back({p, o});
  return out;
}

Model with_shape(const Model& model, const LatencyShape& shape) {
  Model m = model;
  for (auto& [name, s] : m.stacks) {
    if (!has_shape(s)) continue;
    s.accept_policy = shape.accept_policy;
    s.worker_order = shape.worker_order;
  }
  return m;
}

// The pair most of a type's fitted stacks had before (the first such pair
// in candidate order on a tie).
LatencyShape most_common_shape(const Model& model, const LatencyShapeFit& fit, WorkerType type) {
  std::map<std::string, int> count;
  for (const auto& [name, f] : fit.stacks) {
    const StackModel& s = model.stacks.at(name);
    if (s.type == type) ++count[to_string(LatencyShape{s.accept_policy, s.worker_order})];
  }
  LatencyShape best;
  int most = -1;
  for (const LatencyShape& shape : candidate_shapes()) {
    const auto it = count.find(to_string(shape));
    if (it != count.end() && it->second > most) {
      best = shape;
      most = it->second;
    }
  }
  return best;
}

// The candidate with the smallest criterion; `before` wins a tie.
LatencyShape best_of(const std::vector<ShapeCandidate>& candidates, const LatencyShape& before) {
  const ShapeCandidate* best = nullptr;
  for (const ShapeCandidate& c : candidates)
    if (c.shape == before) best = &c;
  for (const ShapeCandidate& c : candidates)
    if (best == nullptr || c.criterion < best->criterion) best = &c;
  return best->shape;
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
  LatencyShapeFit fit;
  for (const LatencyShape& shape : candidate_shapes()) {
    const ValidationReport rep =
        validate_model(with_shape(model, shape), plan, recipes, records, simulation);
    std::map<std::string, std::vector<const ValidationPoint*>> by_stack;
    std::map<WorkerType, std::vector<const ValidationPoint*>> by_type;
    for (const ValidationPoint& p : rep.points) {
      if (!has_shape(model.stacks.at(p.stack))) continue;
      by_stack[p.stack].push_back(&p);
      by_type[p.type].push_back(&p);
    }
    for (const auto& [name, points] : by_stack) {
      ShapeFit& f = fit.stacks[name];
      f.points = static_cast<int>(points.size());
      f.candidates.push_back(judge(shape, points));
    }
    for (const auto& [type, points] : by_type) {
      ShapeFit& f = fit.types[type];
      f.points = static_cast<int>(points.size());
      f.candidates.push_back(judge(shape, points));
    }
  }
  for (auto& [type, f] : fit.types) {
    f.before = most_common_shape(model, fit, type);
    f.chosen = best_of(f.candidates, f.before);
  }
  for (auto& [name, f] : fit.stacks) {
    const StackModel& s = model.stacks.at(name);
    f.before = {s.accept_policy, s.worker_order};
    f.chosen = fit.types.at(s.type).chosen;
  }
  return fit;
}

void apply(const LatencyShapeFit& fit, Model& model) {  // each stack holds its type's pair
  for (const auto& [name, f] : fit.stacks) {
    StackModel& s = model.stacks.at(name);
    s.accept_policy = f.chosen.accept_policy;
    s.worker_order = f.chosen.worker_order;
  }
}

namespace {

nlohmann::json to_json(const ShapeFit& s) {
  const auto number = json_fields::number_or_null;
  nlohmann::json candidates = nlohmann::json::array();
  for (const ShapeCandidate& c : s.candidates)
    candidates.push_back({{"accept_policy", to_string(c.shape.accept_policy)},
                          {"worker_order", to_string(c.shape.worker_order)},
                          {"criterion", number(c.criterion)},
                          {"p50_error_at_speed", number(c.p50_error)},
                          {"p99_error_at_speed", number(c.p99_error)}});
  return {{"accept_policy", to_string(s.chosen.accept_policy)},
          {"worker_order", to_string(s.chosen.worker_order)},
          {"before", to_string(s.before)},
          {"points", s.points},
          {"candidates", candidates}};
}

// "  NAME  KEPT  P99 +x%  (was B)   pair criterion ..."
std::string summary_line(const std::string& name, const ShapeFit& s) {
  const auto kept = std::find_if(s.candidates.begin(), s.candidates.end(),
                                 [&](const ShapeCandidate& c) { return c.shape == s.chosen; });
  char line[256];
  std::snprintf(line, sizeof line, "  %-24s %-20s P99 %+6.1f%%  (was %s) ", name.c_str(),
                to_string(s.chosen).c_str(), 100 * kept->p99_error, to_string(s.before).c_str());
  std::string out = line;
  for (const ShapeCandidate& c : s.candidates) {
    std::snprintf(line, sizeof line, "  %s %.3f", to_string(c.shape).c_str(), c.criterion);
    out += line;
  }
  return out + "\n";
}

}  // namespace

nlohmann::json to_json(const LatencyShapeFit& f) {
  nlohmann::json types = nlohmann::json::object(), stacks = nlohmann::json::object();
  for (const auto& [type, s] : f.types) types[std::string(to_string(type))] = to_json(s);
  for (const auto& [name, s] : f.stacks) stacks[name] = to_json(s);
  return {{"method",
           "accept_policy and worker_order per worker type: the plan simulated once per pair, "
           "kept the smallest mean |log(predicted / measured)| of P50 and P99 at the runs' "
           "measured speed over all the type's stacks' points; a tie keeps the pair most of "
           "them had; each stack's own figures in stacks"},
          {"types", types},
          {"stacks", stacks}};
}

std::string format_summary(const LatencyShapeFit& f) {
  std::string out =
      "accept_policy/worker_order per worker type, by simulating the plan once per pair (the "
      "criterion: mean |log| error of P50 and P99 at the runs' speed; the kept pair's median "
      "P99 error):\n";
  for (const auto& [type, s] : f.types) out += summary_line(std::string(to_string(type)), s);
  out += "each stack's own figures (it takes its type's pair):\n";
  for (const auto& [name, s] : f.stacks) out += summary_line(name, s);
  return out;
}

}  // namespace stacksim::calibrate
