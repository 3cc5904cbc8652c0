#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "calibrate/fit.hpp"
#include "common/input_error.hpp"
#include "sim/scenario/model_io.hpp"
#include "tests/calibrate/live_records.hpp"
#include "tests/support/input_error.hpp"

namespace stacksim::calibrate {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

Model prior() {
  return load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json");
}

std::vector<CalibrationRecord> three_flask_records() {
  return {record_from_live_json(testing::live_record("a", "gunicorn-flask", 1, 1, 1500), "r:1"),
          record_from_live_json(testing::live_record("b", "gunicorn-flask", 10, 5, 1400), "r:2"),
          record_from_live_json(testing::live_record("c", "gunicorn-flask", 50, 9, 1300), "r:3")};
}

// App CPU 1500, 1400, 1300 us at 1, 5, 9 peak sessions lies on one line:
// slope -25 us per session, value 1400 at the mean (5), residuals 0. Every
// other group is constant (slope 0). Kernel: kernel_system 22 us over 11 hops = 2
// (the softirq is inside the process groups: calibrate/record.hpp).
TEST(FitCalibration, LineThroughThreeRecordsGivesItsSlopeAndValue) {
  FitOptions o;
  o.regressor = Regressor::kSessions;
  const Calibration c = fit_calibration(three_flask_records(), prior(), o);
  const GroupFit* app = nullptr;
  for (const GroupFit& g : c.per_stack)
    if (g.group == Group::kApp) app = &g;
  ASSERT_NE(app, nullptr);
  EXPECT_TRUE(app->fit.slope_identified);
  EXPECT_NEAR(app->fit.slope, -25.0, 1e-9);
  EXPECT_NEAR(app->fit.value, 1400.0, 1e-9);
  EXPECT_NEAR(app->fit.x_ref, 5.0, 1e-12);
  for (double r : app->fit.residuals) EXPECT_NEAR(r, 0.0, 1e-9);
  for (const GroupFit& g : c.shared) {
    if (g.group == Group::kKernel) {
      EXPECT_NEAR(g.fit.value, 2.0, 1e-9);
      EXPECT_DOUBLE_EQ(g.hops, 11.0);
    }
  }
  // The model's app bursts add up to the fitted 1400 us.
  const StackModel& s = c.model.stacks.at("gunicorn-flask");
  const double app_ns = s.pre.mean() + s.connect.mean() + s.query.mean() + s.fetch.mean() +
                        s.close.mean() + s.respond.mean();
  EXPECT_NEAR(app_ns, 1400e3, 1e-6);
  EXPECT_NEAR(c.model.kernel.per_hop.mean(), 2e3, 1e-6);
  EXPECT_EQ(c.model.provenance.at("packages").at("gunicorn"), "20.1.0");
}

// Read at the largest x (9 sessions): 1400 - 25 * (9 - 5) = 1300 us.
TEST(FitCalibration, EvaluatedAtTheLargestRegressorTakesTheLineThere) {
  FitOptions o;
  o.regressor = Regressor::kSessions;
  o.evaluate_at = EvaluateAt::kMax;
  const Calibration c = fit_calibration(three_flask_records(), prior(), o);
  const StackModel& s = c.model.stacks.at("gunicorn-flask");
  const double app_ns = s.pre.mean() + s.connect.mean() + s.query.mean() + s.fetch.mean() +
                        s.close.mean() + s.respond.mean();
  EXPECT_NEAR(app_ns, 1300e3, 1e-6);
  EXPECT_EQ(c.model.provenance.at("evaluate_at"), "max");
}

// The load model stretches the demand at idle 0 by (1 + k * idle), k at most
// LoadDependence::kMaxIdleInflation. App CPU 1 + 1000 * idle us over idle
// shares 0.1, 0.4, 0.7: k would be 1000, so the demand at idle 0 is raised
// to 1000 / 100 = 10 us (the line moves by 9 us), k = 100, and a note says so.
TEST(FitCalibration, ADemandNearZeroAtIdleZeroIsRaisedToKeepTheInflationInBounds) {
  auto records = three_flask_records();
  const double idle[] = {0.1, 0.4, 0.7};
  for (std::size_t i = 0; i < records.size(); ++i) {
    records[i].host_busy = 1 - idle[i];
    records[i].cpu_us_per_request[static_cast<int>(Group::kApp)] = 1 + 1000 * idle[i];
  }
  FitOptions o;
  o.regressor = Regressor::kLoad;
  o.cold_term = false;
  const Calibration c = fit_calibration(records, prior(), o);
  const StackModel& s = c.model.stacks.at("gunicorn-flask");
  const double app_ns = s.pre.mean() + s.connect.mean() + s.query.mean() + s.fetch.mean() +
                        s.close.mean() + s.respond.mean();
  EXPECT_NEAR(app_ns, 10e3, 1e-6);
  EXPECT_NEAR(s.load.idle_inflation, LoadDependence::kMaxIdleInflation, 1e-9);
  const auto& notes = c.model.provenance.at("notes");
  EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [](const nlohmann::json& n) {
    return n.get<std::string>().starts_with("gunicorn-flask app demand at idle 0: near zero");
  })) << notes.dump();
}

