// The "why" of every result, from first principles. explain() and verdict()
// are checked on small stacks whose bounds can be worked out by hand, not
// against their own earlier output (that is what the goldens do).
//
// The model: every demand 0 except the app worker's `pre` (p), and, where a
// test says so, one other burst. Then a request costs p of CPU, a sync
// worker holds it for p + D, a server session for D, a client waits p + D,
// and each bound is a one-line formula:
//   cpu            cores / p
//   workers        W x max_concurrency / (p + D)
//   worker_threads W / p
//   sessions       S / D
//   clients        C / (p + D)
//   pgbouncer, client (ab), nginx: one thread (nginx: one per core) / their demand
#include "sim/experiment/explanation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/experiment/experiment.hpp"
#include "sim/experiment/report.hpp"
#include "tests/components/test_stack_model.hpp"

namespace stacksim {
namespace {

using testing::us;

// Every demand 0 but the app's pre: p_ms of CPU per request.
Model model_with_app_ms(double p_ms) {
  return testing::uniform_model(0, p_ms * 1e3);
}

Scenario scenario(std::vector<std::string> stacks, int cores, int workers, int clients,
                  int sessions, double delay_ms) {
  Scenario sc = testing::small_scenario();
  sc.stacks = std::move(stacks);
  sc.baseline = sc.stacks.front();
  sc.cores = cores;
  sc.workers = {workers, workers, workers};
  sc.clients = clients;
  sc.sessions = sessions;
  sc.delay_ms = delay_ms;
  sc.requests = 10000;
  sc.warmup_requests = 1000;
  return sc;
}

const Bound& bound_named(const Explanation& e, const std::string& resource) {
  for (const Bound& b : e.analytic)
    if (b.resource == resource) return b;
  throw std::runtime_error("no analytic bound named " + resource);
}

struct Explained {
  Explanation explanation;
  double throughput = 0;
};

// Simulates the scenario's one stack and explains it.
Explained simulate(const Model& m, const Scenario& sc) {
  const auto results = run_experiment(m, sc, 1);
  const StackResult& s = results.at(0).stacks.at(0);
  return {explain(m, m.stacks.at(s.stack), sc, s), s.mean(&RunResult::throughput_rps)};
}

TEST(AnalyticBounds, AreTheOneLineFormulasAtTheModelsMeans) {
  const Model m = model_with_app_ms(1.0);  // p = 1 ms
  const Scenario sc = scenario({"sync"}, 2, 4, 50, 100, 20);
  const Explanation e = simulate(m, sc).explanation;
  EXPECT_NEAR(bound_named(e, "cpu").rps, 2 * 1e3 / 1.0, 1e-9);
  EXPECT_NEAR(bound_named(e, "workers").rps, 4 * 1e3 / 21.0, 1e-9);
  EXPECT_NEAR(bound_named(e, "worker_threads").rps, 4 * 1e3 / 1.0, 1e-9);
  EXPECT_NEAR(bound_named(e, "sessions").rps, 100 * 1e3 / 20.0, 1e-9);
  EXPECT_NEAR(bound_named(e, "clients").rps, 50 * 1e3 / 21.0, 1e-9);
  for (const char* free_thread : {"pgbouncer", "client", "nginx"})
    EXPECT_TRUE(std::isinf(bound_named(e, free_thread).rps)) << free_thread;
  // Ascending, so the first is the tightest; its formula shows the numbers.
  for (std::size_t i = 1; i < e.analytic.size(); ++i)
    EXPECT_LE(e.analytic[i - 1].rps, e.analytic[i].rps);
  EXPECT_EQ(e.analytic.front().resource, "workers");
  EXPECT_EQ(e.analytic.front().formula, "4 workers / 21.00 ms held per request");
  EXPECT_EQ(bound_named(e, "cpu").formula, "2 cores / 1.000 ms CPU per request");
}

TEST(AnalyticBounds, AnAsyncWorkerHoldsManyRequestsAtOnce) {
  Model m = model_with_app_ms(1.0);
  m.stacks.at("coroutine").max_concurrency = 50;
  const Scenario sc = scenario({"coroutine"}, 2, 3, 50, 100, 20);
  const Explanation e = simulate(m, sc).explanation;
  EXPECT_NEAR(bound_named(e, "workers").rps, 3 * 50 * 1e3 / 21.0, 1e-9);
  EXPECT_EQ(bound_named(e, "workers").formula, "3 workers x 50 requests / 21.00 ms held");
}

// Each resource binds in turn, and the simulated throughput sits just under
// its bound: deterministic demands, so only contention separates them. The
// window's edges allow ~1% above: the requests already past the bottleneck
// when the window opens complete inside it (pgbouncer at 2 ms with 20 ms
// after it: about ten, 504 rps over 3000 requests, 501 over 10000).
constexpr double kWindowEdge = 1.01;
struct BindingCase {
  const char* name;
  const char* binding;
  double bound_rps;  // by hand, from the formulas above
  Model model;
  Scenario scenario;
};

void PrintTo(const BindingCase& c, std::ostream* os) {
  *os << c.name;
}

class EachResourceBinds : public ::testing::TestWithParam<BindingCase> {};

TEST_P(EachResourceBinds, AndTheThroughputSitsJustUnderItsBound) {
  const BindingCase& c = GetParam();
  const Explained r = simulate(c.model, c.scenario);
  const Explanation& e = r.explanation;
  EXPECT_EQ(e.binding.resource, c.binding) << e.sentence;
  EXPECT_LE(r.throughput, c.bound_rps * kWindowEdge) << e.sentence;
  EXPECT_GE(r.throughput, c.bound_rps * 0.95) << e.sentence;
  // The binding bound is read at the simulated demands and hold times; the
  // throughput is that bound times the resource's utilisation.
  EXPECT_LE(r.throughput, e.binding.rps * kWindowEdge) << e.sentence;
  EXPECT_NEAR(e.binding.rps, c.bound_rps, 0.05 * c.bound_rps) << e.sentence;
  char head[128];
  std::snprintf(head, sizeof head, "%s: %.0f rps, bound by %s: ", c.scenario.stacks[0].c_str(),
                r.throughput, c.binding);
  EXPECT_EQ(e.sentence.rfind(head, 0), 0u) << e.sentence;
}

BindingCase binding_case(const char* name, const char* binding, double bound_rps, Model m,
                         Scenario sc) {
  return {name, binding, bound_rps, std::move(m), std::move(sc)};
}

Model with_pgbouncer_query_ms(double ms) {
  Model m = model_with_app_ms(0.1);
  m.pgbouncer.query = us(ms * 1e3);
  return m;
}

Model with_ab_send_ms(double ms) {
  Model m = model_with_app_ms(0.1);
  m.client.send = us(ms * 1e3);
  return m;
}

INSTANTIATE_TEST_SUITE_P(
    Explanation, EachResourceBinds,
    ::testing::Values(
        // 4 sync workers each hold a request for 1 + 20 ms: 4 / 21 ms.
        binding_case("sync_workers", "workers", 4e3 / 21, model_with_app_ms(1.0),
                     scenario({"sync"}, 2, 4, 50, 100, 20)),
        // 50 clients want 50 / 21 ms = 2381 rps of 1 ms each from one core.
        binding_case("cpu", "cpu", 1e3, model_with_app_ms(1.0),
                     scenario({"coroutine"}, 1, 2, 50, 100, 20)),
        // One event loop of 2 ms per request on four cores: its own thread.
        binding_case("one_event_loop", "worker_threads", 500, model_with_app_ms(2.0),
                     scenario({"coroutine"}, 4, 1, 100, 100, 20)),
        // Four sessions held 20 ms each, 100 clients queueing for them.
        binding_case("session_cap", "sessions", 200, model_with_app_ms(0.1),
                     scenario({"coroutine"}, 2, 2, 100, 4, 20)),
        // Two clients and nothing else busy: they set the pace, 2 / 20.1 ms.
        binding_case("few_clients", "clients", 2e3 / 20.1, model_with_app_ms(0.1),
                     scenario({"coroutine"}, 2, 2, 2, 100, 20)),
        // pgbouncer's one thread, 2 ms per query.
        binding_case("pgbouncer", "pgbouncer", 500, with_pgbouncer_query_ms(2.0),
                     scenario({"coroutine"}, 4, 4, 100, 100, 20)),
        // ab's one thread, 2 ms per send.
        binding_case("load_generator", "client", 500, with_ab_send_ms(2.0),
                     scenario({"coroutine"}, 4, 4, 100, 100, 20))),
    [](const ::testing::TestParamInfo<BindingCase>& i) { return std::string(i.param.name); });

std::string verdict_of(const Model& m, const Scenario& sc) {
  return verdict(m, run_experiment(m, sc, 1).at(0));
}

// The bounds come from the model as the simulator runs it (as_seen_by): on
// a host of speed 2 every demand takes half its time, so the CPU bound and
// the worker threads' double, and the simulated throughput, CPU-bound with
// no delay, sits just under the doubled bound. A model that does not use
// the speed correction runs at speed 1, in the simulator and in the bounds.
TEST(AnalyticBounds, AFasterHostRunsEveryDemandInOneOverSpeedOfItsTime) {
  Model m = model_with_app_ms(1.0);
  m.host.speed = 2.0;
  const Scenario sc = scenario({"sync"}, 2, 8, 50, 100, 0);
  const Explained fast = simulate(m, sc);
  EXPECT_NEAR(bound_named(fast.explanation, "cpu").rps, 2 * 1e3 / 0.5, 1e-9);
  EXPECT_NEAR(bound_named(fast.explanation, "worker_threads").rps, 8 * 1e3 / 0.5, 1e-9);
  EXPECT_NEAR(bound_named(fast.explanation, "workers").rps, 8 * 1e3 / 0.5, 1e-9);
  EXPECT_EQ(fast.explanation.binding.resource, "cpu");
  EXPECT_LE(fast.throughput, 4000 * kWindowEdge);
  EXPECT_GE(fast.throughput, 4000 * 0.95);

  m.host.corrections = CpuCorrections::none();
  const Explained plain = simulate(m, sc);
  EXPECT_NEAR(bound_named(plain.explanation, "cpu").rps, 2 * 1e3 / 1.0, 1e-9);
  EXPECT_LE(plain.throughput, 2000 * kWindowEdge);
  EXPECT_GE(plain.throughput, 2000 * 0.95);
}

// 2 sync workers at 50.1 ms each (40 rps) against an event loop that 100
// clients keep busy (100 / 50.1 ms = 1996 rps): async, by the ratio of the
// two throughputs, with each side's binding resource and its formula.
TEST(Verdict, NamesTheWinnerTheRatioAndWhatBindsEachSide) {
  const Model m = model_with_app_ms(0.1);
  const Scenario sc = scenario({"sync", "coroutine"}, 2, 2, 100, 100, 50);
  const ConfigurationResult cr = run_experiment(m, sc, 1).at(0);
  const double xs = cr.find("sync")->mean(&RunResult::throughput_rps);
  const double xa = cr.find("coroutine")->mean(&RunResult::throughput_rps);
  char expected[256];
  std::snprintf(expected, sizeof expected,
                "Async wins: best async coroutine %.0f rps vs best sync sync %.0f rps (x%.2f). "
                "Sync is bound by workers (2 workers / 50.10 ms held per request = ",
                xa, xs, xa / xs);
  const std::string v = verdict(m, cr);
  EXPECT_EQ(v.rfind(expected, 0), 0u) << v;
  EXPECT_NE(v.find("async by clients (100 clients / "), std::string::npos) << v;
  EXPECT_NEAR(xa / xs, (100 / 50.1) / (2 / 50.1), 2.5);  // 50x, as the bounds say
}

// Eight sync workers at 5.1 ms (1569 rps, under the 4 cores' 40000) against
// one event loop of 2 ms per request (500 rps): sync wins.
TEST(Verdict, SyncWinsWhenTheEventLoopIsTheBottleneck) {
  Model m = model_with_app_ms(0.1);
  m.stacks.at("coroutine").pre = us(2000);
  Scenario sc = scenario({"sync", "coroutine"}, 4, 8, 100, 100, 5);
  sc.workers = {8, 1, 1};
  const std::string v = verdict_of(m, sc);
  EXPECT_EQ(v.rfind("Sync wins: best async coroutine ", 0), 0u) << v;
  EXPECT_NE(v.find("async by worker_threads (1 single-threaded workers / "), std::string::npos)
      << v;
}

// The best of each kind is compared: a greenlet stack three times as costly
// as the coroutine one is not the one named.
TEST(Verdict, ComparesTheBestOfEachKind) {
  Model m = model_with_app_ms(1.0);
  m.stacks.at("greenlet").pre = us(3000);
  const Scenario sc = scenario({"sync", "greenlet", "coroutine"}, 1, 2, 50, 100, 20);
  const std::string v = verdict_of(m, sc);
  EXPECT_NE(v.find("best async coroutine"), std::string::npos) << v;
  EXPECT_EQ(v.find("greenlet"), std::string::npos) << v;
}

TEST(Verdict, OneKindOfServerHasNoContest) {
  const Model m = model_with_app_ms(1.0);
  EXPECT_EQ(verdict_of(m, scenario({"sync"}, 2, 4, 10, 100, 20)),
            "Only one kind of server in this configuration.");
  EXPECT_EQ(verdict_of(m, scenario({"greenlet", "coroutine"}, 2, 4, 10, 100, 20)),
            "Only one kind of server in this configuration.");
}

// --- the table and CSV formats ---

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (char ch : line) {
    if (ch == '"') {
      quoted = !quoted;
    } else if (ch == ',' && !quoted) {
      out.push_back(field);
      field.clear();
    } else {
      field += ch;
    }
  }
  out.push_back(field);
  return out;
}

class Formats : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = model_with_app_ms(0.5);
    sc_ = scenario({"sync", "coroutine"}, 2, 3, 20, 100, 10);
    sc_.replications = 2;
    sc_.sweep = {{"clients", {"5", "20"}}};
    results_ = run_experiment(model_, sc_, 1);
  }
  Model model_;
  Scenario sc_;
  std::vector<ConfigurationResult> results_;
};

