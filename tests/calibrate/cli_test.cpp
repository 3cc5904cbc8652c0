#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "sim/scenario/model_io.hpp"
#include "tests/calibrate/live_records.hpp"
#include "tests/cli/run_command.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shipped_inputs.hpp"

namespace stacksim::calibrate {
namespace {

namespace fs = std::filesystem;
using stacksim::testing::run_stacksim;

class CalibrateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    records_ = (dir_ / "runs.jsonl").string();
    std::ofstream out(records_);
    out << testing::live_record("a", "gunicorn-flask", 1, 1, 1500).dump() << "\n"
        << testing::live_record("b", "gunicorn-flask", 10, 5, 1400).dump() << "\n"
        << testing::live_record("c", "gunicorn-flask", 50, 9, 1300).dump() << "\n";
  }
  stacksim::testing::ScratchDir scratch_{"stacksim-cal-cli"};
  const fs::path dir_ = scratch_.path();
  std::string records_;
};

TEST_F(CalibrateCli, FitWritesALoadableModelAndPrintsTheTable) {
  const auto r =
      run_stacksim("calibrate fit --records " + records_ +
                   " --prior models/estimates.json --label cli-test --out " + dir_.string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("gunicorn-flask"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Not identified"), std::string::npos) << r.out;
  const Model m = load_model((dir_ / "cli-test.json").string());
  EXPECT_EQ(m.provenance.at("kind"), "calibrated");
  EXPECT_EQ(m.provenance.at("records").size(), 3u);
}

TEST_F(CalibrateCli, MissingRecordsFileExitsTwoNamingIt) {
  const auto r = run_stacksim("calibrate fit --records " + (dir_ / "none.jsonl").string() +
                              " --label x --out " + dir_.string());
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("none.jsonl: no such records file"), std::string::npos) << r.out;
}

TEST_F(CalibrateCli, RecordWithoutANeededFieldExitsTwoNamingFileLineAndField) {
  auto j = testing::live_record("d", "gunicorn-flask", 2, 2, 1500);
  j["result"].erase("completed");
  { std::ofstream(records_, std::ios::app) << j.dump() << "\n"; }
  const auto r =
      run_stacksim("calibrate fit --records " + records_ + " --label x --out " + dir_.string());
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("runs.jsonl:4: result.completed: missing"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "x.json"));
}

TEST_F(CalibrateCli, BadRegressorOrLabelExitsTwo) {
  auto r = run_stacksim("calibrate fit --records " + records_ +
                        " --label x --regressor loud --out " + dir_.string());
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--regressor"), std::string::npos) << r.out;
  r = run_stacksim("calibrate fit --records " + records_ + " --label a/b --out " + dir_.string());
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--label"), std::string::npos) << r.out;
}

// Plans are checked before anything runs: a validation plan that shares a
// configuration with the calibration plan is refused with the configuration
// named, exit 2, and nothing is written.
TEST_F(CalibrateCli, RunRefusesAHoldoutPlanThatSharesAConfiguration) {
  const std::string fit = (dir_ / "fit.json").string();
  const std::string holdout = (dir_ / "holdout.json").string();
  std::ofstream(fit) << R"({"schema": "stacksim.live-sweep", "version": 1, "name": "f",
    "grid": {"stack": ["gunicorn-flask", "uvicorn-starlette"], "clients": [1, 20]}})";
  std::ofstream(holdout) << R"({"schema": "stacksim.live-sweep", "version": 1, "name": "h",
    "runs": [{"stack": "uvicorn-starlette", "clients": 20}, {"stack": "tornado", "clients": 20}]})";
  const auto r =
      run_stacksim("calibrate run --plan " + fit + " --holdout " + holdout + " --store " +
                   (dir_ / "s.jsonl").string() + " --label x --out " + dir_.string());
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("shares 1 configuration(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stack=uvicorn-starlette db_mode=connect workers="), std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "x.json"));
  EXPECT_FALSE(fs::exists(dir_ / "s.jsonl"));
}

