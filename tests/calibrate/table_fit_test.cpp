// calibrate table from first principles: a table simulated from a known
// machine (the prior carried by known factors) is fitted back from the
// prior alone; the rows come back, each stack's CPU level comes back, and a
// factor the table cannot see is reported as not pinned.
#include "calibrate/table_fit.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "calibrate/table_report.hpp"
#include "common/input_error.hpp"
#include "sim/scenario/model_io.hpp"
#include "tests/support/input_error.hpp"
#include "tests/support/scratch_dir.hpp"

namespace stacksim::calibrate {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

namespace fs = std::filesystem;
const std::string kRoot = STACKSIM_SOURCE_DIR;
const std::vector<std::string> kStacks = {"gunicorn-flask", "uvicorn-starlette", "uwsgi-falcon"};

Scenario small_scenario(DbAccess access) {
  Scenario sc;
  sc.name = "small";
  sc.cores = 2;
  sc.workers = {4, 2, 2};
  sc.clients = 20;
  sc.sessions = 20;
  sc.delay_ms = 5;
  sc.db_access = access;
  sc.app_pool_size = 2;
  sc.requests = 6000;
  sc.warmup_requests = 600;
  sc.replications = 2;
  sc.stacks = kStacks;
  return sc;
}

const TableParameter& param(const TableFit& fit, const std::string& name) {
  for (const TableParameter& p : fit.parameters)
    if (p.name == name) return p;
  throw std::runtime_error("no parameter " + name);
}

class TableFitTest : public ::testing::Test {
 protected:
  void SetUp() override { prior_ = load_model(kRoot + "/models/estimates.json"); }