TEST_F(Formats, CsvHasAHeaderAndOneParsableRowPerStackAndConfiguration) {
  std::ostringstream out;
  print_csv(out, model_, results_);
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 1u + 2 * 2);
  EXPECT_EQ(lines[0],
            "configuration,stack,type,workers,throughput_rps,throughput_ci95,relative_throughput,"
            "p50_ms,p90_ms,p99_ms,p999_ms,max_ms,db_sessions_peak,cpu_utilisation,failed,binding");
  std::size_t row = 1;
  for (const ConfigurationResult& cr : results_) {
    for (const StackResult& s : cr.stacks) {
      const auto f = csv_fields(lines.at(row++));
      ASSERT_EQ(f.size(), 16u) << lines[row - 1];
      EXPECT_EQ(f[0], cr.configuration.label());
      EXPECT_EQ(f[1], s.stack);
      EXPECT_EQ(f[2], to_string(s.type));
      EXPECT_EQ(std::stoi(f[3]), 3);
      EXPECT_NEAR(std::stod(f[4]), s.mean(&RunResult::throughput_rps), 5e-4);
      EXPECT_FALSE(f[5].empty()) << "two replications give an interval";
      const double base = cr.find("sync")->mean(&RunResult::throughput_rps);
      EXPECT_NEAR(std::stod(f[6]), s.mean(&RunResult::throughput_rps) / base, 5e-5);
      EXPECT_NEAR(std::stod(f[7]), s.mean(&RunResult::p50_ms), 5e-5);
      EXPECT_LE(std::stod(f[7]), std::stod(f[8]));  // P50 <= P90 <= P99 <= P99.9 <= max
      EXPECT_LE(std::stod(f[8]), std::stod(f[9]));
      EXPECT_LE(std::stod(f[9]), std::stod(f[10]));
      EXPECT_LE(std::stod(f[10]), std::stod(f[11]));
      EXPECT_EQ(f[14], "0");
      EXPECT_EQ(f[15], explain(model_, model_.stacks.at(s.stack), cr.configuration.scenario, s)
                           .binding.resource);
    }
  }
}

