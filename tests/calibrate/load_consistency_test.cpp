// The demands refitted on the simulator's load (calibrate/load_consistency.hpp).
// Records are made by the simulator from a known model on a plan shaped
// like calibrate quick's (saturated, light, delayed), with each group's CPU
// per request and the host's busy share as simulated. When the records'
// load is the simulator's own, the first fit already reproduces them; when
// the runner reports the backends on another scale than the simulator
// counts them (here 0.6 of them), the fit on the measured load charges
// postgres for backends the simulation does not have, and the refit on the
// simulated load brings the CPU per request back.
#include "calibrate/load_consistency.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "sim/scenario/model_io.hpp"
#include "tests/calibrate/simulated_records.hpp"

namespace stacksim::calibrate {
namespace {

using nlohmann::json;

struct SimulatedPlan {
  Model truth = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/quick-epyc2-cc.json");
  live::StackRecipes recipes = live::load_stack_recipes(live::default_stacks_path());
  live::SweepPlan plan;
  LoadConsistencyOptions options;
  std::map<std::string, ValidationPoint> points;

  SimulatedPlan() {
    json runs = json::array();
    for (const char* stack : {"uvicorn-starlette", "gunicorn-gevent-flask", "gunicorn-flask"})
      for (const auto& [clients, delay] : {std::pair{100, 0}, {1, 0}, {50, 20}})
        runs.push_back({{"stack", stack}, {"clients", clients}, {"delay_ms", delay}});
    plan = testing::plan_of(runs);
    options.rounds = 3;
    options.simulation = testing::short_simulation(6000, 2);
    points = testing::simulate_plan(truth, plan, recipes, options.simulation);
  }

  // The plan's records with the backends seen at `sessions_seen`, and the
  // calibrate-quick fit of them on the host the truth describes.
  std::pair<std::vector<json>, std::vector<CalibrationRecord>> records(double sessions_seen) const {
    std::vector<json> stored;
    std::vector<CalibrationRecord> parsed;
    for (const live::SweepPoint& p : plan.points) {
      stored.push_back(testing::simulated_record_by_group(p, testing::point_of(points, p),
                                                          testing::workers_of(p), sessions_seen));
      parsed.push_back(record_from_live_json(stored.back(), p.config.stack));
    }
    return {stored, parsed};
  }
  static FitOptions quick_fit() {
    FitOptions f;
    f.exact_app_line = true;
    f.cold_term = false;
    return f;
  }
  Model first_fit(double sessions_seen) const {
    Model m = fit_calibration(records(sessions_seen).second, truth, quick_fit()).model;
    m.host = truth.host;
    return m;
  }
  // The largest |error| of the simulated CPU per request over the plan's points.
  double worst_cpu_error(const Model& m) const {
    double worst = 0;
    for (const ValidationPoint& v :
         validate_model(m, plan, recipes, records(1.0).first, options.simulation).points)
      worst = std::max(worst, std::abs(v.cpu_us.error));
    return worst;
  }
  LoadConsistencyFit refit(double sessions_seen, Calibration& c) const {
    const auto [stored, parsed] = records(sessions_seen);
    c = fit_calibration(parsed, truth, quick_fit());
    c.model.host = truth.host;
    return fit_on_simulated_load(c, parsed, truth, quick_fit(), plan, recipes, stored, options);
  }
};

TEST(LoadConsistency, ARecordsLoadThatIsTheSimulatorsOwnIsReproducedByTheFirstFit) {
  const SimulatedPlan s;
  Calibration c;
  const LoadConsistencyFit f = s.refit(1.0, c);
  ASSERT_EQ(f.rounds.size(), 4u) << "the first fit and three refits";
  EXPECT_LT(f.rounds[0].cpu, 0.04) << "the fit of the simulator's own records reproduces them";
  EXPECT_LT(f.rounds[0].throughput, 0.04);
}

TEST(LoadConsistency, BackendsSeenOnAnotherScaleAreRefittedOnTheSimulatedOnes) {
  const SimulatedPlan s;
  Calibration c;
  const LoadConsistencyFit f = s.refit(0.6, c);
  const Model first = s.first_fit(0.6);
  ASSERT_EQ(f.rounds.size(), 4u);
  // Fitted on backends the simulation does not have, postgres costs more
  // per backend than it should, and the plan's points with many backends
  // come out off; refitted on the simulated backends, they are back.
  EXPECT_GT(f.kept, 0) << "a refit closer to the measured CPU than the first fit";
  EXPECT_LT(f.rounds[f.kept].cpu, 0.03);
  // What the fit gets where the records' load is the simulator's own: the
  // refit comes as close, the fit on the other scale does not.
  const double own = s.worst_cpu_error(s.first_fit(1.0));
  EXPECT_GT(s.worst_cpu_error(first), own + 0.15) << "the measured load's fit should miss";
  EXPECT_LT(s.worst_cpu_error(c.model), own + 0.02);
  const double truth_b = s.truth.postgres.load.per_backend_ns;
  EXPECT_NEAR(c.model.postgres.load.per_backend_ns, truth_b, 0.25 * truth_b)
      << "the kept round's per-backend cost is the truth's";
  const json j = to_json(f);
  EXPECT_EQ(j.at("kept"), f.kept);
  EXPECT_EQ(j.at("rounds").size(), 4u);
  EXPECT_NE(format_summary(f).find("<- kept"), std::string::npos);
}

}  // namespace
}  // namespace stacksim::calibrate
