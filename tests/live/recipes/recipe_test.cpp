// Every installable stack recipe of live/stacks.json, started as the runner
// starts it (live/servers/app_server: placeholders, STACKSIM_* settings, its
// own session) straight at one PostgreSQL + pgbouncer shared by the whole
// suite (no nginx, no measurement), and checked end to end, in both access
// modes (STACKSIM_DB_MODE connect and pool): the rows it answers, its
// processes, the libraries its workers loaded, its listener, a short ab, a
// database that is down, a bad setting, and whether it overlaps database
// waits. A recipe whose Debian packages are missing fails, naming them.
// One stack:  build/tests/live/test_live_recipes --gtest_filter='*/uwsgi_flask'
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "app_probes.hpp"
#include "live/os/ports.hpp"
#include "live/os/process_registry.hpp"
#include "live/servers/load_generator.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live_test_support.hpp"
#include "shared_database.hpp"

namespace stacksim::live::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kWorkers = 2;
// No server's own default (gunicorn 2048, uWSGI 100, aiohttp and Tornado
// 128): a server that drops --backlog shows.
constexpr int kBacklog = 1024;
constexpr long kAbRequests = 500;
constexpr int kAbClients = 50;
constexpr auto kAnswerTimeout = 10s;

const StackRecipes& recipes() {
  static const StackRecipes r = load_stack_recipes(default_stacks_path());
  return r;
}

// As `stacksim live stacks` lists them: installable per stacks.json; a
// missing package is this machine's fault, reported by the test.
std::vector<std::string> installable_stacks() {
  std::vector<std::string> names;
  for (const auto& [name, recipe] : recipes().stacks) {
    if (recipe.installable) names.push_back(name);
  }
  return names;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : " ") + i;
  return out;
}

// Polls `done` every 100 ms until it holds or `timeout` passes.
template <typename F>
bool eventually(F done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    interruptible_sleep_ms(100);
  }
  return true;
}

LoadResult run_ab(int port, long requests, int clients, const std::string& work_dir) {
  LoadSettings load;
  load.port = port;
  load.clients = clients;
  load.requests = requests;
  load.work_dir = work_dir;
  load.label = "ab";
  return run_load(load);
}

// Twenty GETs read rows of the table, and not all the same one (the app
// draws its key at random per request).
void expect_rows_answered(int port, SharedDatabase& db) {
  std::set<long> keys;
  for (int i = 1; i <= 20; ++i) {
    const RowAnswer r = check_row_answer(http_get(port, "/test", kAnswerTimeout), db);
    ASSERT_TRUE(r.error.empty()) << "GET /test #" << i << ": " << r.error;
    keys.insert(r.key);
  }
  EXPECT_GE(keys.size(), 2u) << "20 requests all read row " << *keys.begin()
                             << ": the key is not random";
}

// Once up, the server's process group holds W workers plus at most one
// master; returns the workers (the leader left out when it is the master).
std::vector<pid_t> expect_workers_and_master(pid_t pgid, int workers) {
  std::vector<pid_t> members;
  eventually(
      [&] {
        members = process_group_members(pgid);
        return static_cast<int>(members.size()) >= workers;
      },
      10s);
  interruptible_sleep_ms(500);  // a helper started late (a resource tracker) shows by now
  members = process_group_members(pgid);
  const int n = static_cast<int>(members.size());
  EXPECT_TRUE(workers <= n && n <= workers + 1)
      << n << " processes in the group, want " << workers << " workers plus at most one master";
  if (n > workers) members.erase(std::remove(members.begin(), members.end(), pgid), members.end());
  return members;
}

// The event loop, parser or greenlet library the recipe's packages promise
// is loaded in every worker, not silently replaced by a fallback.
void expect_libraries_loaded(const std::vector<pid_t>& workers, const StackRecipe& recipe) {
  const std::vector<std::string> marks = promised_library_marks(recipe.packages);
  for (pid_t pid : workers) {
    const std::vector<std::string> missing = missing_library_marks(pid, marks);
    EXPECT_TRUE(missing.empty()) << "worker " << pid << " has not loaded " << joined(missing);
  }
}

