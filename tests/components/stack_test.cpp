// The whole stack against the maths it must obey.
//
// Demands in the test model: every burst `e`, app.pre its own. The main path
// has 14 bursts besides app.pre (client 2, nginx 2, app 5, pgbouncer 3,
// postgres 2) and 10 kernel hops; a disconnect adds 3 more off the path
// (hop, pgbouncer close, backend reset).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/input_error.hpp"
#include "sim/experiment/experiment.hpp"
#include "sim/experiment/report.hpp"
#include "sim/experiment/run.hpp"
#include "sim/scenario/scenario_io.hpp"
#include "test_stack_model.hpp"
#include "tests/support/input_error.hpp"

namespace stacksim {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

using testing::small_scenario;
using testing::uniform_model;

// One client, 200 requests after 10 of warm-up.
Scenario one_client_scenario() {
  Scenario sc = small_scenario();
  sc.clients = 1;
  sc.requests = 200;
  sc.warmup_requests = 10;
  return sc;
}

// One client and deterministic demands: nothing ever queues, so the latency
// is the sum of every burst on the main path plus the delay D. With every
// demand e = 10 us, app.pre = 100 us, and D = 20 ms, the main path of the
// article's graph has 10 kernel hops and 13 other bursts besides app.pre:
// client.send, nginx.request, app.connect, pgbouncer.login, app.query,
// pgbouncer.query, postgres.query, postgres.fetch, pgbouncer.result,
// app.fetch, app.close, app.respond, nginx.response, client.recv: 14, so
// R = 100 + 14 * 10 + 10 * 10 us + 20 ms = 20.340 ms.
TEST(Stack, OneClientSeesTheSumOfItsBurstsPlusTheDelay) {
  const Model m = uniform_model(10, 100);
  Scenario sc = one_client_scenario();
  const RunResult r = run_once(m, m.stacks.at("sync"), sc, 0);
  // The reset after each request (hop + close + reset, 30 us) runs off the
  // path while the next request starts, on the other core.
  EXPECT_NEAR(r.p50_ms, 20.340, 20.340 * 0.004);
  EXPECT_NEAR(r.max_ms, 20.340, 20.340 * 0.004);
  EXPECT_NEAR(r.throughput_rps, 1000.0 / 20.340, 0.5);
  EXPECT_EQ(r.db_sessions_peak, 1);
  EXPECT_NEAR(r.phase_ms[static_cast<int>(Phase::kInDatabase)], 20.0, 1e-9);
}

// The same path with a wake-up latency L = 1 ms: with one client every
// wake-up on the main path is a hand-off (the waker sleeps once it has
// sent), save the backend's when the delay's timer ends, so R = 20.340 +
// 1 ms. With no delay there is no timer and no latency at all: R = 0.340.
TEST(Stack, OneClientPaysTheWakeUpLatencyOnlyWhereATimerWakesTheBackend) {
  Model m = uniform_model(10, 100);
  m.host.wakeup_latency_ns = 1'000'000;
  Scenario sc = one_client_scenario();
  for (const auto& [delay_ms, want_ms] : {std::pair{20.0, 21.340}, {0.0, 0.340}}) {
    sc.delay_ms = delay_ms;
    const RunResult r = run_once(m, m.stacks.at("sync"), sc, 0);
    EXPECT_NEAR(r.p50_ms, want_ms, want_ms * 0.004) << delay_ms << " ms";
    EXPECT_NEAR(r.max_ms, want_ms, want_ms * 0.004) << delay_ms << " ms";
  }
}

// A stack's shared_scale multiplies what its requests cost the shared
// groups, and nothing else: with pgbouncer x2 and postgres x3 (every demand
// deterministic, no load dependence) their CPU per request doubles and
// triples, the app's and the client's do not move.
TEST(Stack, SharedScaleMultipliesTheSharedGroupsOfThatStackOnly) {
  Model m = uniform_model(10, 100);
  Scenario sc = one_client_scenario();
  const RunResult plain = run_once(m, m.stacks.at("sync"), sc, 0);
  m.stacks.at("sync").shared_scale.pgbouncer = 2;
  m.stacks.at("sync").shared_scale.postgres = 3;
  const RunResult scaled = run_once(m, m.stacks.at("sync"), sc, 0);
  auto cpu = [](const RunResult& r, Role role) {
    return r.cpu_us_per_request[static_cast<int>(role)];
  };
  EXPECT_NEAR(cpu(scaled, Role::kPgbouncer), 2 * cpu(plain, Role::kPgbouncer), 1e-6);
  EXPECT_NEAR(cpu(scaled, Role::kPostgres), 3 * cpu(plain, Role::kPostgres), 1e-6);
  EXPECT_NEAR(cpu(scaled, Role::kApp), cpu(plain, Role::kApp), 1e-6);
  EXPECT_NEAR(cpu(scaled, Role::kClient), cpu(plain, Role::kClient), 1e-6);
  EXPECT_GT(cpu(plain, Role::kPgbouncer), 0);
  EXPECT_GT(scaled.p50_ms, plain.p50_ms);
}

// Postgres pays per_backend for every open backend on each query. With 8
// sessions and 50 coroutine clients all 8 backends open in the warm-up and
// stay open, so each request's postgres CPU is query + fetch + reset (30 us)
// plus 8 x 5 us = 70 us, exactly (deterministic demands, no load dependence).
TEST(Stack, PostgresPaysPerOpenBackend) {
  Model m = uniform_model(10, 100);
  m.postgres.load.per_backend_ns = 5'000;
  Scenario sc = small_scenario();
  sc.sessions = 8;
  const RunResult r = run_once(m, m.stacks.at("coroutine"), sc, 0);
  ASSERT_EQ(r.db_sessions_peak, 8);
  EXPECT_NEAR(r.cpu_us_per_request[static_cast<int>(Role::kPostgres)], 70.0, 0.5);
}

// Idle inflation through the whole stack: one client with no delay keeps
// about one of two cores busy (its chain, plus now and then the off-path
// reset on the other), so the smoothed idle share is a bit under one half
// and the app pays about 1 + k/2 times its demand (1.4-1.6 with k = 1); a
// saturated host (async, no delay, 50 clients) pays within a few percent of
// the demand itself.
TEST(Stack, IdleInflationStretchesLightLoadAndVanishesAtSaturation) {
  Model m = uniform_model(10, 100);
  m.stacks.at("coroutine").load.idle_inflation = 1.0;
  Scenario sc = small_scenario();
  sc.delay_ms = 0;
  const double app_us = 100 + 5 * 10;  // pre + connect, query, fetch, close, respond
  sc.clients = 1;
  const RunResult light = run_once(m, m.stacks.at("coroutine"), sc, 0);
  const double light_app = light.cpu_us_per_request[static_cast<int>(Role::kApp)];
  EXPECT_GE(light_app, 1.4 * app_us);
  EXPECT_LE(light_app, 1.6 * app_us);
  sc.clients = 50;
  const RunResult busy = run_once(m, m.stacks.at("coroutine"), sc, 0);
  EXPECT_GT(busy.cpu_utilisation, 0.97);
  const double busy_app = busy.cpu_us_per_request[static_cast<int>(Role::kApp)];
  EXPECT_GE(busy_app, app_us);
  EXPECT_LE(busy_app, 1.03 * app_us);
  // Groups without inflation are not stretched.
  EXPECT_NEAR(light.cpu_us_per_request[static_cast<int>(Role::kProxy)], 20.0, 1e-6);
}

// Across core counts: the same model, fitted at 4 cores (host.cores) on a
// host whose idle wake-ups cost r = 3 times as much across cores, run at 4
// cores and at 1. At 4 the app pays its fitted inflation; at 1 the
// inflation is k g(1) / g(4) = k / 2.5, g(C) = 1 + (1 - 1/C)(r - 1). One
// client keeps one core busy, so the idle share is about 3/4 at 4 cores
// and about 0 at 1: the app pays about 1 + 0.75 k at 4 (k = 1: 1.65-1.85)
// and its demand at 1. The simulator takes the scaled term, not the file's.
TEST(Stack, IdleInflationCarriesAcrossCoreCountsByTheProbedCrossCoreTerm) {
  Model m = uniform_model(10, 100);
  m.stacks.at("coroutine").load.idle_inflation = 1.0;
  m.host.cores = 4;
  HostProfile p;
  p.cpus = 4;
  p.terms.cross_core_idle = 3.0;
  m.host.profile = p;
  Scenario sc = small_scenario();
  sc.delay_ms = 0;
  sc.clients = 1;
  const double app_us = 100 + 5 * 10;
  auto app_cpu = [&](int cores) {
    sc.cores = cores;
    return run_once(m, m.stacks.at("coroutine"), sc, 0)
        .cpu_us_per_request[static_cast<int>(Role::kApp)];
  };
  const double four = app_cpu(4);
  EXPECT_GE(four, 1.65 * app_us);
  EXPECT_LE(four, 1.85 * app_us);
  const double one = app_cpu(1);
  EXPECT_GE(one, app_us);
  EXPECT_LE(one, 1.05 * app_us);
  // At 2 cores (idle about 1/2, k g(2) / g(4) = 2 / 2.5 = 0.8): 1.3-1.5.
  const double two = app_cpu(2);
  EXPECT_GE(two, 1.3 * app_us);
  EXPECT_LE(two, 1.5 * app_us);
}

// Background CPU is a fluid: b cores always busy. One client keeps at most
// two bursts in service (its chain, and the off-path reset), so with b =
// 0.25 of 2 cores it runs at nearly full speed; the group is charged b cores
// x the window, and the host's busy share counts them (all of b, less the
// rare moments when two bursts fill both cores anyway).
TEST(Stack, BackgroundCoresAreChargedToTheirGroupAndTheHost) {
  Model m = uniform_model(10, 100);
  m.postgres.load.background_cores = 0.25;
  Scenario sc = small_scenario();
  sc.clients = 1;
  sc.requests = 500;
  sc.warmup_requests = 10;
  const RunResult base = run_once(uniform_model(10, 100), m.stacks.at("sync"), sc, 0);
  const RunResult r = run_once(m, m.stacks.at("sync"), sc, 0);
  EXPECT_NEAR(r.throughput_rps, base.throughput_rps, 0.01 * base.throughput_rps);
  const double per_request_us = 0.25 * 1e6 / r.throughput_rps;  // 0.25 cores over X requests/s
  EXPECT_NEAR(r.cpu_us_per_request[static_cast<int>(Role::kPostgres)],
              base.cpu_us_per_request[static_cast<int>(Role::kPostgres)] + per_request_us,
              1e-6 * per_request_us);
  EXPECT_NEAR(r.cpu_utilisation, base.cpu_utilisation + 0.25 / sc.cores, 0.005);
  m.postgres.load.background_cores = 2.5;  // more than the host has
  EXPECT_THROW(run_once(m, m.stacks.at("sync"), sc, 0), InputError);
}

// The cold-cache cost: c per ms of wall clock between requests. One client
// with a 20 ms delay starts a request every R ~ 20.34 ms (the latency), so
// the app pays c R more CPU per request: with c = 10 us per ms, ~203 us.
TEST(Stack, ColdCostGrowsWithTheTimeBetweenRequests) {
  Model m = uniform_model(10, 100);
  Scenario sc = small_scenario();
  sc.clients = 1;
  sc.requests = 300;
  sc.warmup_requests = 20;
  const RunResult base = run_once(m, m.stacks.at("sync"), sc, 0);
  m.stacks.at("sync").load.cold_ns_per_ms = 10'000;
  const RunResult cold = run_once(m, m.stacks.at("sync"), sc, 0);
  const double interval_ms = 1e3 / cold.throughput_rps;
  EXPECT_NEAR(cold.cpu_us_per_request[static_cast<int>(Role::kApp)] -
                  base.cpu_us_per_request[static_cast<int>(Role::kApp)],
              10.0 * interval_ms, 0.02 * 10.0 * interval_ms);
  // It sits on the request's path: the latency grows by as much.
  EXPECT_NEAR(cold.p50_ms - base.p50_ms, 10.0 * interval_ms * 1e-3, 0.02);
}

// Little's law for the closed loop with zero think time: the C clients are
// always in the system, so C = X * R.
TEST(Stack, LittlesLawHoldsForEveryStackType) {
  for (const char* name : {"sync", "greenlet", "coroutine"}) {
    const Model m = uniform_model(20, 300);
    const Scenario sc = small_scenario();
    const RunResult r = run_once(m, m.stacks.at(name), sc, 0);
    const double n = r.throughput_rps * r.latency_mean_ms * 1e-3;
    EXPECT_NEAR(n, sc.clients, sc.clients * 0.02) << name;
  }
}

// A sync worker holds its request through the database wait, so W workers
// can finish at most W requests per D: X <= W / D. With CPU to spare, the
// hold time is D plus the CPU on its path, and X comes close to
// W / (D + hold CPU).
TEST(Stack, SyncServerNeverExceedsWorkersOverDelay) {
  const Model m = uniform_model(10, 100);
  Scenario sc = small_scenario();
  sc.workers.sync = 4;
  sc.delay_ms = 20;
  const RunResult r = run_once(m, m.stacks.at("sync"), sc, 0);
  const double w_over_d = sc.workers.sync / (sc.delay_ms * 1e-3);
  EXPECT_LT(r.throughput_rps, w_over_d);
  // Hold path: pre 100 + 9 bursts and 6 hops of 10 us on the worker's
  // watch, about 0.25 ms, plus D.
  EXPECT_GT(r.throughput_rps, 0.97 * sc.workers.sync / 20.25e-3);
  EXPECT_GT(r.workers_busy, 0.99);
}

// An async server is bound by the cores: X <= cores / (CPU per request). The
// demand per request here is 100 + (14 + 10 + 3) * 20 us = 0.64 ms, so at
// most 2 / 0.64 ms = 3125 rps.
TEST(Stack, AsyncServerNeverExceedsCoresOverCpuDemand) {
  const Model m = uniform_model(20, 100);
  Scenario sc = small_scenario();
  sc.clients = 400;
  sc.delay_ms = 5;
  const RunResult r = run_once(m, m.stacks.at("coroutine"), sc, 0);
  double cpu_us = 0;
  for (double v : r.cpu_us_per_request) cpu_us += v;
  EXPECT_NEAR(cpu_us, 640, 640 * 0.01);
  // In a finite window of T seconds, requests in flight when it opens had
  // part of their work done before it: X <= cores / D + C / T exactly, and
  // X approaches cores / D as the CPU saturates.
  EXPECT_LE(r.throughput_rps, sc.cores / 0.64e-3 + sc.clients / r.window_s);
  EXPECT_NEAR(r.throughput_rps, sc.cores / 0.64e-3, 0.01 * sc.cores / 0.64e-3);
  EXPECT_GT(r.cpu_utilisation, 0.95);
}

// pgbouncer opens at most S server sessions, however many clients wait.
TEST(Stack, PoolNeverExceedsItsSessionCap) {
  const Model m = uniform_model(10, 100);
  Scenario sc = small_scenario();
  sc.sessions = 3;
  sc.clients = 200;
  const RunResult r = run_once(m, m.stacks.at("coroutine"), sc, 0);
  EXPECT_EQ(r.db_sessions_peak, 3);
  EXPECT_GT(r.phase_ms[static_cast<int>(Phase::kWaitSession)], 0.0);
  // Each session is held for at least D, so S sessions allow at most S / D.
  EXPECT_LT(r.throughput_rps, sc.sessions / (sc.delay_ms * 1e-3));
}

// Flow conservation: every request measured is one the clients issued, and
// none is lost: completed + failed = requests in the window.
TEST(Stack, EveryRequestInTheWindowIsCountedOnce) {
  const Model m = uniform_model(10, 100);
  const Scenario sc = small_scenario();
  const RunResult r = run_once(m, m.stacks.at("sync"), sc, 0);
  EXPECT_EQ(r.completed + r.failed, static_cast<std::uint64_t>(sc.requests));
  std::uint64_t served = 0;
  for (auto s : r.served_per_worker) served += s;
  // Workers take requests in the window that complete after it ends, and
  // finish ones taken before it: the counts differ by at most the clients.
  EXPECT_NEAR(static_cast<double>(served), static_cast<double>(sc.requests), sc.clients);
}

// The phases of the breakdown add up to the latency.
TEST(Stack, BreakdownAddsUpToTheMeanLatency) {
  const Model m = uniform_model(20, 300);
  const Scenario sc = small_scenario();
  const RunResult r = run_once(m, m.stacks.at("sync"), sc, 0);
  double sum = 0;
  for (double p : r.phase_ms) sum += p;
  EXPECT_NEAR(sum, r.latency_mean_ms, r.latency_mean_ms * 1e-6);
}

// A backlog too small for the clients drops SYNs; they are retried after
// syn_retry_ms, which shows in the tail.
TEST(Stack, FullBacklogDropsSynsThatAreRetriedLater) {
  const Model m = uniform_model(10, 100);
  Scenario sc = small_scenario();
  sc.backlog = 5;
  sc.clients = 100;
  sc.workers.sync = 2;
  const RunResult r = run_once(m, m.stacks.at("sync"), sc, 0);
  EXPECT_GT(r.syn_retries, 0u);
  EXPECT_GT(r.max_ms, sc.syn_retry_ms);
  EXPECT_GT(r.phase_ms[static_cast<int>(Phase::kRetry)], 0.0);
}

// An M/M/c queue in the stack: c sync workers on c cores, exponential app
// demand S = 1 ms (mu = 1000/s), every other demand 0, no delay, Poisson
// arrivals at lambda; one replication of `requests` after `warmup_requests`.
RunResult run_mmc(int c, double lambda_rps, std::int64_t requests, std::int64_t warmup_requests) {
  Model m = uniform_model(0, 0);
  m.stacks.at("sync").pre = Distribution::exponential(1e6);
  Scenario sc = small_scenario();
  sc.cores = c;
  sc.workers.sync = c;
  sc.delay_ms = 0;
  sc.load = LoadType::kOpen;
  sc.rate_rps = lambda_rps;
  sc.requests = requests;
  sc.warmup_requests = warmup_requests;
  return run_once(m, m.stacks.at("sync"), sc, 0);
}

// M/M/1 as a special case: one sync worker on one core, lambda = 600/s.
// Mean response time 1 / (mu - lambda) = 1 / 400 s = 2.5 ms.
TEST(Stack, OneSyncWorkerUnderPoissonLoadIsAnMM1Queue) {
  const RunResult r = run_mmc(1, 600, 200'000, 5'000);
  EXPECT_NEAR(r.latency_mean_ms, 2.5, 2.5 * 0.05);
  EXPECT_NEAR(r.throughput_rps, 600, 600 * 0.02);
}

// M/M/c: c = 3 sync workers on 3 cores, lambda = 2400/s (rho = 0.8).
// Erlang C: P(wait) = 0.6472, mean wait = P(wait) / (c mu - lambda) =
// 0.6472 / 600 s = 1.0787 ms, so E[R] = 2.0787 ms.
TEST(Stack, SyncWorkersUnderPoissonLoadAreAnMMcQueue) {
  const RunResult r = run_mmc(3, 2400, 400'000, 10'000);
  EXPECT_NEAR(r.latency_mean_ms, 2.0787, 2.0787 * 0.05);
}

// App-side pools keep their sessions: with fewer sessions than pooled
// connections the ones left over would wait forever, so the scenario is
// refused before it runs, naming the field.
TEST(Stack, AppPoolNeedsASessionForEveryPooledConnection) {
  Scenario sc = small_scenario();
  sc.db_access = DbAccess::kAppPool;
  sc.workers = {4, 2, 2};
  sc.app_pool_size = 4;
  sc.sessions = 15;
  // 16 pooled connections over 15 sessions are refused.
  EXPECT_TRUE(says(input_error_of([&] { check_scenario(sc); }), "sessions"));
  sc.sessions = 16;
  EXPECT_NO_THROW(check_scenario(sc));
}

TEST(Experiment, SameSeedGivesIdenticalJsonAndAnotherSeedDoesNot) {
  const Model m = uniform_model(20, 300);
  Scenario sc = small_scenario();
  sc.replications = 3;
  for (auto& [name, s] : const_cast<Model&>(m).stacks)
    s.pre = Distribution(Shape::kGamma, 3e5, 0.7);
  const auto a = report_json(m, sc, run_experiment(m, sc, 2)).dump();
  const auto b = report_json(m, sc, run_experiment(m, sc, 1)).dump();
  EXPECT_EQ(a, b);  // the thread count must not matter either
  sc.seed += 1;
  const auto c = report_json(m, sc, run_experiment(m, sc, 2)).dump();
  EXPECT_NE(a, c);
}

TEST(Experiment, SweepRunsTheProductOfItsValues) {
  const Model m = uniform_model(10, 100);
  Scenario sc = small_scenario();
  sc.requests = 500;
  sc.warmup_requests = 50;
  sc.sweep = {{"clients", {"10", "50"}}, {"delay_ms", {"5", "10", "20"}}};
  const auto results = run_experiment(m, sc, 2);
  ASSERT_EQ(results.size(), 6u);
  EXPECT_EQ(results[5].configuration.scenario.clients, 50);
  EXPECT_EQ(results[5].configuration.scenario.delay_ms, 20);
  EXPECT_EQ(results[5].configuration.label(), "clients=50 delay_ms=20");
}

TEST(Experiment, ExplanationNamesWorkersForSyncAndCpuForAsyncWhenTheDelayIsLong) {
  const Model m = uniform_model(20, 300);
  Scenario sc = small_scenario();
  sc.clients = 200;
  sc.requests = 3000;
  const auto results = run_experiment(m, sc, 2);
  const auto j = report_json(m, sc, results);
  const auto& stacks = j["configurations"][0]["stacks"];
  EXPECT_EQ(stacks[0]["explanation"]["binding"], "workers");
  EXPECT_EQ(stacks[1]["explanation"]["binding"], "cpu");
  EXPECT_NE(j["configurations"][0]["verdict"].get<std::string>().find("Async wins"),
            std::string::npos);
}

}  // namespace
}  // namespace stacksim
