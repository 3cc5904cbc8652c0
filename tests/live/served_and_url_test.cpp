// Without servers: the per-worker request counts (the files the apps write,
// the window's arithmetic, the Python helper across a fork) and the
// PostgreSQL URL of an existing server (what is accepted, what is refused).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/input_error.hpp"
#include "live/measure/served_counts.hpp"
#include "live/servers/external_postgres.hpp"

namespace stacksim::live {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  std::string tmpl = "/tmp/stacksim-test-served-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
  return tmpl;
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

// A file caught between the worker's open and its first write is empty; a
// name that is not a PID is not a worker's.
TEST(ServedCounts, ReadsEveryPidFileAndSkipsEmptyOrForeignOnes) {
  const fs::path dir = temp_dir();
  write_file(dir / "123", "5\n");
  write_file(dir / "456", "12\n");
  write_file(dir / "789", "");
  write_file(dir / "notes", "3\n");
  const ServedCounts c = read_served_counts(dir.string());
  EXPECT_EQ(c, (ServedCounts{{123, 5}, {456, 12}}));
  EXPECT_TRUE(read_served_counts((dir / "missing").string()).empty());
  fs::remove_all(dir);
}

// Window: worker 1 went 10 -> 30, worker 2 served nothing (5 -> 5), worker 3
// started inside the window (0 -> 7), and a fourth configured worker never
// served (no file). Per worker 20, 0, 7, 0: sum 27, sorted 0 0 7 20, median
// 3.5, mean 27/4 = 6.75, max/mean = 20/6.75. ab answered 25: 2 more were
// counted by the app and abandoned by ab at the end, within 10 clients.
TEST(ServedCounts, WindowDifferencesSpreadOverConfiguredWorkersAndAddUp) {
  ServedWindow w;
  w.begin = {{1, 10}, {2, 5}};
  w.end = {{1, 30}, {2, 5}, {3, 7}};
  w.workers = 4;
  w.expected = 25;
  w.in_flight_bound = 10;
  const auto j = served_json(w);
  ASSERT_EQ(j.at("per_worker").size(), 3u);
  EXPECT_EQ(j.at("per_worker")[0].at("pid"), 1);
  EXPECT_EQ(j.at("per_worker")[0].at("requests"), 20);
  EXPECT_EQ(j.at("per_worker")[1].at("requests"), 0);
  EXPECT_EQ(j.at("per_worker")[2].at("requests"), 7);
  EXPECT_EQ(j.at("workers"), 4);
  EXPECT_EQ(j.at("workers_serving"), 2);
  EXPECT_EQ(j.at("min"), 0);
  EXPECT_DOUBLE_EQ(j.at("median").get<double>(), 3.5);
  EXPECT_EQ(j.at("max"), 20);
  EXPECT_DOUBLE_EQ(j.at("mean").get<double>(), 6.75);
  EXPECT_DOUBLE_EQ(j.at("imbalance_max_over_mean").get<double>(), 20 / 6.75);
  EXPECT_EQ(j.at("sum"), 27);
  EXPECT_EQ(j.at("difference"), 2);
  EXPECT_TRUE(j.at("adds_up").get<bool>());

  // Fewer served than answered cannot be (nothing is in flight when the
  // window opens): it does not add up. Nor do more than the clients.
  w.expected = 28;
  EXPECT_FALSE(served_json(w).at("adds_up").get<bool>());
  w.expected = 16;
  EXPECT_FALSE(served_json(w).at("adds_up").get<bool>());
}

TEST(ServedCounts, NoCountsAtAllHasNoImbalance) {
  ServedWindow w;
  w.workers = 2;
  const auto j = served_json(w);
  EXPECT_EQ(j.at("sum"), 0);
  EXPECT_EQ(j.at("workers_serving"), 0);
  EXPECT_TRUE(j.at("imbalance_max_over_mean").is_null());
  EXPECT_TRUE(j.at("adds_up").get<bool>());
}

// The apps' helper, as the workers run it: 3 requests, a fork, 2 in the
// child (its own file, counted from 0, not the parent's 3), 1 more in the
// parent. Without STACKSIM_SERVED_DIR it writes nothing.
TEST(ServedCounts, PythonHelperKeepsOneFilePerProcessAcrossAFork) {
  const fs::path dir = temp_dir();
  const std::string script =
      "import os, sys\n"
      "sys.path.insert(0, '" STACKSIM_SOURCE_DIR
      "/live/apps')\n"
      "import served\n"
      "for _ in range(3): served.count_request()\n"
      "pid = os.fork()\n"
      "if pid == 0:\n"
      "    served.count_request(); served.count_request(); os._exit(0)\n"
      "os.waitpid(pid, 0)\n"
      "served.count_request()\n"
      "print(os.getpid(), pid)\n";
  write_file(dir / "script.py", script);
  const std::string cmd = "env -i STACKSIM_SERVED_DIR=" + (dir / "counts").string() +
                          " /usr/bin/python3 " + (dir / "script.py").string();
  fs::create_directory(dir / "counts");
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  long parent = 0, child = 0;
  ASSERT_EQ(std::fscanf(p, "%ld %ld", &parent, &child), 2);
  ASSERT_EQ(::pclose(p), 0);
  EXPECT_EQ(read_served_counts((dir / "counts").string()),
            (ServedCounts{{static_cast<pid_t>(parent), 4}, {static_cast<pid_t>(child), 2}}));

  const std::string off = "env -i /usr/bin/python3 " + (dir / "script.py").string() + " >/dev/null";
  ASSERT_EQ(std::system(off.c_str()), 0);
  EXPECT_EQ(read_served_counts((dir / "counts").string()).size(), 2u);
  fs::remove_all(dir);
}

TEST(PostgresUrl, LocalTcpUrlGivesItsParts) {
  const PostgresUrl u = parse_postgres_url("postgresql://app:s%40cret@localhost:6543/bench\n",
                                           "--postgres-url-file f");
  EXPECT_EQ(u.host, "127.0.0.1");  // localhost could resolve to ::1
  EXPECT_EQ(u.port, 6543);
  EXPECT_EQ(u.user, "app");
  EXPECT_EQ(u.password, "s@cret");
  EXPECT_EQ(u.dbname, "bench");
  EXPECT_FALSE(u.unix_socket());
  EXPECT_NE(u.conninfo().find("password='s@cret'"), std::string::npos);
}

TEST(PostgresUrl, UnixSocketDirectoryAndDefaults) {
  const PostgresUrl a = parse_postgres_url("postgres://app@%2Fvar%2Frun%2Fpostgresql", "X");
  EXPECT_TRUE(a.unix_socket());
  EXPECT_EQ(a.host, "/var/run/postgresql");
  EXPECT_EQ(a.port, 5432);
  EXPECT_EQ(a.dbname, "app");  // libpq's default: the user's name
  EXPECT_TRUE(a.password.empty());
  const PostgresUrl b = parse_postgres_url("postgresql:///db?user=app&host=/tmp/pg", "X");
  EXPECT_EQ(b.host, "/tmp/pg");
  EXPECT_EQ(b.dbname, "db");
}

void expect_refused(const std::string& url, const std::string& needle) {
  try {
    parse_postgres_url(url, "--postgres-url-file f");
    ADD_FAILURE() << url << " was accepted";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--postgres-url-file f"), std::string::npos) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_EQ(what.find("hunter2"), std::string::npos) << "the password leaked: " << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(PostgresUrl, RefusesOtherHostsOtherFormsAndUnsupportedParameters) {
  expect_refused("postgresql://app:hunter2@10.0.0.5:5432/db", "host 10.0.0.5 is not this machine");
  expect_refused("postgresql://app:hunter2@db.example.com/db", "not this machine");
  expect_refused("postgresql://app:hunter2@[::1]/db", "not this machine");
  expect_refused("postgresql://app:hunter2@127.0.0.1,127.0.0.2/db", "one host");
  expect_refused("postgresql://app:hunter2@/db?hostaddr=10.0.0.5", "hostaddr");
  expect_refused("postgresql://app:hunter2@127.0.0.1/db?sslmode=require", "sslmode");
  expect_refused("postgresql://hunter2@127.0.0.1:99999/db", "port 99999");
  expect_refused("postgresql://127.0.0.1/db", "must name a user");
  expect_refused("host=127.0.0.1 user=app password=hunter2", "postgresql://");
  expect_refused("postgresql://app:hunter2@127.0.0.1/db\npostgresql://x@127.0.0.1/y", "one line");
  expect_refused("postgresql://app:hunter2@127.0.0.1/my%20db", "letters, digits");
}

// The file holds a password: it must not be readable by every user; the
// environment variable is read once and removed, so no child inherits it.
TEST(PostgresUrl, FileMustBePrivateAndEnvironmentIsTakenOut) {
  const fs::path dir = temp_dir();
  const fs::path file = dir / "url";
  write_file(file, "postgresql://app:hunter2@127.0.0.1:5433/db\n");
  ::chmod(file.c_str(), 0644);
  try {
    postgres_url_from(file.string());
    ADD_FAILURE() << "a world-readable file was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("readable by every user (mode 0644)"), std::string::npos)
        << e.what();
  }
  ::chmod(file.c_str(), 0600);
  EXPECT_EQ(postgres_url_from(file.string())->port, 5433);
  EXPECT_THROW(postgres_url_from((dir / "missing").string()), InputError);

  ::setenv(kPostgresUrlEnv, "postgresql://app:hunter2@127.0.0.1:5434/db", 1);
  const auto from_env = postgres_url_from("");
  ASSERT_TRUE(from_env.has_value());
  EXPECT_EQ(from_env->port, 5434);
  EXPECT_EQ(from_env->source, kPostgresUrlEnv);
  EXPECT_EQ(std::getenv(kPostgresUrlEnv), nullptr);
  EXPECT_EQ(postgres_url_from("")->port, 5434);  // still known to this process
  fs::remove_all(dir);
}

}  // namespace
}  // namespace stacksim::live
