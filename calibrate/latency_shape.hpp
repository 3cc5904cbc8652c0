// Fitting the shape of an async stack's latency: how its app server spreads
// connections over its workers (accept_policy: random, round_robin,
// least_loaded) and the order in which one worker serves the requests it
// holds (worker_order: fifo, random). Neither changes the CPU a request
// costs, so per-group CPU cannot show them, nor much the throughput: they
// show in the tail. At equal throughput the policies give P99/P50 of about
// 1.8 (random), 1.3 (round robin) and 1.1 (least loaded) at 2 workers, and
// a random order within a worker lengthens the tail further
// (docs/validation/async-tails.md). A sync worker holds one request, so
// sync stacks have no shape to fit.
//
// The model, its demands and host terms already fitted, is simulated at
// every point of the calibration plan once for each of the six (policy,
// order) pairs, the pair given to every async stack at once (each point is
// one stack, so the stacks do not interact). Each stack keeps the pair with
// the smallest mean |log(predicted / measured)| of P50 and P99 over its own
// points, both at the runs' measured speed (so a demand the fit got wrong is
// not read as a shape); a tie goes to the pair the model already had. The
// calibration records only: the validation plan never sees it.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibrate/validation.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live/sweep.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

struct LatencyShape {
  AcceptPolicy accept_policy = AcceptPolicy::kRandom;
  WorkerOrder worker_order = WorkerOrder::kFifo;
  bool operator==(const LatencyShape&) const = default;
};
std::string to_string(const LatencyShape& s);  // "least_loaded/random"

struct LatencyShapeOptions {
  ValidateOptions simulation = candidate_simulation(3);
};

// One candidate pair judged on one stack's points.
struct ShapeCandidate {
  LatencyShape shape;
  double criterion = 0;                 // mean |log(predicted / measured)| of P50 and P99 at speed
  double p50_error = 0, p99_error = 0;  // median (predicted - measured) / measured, at speed
};

struct StackShapeFit {
  LatencyShape before, chosen;
  int points = 0;
  std::vector<ShapeCandidate> candidates;  // in the order simulated, before's first
};

struct LatencyShapeFit {
  std::map<std::string, StackShapeFit> stacks;  // the async stacks with records
};

// Throws InputError when no plan point has a record (as validate_model).
LatencyShapeFit fit_latency_shape(const Model& model, const live::SweepPlan& plan,
                                  const live::StackRecipes& recipes,
                                  const std::vector<nlohmann::json>& records,
                                  const LatencyShapeOptions& options = {});

// Sets each fitted stack's accept_policy and worker_order to its chosen pair.
void apply(const LatencyShapeFit& fit, Model& model);

nlohmann::json to_json(const LatencyShapeFit& f);
// One line per stack: the pair kept and each candidate's criterion.
std::string format_summary(const LatencyShapeFit& f);

}  // namespace stacksim::calibrate
