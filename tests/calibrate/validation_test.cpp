// Validation's arithmetic, on records whose measured values are set from the
// model's own predictions: a measurement equal to the prediction has error 0
// and lies in its range, one twice the prediction has error -50%, and a
// measured winner opposite to the predicted one is counted wrong (and
// decisive when the repeats' ranges do not overlap). The scheduler fit, on
// records the simulator made with a known imbalance and wake-up latency,
// recovers them. Records
// the simulator made on a slower host are told apart from a wrong model:
// the speed check finds the host's speed and, at that speed, the error goes.
#include "calibrate/validation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "calibrate/scheduler_fit.hpp"
#include "calibrate/speed.hpp"
#include "common/input_error.hpp"
#include "sim/scenario/model_io.hpp"
#include "tests/calibrate/simulated_records.hpp"

namespace stacksim::calibrate {
namespace {

using nlohmann::json;
using testing::Measured;
using testing::plan_of;
using testing::point_of;
using testing::record;
using testing::short_simulation;
using testing::simulate_plan;
using testing::simulated_record;
using testing::workers_of;

class Validation : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json");
    recipes_ = live::load_stack_recipes(live::default_stacks_path());
    const json runs =
        json::array({{{"stack", "gunicorn-flask"}, {"clients", 20}, {"delay_ms", 10}},
                     {{"stack", "uvicorn-starlette"}, {"clients", 20}, {"delay_ms", 10}},
                     {{"stack", "gunicorn-flask"}, {"clients", 20}, {"cores", 1}},
                     {{"stack", "uvicorn-starlette"}, {"clients", 20}, {"cores", 1}}});
    plan_ = plan_of(runs);
    options_ = short_simulation(3000, 2);
    // First pass on placeholder measurements: what the model predicts.
    const ValidationReport first =
        validate_model(model_, plan_, recipes_, records([](const live::SweepPoint&, int) {
                         return Measured{100, 10, 20, 5};
                       }),
                       options_);
    for (const ValidationPoint& v : first.points) predicted_[name(v.stack, v.cores)] = v;
  }

  static std::string name(const std::string& stack, int cores) {
    return stack + "@" + std::to_string(cores);
  }
  static int cores_used(const live::SweepPoint& p) {
    return p.config.cores > 0 ? p.config.cores : 2;
  }

  // Records of every plan point, measured by `f(point, cores used)`.
  template <class F>
  std::vector<json> records(F f) const {
    std::vector<json> out;
    for (const live::SweepPoint& p : plan_.points) {
      const int cores = cores_used(p);
      const bool sync = p.config.stack == "gunicorn-flask";
      out.push_back(record(p, f(p, cores), sync ? 2 * cores + 1 : cores, cores));
    }
    return out;
  }
  Measured scaled(const std::string& stack, int cores, double f) const {
    const ValidationPoint& v = predicted_.at(name(stack, cores));
    return Measured{f * v.throughput.predicted, f * v.p50.predicted, f * v.p99.predicted,
                    f * v.sessions_peak.predicted};
  }

  Model model_;
  live::StackRecipes recipes_;
  live::SweepPlan plan_;
  ValidateOptions options_;
  std::map<std::string, ValidationPoint> predicted_;
};

