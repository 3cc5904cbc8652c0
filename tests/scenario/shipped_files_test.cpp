// The shipped model and scenarios load, say what the brief says they say, and
// survive a round trip through to_json: parse(to_json(x)) equals x field by
// field, so nothing a file states is lost or bent on the way in or out.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "sim/scenario/model_io.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim {
namespace {

const std::string kRoot = STACKSIM_SOURCE_DIR;

std::vector<std::string> json_files_in(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(kRoot + "/" + dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void expect_same(const Distribution& a, const Distribution& b, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(a.shape(), b.shape());
  EXPECT_EQ(a.mean(), b.mean());
  EXPECT_EQ(a.cv(), b.cv());
}

void expect_same(const Model& a, const Model& b) {
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.provenance, b.provenance);
  EXPECT_EQ(a.host.cores, b.host.cores);
  EXPECT_EQ(a.host.cpu_model, b.host.cpu_model);
  EXPECT_EQ(a.host.context_switch_ns, b.host.context_switch_ns);
  expect_same(a.client.send, b.client.send, "client.send");
  expect_same(a.client.recv, b.client.recv, "client.recv");
  expect_same(a.proxy.request, b.proxy.request, "proxy.request");
  expect_same(a.proxy.response, b.proxy.response, "proxy.response");
  expect_same(a.kernel.per_hop, b.kernel.per_hop, "kernel.per_hop");
  expect_same(a.pgbouncer.login, b.pgbouncer.login, "pgbouncer.login");
  expect_same(a.pgbouncer.server_login, b.pgbouncer.server_login, "pgbouncer.server_login");
  expect_same(a.pgbouncer.query, b.pgbouncer.query, "pgbouncer.query");
  expect_same(a.pgbouncer.result, b.pgbouncer.result, "pgbouncer.result");
  expect_same(a.pgbouncer.close, b.pgbouncer.close, "pgbouncer.close");
  expect_same(a.postgres.backend_start, b.postgres.backend_start, "postgres.backend_start");
  expect_same(a.postgres.query, b.postgres.query, "postgres.query");
  expect_same(a.postgres.fetch, b.postgres.fetch, "postgres.fetch");
  expect_same(a.postgres.reset, b.postgres.reset, "postgres.reset");
  ASSERT_EQ(a.stacks.size(), b.stacks.size());
  for (const auto& [name, s] : a.stacks) {
    SCOPED_TRACE(name);
    ASSERT_EQ(b.stacks.count(name), 1u);
    const StackModel& t = b.stacks.at(name);
    EXPECT_EQ(s.name, t.name);
    EXPECT_EQ(s.type, t.type);
    EXPECT_EQ(s.server, t.server);
    EXPECT_EQ(s.framework, t.framework);
    EXPECT_EQ(s.installable, t.installable);
    EXPECT_EQ(s.note, t.note);
    EXPECT_EQ(s.accept_policy, t.accept_policy);
    EXPECT_EQ(s.max_concurrency, t.max_concurrency);
    expect_same(s.pre, t.pre, "pre");
    expect_same(s.connect, t.connect, "connect");
    expect_same(s.query, t.query, "query");
    expect_same(s.fetch, t.fetch, "fetch");
    expect_same(s.close, t.close, "close");
    expect_same(s.respond, t.respond, "respond");
  }
}

void expect_same(const Scenario& a, const Scenario& b) {
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.stacks, b.stacks);
  EXPECT_EQ(a.baseline, b.baseline);
  EXPECT_EQ(a.cores, b.cores);
  EXPECT_EQ(a.workers.sync, b.workers.sync);
  EXPECT_EQ(a.workers.greenlet, b.workers.greenlet);
  EXPECT_EQ(a.workers.coroutine, b.workers.coroutine);
  EXPECT_EQ(a.clients, b.clients);
  EXPECT_EQ(a.sessions, b.sessions);
  EXPECT_EQ(a.delay_ms, b.delay_ms);
  EXPECT_EQ(a.db_access, b.db_access);
  EXPECT_EQ(a.app_pool_size, b.app_pool_size);
  EXPECT_EQ(a.load, b.load);
  EXPECT_EQ(a.rate_rps, b.rate_rps);
  EXPECT_EQ(a.requests, b.requests);
  EXPECT_EQ(a.warmup_requests, b.warmup_requests);
  EXPECT_EQ(a.replications, b.replications);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.nginx, b.nginx);
  EXPECT_EQ(a.nginx_workers, b.nginx_workers);
  EXPECT_EQ(a.backlog, b.backlog);
  EXPECT_EQ(a.syn_retry_ms, b.syn_retry_ms);
  EXPECT_EQ(a.sweep, b.sweep);
}