// calibrate quick on the shipped records of this VM, three stacks, nothing
// run: the demands come from every run of the plan, the delayed ones
// included; each worker type's latency shape is chosen, recorded and
// applied, or kept from the prior with --keep-latency-shape; the demands
// are refitted on the simulated load only when asked. The model then
// validates on its own plan only with --in-sample, which the report says.
TEST_F(CalibrateCli, QuickChoosesEachTypesLatencyShapeOrKeepsThePriorsWhenAsked) {
  // A copy (a re-probe would write it) of a profile with every term, the
  // cross-core one included, so nothing is probed here.
  const fs::path profile = dir_ / "profile.json";
  fs::copy_file(fs::path(STACKSIM_SOURCE_DIR) / "models/profiles/quick-epyc2-cc.json", profile);
  const std::string common =
      " --no-run --store calibrate/data/quick-epyc2.runs.jsonl --profile " + profile.string() +
      " --stack gunicorn-flask --stack uvicorn-starlette --stack gunicorn-gevent-flask";
  const std::string chosen = (dir_ / "chosen.json").string();
  const auto a = run_stacksim("calibrate quick --out " + chosen + common);
  ASSERT_EQ(a.status, 0) << a.out;
  const Model m = load_model(chosen);
  const auto& fits = m.provenance.at("fits_per_stack");
  const auto app = std::find_if(fits.begin(), fits.end(), [](const nlohmann::json& f) {
    return f.at("stack") == "gunicorn-flask" && f.at("group") == "app";
  });
  ASSERT_NE(app, fits.end()) << fits.dump();
  EXPECT_EQ(app->at("n"), 3) << "the saturated, the light and the delayed run";
  const auto& configurations = m.provenance.at("configurations");
  EXPECT_TRUE(std::any_of(configurations.begin(), configurations.end(), [](const auto& c) {
    const std::string s = c.template get<std::string>();
    return s.find("stack=gunicorn-flask ") == 0 && s.find("delay_ms=20") != std::string::npos;
  })) << configurations.dump();
  ASSERT_TRUE(m.provenance.contains("latency_shape_fit")) << m.provenance.dump();
  const auto& types = m.provenance.at("latency_shape_fit").at("types");
  EXPECT_EQ(types.size(), 2u) << "greenlet and coroutine; sync has no shape";
  EXPECT_EQ(to_string(m.stacks.at("uvicorn-starlette").accept_policy),
            types.at("coroutine").at("accept_policy"));
  EXPECT_EQ(to_string(m.stacks.at("uvicorn-starlette").worker_order),
            types.at("coroutine").at("worker_order"));
  EXPECT_EQ(to_string(m.stacks.at("gunicorn-gevent-flask").accept_policy),
            types.at("greenlet").at("accept_policy"));

  const std::string kept = (dir_ / "kept.json").string();
  const auto b = run_stacksim(
      "calibrate quick --keep-latency-shape --refit-on-simulated-load --out " + kept + common);
  ASSERT_EQ(b.status, 0) << b.out;
  const Model k = load_model(kept);
  EXPECT_FALSE(k.provenance.contains("latency_shape_fit"));
  EXPECT_FALSE(m.provenance.contains("load_fit")) << "not asked for";
  ASSERT_TRUE(k.provenance.contains("load_fit")) << k.provenance.dump();
  EXPECT_EQ(k.provenance.at("load_fit").at("rounds").size(), 5u) << "the first fit and 4 refits";
  EXPECT_NE(b.out.find("Demands fitted on the simulated load"), std::string::npos) << b.out;
  EXPECT_NE(k.provenance.at("latency_shape").get<std::string>().find("kept from the prior"),
            std::string::npos);
  const Model prior = stacksim::testing::shipped_model();
  for (const char* stack : {"uvicorn-starlette", "gunicorn-gevent-flask"}) {
    EXPECT_EQ(k.stacks.at(stack).accept_policy, prior.stacks.at(stack).accept_policy) << stack;
    EXPECT_EQ(k.stacks.at(stack).worker_order, prior.stacks.at(stack).worker_order) << stack;
  }

  const std::string own =
      " --plan calibrate/plans/quick.json --store "
      "calibrate/data/quick-epyc2.runs.jsonl --no-run --replications 1 "
      "--requests 2000 --warmup-requests 500 --no-speed-check";
  const auto refused = run_stacksim("validate --model " + chosen + own);
  EXPECT_EQ(refused.status, 2) << refused.out;
  EXPECT_NE(refused.out.find("configurations " + chosen + " was fitted from"), std::string::npos)
      << refused.out;
  const std::string report = (dir_ / "in-sample").string();
  const auto in_sample =
      run_stacksim("validate --in-sample --model " + chosen + own + " --report " + report);
  ASSERT_EQ(in_sample.status, 0) << in_sample.out;
  std::ifstream md(report + ".md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("**in sample**"), std::string::npos) << text;
  std::ifstream js(report + ".json");
  const nlohmann::json j = nlohmann::json::parse(js);
  EXPECT_TRUE(j.at("in_sample").get<bool>());
  ASSERT_EQ(j.at("points").size(), 9u) << "three stacks' three runs";
  for (const auto& p : j.at("points")) {
    const double busy = p.at("host_busy").at("predicted").get<double>();
    EXPECT_GT(busy, 0.0) << p.dump();
    EXPECT_LE(busy, 1.0) << p.dump();
  }
}

TEST_F(CalibrateCli, ValidateWithoutRecordsOfThePlanExitsTwo) {
  const std::string plan = (dir_ / "v.json").string();
  std::ofstream(plan) << R"({"schema": "stacksim.live-sweep", "version": 1, "name": "v",
    "runs": [{"stack": "gunicorn-flask", "clients": 7}]})";
  const auto r = run_stacksim("validate --model models/estimates.json --plan " + plan +
                              " --store " + records_ + " --no-run");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("holds no usable record of plan"), std::string::npos) << r.out;
  const auto bad = run_stacksim("validate --model models/estimates.json --plan " + plan +
                                " --store " + records_ + " --no-run --replications 0");
  EXPECT_EQ(bad.status, 2) << bad.out;
  EXPECT_NE(bad.out.find("--replications"), std::string::npos) << bad.out;
  const auto missing =
      run_stacksim("validate --model models/estimates.json --plan " + plan + " --store " +
                   records_ + " --no-run --also-records " + (dir_ / "nowhere.jsonl").string());
  EXPECT_EQ(missing.status, 2) << missing.out;
  EXPECT_NE(missing.out.find("--also-records"), std::string::npos) << missing.out;
  EXPECT_NE(missing.out.find("nowhere.jsonl"), std::string::npos) << missing.out;
}