TEST_F(Validation, MeasurementsAroundThePredictionHaveZeroErrorAndAreInRange) {
  ASSERT_EQ(predicted_.size(), 4u);
  for (const auto& [n, v] : predicted_) {
    EXPECT_GT(v.throughput.predicted, 0) << n;
    EXPECT_GT(v.p99.predicted, v.p50.predicted * 0.999) << n;
  }
  // Repeat 0 measures 0.9 x the prediction, repeat 1 1.1 x: the median is the prediction.
  const ValidationReport r =
      validate_model(model_, plan_, recipes_, records([this](const live::SweepPoint& p, int cores) {
                       return scaled(p.config.stack, cores, p.config.repeat == 0 ? 0.9 : 1.1);
                     }),
                     options_);
  ASSERT_EQ(r.points.size(), 4u);
  for (const ValidationPoint& v : r.points) {
    SCOPED_TRACE(name(v.stack, v.cores));
    EXPECT_EQ(v.throughput.repeats, 2);
    for (const Comparison* c : {&v.throughput, &v.p50, &v.p99, &v.sessions_peak}) {
      EXPECT_NEAR(c->error, 0.0, 1e-12);
      EXPECT_TRUE(c->within_range);
      EXPECT_NEAR(c->min, 0.9 * c->predicted, 1e-9 * c->predicted);
      EXPECT_NEAR(c->max, 1.1 * c->predicted, 1e-9 * c->predicted);
    }
  }
  EXPECT_EQ(r.all.points, 4);
  EXPECT_NEAR(r.all.throughput, 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.all.throughput_within_range, 1.0);
  ASSERT_EQ(r.by_cores.size(), 2u);  // calibrated at 2 cores, checked at 1
  EXPECT_EQ(r.by_cores[0].first, 1);
  EXPECT_EQ(r.by_cores[0].second.points, 2);
  EXPECT_EQ(r.pairs.size(), 2u);  // one sync/async pair per configuration
  EXPECT_EQ(r.pairs_correct, 2);
  EXPECT_TRUE(r.missing.empty());
}

TEST_F(Validation, ErrorsAreSignedRelativeToTheMeasuredMedianAndWrongWinnersAreCounted) {
  // At 2 cores the sync stack measures twice its prediction, and the async
  // one is measured so that the winner is the opposite of the predicted one.
  const ValidationPoint& ps = predicted_.at(name("gunicorn-flask", 2));
  const ValidationPoint& pa = predicted_.at(name("uvicorn-starlette", 2));
  const bool async_predicted_to_win = pa.throughput.predicted > ps.throughput.predicted;
  const double sync_measured = 2.0 * ps.throughput.predicted;
  const double async_measured = async_predicted_to_win ? 0.5 * sync_measured : 2.0 * sync_measured;
  const ValidationReport r =
      validate_model(model_, plan_, recipes_, records([&](const live::SweepPoint& p, int cores) {
                       const double jitter = p.config.repeat == 0 ? 0.99 : 1.01;
                       if (cores == 1) return scaled(p.config.stack, 1, jitter);
                       Measured m = scaled(p.config.stack, 2, 2.0 * jitter);
                       if (p.config.stack == "uvicorn-starlette")
                         m.throughput = jitter * async_measured;
                       return m;
                     }),
                     options_);
  for (const ValidationPoint& v : r.points) {
    if (v.cores != 2) continue;
    if (v.stack == "gunicorn-flask") {
      // predicted / (2 x predicted) - 1 = -50%, outside the measured 1.98-2.02 x.
      EXPECT_NEAR(v.throughput.error, -0.5, 1e-12);
      EXPECT_NEAR(v.p99.error, -0.5, 1e-12);
      EXPECT_FALSE(v.throughput.within_range);
    }
  }
  int decisive_wrong = 0;
  for (const WinnerPair& w : r.pairs) {
    if (w.group.find("cores=2") == std::string::npos) {
      EXPECT_TRUE(w.correct) << w.group;  // at 1 core the medians are the predictions
      continue;
    }
    EXPECT_FALSE(w.correct);
    EXPECT_TRUE(w.decisive);  // 0.99-1.01 ranges a factor 2 apart
    EXPECT_EQ(w.predicted_winner, async_predicted_to_win ? "uvicorn-starlette" : "gunicorn-flask");
    decisive_wrong += w.decisive && !w.correct;
  }
  EXPECT_EQ(decisive_wrong, 1);
  EXPECT_EQ(r.decisive_correct, r.decisive_pairs - 1);
  // Per worker type: the sync stack's P99 is 50% off at 2 cores and exact
  // at 1, so its median absolute error is 25%.
  ASSERT_EQ(r.by_type.size(), 2u);
  EXPECT_EQ(r.by_type[0].first, WorkerType::kSync);
  EXPECT_EQ(r.by_type[0].second.points, 2);
  EXPECT_NEAR(r.by_type[0].second.p99, 0.25, 1e-12);
  EXPECT_EQ(r.by_type[1].first, WorkerType::kCoroutine);
  EXPECT_EQ(r.by_type[1].second.points, 2);

  const json j = to_json(r);
  EXPECT_EQ(j.at("schema"), "stacksim.validation");
  EXPECT_EQ(j.at("points").size(), 4u);
  EXPECT_EQ(j.at("summary").at("winner").at("pairs"), 2);
  EXPECT_TRUE(j.at("summary").at("by_cores").contains("1"));
  EXPECT_EQ(j.at("summary").at("by_type").at("sync").at("points"), 2);
  const std::string md = to_markdown(r);
  EXPECT_NE(md.find("Decisive pairs predicted wrong"), std::string::npos);
  EXPECT_NE(md.find("-50.0%"), std::string::npos);
  EXPECT_NE(md.find("| 2 | coroutine stacks |"), std::string::npos);
}