  // The truth: the prior on a host at half its speed, with per-stack factors,
  // and uvicorn-starlette's workers taking connections by least load (the
  // prior says random).
  Model truth() const {
    Model m = prior_;
    m.host.speed = 0.5;
    m.host.corrections = TableFitOptions().corrections;
    m.stacks.at("uvicorn-starlette").accept_policy = AcceptPolicy::kLeastLoaded;
    for (auto [name, f] : {std::pair{"uvicorn-starlette", 1.3}, {"uwsgi-falcon", 0.8}}) {
      StackModel& s = m.stacks.at(name);
      for (Distribution* d : {&s.pre, &s.connect, &s.query, &s.fetch, &s.close, &s.respond})
        *d = Distribution(d->shape(), d->mean() * f, d->cv());
    }
    return m;
  }
  // The truth's table, as an article would print it (relative throughput).
  PublishedTable published(const Scenario& sc) {
    std::string csv = "stack,throughput_relative,p50_ms,p99_ms,db_sessions_peak\n";
    PublishedTable shape;
    shape.kind = ThroughputKind::kRelative;
    shape.baseline = sc.baseline;
    for (const std::string& s : kStacks) {
      PublishedRow r;
      r.stack = s;
      r.scenario = sc;
      r.scenario.stacks = {s};
      shape.rows.push_back(r);
    }
    for (const RowFit& f : simulate_rows(shape, truth(), 20000, 2000, 3, 0)) {
      true_cpu_ms_[f.row->stack] = f.cpu_ms_per_request;
      char line[256];
      std::snprintf(line, sizeof line, "%s,%.4f,%.3f,%.3f,%.1f\n", f.row->stack.c_str(),
                    *f.fitted.throughput, *f.fitted.p50_ms, *f.fitted.p99_ms,
                    *f.fitted.db_sessions_peak);
      csv += line;
    }
    const std::string path = (dir_ / "table.csv").string();
    std::ofstream(path) << csv;
    return read_published_table(path, "", prior_, sc);
  }
  // A quick search: fewer requests per simulation than a real fit.
  static TableFitOptions quick(int report_replications) {
    TableFitOptions o;
    o.requests = 6000;
    o.warmup_requests = 600;
    o.report_replications = report_replications;
    return o;
  }
  Model prior_;
  stacksim::testing::ScratchDir scratch_{"stacksim-tablefit"};
  const fs::path dir_ = scratch_.path();
  std::map<std::string, double> true_cpu_ms_;  // per request, by stack
};

TEST_F(TableFitTest, ASimulatedTableIsFittedBackRowsAndLevels) {
  const Scenario sc = small_scenario(DbAccess::kConnectPerRequest);
  const PublishedTable table = published(sc);
  const TableFitOptions o = quick(3);
  const TableFit fit = fit_table(table, prior_, sc, o);
  for (const RowFit& r : fit.rows) {
    EXPECT_LT(std::abs(relative_error(r.row->figures.throughput, r.fitted.throughput)), 0.04)
        << r.row->stack;
    EXPECT_LT(std::abs(relative_error(r.row->figures.p50_ms, r.fitted.p50_ms)), 0.08)
        << r.row->stack;
  }
  // What the table pins: each stack's CPU per request on the truth's host
  // (within what a few percent of throughput and P50 say of it).
  for (const RowFit& r : fit.rows)
    EXPECT_NEAR(r.cpu_ms_per_request, true_cpu_ms_.at(r.row->stack),
                0.15 * true_cpu_ms_.at(r.row->stack))
        << r.row->stack;
  // The latency's shape tells how the async workers took their connections.
  EXPECT_EQ(prior_.stacks.at("uvicorn-starlette").accept_policy, AcceptPolicy::kRandom);
  EXPECT_EQ(fit.model.stacks.at("uvicorn-starlette").accept_policy, AcceptPolicy::kLeastLoaded);
  EXPECT_EQ(fit.model.stacks.size(), 3u);
  EXPECT_EQ(fit.model.host.cores, 2);
  EXPECT_TRUE(fit.model.host.corrections == o.corrections);
  EXPECT_GT(fit.simulations, fit.iterations);
}

TEST_F(TableFitTest, AFactorTheTableCannotSeeIsNotPinned) {
  // With a pool inside each worker the connection is opened once, not per
  // request: what connecting costs leaves no trace in the table.
  const Scenario sc = small_scenario(DbAccess::kAppPool);
  const PublishedTable table = published(sc);
  const TableFitOptions o = quick(2);
  const TableFit fit = fit_table(table, prior_, sc, o);
  const TableParameter& connect = param(fit, "connect");
  EXPECT_FALSE(connect.pinned);
  EXPECT_GT(connect.sd_table, connect.prior_sd);  // the table alone leaves it open
  EXPECT_NEAR(connect.sd, connect.prior_sd, 0.2 * connect.prior_sd);  // so the prior speaks
  // The P50s (Little's law: R = C / X) pin the baseline's requests/s.
  EXPECT_TRUE(param(fit, "baseline_rps").pinned);
  const std::string text = format_table_fit(fit, table);
  EXPECT_NE(text.find("connect"), std::string::npos);
  const nlohmann::json j = table_fit_json(fit, table, {"t.csv", "", "s.json", "p.json", "e.json"});
  EXPECT_EQ(j["parameters"].size(), fit.parameters.size());
  EXPECT_EQ(j["rows"].size(), 3u);
  EXPECT_FALSE(j["median_abs_error"]["throughput"].is_null());
}

TEST_F(TableFitTest, TooFewFiguresForTheParametersIsBadInput) {
  const Scenario sc = small_scenario(DbAccess::kConnectPerRequest);
  const std::string path = (dir_ / "thin.csv").string();
  std::ofstream(path) << "stack,throughput_relative\ngunicorn-flask,1\nuvicorn-starlette,1.5\n";
  const PublishedTable table = read_published_table(path, "", prior_, sc);
  EXPECT_TRUE(says(input_error_of([&] { fit_table(table, prior_, sc, TableFitOptions()); }),
                   "2 published figures for 6 parameters"));
}

}  // namespace
}  // namespace stacksim::calibrate
