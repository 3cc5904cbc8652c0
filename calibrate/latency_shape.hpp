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
// one stack, so the stacks do not interact). A candidate is judged by the
// mean |log(predicted / measured)| of P50 and P99, at the runs' measured
// speed (so a demand the fit got wrong is not read as a shape).
//
// The pair is chosen per worker type, over all the type's stacks together:
// a short plan has one saturated run per stack, and one run's P99 is too
// noisy to choose among six pairs (chosen per stack on the quick plan, the
// greenlet stacks' P99 came out 31% off on a blind plan against 12% with
// the prior's pair; docs/host.md). The greenlet stacks share gevent's hub,
// the coroutine stacks asyncio's loop. A tie keeps the pair most of the
// type's stacks had. Each stack's own figures are kept for the reader. The
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

// One candidate pair judged on some points (one stack's, or a type's).
struct ShapeCandidate {
  LatencyShape shape;
  double criterion = 0;                 // mean |log(predicted / measured)| of P50 and P99 at speed
  double p50_error = 0, p99_error = 0;  // median (predicted - measured) / measured, at speed
};

struct ShapeFit {
  LatencyShape before, chosen;
  int points = 0;
  std::vector<ShapeCandidate> candidates;  // in the order simulated
};

struct LatencyShapeFit {
  std::map<WorkerType, ShapeFit> types;    // greenlet, coroutine: where the choice is made
  std::map<std::string, ShapeFit> stacks;  // each async stack with records: its type's
                                           // choice, its own candidates' figures
};

// Throws InputError when no plan point has a record (as validate_model).
LatencyShapeFit fit_latency_shape(const Model& model, const live::SweepPlan& plan,
                                  const live::StackRecipes& recipes,
                                  const std::vector<nlohmann::json>& records,
                                  const LatencyShapeOptions& options = {});

// Sets each fitted stack's accept_policy and worker_order to its type's pair.
void apply(const LatencyShapeFit& fit, Model& model);

nlohmann::json to_json(const LatencyShapeFit& f);
// One line per worker type and per stack: the pair kept, each candidate's
// criterion.
std::string format_summary(const LatencyShapeFit& f);

}  // namespace stacksim::calibrate