TEST_F(Validation, PointsWithoutRecordsAreListedAndNoRecordAtAllIsAnInputError) {
  std::vector<json> some = records(
      [this](const live::SweepPoint& p, int cores) { return scaled(p.config.stack, cores, 1.0); });
  // Drop the 1-core uvicorn records: that point is reported, not validated.
  std::erase_if(some, [](const json& j) {
    return j.at("config").at("stack") == "uvicorn-starlette" && j.at("host").at("cores_used") == 1;
  });
  const ValidationReport r = validate_model(model_, plan_, recipes_, some, options_);
  EXPECT_EQ(r.points.size(), 3u);
  ASSERT_EQ(r.missing.size(), 1u);
  EXPECT_NE(r.missing[0].find("uvicorn-starlette"), std::string::npos);
  EXPECT_THROW(validate_model(model_, plan_, recipes_, {}, options_), InputError);
}

// Records "measured" by the simulator itself with host.imbalance = 0.6 and a
// wake-up latency of 150 us, at moderate loads on 2 cores where a few
// runnable threads make the placement loss show and sync workers wait on
// wake-ups. The fit starts from the same model with neither and must find
// both: exactly without noise (the same seed reproduces the records, so the
// error there is 0 and elsewhere it is not), and within a grid step when
// each repeat's throughput is off by up to +-3%.
TEST(SchedulerFit, RecoversTheImbalanceAndWakeUpLatencyTheRecordsWereSimulatedWith) {
  Model model = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json");
  const live::StackRecipes recipes = live::load_stack_recipes(live::default_stacks_path());
  json runs = json::array();
  for (const char* stack : {"uvicorn-starlette", "aiohttp", "gunicorn-flask"})
    for (const auto& [clients, delay] : {std::pair{3, 0}, {6, 5}, {20, 20}, {40, 40}})
      runs.push_back({{"stack", stack}, {"clients", clients}, {"delay_ms", delay}});
  const live::SweepPlan plan = plan_of(runs);
  SchedulerFitOptions options;
  options.beta_grid = {0.0, 0.2, 0.4, 0.6, 0.8, 1.0};
  options.latency_grid_us = {0, 75, 150, 225, 300};
  options.simulation = short_simulation(3000, 1);

  Model truth = model;
  truth.host.imbalance = 0.6;
  truth.host.wakeup_latency_ns = 150'000;
  const auto points = simulate_plan(truth, plan, recipes, options.simulation);
  auto measured_with = [&](auto noise) {
    std::vector<json> out;
    int i = 0;
    for (const live::SweepPoint& p : plan.points)
      out.push_back(
          simulated_record(p, point_of(points, p), workers_of(p), noise(i++, p.config.repeat)));
    return out;
  };

  model.host.imbalance = 0;
  model.host.wakeup_latency_ns = 0;
  const SchedulerFit exact = fit_scheduler(
      model, plan, recipes,
      measured_with([](int, int repeat) { return repeat == 0 ? 0.99 : 1.01; }), options);
  EXPECT_NEAR(exact.beta, 0.6, 1e-12);
  EXPECT_NEAR(exact.latency_us, 150, 1e-9);
  EXPECT_EQ(exact.points, 12);
  bool truth_tried = false;
  for (const SchedulerCandidate& c : exact.candidates) {
    if (std::abs(c.beta - 0.6) < 1e-9 && std::abs(c.latency_us - 150) < 1e-9) {
      truth_tried = true;
      EXPECT_NEAR(c.criterion, 0.0, 1e-12);
    } else if (std::abs(c.beta - 0.6) > 0.3 || std::abs(c.latency_us - 150) > 100) {
      EXPECT_GT(c.criterion, 0.005)
          << "beta " << c.beta << ", " << c.latency_us << " us is not told apart";
    }
  }
  EXPECT_TRUE(truth_tried);
  const SchedulerFit noisy =
      fit_scheduler(model, plan, recipes, measured_with([](int i, int) {
                      return 1.0 + 0.03 * std::sin(1.7 * i + 0.3);  // deterministic, within +-3%
                    }),
                    options);
  EXPECT_NEAR(noisy.beta, 0.6, 0.2 + 1e-9);
  EXPECT_NEAR(noisy.latency_us, 150, 75 + 1e-9);
  // A floor (a probed latency) keeps every candidate at or above it.
  SchedulerFitOptions floored = options;
  floored.min_latency_us = 200;
  const SchedulerFit above = fit_scheduler(
      model, plan, recipes,
      measured_with([](int, int repeat) { return repeat == 0 ? 0.99 : 1.01; }), floored);
  for (const SchedulerCandidate& c : above.candidates) EXPECT_GE(c.latency_us, 200.0);
  EXPECT_GE(above.latency_us, 200.0);
  EXPECT_LT(above.latency_us, 300.0) << "the closest to the truth above the floor";
  floored.min_latency_us = 1000;  // above the whole grid and the model's own
  EXPECT_THROW(
      fit_scheduler(model, plan, recipes, measured_with([](int, int) { return 1.0; }), floored),
      std::invalid_argument);
  const json j = to_json(noisy);
  EXPECT_EQ(j.at("beta"), noisy.beta);
  EXPECT_EQ(j.at("wakeup_latency_us"), noisy.latency_us);
  EXPECT_EQ(j.at("candidates").size(), noisy.candidates.size());
  EXPECT_NE(format_summary(noisy).find("<- kept"), std::string::npos);
}

