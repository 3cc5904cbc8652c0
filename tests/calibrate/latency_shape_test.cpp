// The latency-shape fit (calibrate/latency_shape.hpp) on records the
// simulator made with known accept policies and worker orders: each worker
// type gets back the pair its stacks were simulated with, a type simulated
// with the model's own pair keeps it, every stack takes its type's pair,
// and sync stacks are left alone.
#include "calibrate/latency_shape.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "sim/scenario/model_io.hpp"
#include "tests/calibrate/simulated_records.hpp"

namespace stacksim::calibrate {
namespace {

using nlohmann::json;

TEST(LatencyShapeFit, RecoversEachWorkerTypesAcceptPolicyAndWorkerOrder) {
  const Model model = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json");
  const live::StackRecipes recipes = live::load_stack_recipes(live::default_stacks_path());
  const LatencyShape coroutine_truth{AcceptPolicy::kLeastLoaded, WorkerOrder::kRandom};
  const LatencyShape greenlet_truth{AcceptPolicy::kRandom, WorkerOrder::kFifo};  // the model's
  json runs = json::array();
  for (const char* stack : {"uvicorn-starlette", "aiohttp", "gunicorn-gevent-flask",
                            "gunicorn-gevent-bottle", "gunicorn-flask"})
    for (const auto& [clients, delay] : {std::pair{100, 0}, {40, 5}, {1, 0}})
      runs.push_back({{"stack", stack}, {"clients", clients}, {"delay_ms", delay}});
  const live::SweepPlan plan = testing::plan_of(runs);

  Model truth = model;
  for (auto& [name, s] : truth.stacks) {
    if (s.type == WorkerType::kSync) continue;
    const LatencyShape& t = s.type == WorkerType::kCoroutine ? coroutine_truth : greenlet_truth;
    s.accept_policy = t.accept_policy;
    s.worker_order = t.worker_order;
  }
  LatencyShapeOptions options;
  options.simulation = testing::short_simulation(6000, 2);
  const auto points = testing::simulate_plan(truth, plan, recipes, options.simulation);
  std::vector<json> records;
  for (const live::SweepPoint& p : plan.points)
    records.push_back(testing::simulated_record(p, testing::point_of(points, p),
                                                testing::workers_of(p),
                                                p.config.repeat == 0 ? 0.99 : 1.01));

  const LatencyShapeFit fit = fit_latency_shape(model, plan, recipes, records, options);
  ASSERT_EQ(fit.types.size(), 2u) << "sync stacks have no shape to fit";
  ASSERT_EQ(fit.stacks.size(), 4u);
  EXPECT_FALSE(fit.stacks.count("gunicorn-flask"));
  for (const auto& [type, shape] : {std::pair{WorkerType::kCoroutine, coroutine_truth},
                                    std::pair{WorkerType::kGreenlet, greenlet_truth}}) {
    const ShapeFit& f = fit.types.at(type);
    EXPECT_EQ(to_string(f.chosen), to_string(shape)) << to_string(type);
    EXPECT_EQ(to_string(f.before), "random/fifo");
    EXPECT_EQ(f.points, 6) << "two stacks' three points, pooled";
    ASSERT_EQ(f.candidates.size(), 6u) << "each pair once";
    // The pair it was simulated with predicts its tails; a pair with
    // another accept policy is worse by more than the noise.
    const auto own = std::find_if(f.candidates.begin(), f.candidates.end(),
                                  [&](const ShapeCandidate& c) { return c.shape == shape; });
    ASSERT_NE(own, f.candidates.end());
    EXPECT_LT(std::abs(own->p99_error), 0.10) << to_string(type);
    for (const ShapeCandidate& c : f.candidates) {
      if (c.shape.accept_policy != shape.accept_policy) {
        EXPECT_GT(c.criterion, own->criterion + 0.02)
            << to_string(type) << ": " << to_string(c.shape) << " is not told apart";
      }
    }
  }
  for (const auto& [name, f] : fit.stacks) {
    EXPECT_EQ(f.points, 3) << name;
    EXPECT_EQ(f.candidates.size(), 6u) << name;
    EXPECT_EQ(f.chosen, fit.types.at(model.stacks.at(name).type).chosen) << name;
  }

  Model fitted = model;
  apply(fit, fitted);
  EXPECT_EQ(fitted.stacks.at("uvicorn-starlette").accept_policy, AcceptPolicy::kLeastLoaded);
  EXPECT_EQ(fitted.stacks.at("aiohttp").worker_order, WorkerOrder::kRandom);
  EXPECT_EQ(fitted.stacks.at("gunicorn-gevent-bottle").accept_policy, AcceptPolicy::kRandom);
  EXPECT_EQ(fitted.stacks.at("gunicorn-flask").accept_policy, AcceptPolicy::kLeastLoaded);
  EXPECT_EQ(fitted.stacks.at("tornado").accept_policy, AcceptPolicy::kRandom)
      << "a stack without records keeps its pair";
  const json j = to_json(fit);
  EXPECT_EQ(j.at("types").at("coroutine").at("worker_order"), "random");
  EXPECT_EQ(j.at("stacks").at("aiohttp").at("candidates").size(), 6u);
  EXPECT_NE(format_summary(fit).find("least_loaded/random"), std::string::npos);
}

}  // namespace
}  // namespace stacksim::calibrate