// An app whose runs barely moved the host's idle share (an async stack
// pinned to one core: the core never idles) cannot say what idle costs it:
// it takes the median idle inflation of the apps whose runs spanned 0.2 or
// more. Flask: 1000 (1 + 1.5 idle) over idle 0.1, 0.4, 0.7, so k = 1.5;
// Falcon: 1.0 (1 + 3 idle) likewise, k = 3; aiohttp: idle 0, 0.02, 0.05
// with CPU that falls as idle rises (noise) takes the median, 2.25.
TEST(FitCalibration, AnAppWhoseRunsDidNotMoveTheIdleShareBorrowsTheMedianInflation) {
  std::vector<CalibrationRecord> records;
  auto add = [&](const char* stack, double idle, double app_us) {
    const std::string id = std::string(stack) + ":" + std::to_string(idle);
    CalibrationRecord r = record_from_live_json(testing::live_record(id, stack, 10, 5, app_us),
                                                "r:" + std::to_string(records.size()));
    r.host_busy = 1 - idle;
    records.push_back(r);
  };
  for (double idle : {0.1, 0.4, 0.7}) {
    add("gunicorn-flask", idle, 1000 * (1 + 1.5 * idle));
    add("gunicorn-falcon", idle, 1000 * (1 + 3 * idle));
  }
  add("aiohttp", 0.0, 1300);
  add("aiohttp", 0.02, 1250);
  add("aiohttp", 0.05, 1200);
  FitOptions o;
  o.regressor = Regressor::kLoad;
  o.cold_term = false;
  o.evaluate_at = EvaluateAt::kZero;
  const Calibration c = fit_calibration(records, prior(), o);
  EXPECT_NEAR(c.model.stacks.at("gunicorn-flask").load.idle_inflation, 1.5, 1e-9);
  EXPECT_NEAR(c.model.stacks.at("gunicorn-falcon").load.idle_inflation, 3.0, 1e-9);
  EXPECT_NEAR(c.model.stacks.at("aiohttp").load.idle_inflation, 2.25, 1e-9);
  const auto& notes = c.model.provenance.at("notes");
  EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [](const nlohmann::json& n) {
    const std::string s = n.get<std::string>();
    return s.starts_with("aiohttp app idle inflation: its runs' idle share spans") &&
           s.find("median of the 2 apps") != std::string::npos;
  })) << notes.dump();
}

TEST(FitCalibration, RecordOfAStackTheModelLacksNamesTheRecordAndField) {
  auto records = three_flask_records();
  records[1].stack = "gunicorn-django";
  EXPECT_TRUE(says(input_error_of([&] { fit_calibration(records, prior(), FitOptions{}); }),
                   "r:2: config.stack: stack \"gunicorn-django\""));
}

TEST(FitCalibration, RecordsOfTwoHostsAreRefused) {
  auto records = three_flask_records();
  records[2].cpus_online = 6;
  EXPECT_THROW(fit_calibration(records, prior(), FitOptions{}), InputError);
}

TEST(FitCalibration, PoolModeAndFlaggedRecordsAreSkippedAndListed) {
  auto records = three_flask_records();
  records[0].db_mode = "pool";
  records[1].flagged = true;
  records[1].flag_reason = "foreign_cpu_high";
  FitOptions o;
  o.skip_flagged = true;
  const Calibration c = fit_calibration(records, prior(), o);
  EXPECT_EQ(c.record_ids, std::vector<std::string>{"c"});
  ASSERT_EQ(c.skipped.size(), 2u);
  EXPECT_NE(c.skipped[0].find("db_mode pool"), std::string::npos);
  EXPECT_NE(c.skipped[1].find("foreign_cpu_high"), std::string::npos);
  // One record: a value, no standard error, no slope.
  EXPECT_TRUE(std::isnan(c.shared[0].fit.value_se));
  EXPECT_FALSE(c.shared[0].fit.slope_identified);
  records[2].db_mode = "pool";
  EXPECT_THROW(fit_calibration(records, prior(), o), InputError);
}

// A run against an existing server (--postgres-url-file) has no cgroup CPU
// for postgres: the runner marks the group unmeasured (null figures), the
// record reads, and the fit skips it by name.
TEST(FitCalibration, RecordsOfAnExistingServerAreReadAndSkipped) {
  auto external = testing::live_record("x", "gunicorn-flask", 5, 3, 1450);
  external["cpu"]["groups"]["postgres"] = {{"measured", false},
                                           {"reason", "an existing server"},
                                           {"cpu_s", nullptr},
                                           {"per_request_us", nullptr}};
  auto records = three_flask_records();
  records.push_back(record_from_live_json(external, "r:4"));
  EXPECT_FALSE(records.back().postgres_measured);
  const Calibration c = fit_calibration(records, prior(), FitOptions{});
  EXPECT_EQ(c.record_ids.size(), 3u);
  ASSERT_EQ(c.skipped.size(), 1u);
  EXPECT_NE(c.skipped[0].find("x (r:4): an existing PostgreSQL server"), std::string::npos)
      << c.skipped[0];
}

TEST(FitCalibration, SummarySaysWhatIsNotIdentified) {
  const Calibration c = fit_calibration(three_flask_records(), prior(), FitOptions{});
  const std::string s = format_summary(c);
  EXPECT_NE(s.find("Not identified"), std::string::npos);
  EXPECT_NE(s.find("prior model's proportions"), std::string::npos);
  EXPECT_NE(s.find("gunicorn-flask"), std::string::npos);
  EXPECT_NE(s.find("stack uvicorn-starlette: no records"), std::string::npos);
}

}  // namespace
}  // namespace stacksim::calibrate