TEST(ShippedFiles, EveryModelLoadsAndRoundTripsExactly) {
  const auto files = json_files_in("models");
  ASSERT_FALSE(files.empty());
  for (const auto& path : files) {
    SCOPED_TRACE(path);
    const Model m = load_model(path);
    EXPECT_EQ(m.source, path);
    expect_same(m, parse_model(to_json(m), "round trip"));
    // And the second trip writes the same document as the first.
    EXPECT_EQ(to_json(parse_model(to_json(m), "round trip")), to_json(m));
  }
}

TEST(ShippedFiles, EveryScenarioLoadsMatchesTheModelAndRoundTripsExactly) {
  const Model model = load_model(kRoot + "/models/estimates.json");
  const auto files = json_files_in("scenarios");
  ASSERT_GE(files.size(), 5u);
  for (const auto& path : files) {
    SCOPED_TRACE(path);
    const Scenario s = load_scenario(path);
    check_against_model(s, model);
    expect_same(s, parse_scenario(to_json(s), "round trip"));
    EXPECT_EQ(to_json(parse_scenario(to_json(s), "round trip")), to_json(s));
  }
}

TEST(ShippedFiles, EstimatesCoverEveryStackOfTheArticleLabelledAsEstimates) {
  const Model m = load_model(kRoot + "/models/estimates.json");
  EXPECT_EQ(m.provenance.at("kind"), "estimate");
  EXPECT_FALSE(m.provenance.at("note").get<std::string>().empty());
  const std::set<std::string> not_in_debian{"meinheld-flask",  "meinheld-bottle",
                                            "meinheld-falcon", "sanic",
                                            "uvicorn-sanic",   "uvicorn-aioflask"};
  const std::vector<std::string> all{"gunicorn-flask",
                                     "gunicorn-bottle",
                                     "gunicorn-falcon",
                                     "uwsgi-flask",
                                     "uwsgi-bottle",
                                     "uwsgi-falcon",
                                     "gunicorn-gevent-flask",
                                     "gunicorn-gevent-bottle",
                                     "gunicorn-gevent-falcon",
                                     "meinheld-flask",
                                     "meinheld-bottle",
                                     "meinheld-falcon",
                                     "uwsgi-gevent-flask",
                                     "aiohttp",
                                     "sanic",
                                     "uvicorn-starlette",
                                     "uvicorn-fastapi",
                                     "uvicorn-sanic",
                                     "uvicorn-quart",
                                     "uvicorn-aioflask",
                                     "tornado",
                                     "hypercorn-quart",
                                     "daphne-starlette"};
  EXPECT_EQ(m.stacks.size(), all.size());
  for (const auto& name : all) {
    SCOPED_TRACE(name);
    ASSERT_EQ(m.stacks.count(name), 1u);
    const StackModel& s = m.stacks.at(name);
    EXPECT_EQ(s.installable, not_in_debian.count(name) == 0);
    if (!s.installable) {
      EXPECT_NE(s.note.find("not in Debian"), std::string::npos);
    }
    if (s.type == WorkerType::kSync) {
      EXPECT_EQ(s.accept_policy, AcceptPolicy::kLeastLoaded);
      EXPECT_EQ(s.max_concurrency, 1);
    } else {
      EXPECT_EQ(s.accept_policy, AcceptPolicy::kRandom);
      EXPECT_EQ(s.max_concurrency, 1000);
    }
  }
}

// The estimates' anchors (DESIGN.md): a sync worker spends 1.3-2.1 ms CPU per
// request; a greenlet worker spends more than a sync one with the same
// framework, a coroutine worker more than any sync one;
// starlette < aiohttp < fastapi < quart; falcon < bottle < flask. Demands are
// held in ns, so 1.3 ms = 1.3e6.
double worker_cpu_ns(const StackModel& s) {
  return s.pre.mean() + s.connect.mean() + s.query.mean() + s.fetch.mean() + s.close.mean() +
         s.respond.mean();
}

