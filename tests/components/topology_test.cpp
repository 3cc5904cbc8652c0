// The request's path is a graph built from the model and the scenario; these
// tests read the route back and check the builder's two rules.
#include "sim/components/topology.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_stack_model.hpp"

namespace stacksim {
namespace {

std::vector<std::string> labels(const Topology& t) {
  std::vector<std::string> out;
  for (const Step& s : t.route()) out.push_back(s.label);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(Topology, EverySocketBetweenTwoProcessesCarriesAKernelHop) {
  const Model m = testing::uniform_model(10, 100);
  const Topology t = Topology::build(m, m.stacks.at("sync"), testing::small_scenario());
  // Along the main path, a CPU step followed by a CPU step of another role
  // sends on a socket and carries the hop; one followed by its own role does
  // not.
  const Step* last = nullptr;
  int hops = 0;
  for (std::int32_t i : t.main_path()) {
    const Step& s = t.route()[static_cast<std::size_t>(i)];
    if (s.kind != StepKind::kCpu) continue;
    if (last) {
      EXPECT_EQ(last->sends, last->role != s.role) << last->label << " -> " << s.label;
    }
    if (s.sends) ++hops;
    last = &s;
  }
  EXPECT_FALSE(last->sends);  // client.recv, the end of the line
  // client->nginx, nginx->app, app->pgbouncer, pgbouncer->app, app->pgbouncer,
  // pgbouncer->postgres, postgres->pgbouncer, pgbouncer->app, app->nginx,
  // nginx->client: ten sockets crossed on the way.
  EXPECT_EQ(hops, 10);
}

TEST(Topology, WithoutNginxTheGraphHasNoProxySteps) {
  const Model m = testing::uniform_model(10, 100);
  Scenario sc = testing::small_scenario();
  sc.nginx = false;
  const auto l = labels(Topology::build(m, m.stacks.at("sync"), sc));
  EXPECT_FALSE(contains(l, "nginx.request"));
  EXPECT_FALSE(contains(l, "nginx.response"));
  EXPECT_EQ(l.front(), "client.send");
}

TEST(Topology, SessionCreationIsABranchTheMainPathSkips) {
  const Model m = testing::uniform_model(10, 100);
  const Topology t = Topology::build(m, m.stacks.at("sync"), testing::small_scenario());
  const auto& route = t.route();
  const auto acquire = std::find_if(route.begin(), route.end(), [](const Step& s) {
    return s.kind == StepKind::kAcquireSession;
  });
  ASSERT_NE(acquire, route.end());
  const auto at = static_cast<std::int32_t>(acquire - route.begin());
  // The creation steps sit between the acquire and where it skips to.
  ASSERT_GT(acquire->skip_to, at + 1);
  EXPECT_EQ(route[static_cast<std::size_t>(at + 1)].label, "pgbouncer.server_login");
  const auto& main = t.main_path();
  for (std::int32_t i = at + 1; i < acquire->skip_to; ++i)
    EXPECT_EQ(std::count(main.begin(), main.end(), i), 0)
        << route[static_cast<std::size_t>(i)].label;
  EXPECT_EQ(route.back().kind, StepKind::kComplete);
}

TEST(Topology, AppSidePoolNestsSessionCreationInsideConnectionCreation) {
  const Model m = testing::uniform_model(10, 100);
  Scenario sc = testing::small_scenario();
  sc.db_access = DbAccess::kAppPool;
  const Topology t = Topology::build(m, m.stacks.at("sync"), sc);
  const auto l = labels(t);
  EXPECT_TRUE(contains(l, "app.pool"));
  EXPECT_FALSE(contains(l, "pgbouncer.release"));  // pooled connections keep their session
  // Steady state: no connect, no login, no session acquire on the main path.
  for (std::int32_t i : t.main_path()) {
    const Step& s = t.route()[static_cast<std::size_t>(i)];
    EXPECT_NE(s.label, "app.connect");
    EXPECT_NE(s.label, "pgbouncer.login");
    EXPECT_NE(s.kind, StepKind::kAcquireSession);
  }
}

TEST(Topology, WithoutPgbouncerThePooledConnectionIsTheBackends) {
  const Model m = testing::uniform_model(10, 100);
  Scenario sc = testing::small_scenario();
  sc.db_access = DbAccess::kAppPool;
  sc.pgbouncer = false;
  const Topology t = Topology::build(m, m.stacks.at("sync"), sc);
  for (const Step& s : t.route()) EXPECT_NE(s.role, Role::kPgbouncer) << s.label;
  const auto l = labels(t);
  EXPECT_TRUE(contains(l, "postgres.backend_start"));  // a new connection forks a backend
  // app->postgres, postgres->app instead of four sockets through pgbouncer:
  // client->nginx, nginx->app, app->postgres, postgres->app, app->nginx, nginx->client.
  int hops = 0;
  for (std::int32_t i : t.main_path()) hops += t.route()[static_cast<std::size_t>(i)].sends;
  EXPECT_EQ(hops, 6);
}

}  // namespace
}  // namespace stacksim