// Records "measured" by the simulator on a host of speed 0.8 (every demand
// 25% longer), with the CPU per request it reports, at two CPU-bound points
// (no delay) and two bound by the delay (20 ms), two repeats each.
class SlowHost : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json");
    recipes_ = live::load_stack_recipes(live::default_stacks_path());
    json runs = json::array();
    for (const char* stack : {"uvicorn-starlette", "gunicorn-flask"})
      for (const int delay : {0, 20})
        runs.push_back({{"stack", stack}, {"clients", 20}, {"delay_ms", delay}});
    plan_ = plan_of(runs);
    options_ = short_simulation(4000, 2);
    Model slow = model_;
    slow.host.speed = 0.8;
    const auto points = simulate_plan(slow, plan_, recipes_, options_);
    for (const live::SweepPoint& p : plan_.points)
      measured_.push_back(simulated_record(p, point_of(points, p), workers_of(p)));
  }
  // validate_model on these records, with the speed check or without.
  ValidationReport validate(const Model& model, bool at_measured_speed) const {
    ValidateOptions options = options_;
    options.at_measured_speed = at_measured_speed;
    return validate_model(model, plan_, recipes_, measured_, options);
  }
  Model model_;
  live::StackRecipes recipes_;
  live::SweepPlan plan_;
  ValidateOptions options_;
  std::vector<json> measured_;
};

