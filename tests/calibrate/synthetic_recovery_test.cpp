#include <gtest/gtest.h>

#include <cmath>

#include "calibrate/fit.hpp"
#include "calibrate/record.hpp"
#include "sim/engine/rng.hpp"
#include "sim/experiment/run.hpp"
#include "sim/scenario/model_io.hpp"

namespace stacksim::calibrate {
namespace {

// The fitting code must recover demands it did not see. The truth is the
// estimates model with every group scaled by a known factor (so each group's
// bursts keep the prior's proportions and the split can be checked too), and
// no context-switch charge (the measured CPU would contain it). The simulator
// runs two stacks over 12 configurations each; each group's CPU per request
// is multiplied by (1 + 0.03 z), z ~ N(0, 1) seeded, like repeat-to-repeat
// measurement noise. In steady state a request costs, per group,
//   client = send + recv, nginx = request + response,
//   app = pre + connect + query + fetch + close + respond,
//   pgbouncer = login + query + result + close, postgres = query + fetch + reset,
//   kernel = 11 hops x per_hop (10 on the main path + pgbouncer's disconnect),
// independent of load (a creation in the window adds backend_start /
// requests, under 0.3% here). So each fitted value must lie within 3 of its
// standard errors of the truth (SE ~ 3% / sqrt(n)), and within 3% of it.
constexpr double kNoise = 0.03;

Model truth_model() {
  Model m = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json");
  auto scale = [](Distribution& d, double f) { d = Distribution(d.shape(), d.mean() * f, d.cv()); };
  m.host.context_switch_ns = 0;
  scale(m.client.send, 0.9), scale(m.client.recv, 0.9);
  scale(m.proxy.request, 1.2), scale(m.proxy.response, 1.2);
  for (Distribution* d : {&m.pgbouncer.login, &m.pgbouncer.query, &m.pgbouncer.result,
                          &m.pgbouncer.close, &m.pgbouncer.server_login})
    scale(*d, 1.3);
  for (Distribution* d : {&m.postgres.query, &m.postgres.fetch, &m.postgres.reset}) scale(*d, 0.8);
  scale(m.kernel.per_hop, 22.0 / 30.0);
  const std::map<std::string, double> app_factor{{"gunicorn-flask", 1.15},
                                                 {"uvicorn-starlette", 0.85}};
  std::map<std::string, StackModel> kept;
  for (const auto& [name, f] : app_factor) {
    StackModel s = m.stacks.at(name);
    for (Distribution* d : {&s.pre, &s.connect, &s.query, &s.fetch, &s.close, &s.respond})
      scale(*d, f);
    kept[name] = s;
  }
  m.stacks = kept;
  return m;
}

double truth_us(const Model& m, const std::string& stack, Group g) {
  auto sum = [](std::initializer_list<const Distribution*> ds) {
    double ns = 0;
    for (const Distribution* d : ds) ns += d->mean();
    return ns * 1e-3;
  };
  const StackModel& s = m.stacks.at(stack);
  switch (g) {
    case Group::kClient:
      return sum({&m.client.send, &m.client.recv});
    case Group::kNginx:
      return sum({&m.proxy.request, &m.proxy.response});
    case Group::kApp:
      return sum({&s.pre, &s.connect, &s.query, &s.fetch, &s.close, &s.respond});
    case Group::kPgbouncer:
      return sum({&m.pgbouncer.login, &m.pgbouncer.query, &m.pgbouncer.result, &m.pgbouncer.close});
    case Group::kPostgres:
      return sum({&m.postgres.query, &m.postgres.fetch, &m.postgres.reset});
    case Group::kKernel:
      return sum({&m.kernel.per_hop});
  }
  return 0;
}

// The simulated configurations: every stack of the truth x clients x delay x
// sessions, each record's group CPU multiplied by (1 + noise z), z ~ N(0, 1)
// from its own seeded stream.
struct SyntheticGrid {
  std::vector<int> clients;
  std::vector<double> delays_ms;
  std::vector<int> sessions;
  std::uint64_t seed;     // of the first configuration; one more per configuration
  std::string id_prefix;  // record ids: prefix + index
  double noise;
  std::string noise_stream;
};

std::vector<CalibrationRecord> simulate_records(const Model& truth, const SyntheticGrid& g) {
  std::vector<CalibrationRecord> out;
  int index = 0;
  for (const auto& [name, stack] : truth.stacks) {
    for (int clients : g.clients) {
      for (double delay_ms : g.delays_ms) {
        for (int sessions : g.sessions) {
          Scenario sc;
          sc.cores = 2;
          sc.workers = WorkerCounts{5, 2, 2};
          sc.clients = clients;
          sc.sessions = sessions;
          sc.delay_ms = delay_ms;
          sc.requests = 3000;
          sc.warmup_requests = 1000;
          sc.replications = 1;
          sc.seed = g.seed + static_cast<std::uint64_t>(index);
          const RunResult res = run_once(truth, stack, sc, 0);
          CalibrationRecord r =
              record_from_run(res, truth, stack, sc, g.id_prefix + std::to_string(index));
          Rng noise(20261126, g.noise_stream, static_cast<std::uint64_t>(index));
          for (double& v : r.cpu_us_per_request) v *= 1.0 + g.noise * noise.standard_normal();
          out.push_back(r);
          ++index;
        }
      }
    }
  }
  return out;
}

class SyntheticRecovery : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    truth_ = new Model(truth_model());
    prior_ = new Model(load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json"));
    records_ = new std::vector<CalibrationRecord>(simulate_records(
        *truth_, {{1, 8, 40}, {0.0, 10.0}, {4, 40}, 100, "sim-", kNoise, "calibrate.noise"}));
  }
  static void TearDownTestSuite() {
    delete truth_;
    delete prior_;
    delete records_;
  }
  static Model* truth_;
  static Model* prior_;
  static std::vector<CalibrationRecord>* records_;
};
Model* SyntheticRecovery::truth_ = nullptr;
Model* SyntheticRecovery::prior_ = nullptr;
std::vector<CalibrationRecord>* SyntheticRecovery::records_ = nullptr;

void expect_recovered(const GroupFit& g, double truth) {
  const LinearFit& f = g.fit;
  SCOPED_TRACE(std::string(g.stack.empty() ? "shared" : g.stack) + " " + to_string(g.group) +
               ": fitted " + std::to_string(f.value) + " +- " + std::to_string(f.value_se) +
               ", truth " + std::to_string(truth));
  ASSERT_TRUE(std::isfinite(f.value_se));
  EXPECT_GT(f.value_se, 0.0);
  EXPECT_LE(std::abs(f.value - truth), 3.0 * f.value_se);
  EXPECT_LE(std::abs(f.value - truth), 0.03 * truth);
  // The standard error matches the noise put in: sd ~ 3% of the value
  // (plus the simulator's own sampling), over sqrt(n).
  EXPECT_GT(f.residual_sd, 0.5 * kNoise * truth);
  EXPECT_LT(f.residual_sd, 2.0 * kNoise * truth);
}

TEST_F(SyntheticRecovery, EveryGroupDemandIsRecoveredWithinThreeStandardErrors) {
  FitOptions o;
  o.regressor = Regressor::kNone;
  const Calibration c = fit_calibration(*records_, *prior_, o);
  ASSERT_EQ(c.record_ids.size(), 24u);
  ASSERT_EQ(c.shared.size(), 5u);
  for (const GroupFit& g : c.shared) {
    EXPECT_EQ(g.fit.n, 24);
    // kernel is fitted per hop: 11 hops per request (see above).
    if (g.group == Group::kKernel) {
      EXPECT_DOUBLE_EQ(g.hops, 11.0);
    }
    expect_recovered(g, truth_us(*truth_, "gunicorn-flask", g.group));
  }
  int app_fits = 0;
  for (const GroupFit& g : c.per_stack) {
    if (g.group != Group::kApp) continue;
    ++app_fits;
    EXPECT_EQ(g.fit.n, 12);
    expect_recovered(g, truth_us(*truth_, g.stack, Group::kApp));
  }
  EXPECT_EQ(app_fits, 2);
}

// With a regressor, the value at the mean x is the same least-squares mean
// (a + b x_mean = mean y), and the true slope is 0 for every regressor (the
// simulator has no load-dependent CPU): each fitted slope must lie within 3
// of its standard errors of 0. With inverse_throughput the intercept (x = 0,
// the demand without background CPU, of which the simulator has none) is the
// truth too, within 3 of its (wider, extrapolated) standard errors.
TEST_F(SyntheticRecovery, SlopeIsZeroWithinThreeStandardErrorsForEveryRegressor) {
  for (Regressor reg :
       {Regressor::kSessions, Regressor::kThroughput, Regressor::kInverseThroughput}) {
    FitOptions o;
    o.regressor = reg;
    const Calibration c = fit_calibration(*records_, *prior_, o);
    for (const GroupFit& g : c.shared) {
      SCOPED_TRACE(std::string(to_string(reg)) + " " + to_string(g.group) + ": slope " +
                   std::to_string(g.fit.slope) + " +- " + std::to_string(g.fit.slope_se));
      ASSERT_TRUE(g.fit.slope_identified);
      EXPECT_LE(std::abs(g.fit.slope), 3.0 * g.fit.slope_se);
      expect_recovered(g, truth_us(*truth_, "gunicorn-flask", g.group));
    }
  }
  FitOptions o;
  o.regressor = Regressor::kInverseThroughput;
  o.evaluate_at = EvaluateAt::kZero;
  const Calibration c = fit_calibration(*records_, *prior_, o);
  for (const GroupFit& g : c.shared) {
    const double truth = truth_us(*truth_, "gunicorn-flask", g.group);
    SCOPED_TRACE(std::string(to_string(g.group)) + ": at x = 0 " + std::to_string(g.fit.value) +
                 " +- " + std::to_string(g.fit.value_se) + ", truth " + std::to_string(truth));
    EXPECT_DOUBLE_EQ(g.fit.x_ref, 0.0);
    EXPECT_LE(std::abs(g.fit.value - truth), 3.0 * g.fit.value_se);
  }
}

// The truth keeps the prior's proportions within each group, so splitting
// the fitted group total in those proportions gives each burst back within
// the group's tolerance (3%); what the records cannot identify comes from the
// prior unchanged, and the model reads back through the strict parser.
TEST_F(SyntheticRecovery, WrittenModelSplitsGroupsInPriorProportionsAndKeepsTheRest) {
  FitOptions o;
  o.regressor = Regressor::kNone;
  o.date = "2026-11-26";
  const Calibration c = fit_calibration(*records_, *prior_, o);
  const Model m = parse_model(to_json(c.model), "calibrated");
  auto near = [](const Distribution& got, const Distribution& want) {
    EXPECT_NEAR(got.mean(), want.mean(), 0.03 * want.mean());
    EXPECT_EQ(got.shape(), want.shape());
    EXPECT_DOUBLE_EQ(got.cv(), want.cv());
  };
  near(m.client.send, truth_->client.send);
  near(m.proxy.response, truth_->proxy.response);
  near(m.pgbouncer.login, truth_->pgbouncer.login);
  near(m.postgres.reset, truth_->postgres.reset);
  near(m.kernel.per_hop, truth_->kernel.per_hop);
  for (const auto& [name, s] : truth_->stacks) {
    ASSERT_TRUE(m.stacks.count(name));
    near(m.stacks.at(name).pre, s.pre);
    near(m.stacks.at(name).respond, s.respond);
    EXPECT_EQ(m.stacks.at(name).type, s.type);
  }
  EXPECT_EQ(m.stacks.size(), 2u);  // only the stacks with records
  // Not identified: kept from the prior, and said so.
  EXPECT_DOUBLE_EQ(m.postgres.backend_start.mean(), prior_->postgres.backend_start.mean());
  EXPECT_DOUBLE_EQ(m.pgbouncer.server_login.mean(), prior_->pgbouncer.server_login.mean());
  EXPECT_EQ(m.host.context_switch_ns, 0);
  EXPECT_EQ(m.provenance.at("kind"), "calibrated");
  EXPECT_EQ(m.provenance.at("date"), "2026-11-26");
  EXPECT_EQ(m.provenance.at("records").size(), 24u);
  EXPECT_FALSE(m.provenance.at("not_identified").empty());
  EXPECT_TRUE(m.provenance.at("splits").contains("stacks.gunicorn-flask"));
  // Residuals are kept per record.
  EXPECT_EQ(m.provenance.at("fits_shared").at(0).at("residuals_us").size(), 24u);
}

// The load model (Regressor::kLoad) must recover what the simulator was
// given (LoadDependence): each group's saturated demand d, its idle
// inflation k (work stretched by 1 + k * idle, idle the host's smoothed
// idle share), its CPU per open backend b (negative: batching) and its
// cold-cache cost c per ms of wall clock between requests. The fit regresses
// each record's CPU per request on the window's idle share, peak backends
// and wall-clock ms per request: E[y] ~ d (1 + k idle) + b backends + c / X.
// The simulator stretches each sampled demand by a smoothed idle share and
// charges the cold cost on a smoothed interval, while the fit uses the
// window's means, so the recovery is close, not exact: d within 6%, k
// within 20%, b and c within 30% of the truth.
Model load_truth() {
  Model m = truth_model();
  m.client.load = {0.6, 0, 3000, 0};
  m.proxy.load = {0.5, 0, 0, 0};
  m.kernel.load = {0.8, 0, 800, 0};
  m.pgbouncer.load = {0.7, -500, 0, 0};
  m.postgres.load = {0.4, 1500, 15000, 0};
  m.stacks.at("gunicorn-flask").load = {0.9, 0, 25000, 0};
  m.stacks.at("uvicorn-starlette").load = {0.5, 0, 0, 0};
  return m;
}

TEST(LoadRecovery, SaturatedDemandIdleInflationPerBackendAndColdCostAreRecovered) {
  const Model truth = load_truth();
  const Model prior = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json");
  const std::vector<CalibrationRecord> records = simulate_records(
      truth, {{1, 4, 100}, {0.0, 5.0, 20.0}, {5, 100}, 300, "load-", 0.02, "calibrate.load-noise"});
  double idle_lo = 1, idle_hi = 0;
  for (const CalibrationRecord& r : records) {
    idle_lo = std::min(idle_lo, 1 - r.host_busy);
    idle_hi = std::max(idle_hi, 1 - r.host_busy);
  }
  // The configurations span the idle share the fit needs.
  EXPECT_LT(idle_lo, 0.1);
  EXPECT_GT(idle_hi, 0.6);

  FitOptions o;  // the default: the load model
  ASSERT_EQ(o.regressor, Regressor::kLoad);
  const Calibration c = fit_calibration(records, prior, o);
  EXPECT_EQ(c.evaluate_at, EvaluateAt::kZero);
  const Model& m = c.model;
  auto expect_group = [](const char* what, double d_got, double d_truth, const LoadDependence& got,
                         const LoadDependence& want) {
    SCOPED_TRACE(std::string(what) + ": d " + std::to_string(d_got) + " vs " +
                 std::to_string(d_truth) + ", k " + std::to_string(got.idle_inflation) + " vs " +
                 std::to_string(want.idle_inflation) + ", b " + std::to_string(got.per_backend_ns) +
                 " vs " + std::to_string(want.per_backend_ns) + ", c " +
                 std::to_string(got.cold_ns_per_ms) + " vs " + std::to_string(want.cold_ns_per_ms));
    EXPECT_NEAR(d_got, d_truth, 0.06 * d_truth);
    EXPECT_NEAR(got.idle_inflation, want.idle_inflation, 0.20 * want.idle_inflation);
    // A term the truth does not have must come out small: within 100 ns per
    // backend, or 300 ns per ms of wall clock.
    EXPECT_NEAR(got.per_backend_ns, want.per_backend_ns,
                std::max(100.0, 0.30 * std::abs(want.per_backend_ns)));
    EXPECT_NEAR(got.cold_ns_per_ms, want.cold_ns_per_ms,
                std::max(300.0, 0.30 * want.cold_ns_per_ms));
    EXPECT_EQ(got.background_cores, 0.0);  // not fitted (see calibrate/fit.cpp)
  };
  auto total = [](std::initializer_list<const Distribution*> ds) {
    double ns = 0;
    for (const Distribution* d : ds) ns += d->mean();
    return ns;
  };
  expect_group("client", total({&m.client.send, &m.client.recv}),
               total({&truth.client.send, &truth.client.recv}), m.client.load, truth.client.load);
  expect_group("nginx", total({&m.proxy.request, &m.proxy.response}),
               total({&truth.proxy.request, &truth.proxy.response}), m.proxy.load,
               truth.proxy.load);
  expect_group("kernel", m.kernel.per_hop.mean(), truth.kernel.per_hop.mean(), m.kernel.load,
               truth.kernel.load);
  expect_group(
      "pgbouncer",
      total({&m.pgbouncer.login, &m.pgbouncer.query, &m.pgbouncer.result, &m.pgbouncer.close}),
      total({&truth.pgbouncer.login, &truth.pgbouncer.query, &truth.pgbouncer.result,
             &truth.pgbouncer.close}),
      m.pgbouncer.load, truth.pgbouncer.load);
  expect_group("postgres", total({&m.postgres.query, &m.postgres.fetch, &m.postgres.reset}),
               total({&truth.postgres.query, &truth.postgres.fetch, &truth.postgres.reset}),
               m.postgres.load, truth.postgres.load);
  for (const auto& [name, s] : truth.stacks) {
    const StackModel& got = m.stacks.at(name);
    expect_group(name.c_str(),
                 total({&got.pre, &got.connect, &got.query, &got.fetch, &got.close, &got.respond}),
                 total({&s.pre, &s.connect, &s.query, &s.fetch, &s.close, &s.respond}), got.load,
                 s.load);
  }
  // The model file carries all of it and reads back.
  const Model back = parse_model(to_json(m), "calibrated");
  EXPECT_DOUBLE_EQ(back.postgres.load.per_backend_ns, m.postgres.load.per_backend_ns);
  EXPECT_DOUBLE_EQ(back.stacks.at("gunicorn-flask").load.idle_inflation,
                   m.stacks.at("gunicorn-flask").load.idle_inflation);
  EXPECT_EQ(m.provenance.at("configurations").size(), records.size());
}

// A stack whose requests cost the shared groups differently: the truth
// gives uvicorn-starlette pgbouncer x1.3, postgres x0.8 and nginx x1.1 of
// what gunicorn-flask's cost (shared_scale). The pooled fit sits between the
// two; each stack's fitted scale times the pooled demand must give its own
// cost back within 3%, and the scales' ratio the truth's.
TEST(SyntheticRecoveryOfSharedScale, EachStacksCostOfTheSharedGroupsIsRecovered) {
  Model truth = truth_model();
  SharedScale& f = truth.stacks.at("uvicorn-starlette").shared_scale;
  f.pgbouncer = 1.3;
  f.postgres = 0.8;
  f.proxy = 1.1;
  const Model prior = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json");
  const std::vector<CalibrationRecord> records = simulate_records(
      truth, {{1, 8, 40}, {0.0, 10.0}, {4, 40}, 300, "scaled-", kNoise, "calibrate.noise.scaled"});
  FitOptions o;
  o.regressor = Regressor::kNone;
  const Calibration c = fit_calibration(records, prior, o);
  for (const GroupFit& g : c.shared) {
    if (g.group == Group::kKernel) continue;  // per hop, and not scaled here
    for (const char* stack : {"gunicorn-flask", "uvicorn-starlette"}) {
      const SharedScale& fitted = c.model.stacks.at(stack).shared_scale;
      const SharedScale& want = truth.stacks.at(stack).shared_scale;
      auto of = [&g](const SharedScale& x) {
        switch (g.group) {
          case Group::kClient:
            return x.client;
          case Group::kNginx:
            return x.proxy;
          case Group::kPgbouncer:
            return x.pgbouncer;
          case Group::kPostgres:
            return x.postgres;
          default:
            return 1.0;
        }
      };
      const double cost = truth_us(truth, stack, g.group) * of(want);
      SCOPED_TRACE(std::string(stack) + " " + to_string(g.group) + ": scale " +
                   std::to_string(of(fitted)) + " x pooled " + std::to_string(g.fit.value) +
                   ", truth " + std::to_string(cost));
      EXPECT_NEAR(of(fitted) * g.fit.value, cost, 0.03 * cost);
    }
    const auto& flask = c.model.stacks.at("gunicorn-flask").shared_scale;
    const auto& uv = c.model.stacks.at("uvicorn-starlette").shared_scale;
    if (g.group == Group::kPgbouncer) {
      EXPECT_NEAR(uv.pgbouncer / flask.pgbouncer, 1.3, 0.04);
    }
    if (g.group == Group::kPostgres) {
      EXPECT_NEAR(uv.postgres / flask.postgres, 0.8, 0.03);
    }
  }
  // The shared scales go into the model file and come back.
  const Model back = parse_model(to_json(c.model), "back.json");
  EXPECT_EQ(back.stacks.at("uvicorn-starlette").shared_scale.pgbouncer,
            c.model.stacks.at("uvicorn-starlette").shared_scale.pgbouncer);
}

}  // namespace
}  // namespace stacksim::calibrate
