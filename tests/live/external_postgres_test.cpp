// The live runner against an existing PostgreSQL given by URL. The server
// here is the runner's own cached 10,000-row cluster, started by this test
// the way the runner starts it (live/postgres_cluster) and reached through
// a URL file, so to `stacksim live run` it is a server it did not start.
// Checked: the run succeeds through pgbouncer, the record says the server
// is external (version, address, user, never the password) and flags the
// postgres CPU group as unmeasured; no process of the run has the password
// on its command line; a `test` table of the wrong size or shape is refused
// and left untouched, an absent one is loaded. Bad URLs are exit 2.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "live/os/run_dir.hpp"
#include "live/os/system_user.hpp"
#include "live/servers/postgres_cluster.hpp"
#include "live_test_support.hpp"

namespace stacksim::live::testing {
namespace {

using nlohmann::json;

constexpr long kRows = 10000;

void expect_bad_input(const BinaryResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line, not:\n" << r.err;
}

std::vector<std::string> run_args(const std::string& url_file, long rows) {
  std::vector<std::string> args = short_run_args("gunicorn-flask", 2, 10, 10, 10, 2);
  for (auto& a : args) {
    if (a == "10000") a = std::to_string(rows);
  }
  args.insert(args.end(), {"--postgres-url-file", url_file, "--foreign-retries", "0"});
  return args;
}

// The command lines of every process under the runner, collected while it
// runs; the result of the run.
struct WatchedRun {
  BinaryResult result;
  std::vector<std::string> cmdlines;
};

WatchedRun run_watching_command_lines(const std::vector<std::string>& args) {
  WatchedRun w;
  const BackgroundRun run = start_stacksim(args);
  std::set<pid_t> read;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  while ((w.result.exit_code = poll_stacksim(run)) == -1 &&
         std::chrono::steady_clock::now() < deadline) {
    for (const auto& p : descendants_of(run.pid)) {
      if (!read.insert(p.pid).second) continue;
      std::string cmdline = read_text("/proc/" + std::to_string(p.pid) + "/cmdline");
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
      w.cmdlines.push_back(cmdline);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (w.result.exit_code == -1) w.result.exit_code = wait_stacksim(run, std::chrono::seconds(0));
  w.result.out = read_text(run.out_path);
  w.result.err = read_text(run.err_path);
  ::unlink(run.out_path.c_str());
  ::unlink(run.err_path.c_str());
  return w;
}

class ExternalPostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    user_ = ensure_service_user();
    run_dir_ = std::make_unique<RunDir>(user_, false);
    PostgresSettings pg;
    pg.rows = kRows;
    pg.max_connections = 40;
    pg.log_path = run_dir_->file("postgres.log");
    pg.run_dir = run_dir_->path();
    cluster_ = std::make_unique<PostgresCluster>(pg, user_);
  }
  void TearDown() override {
    cluster_.reset();
    run_dir_.reset();
    for (const auto& f : files_) ::unlink(f.c_str());
  }

  // A private (0600) URL file for the app role on `database`.
  std::string url_file(const std::string& database) {
    const auto& c = cluster_->credentials();
    const std::string f = write_temp("pgurl", "postgresql://" + c.app_user + ":" + c.app_password +
                                                  "@127.0.0.1:" + std::to_string(cluster_->port()) +
                                                  "/" + database + "\n");
    files_.push_back(f);
    return f;
  }
  const std::string& password() const { return cluster_->credentials().app_password; }
  long count_rows(const std::string& database) {
    pqxx::connection c(cluster_->conninfo(false) + " dbname=" + database);
    pqxx::nontransaction t(c);
    return t.exec("select count(*) from test")[0][0].as<long>();
  }
  void superuser_exec(const std::string& sql, const std::string& database = "postgres") {
    pqxx::connection c(cluster_->conninfo(true) + " dbname=" + database);
    pqxx::nontransaction t(c);
    t.exec(sql);
  }

  UserIds user_;
  std::unique_ptr<RunDir> run_dir_;
  std::unique_ptr<PostgresCluster> cluster_;
  std::vector<std::string> files_;
};

TEST_F(ExternalPostgres, RunGoesThroughPgbouncerToTheGivenServerAndRecordsItWithoutThePassword) {
  const WatchedRun w = run_watching_command_lines(run_args(url_file(kDatabaseName), kRows));
  ASSERT_EQ(w.result.exit_code, 0) << w.result.err;
  const json r = json::parse(w.result.out);
  const auto& res = r.at("result");
  EXPECT_GT(res.at("completed").get<long>(), 0);
  EXPECT_EQ(res.at("failed").get<long>(), 0);
  EXPECT_GT(res.at("peak_server_sessions").get<int>(), 0);

  const auto& pg = r.at("postgres");
  EXPECT_TRUE(pg.at("external").get<bool>());
  EXPECT_EQ(pg.at("url_host"), "127.0.0.1");
  EXPECT_EQ(pg.at("url_port"), cluster_->port());
  EXPECT_EQ(pg.at("database"), kDatabaseName);
  EXPECT_EQ(pg.at("user"), kAppUser);
  EXPECT_EQ(pg.at("server_version").get<std::string>().rfind("15.", 0), 0u) << pg.dump();
  EXPECT_TRUE(r.at("cluster").at("reused").get<bool>());  // the table was there
  EXPECT_TRUE(r.at("flags").at("postgres_external").get<bool>());

  // Not measured, and said so; the estimate from /proc is the server's own.
  const auto& group = r.at("cpu").at("groups").at("postgres");
  EXPECT_FALSE(group.at("measured").get<bool>());
  EXPECT_TRUE(group.at("per_request_us").is_null());
  EXPECT_FALSE(group.at("reason").get<std::string>().empty());
  ASSERT_TRUE(group.at("proc_estimate").is_object()) << group.dump();
  EXPECT_EQ(group.at("proc_estimate").at("postmaster_pid"), cluster_->process().pid());
  EXPECT_GT(group.at("proc_estimate").at("cpu_s").get<double>(), 0);
  for (const char* g : {"client", "nginx", "app", "pgbouncer"})
    EXPECT_GT(r.at("cpu").at("groups").at(g).at("per_request_us").get<double>(), 0) << g;
  EXPECT_TRUE(r.at("served").at("adds_up").get<bool>()) << r.at("served").dump();

  EXPECT_EQ(w.result.out.find(password()), std::string::npos) << "password in the record";
  EXPECT_EQ(w.result.err.find(password()), std::string::npos) << "password on stderr";
  EXPECT_GT(w.cmdlines.size(), 3u);  // pgbouncer, the app server, nginx, ab at least
  for (const auto& cmdline : w.cmdlines)
    EXPECT_EQ(cmdline.find(password()), std::string::npos) << "password in: " << cmdline;
}

TEST_F(ExternalPostgres, TableOfAnotherSizeOrShapeIsRefusedAndLeftUntouchedAnAbsentOneIsLoaded) {
  // The 10,000-row table is not the 5,000 rows asked for.
  expect_bad_input(run_stacksim(run_args(url_file(kDatabaseName), 5000)), "has 10000 rows");
  EXPECT_EQ(count_rows(kDatabaseName), kRows);

  const std::string other = "stacksim_ext_test";
  superuser_exec("drop database if exists " + other);
  superuser_exec("create database " + other + " owner " + std::string(kAppUser));
  {
    pqxx::connection c(cluster_->conninfo(false) + " dbname=" + other);
    pqxx::nontransaction t(c);
    t.exec("create table test (a int, b int)");
    t.exec("insert into test values (1, 1)");
  }
  expect_bad_input(run_stacksim(run_args(url_file(other), 500)),
                   "not (a integer primary key, b text)");
  EXPECT_EQ(count_rows(other), 1);

  // A run repeated (here: any move of the host's speed counts) still says
  // the table was loaded by it: "cluster" is its first attempt's.
  superuser_exec("drop table test", other);
  std::vector<std::string> args = run_args(url_file(other), 500);
  args.insert(args.end(), {"--max-speed-moved", "0", "--speed-retries", "1"});
  const BinaryResult loaded = run_stacksim(args);
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  const json r = json::parse(loaded.out);
  EXPECT_EQ(r.at("flags").at("attempts"), 2) << r.at("host_speed").dump();
  EXPECT_FALSE(r.at("cluster").at("reused").get<bool>());
  EXPECT_GT(r.at("cluster").at("load_s").get<double>(), 0);
  EXPECT_GT(r.at("result").at("completed").get<long>(), 0);
  EXPECT_EQ(r.at("result").at("failed").get<long>(), 0);
  EXPECT_EQ(count_rows(other), 500);
  superuser_exec("drop database " + other);
}

TEST(ExternalPostgresBadInput, NonLocalHostMissingFileWorldReadableFileAndEnvironment) {
  const std::string remote = write_temp("pgurl", "postgresql://app:hunter2@192.0.2.7:5432/db\n");
  const BinaryResult r = run_stacksim({"live", "run", "--postgres-url-file", remote});
  expect_bad_input(r, "--postgres-url-file " + remote + ": host 192.0.2.7 is not this machine");
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;

  ::chmod(remote.c_str(), 0644);
  expect_bad_input(run_stacksim({"live", "run", "--postgres-url-file", remote}),
                   "is readable by every user (mode 0644)");
  ::unlink(remote.c_str());

  expect_bad_input(run_stacksim({"live", "run", "--postgres-url-file", remote}),
                   "--postgres-url-file " + remote + ": no such file");

  ::setenv("STACKSIM_POSTGRES_URL", "postgresql://app:hunter2@db.example.com/db", 1);
  const BinaryResult env = run_stacksim({"live", "run"});
  ::unsetenv("STACKSIM_POSTGRES_URL");
  expect_bad_input(env, "STACKSIM_POSTGRES_URL: host db.example.com is not this machine");
}

}  // namespace
}  // namespace stacksim::live::testing