// Against the model at speed 1, a CPU-bound point is over-predicted by
// about a quarter. The speed check reads the runs' CPU, finds a speed near
// 0.8 and, predicting at it, leaves an error of the replications' noise
// only; the 20 ms point, bound by its sync workers' W / (D + ...), moves
// much less.
TEST_F(SlowHost, TheSpeedCheckFindsItsSpeedAndItsErrorGoesAway) {
  const ValidationReport r = validate(model_, /*at_measured_speed=*/true);
  ASSERT_EQ(r.points.size(), 4u);
  for (const ValidationPoint& v : r.points) {
    SCOPED_TRACE(v.stack + " " + v.group);
    EXPECT_EQ(v.cpu_us.repeats, 2);
    EXPECT_LT(v.cpu_us.error, -0.1) << "the model's CPU is below the slow host's";
    EXPECT_NEAR(v.at_speed.speed, 0.8, 0.04);
    EXPECT_LT(std::abs(v.at_speed.throughput.error), 0.03);
    EXPECT_LT(std::abs(v.at_speed.throughput.error), std::abs(v.throughput.error));
    if (v.delay_ms == 0) {
      EXPECT_GT(v.throughput.error, 0.15) << "CPU-bound: off by the speed";
    }
  }
  EXPECT_LT(r.all.throughput_at_speed, 0.03);
  EXPECT_GT(r.all.cpu, 0.1);
  EXPECT_EQ(r.pairs_correct_at_speed, static_cast<int>(r.pairs.size()));

  const json j = to_json(r);
  EXPECT_TRUE(j.at("points").at(0).at("at_measured_speed").at("speed").is_number());
  EXPECT_TRUE(j.at("summary")
                  .at("all")
                  .at("median_abs_error_at_measured_speed")
                  .at("throughput")
                  .is_number());
  EXPECT_NE(to_markdown(r).find("At the runs' measured speed"), std::string::npos);

  // Without the check, no speed is claimed.
  const ValidationReport plain = validate(model_, /*at_measured_speed=*/false);
  EXPECT_TRUE(std::isnan(plain.points.front().at_speed.speed));
  EXPECT_TRUE(to_json(plain).at("points").at(0).at("at_measured_speed").is_null());
  EXPECT_EQ(to_markdown(plain).find("At the runs' measured speed"), std::string::npos);
}

// A model that does not use the speed correction runs at speed 1 whatever
// its host.speed says; the speed check still runs each point at the runs'
// speed, so it finds the same 0.8 and the error goes away as before.
TEST_F(SlowHost, TheSpeedCheckRunsAtTheRunsSpeedWhateverCorrectionsTheModelUses) {
  Model model = model_;
  model.host.speed = 3.0;  // not used:
  model.host.corrections = CpuCorrections::none();
  const ValidationReport r = validate(model, /*at_measured_speed=*/true);
  ASSERT_EQ(r.points.size(), 4u);
  for (const ValidationPoint& v : r.points) {
    SCOPED_TRACE(v.stack + " " + v.group);
    EXPECT_NEAR(v.at_speed.speed, 0.8, 0.04);
    EXPECT_LT(std::abs(v.at_speed.throughput.error), 0.03);
  }
}

