// The closed loop in miniature, on the REAL stack: `stacksim calibrate run`
// runs a small calibration plan live (two stacks, a 10,000-row table, about
// two seconds a point), fits the load model and writes a model file;
// `stacksim validate` runs a held-out plan live with repeats, predicts it
// with that model and writes the report. The checks are on structure and on
// the numbers being real: measured and predicted values present and
// positive, errors finite and equal to (predicted - measured) / measured.
// `stacksim calibrate speed` then measures the host's speed against the
// model from the calibration runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "live_test_support.hpp"

namespace stacksim::live::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(CalibrateValidateLive, SmallPlanCalibratesAModelThatValidatesOnHeldOutRuns) {
  std::string tmpl = "/tmp/stacksim-calval-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const fs::path dir = tmpl;
  const std::string base =
      R"("base": {"rows": 10000, "duration_s": 1.5, "warmup_s": 0.5, "sessions": 20})";
  const std::string fit_plan = (dir / "fit.json").string();
  const std::string holdout = (dir / "holdout.json").string();
  std::ofstream(fit_plan) << R"({"schema": "stacksim.live-sweep", "version": 1, "name": "ci-fit", )"
                          << base << R"(, "grid": {"stack": ["gunicorn-flask", "uvicorn-starlette"],
      "clients": [1, 20], "delay_ms": [0, 10]}, "repeats": 1})";
  std::ofstream(holdout)
      << R"({"schema": "stacksim.live-sweep", "version": 1, "name": "ci-holdout", )" << base
      << R"(, "grid": {"stack": ["gunicorn-flask", "uvicorn-starlette"],
      "clients": [8], "delay_ms": [5]}, "repeats": 2})";
  const std::string store = (dir / "runs.jsonl").string();
  const std::string prior = std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json";

  const BinaryResult cal =
      run_stacksim({"calibrate", "run", "--plan", fit_plan, "--holdout", holdout, "--store", store,
                    "--prior", prior, "--label", "ci", "--out", dir.string()},
                   std::chrono::seconds(600));
  ASSERT_EQ(cal.exit_code, 0) << cal.out << cal.err;
  EXPECT_NE(cal.out.find("Calibration took"), std::string::npos) << cal.out;
  const json model = json::parse(read_text((dir / "ci.json").string()));
  EXPECT_EQ(model.at("provenance").at("kind"), "calibrated");
  EXPECT_EQ(model.at("provenance").at("configurations").size(), 8u);
  EXPECT_EQ(model.at("stacks").size(), 2u);
  for (const char* s : {"gunicorn-flask", "uvicorn-starlette"})
    EXPECT_GT(model.at("stacks").at(s).at("bursts").at("pre").at("mean_us").get<double>(), 0) << s;
  // The scheduler, fitted by simulating the plan: what was kept is what the
  // model carries, and the search tried both grids.
  const json& sched = model.at("provenance").at("scheduler_fit");
  EXPECT_EQ(model.at("host").at("imbalance"), sched.at("beta"));
  EXPECT_EQ(model.at("host").at("wakeup_latency_us"), sched.at("wakeup_latency_us"));
  EXPECT_GE(sched.at("candidates").size(), 14u);
  for (const json& c : sched.at("candidates"))
    EXPECT_TRUE(c.at("mean_abs_throughput_error_at_speed").is_number()) << c.dump();

  const std::string report = (dir / "report").string();
  const BinaryResult val =
      run_stacksim({"validate", "--model", (dir / "ci.json").string(), "--plan", holdout, "--store",
                    store, "--report", report, "--requests", "3000", "--replications", "2"},
                   std::chrono::seconds(600));
  ASSERT_EQ(val.exit_code, 0) << val.out << val.err;
  const json r = json::parse(read_text(report + ".json"));
  EXPECT_EQ(r.at("schema"), "stacksim.validation");
  ASSERT_EQ(r.at("points").size(), 2u);
  for (const json& p : r.at("points")) {
    SCOPED_TRACE(p.at("stack").get<std::string>());
    for (const char* metric : {"throughput_rps", "p50_ms", "p99_ms", "sessions_peak"}) {
      const json& c = p.at(metric);
      EXPECT_EQ(c.at("repeats"), 2) << metric;
      const double measured = c.at("measured_median").get<double>();
      const double predicted = c.at("predicted").get<double>();
      EXPECT_GT(measured, 0) << metric;
      EXPECT_GT(predicted, 0) << metric;
      EXPECT_NEAR(c.at("error").get<double>(), (predicted - measured) / measured, 1e-9) << metric;
    }
  }
  // The speed check: the runs' CPU per request against the model's, and
  // the point predicted again at their ratio.
  for (const json& p : r.at("points")) {
    SCOPED_TRACE(p.at("stack").get<std::string>());
    const json& cpu = p.at("cpu_us_per_request");
    const double measured = cpu.at("measured_median").get<double>();
    const double predicted = cpu.at("predicted").get<double>();
    EXPECT_GT(measured, 0);
    EXPECT_GT(predicted, 0);
    const json& at = p.at("at_measured_speed");
    EXPECT_NEAR(at.at("speed").get<double>(),
                predicted / measured * model.at("host").at("speed").get<double>(), 1e-9);
    EXPECT_GT(at.at("throughput_rps").at("predicted").get<double>(), 0);
    EXPECT_EQ(at.at("throughput_rps").at("measured_median"),
              p.at("throughput_rps").at("measured_median"));
  }
  EXPECT_EQ(r.at("pairs").size(), 1u);
  EXPECT_EQ(r.at("summary").at("all").at("points"), 2);
  EXPECT_TRUE(std::isfinite(
      r.at("summary").at("all").at("median_abs_error").at("throughput").get<double>()));
  const std::string md = read_text(report + ".md");
  EXPECT_NE(md.find("| configuration | stack |"), std::string::npos) << md;

  // The host's speed against the model, from the calibration plan's runs
  // (no run: they are in the store): one speed per point, their median in
  // host.speed of the model written.
  const std::string today = (dir / "today.json").string();
  const BinaryResult sp =
      run_stacksim({"calibrate", "speed", "--model", (dir / "ci.json").string(), "--plan", fit_plan,
                    "--store", store, "--no-run", "--out", today},
                   std::chrono::seconds(600));
  ASSERT_EQ(sp.exit_code, 0) << sp.out << sp.err;
  const json at_speed = json::parse(read_text(today));
  const json& measured = at_speed.at("provenance").at("speed");
  EXPECT_EQ(measured.at("points").size(), 8u);
  std::vector<double> speeds;
  for (const json& p : measured.at("points")) {
    EXPECT_GT(p.at("measured_cpu_us_per_request").get<double>(), 0) << p.dump();
    speeds.push_back(p.at("speed").get<double>());
  }
  std::sort(speeds.begin(), speeds.end());
  EXPECT_DOUBLE_EQ(at_speed.at("host").at("speed").get<double>(), 0.5 * (speeds[3] + speeds[4]));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace stacksim::live::testing