TEST(ShippedFiles, EstimatesFollowTheMeasuredAnchorsAndTheBenchmarksOrder) {
  const Model m = load_model(kRoot + "/models/estimates.json");
  const auto cpu = [&](const char* name) { return worker_cpu_ns(m.stacks.at(name)); };
  EXPECT_GE(cpu("gunicorn-flask"), 1.3e6);
  EXPECT_LE(cpu("gunicorn-flask"), 2.1e6);
  EXPECT_LT(cpu("gunicorn-flask"), cpu("gunicorn-gevent-flask"));
  EXPECT_LT(cpu("gunicorn-falcon"), cpu("gunicorn-gevent-falcon"));
  EXPECT_LT(cpu("gunicorn-falcon"), cpu("gunicorn-bottle"));
  EXPECT_LT(cpu("gunicorn-bottle"), cpu("gunicorn-flask"));
  EXPECT_LT(cpu("uvicorn-starlette"), cpu("aiohttp"));
  EXPECT_LT(cpu("aiohttp"), cpu("uvicorn-fastapi"));
  EXPECT_LT(cpu("uvicorn-fastapi"), cpu("uvicorn-quart"));
  // Greenlet stacks against both sync servers of their framework; coroutine
  // stacks (no sync twin) against the heaviest sync stack.
  for (const auto& [name, s] : m.stacks) {
    if (s.type == WorkerType::kGreenlet) {
      EXPECT_GT(worker_cpu_ns(s), cpu(("gunicorn-" + s.framework).c_str())) << name;
      EXPECT_GT(worker_cpu_ns(s), cpu(("uwsgi-" + s.framework).c_str())) << name;
    } else if (s.type == WorkerType::kCoroutine) {
      EXPECT_GT(worker_cpu_ns(s), cpu("gunicorn-flask")) << name;
    }
  }
  // postgres ~0.2 ms per request with few backends: query + fetch + reset.
  EXPECT_NEAR(m.postgres.query.mean() + m.postgres.fetch.mean() + m.postgres.reset.mean(), 0.2e6,
              0.05e6);
}

// DESIGN's table of the article's configurations.
TEST(ShippedFiles, ScenariosAreTheArticlesConfigurations) {
  struct Row {
    const char* file;
    int cores, sync, async, sessions;
    double delay_ms;
    int clients;
    DbAccess db;
  };
  for (const Row& r : {Row{"original", 6, 16, 5, 100, 0, 100, DbAccess::kAppPool},
                       Row{"article", 6, 19, 6, 100, 20, 100, DbAccess::kConnectPerRequest},
                       Row{"better-async", 6, 19, 6, 100, 40, 400, DbAccess::kConnectPerRequest},
                       Row{"better-sync", 6, 19, 6, 19, 10, 19, DbAccess::kConnectPerRequest},
                       Row{"this-machine", 2, 5, 2, 100, 20, 100, DbAccess::kConnectPerRequest}}) {
    SCOPED_TRACE(r.file);
    const Scenario s = load_scenario(kRoot + "/scenarios/" + r.file + ".json");
    EXPECT_EQ(s.name, r.file);
    EXPECT_TRUE(s.stacks.empty());  // "all"
    EXPECT_EQ(s.baseline, "gunicorn-flask");
    EXPECT_EQ(s.cores, r.cores);
    EXPECT_EQ(s.workers.sync, r.sync);
    EXPECT_EQ(s.workers.greenlet, r.async);
    EXPECT_EQ(s.workers.coroutine, r.async);
    EXPECT_EQ(s.sessions, r.sessions);
    EXPECT_EQ(s.delay_ms, r.delay_ms);
    EXPECT_EQ(s.clients, r.clients);
    EXPECT_EQ(s.db_access, r.db);
    if (r.db == DbAccess::kAppPool) {
      EXPECT_EQ(s.app_pool_size, 4);
    }
    EXPECT_EQ(s.requests, 50000);
    EXPECT_EQ(s.warmup_requests, 5000);
    EXPECT_EQ(s.replications, 5);
    EXPECT_EQ(s.seed, 1u);
  }
}

}  // namespace
}  // namespace stacksim