TEST_F(Formats, TableHasAHeaderPerConfigurationARowPerStackTheWhyAndTheVerdict) {
  std::ostringstream out;
  print_table(out, model_, results_);
  const std::string text = out.str();
  for (const ConfigurationResult& cr : results_) {
    const std::string head = "== " + cr.configuration.label() +
                             ": 2 cores, workers 3 sync / 3 "
                             "greenlet / 3 coroutine, " +
                             std::to_string(cr.configuration.scenario.clients) +
                             " clients, 100 sessions, 10 ms delay, connect_per_request, 2 x " +
                             std::to_string(sc_.requests) + " requests\n";
    const auto at = text.find(head);
    ASSERT_NE(at, std::string::npos) << head << "\nnot in\n" << text;
    const std::string block = text.substr(at, text.find("\n== ", at + 1) - at);
    for (const StackResult& s : cr.stacks) {
      const Explanation e =
          explain(model_, model_.stacks.at(s.stack), cr.configuration.scenario, s);
      char row[64];
      std::snprintf(row, sizeof row, "%-24s %-9s %3d %9.0f", s.stack.c_str(),
                    std::string(to_string(s.type)).c_str(), 3, s.mean(&RunResult::throughput_rps));
      EXPECT_NE(block.find(row), std::string::npos) << row << "\nnot in\n" << block;
      EXPECT_NE(block.find("  " + e.sentence + "\n"), std::string::npos) << e.sentence;
    }
    EXPECT_NE(block.find("\nVerdict: " + verdict(model_, cr) + "\n"), std::string::npos) << block;
  }
}

}  // namespace
}  // namespace stacksim