// The runner's own speed measurement: records whose reference loop ran at
// 0.8 of the profile's rate are predicted a third time at speed 0.8, from
// the rates alone, and their error goes away as at the runs' CPU. Without
// the rates, or without a profile, nothing is claimed.
TEST_F(SlowHost, AtTheReferenceSpeedTheRatesAloneGiveTheSpeedAndTheErrorGoesAway) {
  Model model = model_;
  model.host.profile = HostProfile{};
  model.host.profile->terms.native_rate = 0.16;
  EXPECT_EQ(validate(model, true).points_at_reference, 0) << "no record carries the rates";

  std::vector<json> timed = measured_;
  for (json& r : timed)
    r["host_speed"] = {{"reference_rate_before", 0.124}, {"reference_rate_after", 0.132}};
  ValidateOptions options = options_;
  options.at_measured_speed = true;
  const ValidationReport r = validate_model(model, plan_, recipes_, timed, options);
  ASSERT_EQ(r.points.size(), 4u);
  EXPECT_EQ(r.points_at_reference, 4);
  for (const ValidationPoint& v : r.points) {
    SCOPED_TRACE(v.stack + " " + v.group);
    EXPECT_DOUBLE_EQ(v.reference_rate, 0.128);
    EXPECT_NEAR(v.at_reference.speed, 0.8, 1e-12);
    EXPECT_LT(std::abs(v.at_reference.throughput.error), 0.03);
    if (v.delay_ms == 0) {
      EXPECT_GT(v.throughput.error, 0.15) << "CPU-bound: off by the speed";
    }
  }
  EXPECT_LT(r.all.throughput_at_reference, 0.03);
  EXPECT_EQ(r.pairs_at_reference, static_cast<int>(r.pairs.size()));
  EXPECT_EQ(r.pairs_correct_at_reference, r.pairs_at_reference);

  const json j = to_json(r);
  EXPECT_DOUBLE_EQ(j.at("points").at(0).at("at_reference_speed").at("speed").get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(j.at("points").at(0).at("at_reference_speed").at("reference_rate").get<double>(),
                   0.128);
  EXPECT_TRUE(j.at("summary")
                  .at("all")
                  .at("median_abs_error_at_reference_speed")
                  .at("throughput")
                  .is_number());
  EXPECT_EQ(j.at("summary").at("winner").at("pairs_at_reference"), r.pairs.size());
  EXPECT_NE(to_markdown(r).find("At the runner's reference speed"), std::string::npos);

  // A model that names no profile has no rate to set the runs' against.
  const ValidationReport unprofiled = validate_model(model_, plan_, recipes_, timed, options);
  EXPECT_EQ(unprofiled.points_at_reference, 0);
  EXPECT_TRUE(std::isnan(unprofiled.points.front().at_reference.speed));
  EXPECT_TRUE(to_json(unprofiled).at("points").at(0).at("at_reference_speed").is_null());
  EXPECT_EQ(to_markdown(unprofiled).find("At the runner's reference speed"), std::string::npos);
}

// calibrate speed's measurement: against the model's machine the records
// give a median speed of 0.8 (each point's within 2%: the load-dependent
// CPU moves a little with the load), and the model written at it carries
// host.speed and says where it came from; predicting those records with it
// leaves only the simulation's noise.
TEST_F(SlowHost, MeasureSpeedGivesItsSpeedAndTheModelAtIt) {
  const Model& model = model_;
  const live::StackRecipes& recipes = recipes_;
  const live::SweepPlan& plan = plan_;
  const std::vector<json>& measured = measured_;
  const ValidateOptions& options = options_;
  const SpeedMeasurement m = measure_speed(model, plan, recipes, measured, options);
  ASSERT_EQ(m.points.size(), 4u);
  for (const SpeedPoint& p : m.points)
    EXPECT_NEAR(p.speed, 0.8, 0.02) << p.stack << " " << p.configuration;
  EXPECT_NEAR(m.speed, 0.8, 0.01);

  const Model today = at_measured_speed(model, m, "2026-11-26");
  EXPECT_EQ(today.host.speed, m.speed);
  EXPECT_EQ(today.provenance.at("speed").at("points").size(), 4u);
  EXPECT_EQ(today.provenance.at("speed").at("date"), "2026-11-26");
  EXPECT_NE(today.label.find("at speed 0.8"), std::string::npos) << today.label;
  EXPECT_EQ(parse_model(to_json(today), "today.json").host.speed, today.host.speed);
  const ValidationReport r = validate_model(today, plan, recipes, measured, options);
  EXPECT_LT(r.all.throughput, 0.02);
  EXPECT_NE(format_summary(m).find("Speed (median): 0.8"), std::string::npos) << format_summary(m);
}

}  // namespace
}  // namespace stacksim::calibrate
