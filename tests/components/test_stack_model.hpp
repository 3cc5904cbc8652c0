// A small model built in code for the stack tests: every burst deterministic
// unless a test says otherwise, so timelines can be added up by hand.
#pragma once

#include "sim/scenario/config.hpp"

namespace stacksim::testing {

inline Distribution us(double mean_us) {
  return Distribution::deterministic(mean_us * 1e3);
}

// Every demand is `each_us` except the app worker's `pre`, which is app_us.
inline Model uniform_model(double each_us, double app_us, WorkerType type = WorkerType::kSync) {
  Model m;
  m.source = "test";
  m.label = "test";
  m.provenance = {{"kind", "estimate"}};
  m.host.cores = 2;
  const Distribution d = us(each_us);
  m.client.send = m.client.recv = d;
  m.proxy.request = m.proxy.response = d;
  m.kernel.per_hop = d;
  m.pgbouncer.login = m.pgbouncer.server_login = m.pgbouncer.query = m.pgbouncer.result =
      m.pgbouncer.close = d;
  m.postgres.backend_start = m.postgres.query = m.postgres.fetch = m.postgres.reset = d;
  for (WorkerType t : {WorkerType::kSync, WorkerType::kGreenlet, WorkerType::kCoroutine}) {
    StackModel s;
    s.type = t;
    s.name = std::string(to_string(t));  // "sync", "greenlet", "coroutine"
    s.server = s.name;
    s.framework = "test";
    s.max_concurrency = t == WorkerType::kSync ? 1 : 1000;
    s.accept_policy = t == WorkerType::kSync ? AcceptPolicy::kLeastLoaded : AcceptPolicy::kRandom;
    s.pre = us(app_us);
    s.connect = s.query = s.fetch = s.close = s.respond = d;
    m.stacks[s.name] = s;
  }
  (void)type;
  return m;
}

inline Scenario small_scenario() {
  Scenario sc;
  sc.source = "test";
  sc.name = "test";
  sc.stacks = {"sync", "coroutine"};
  sc.baseline = "sync";
  sc.cores = 2;
  sc.workers = {4, 2, 2};
  sc.clients = 50;
  sc.sessions = 100;
  sc.delay_ms = 20;
  sc.requests = 4000;
  sc.warmup_requests = 500;
  sc.replications = 1;
  sc.seed = 7;
  return sc;
}

}  // namespace stacksim::testing