// calibrate speed: a plan the store holds nothing of, or a model that is
// not there, exits 2 naming what is wrong, and writes no model.
TEST_F(CalibrateCli, SpeedWithoutRecordsOrModelExitsTwoAndWritesNothing) {
  const std::string plan = (dir_ / "ref.json").string();
  std::ofstream(plan) << R"({"schema": "stacksim.live-sweep", "version": 1, "name": "ref",
    "runs": [{"stack": "gunicorn-flask", "clients": 7}]})";
  const std::string out = (dir_ / "today.json").string();
  const auto r = run_stacksim("calibrate speed --model models/estimates.json --plan " + plan +
                              " --store " + records_ + " --no-run --out " + out);
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("holds no usable record of plan"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
  const auto m = run_stacksim("calibrate speed --model " + (dir_ / "none.json").string() +
                              " --plan " + plan + " --store " + records_ + " --no-run");
  EXPECT_EQ(m.status, 2) << m.out;
  EXPECT_NE(m.out.find("none.json"), std::string::npos) << m.out;
}

// calibrate quick --no-run on a store that holds nothing of the plan exits 2
// naming it before the host is probed: no profile, no model written.
TEST_F(CalibrateCli, QuickWithoutRecordsOfThePlanExitsTwoBeforeProbing) {
  const std::string profile = (dir_ / "profile.json").string();
  const std::string out = (dir_ / "quick.json").string();
  const auto r = run_stacksim("calibrate quick --no-run --reprobe --stack gunicorn-flask --store " +
                              records_ + " --profile " + profile + " --out " + out);
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("holds no record of plan"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("probing the host"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(profile));
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(CalibrateCli, TableWithBadInputExitsTwoNamingRowAndFieldAndWritesNothing) {
  const std::string out = (dir_ / "m.json").string();
  const auto table = [&](const std::string& csv) {
    const std::string path = (dir_ / "t.csv").string();
    std::ofstream(path) << csv;
    return run_stacksim("calibrate table --table " + path +
                        " --scenario scenarios/article.json --out " + out + " --quiet");
  };
  auto r = table("framework,server,throughput_relative\nFlask,Gunicorn,1\nFoo,Bar,1.2\n");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("t.csv: line 3 (Foo/Bar): no stack of the model matches"), std::string::npos)
      << r.out;
  r = table("framework,server,throughput_relative,db_sessions_peak\nFlask,Gunicorn,1,40\n");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("db_sessions_peak: 40 is above the 19 sessions"), std::string::npos)
      << r.out;
  r = table("framework,server,throughput_relative\nFalcon,uWSGI,1.04\n");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("no row gives the baseline's"), std::string::npos) << r.out;
  r = table("framework,server,throughput_relative\nFlask,Gunicorn,1\nFalcon,uWSGI,1.04\n");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("2 published figures for 6 parameters"), std::string::npos) << r.out;
  r = run_stacksim(
      "calibrate table --table calibrate/published/paterson-2020.csv --scenario "
      "scenarios/original.json --out " +
      out + " --quiet");
  EXPECT_EQ(r.status, 2) << r.out;  // its rows need the mapping file
  EXPECT_NE(r.out.find("(Gunicorn with meinheld/Falcon): no stack of the model matches"),
            std::string::npos)
      << r.out;
  r = run_stacksim(
      "calibrate table --table calibrate/published/grinberg-2020-my-results.csv "
      "--scenario scenarios/article.json --hold sped --out " +
      out);
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--hold sped: not a host factor"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace stacksim::calibrate
