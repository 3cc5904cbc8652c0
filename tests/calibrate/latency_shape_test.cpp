// The latency-shape fit (calibrate/latency_shape.hpp) on records the
// simulator made with known accept policies and worker orders: each async
// stack gets back the pair it was simulated with, a stack simulated with
// the model's own pair keeps it, and sync stacks are left alone.
#include "calibrate/latency_shape.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "sim/scenario/model_io.hpp"
#include "tests/calibrate/simulated_records.hpp"

namespace stacksim::calibrate {
namespace {

using nlohmann::json;

TEST(LatencyShapeFit, RecoversEachAsyncStacksAcceptPolicyAndWorkerOrder) {
  const Model model = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json");
  const live::StackRecipes recipes = live::load_stack_recipes(live::default_stacks_path());
  const std::map<std::string, LatencyShape> truth_shapes = {
      {"uvicorn-starlette", {AcceptPolicy::kLeastLoaded, WorkerOrder::kRandom}},
      {"aiohttp", {AcceptPolicy::kRoundRobin, WorkerOrder::kFifo}},
      {"gunicorn-gevent-flask", {AcceptPolicy::kRandom, WorkerOrder::kFifo}},  // the model's own
  };
  json runs = json::array();
  for (const char* stack :
       {"uvicorn-starlette", "aiohttp", "gunicorn-gevent-flask", "gunicorn-flask"})
    for (const auto& [clients, delay] : {std::pair{100, 0}, {40, 5}, {1, 0}})
      runs.push_back({{"stack", stack}, {"clients", clients}, {"delay_ms", delay}});
  const live::SweepPlan plan = testing::plan_of(runs);

  Model truth = model;
  for (const auto& [name, shape] : truth_shapes) {
    truth.stacks.at(name).accept_policy = shape.accept_policy;
    truth.stacks.at(name).worker_order = shape.worker_order;
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
  ASSERT_EQ(fit.stacks.size(), 3u) << "only the async stacks have a shape to fit";
  EXPECT_FALSE(fit.stacks.count("gunicorn-flask"));
  for (const auto& [name, shape] : truth_shapes) {
    const StackShapeFit& f = fit.stacks.at(name);
    EXPECT_EQ(to_string(f.chosen), to_string(shape)) << name;
    EXPECT_EQ(to_string(f.before), "random/fifo") << name;
    EXPECT_EQ(f.points, 3) << name;
    EXPECT_EQ(f.candidates.size(), 6u) << name << ": each pair once";
    // The pair it was simulated with predicts its tails; a pair with
    // another accept policy is worse by more than the noise.
    const auto own = std::find_if(f.candidates.begin(), f.candidates.end(),
                                  [&](const ShapeCandidate& c) { return c.shape == shape; });
    ASSERT_NE(own, f.candidates.end()) << name;
    EXPECT_LT(std::abs(own->p99_error), 0.10) << name;
    for (const ShapeCandidate& c : f.candidates) {
      if (c.shape.accept_policy != shape.accept_policy) {
        EXPECT_GT(c.criterion, own->criterion + 0.02)
            << name << ": " << to_string(c.shape) << " is not told apart";
      }
    }
  }

  Model fitted = model;
  apply(fit, fitted);
  EXPECT_EQ(fitted.stacks.at("uvicorn-starlette").accept_policy, AcceptPolicy::kLeastLoaded);
  EXPECT_EQ(fitted.stacks.at("uvicorn-starlette").worker_order, WorkerOrder::kRandom);
  EXPECT_EQ(fitted.stacks.at("aiohttp").accept_policy, AcceptPolicy::kRoundRobin);
  EXPECT_EQ(fitted.stacks.at("gunicorn-flask").accept_policy, AcceptPolicy::kLeastLoaded);
  const json j = to_json(fit);
  EXPECT_EQ(j.at("stacks").at("uvicorn-starlette").at("worker_order"), "random");
  EXPECT_EQ(j.at("stacks").at("aiohttp").at("candidates").size(), 6u);
  EXPECT_NE(format_summary(fit).find("least_loaded/random"), std::string::npos);
}

}  // namespace
}  // namespace stacksim::calibrate