// Listening on 127.0.0.1 only, with the backlog asked for (somaxconn caps it).
void expect_listener(int port, int backlog) {
  const std::vector<Listener> listeners = listeners_on(port);
  ASSERT_FALSE(listeners.empty()) << "ss shows no listener on port " << port;
  const int want = granted_backlog(backlog);
  for (const Listener& l : listeners) {
    EXPECT_EQ(l.local.rfind("127.0.0.1:", 0), 0u)
        << "listening on " << l.local << ", want 127.0.0.1 only";
    EXPECT_EQ(l.backlog, want) << "listen backlog of " << l.local << " is " << l.backlog
                               << ", want " << want << " (asked " << backlog << ")";
  }
}

// A short bounded ab straight at the app: every request complete and 2xx,
// and no access log (the log grows by at most a line per ten requests).
void expect_bounded_ab(int port, const std::string& log_path, const std::string& work_dir) {
  const long lines_before = count_lines(log_path);
  const LoadResult r = run_ab(port, kAbRequests, kAbClients, work_dir);
  EXPECT_EQ(r.failed, 0) << "ab -n " << kAbRequests << " -c " << kAbClients;
  EXPECT_EQ(r.non_2xx, 0) << "ab -n " << kAbRequests << " -c " << kAbClients;
  EXPECT_EQ(r.completed, kAbRequests) << "ab -n " << kAbRequests << " -c " << kAbClients;
  const long grown = count_lines(log_path) - lines_before;
  EXPECT_LE(grown, kAbRequests / 10)
      << "the server's log grew by " << grown << " lines during ab: is an access log on?";
}

// Stopped, it leaves nothing: its process group empty, its port closed.
void expect_stopped_clean(AppServer& app) {
  const pid_t pgid = app.process().pid();
  const int port = app.port();
  app.stop();
  EXPECT_TRUE(eventually([&] { return process_group_members(pgid).empty(); }, 5s))
      << "processes of group " << pgid << " still alive after stop";
  EXPECT_TRUE(eventually(
      [&] {
        const std::vector<int> open = listening_ports();
        return !std::binary_search(open.begin(), open.end(), port);
      },
      5s))
      << "port " << port << " still listening after stop";
}

class Recipe : public ::testing::TestWithParam<std::string> {
 public:
  static void SetUpTestSuite() {
    try {
      db_ = std::make_unique<SharedDatabase>();
    } catch (const std::exception& e) {
      db_error_ = e.what();
    }
  }
  // A failed check's server logs stay (its messages name them).
  static void TearDownTestSuite() {
    const ::testing::TestSuite* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
    if (db_ && suite != nullptr && suite->Failed()) {
      std::fprintf(stderr, "logs of the failed checks kept in %s\n", db_->keep_logs().c_str());
    }
    db_.reset();
  }

 protected:
  void SetUp() override {
    ASSERT_TRUE(db_) << "the suite's PostgreSQL + pgbouncer did not start: " << db_error_;
    recipe_ = &recipes().stacks.at(GetParam());
    const std::vector<std::string> missing = missing_packages(recipe_->packages);
    ASSERT_TRUE(missing.empty()) << GetParam() << " needs Debian packages " << joined(missing)
                                 << " (scripts/install-deps.sh)";
  }

  // An app server of this recipe for one check, with its own directory.
  AppSettings settings(const std::string& check, const std::string& db_mode,
                       double delay_ms = 1) const {
    AppSettings s = db_->app_settings(GetParam() + "-" + check, kWorkers, db_mode, delay_ms);
    s.backlog = kBacklog;
    return s;
  }

  void expect_serves_the_table(const std::string& db_mode);

  static std::unique_ptr<SharedDatabase> db_;
  static std::string db_error_;
  const StackRecipe* recipe_ = nullptr;
};

std::unique_ptr<SharedDatabase> Recipe::db_;
std::string Recipe::db_error_;

void Recipe::expect_serves_the_table(const std::string& db_mode) {
  const AppSettings s = settings(db_mode, db_mode);
  AppServer app(*recipe_, s);  // ready: GET /test answered 200
  {
    SCOPED_TRACE("check: GET /test answers rows of the table");
    expect_rows_answered(app.port(), *db_);
  }
  std::vector<pid_t> workers;
  {
    SCOPED_TRACE("check: W workers plus at most one master");
    workers = expect_workers_and_master(app.process().pid(), kWorkers);
  }
  {
    SCOPED_TRACE("check: the promised libraries are loaded in every worker");
    expect_libraries_loaded(workers, *recipe_);
  }
  {
    SCOPED_TRACE("check: listener address and backlog");
    expect_listener(app.port(), kBacklog);
  }
  {
    SCOPED_TRACE("check: a bounded ab, no access log");
    expect_bounded_ab(app.port(), app.log_path(), s.run_dir);
  }
  expect_stopped_clean(app);
}

TEST_P(Recipe, ServesTheTableInConnectMode) {
  expect_serves_the_table("connect");
}

TEST_P(Recipe, ServesTheTableInPoolMode) {
  expect_serves_the_table("pool");
}

// With the database unreachable (nothing listens on its port) the server
// still answers, and GET /test says 500.
TEST_P(Recipe, Answers500WhenTheDatabaseIsDown) {
  AppSettings s = settings("db-down", "connect");
  s.db_port = pick_free_port();
  s.ready = AppReadiness::kListening;
  AppServer app(*recipe_, s);
  int status = 0;  // 0 until the first HTTP answer: workers may still be importing the app
  eventually([&] { return (status = http_get_status(app.port(), "/test", kAnswerTimeout)) != 0; },
             30s);
  EXPECT_EQ(status, 500) << "GET /test with the database down (0: no HTTP answer in 30 s)";
  expect_stopped_clean(app);
}

// A bad STACKSIM_DB_MODE stops the server at start-up (the app refuses to
// import), so the runner sees a dead server, not a run of 500s. The exit
// status is the server's own (hypercorn's master exits 0 when its workers
// die); gunicorn's master may first wait out its 30 s graceful timeout.
TEST_P(Recipe, ExitsAtStartupOnABadDbMode) {
  AppSettings s = settings("bad-mode", "bogus");
  s.ready = AppReadiness::kStarted;
  AppServer app(*recipe_, s);
  EXPECT_TRUE(eventually([&] { return !app.process().running(); }, 45s))
      << "still running 45 s after starting with STACKSIM_DB_MODE=bogus";
  expect_stopped_clean(app);
}

// Whether the workers overlap database waits, from throughput alone: at a
// delay D = 100 ms, W sync workers finish at most W / D requests per second;
// a greenlet or coroutine worker holds many at once and reaches 2 W / D.
// (tests/live/live_stack_test.cpp shows it through the runner for one stack
// per type; a recipe that blocks its loop, as psycopg2 unpatched under
// gevent would, is caught only here.)
TEST_P(Recipe, OverlapsDatabaseWaitsUnlessSync) {
  constexpr double kDelayS = 0.1;
  const AppSettings s = settings("overlap", "connect", kDelayS * 1000);
  AppServer app(*recipe_, s);
  const LoadResult r = run_ab(app.port(), 100, 50, s.run_dir);
  ASSERT_EQ(r.failed, 0) << "ab -n 100 -c 50 at D = 100 ms";
  const double bound = kWorkers / kDelayS;
  if (recipe_->type == WorkerType::kSync) {
    EXPECT_LE(r.throughput_rps, 1.05 * bound) << "a sync stack above W / D = " << bound << " req/s";
  } else {
    EXPECT_GE(r.throughput_rps, 2 * bound)
        << "a " << to_string(recipe_->type) << " stack under 2 W / D = " << 2 * bound
        << " req/s: its workers do not overlap database waits";
  }
  expect_stopped_clean(app);
}

// "uwsgi-flask" -> "uwsgi_flask": GoogleTest names are identifiers.
std::string stack_test_name(const ::testing::TestParamInfo<std::string>& stack) {
  std::string name = stack.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Installable, Recipe, ::testing::ValuesIn(installable_stacks()),
                         stack_test_name);

}  // namespace
}  // namespace stacksim::live::testing
