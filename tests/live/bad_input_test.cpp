// Bad input gets one clear line naming the fix and exit status 2, before
// anything starts (so nothing is left running).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "live_test_support.hpp"

namespace stacksim::live::testing {
namespace {

void expect_bad_input(const BinaryResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line, not:\n" << r.err;
}

// A recipes file whose gunicorn-flask entry is changed by `edit`.
std::string edited_recipes(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json doc =
      nlohmann::json::parse(read_text(std::string(STACKSIM_SOURCE_DIR) + "/live/stacks.json"));
  edit(doc["stacks"]["gunicorn-flask"]);
  return write_temp("stacks", doc.dump());
}

TEST(LiveBadInput, UnknownStackListsTheKnownOnes) {
  expect_bad_input(run_stacksim({"live", "run", "--stack", "gunicorn-flusk"}), "unknown stack");
}

TEST(LiveBadInput, UninstallableStackSaysWhy) {
  expect_bad_input(run_stacksim({"live", "run", "--stack", "meinheld-flask"}),
                   "cannot be run here");
}

TEST(LiveBadInput, BusyPortIsNamed) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const BinaryResult r = run_stacksim({"live", "run", "--stack", "gunicorn-flask", "--port", port});
  ::close(fd);
  expect_bad_input(r, "127.0.0.1:" + port + " is in use");
}

TEST(LiveBadInput, MissingServerBinaryIsNamed) {
  const std::string stacks =
      edited_recipes([](nlohmann::json& s) { s["argv"][0] = "/usr/bin/stacksim-no-such-server"; });
  expect_bad_input(
      run_stacksim({"live", "run", "--stack", "gunicorn-flask", "--stacks-file", stacks}),
      "/usr/bin/stacksim-no-such-server is missing");
  ::unlink(stacks.c_str());
}

TEST(LiveBadInput, MissingDebianPackageIsNamedWithTheInstallCommand) {
  const std::string stacks = edited_recipes(
      [](nlohmann::json& s) { s["packages"].push_back("stacksim-no-such-package"); });
  const BinaryResult r =
      run_stacksim({"live", "run", "--stack", "gunicorn-flask", "--stacks-file", stacks});
  expect_bad_input(r, "stacksim-no-such-package");
  EXPECT_NE(r.err.find("apt-get install"), std::string::npos) << r.err;
  ::unlink(stacks.c_str());
}

TEST(LiveBadInput, OutOfRangeKnobNamesTheFlag) {
  expect_bad_input(run_stacksim({"live", "run", "--stack", "gunicorn-flask", "--clients", "0"}),
                   "--clients");
  expect_bad_input(
      run_stacksim({"live", "run", "--stack", "gunicorn-flask", "--speed-retries", "11"}),
      "--speed-retries must be between 0 and 10");
  expect_bad_input(
      run_stacksim({"live", "run", "--stack", "gunicorn-flask", "--max-speed-moved", "-0.1"}),
      "--max-speed-moved");
}

TEST(LiveBadInput, BadSweepFileNamesTheField) {
  const std::string sweep = write_temp(
      "sweep", R"({"schema": "stacksim.live-sweep", "version": 1, "runs": [{"delay": 5}]})");
  expect_bad_input(run_stacksim({"live", "sweep", "--scenario", sweep, "--store",
                                 "/tmp/stacksim-test-unused.jsonl"}),
                   "runs[0].delay");
  ::unlink(sweep.c_str());
}

}  // namespace
}  // namespace stacksim::live::testing

namespace stacksim::live::testing {
namespace {

// A component that fails at run time is not bad input: exit 1, the run
// directory with its logs kept and named, and nothing left running (the
// PostgreSQL and pgbouncer that had started are stopped, the cgroups gone).
TEST(LiveFailure, AppServerThatExitsAtStartupStopsEverythingAndKeepsTheLogs) {
  const std::string stacks = edited_recipes([](nlohmann::json& s) {
    s["argv"] = {"/bin/false"};
    s["packages"] = {"coreutils"};
  });
  const BackgroundRun run =
      start_stacksim({"live", "run", "--stack", "gunicorn-flask", "--stacks-file", stacks, "--rows",
                      "10000", "--duration-s", "1", "--store", ""});
  std::set<ProcessId> seen;
  int rc = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while ((rc = poll_stacksim(run)) == -1 && std::chrono::steady_clock::now() < deadline) {
    for (const auto& p : descendants_of(run.pid)) seen.insert(p);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (rc == -1) rc = wait_stacksim(run, std::chrono::seconds(0));  // kills it
  const std::string err = read_text(run.err_path);
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("exited"), std::string::npos) << err;
  EXPECT_GT(seen.size(), 0u);  // postgres at least had started
  for (const auto& p : seen) EXPECT_FALSE(still_alive(p)) << "pid " << p.pid << " survived";
  const std::string kept_marker = "logs of the failed run kept in ";
  const auto at = err.find(kept_marker);
  ASSERT_NE(at, std::string::npos) << err;
  const std::string dir =
      err.substr(at + kept_marker.size(), err.find('\n', at) - at - kept_marker.size());
  EXPECT_FALSE(read_text(dir + "/postgres.log").empty() && read_text(dir + "/app.log").empty());
  std::filesystem::remove_all(dir);
  ::unlink(stacks.c_str());
  ::unlink(run.out_path.c_str());
  ::unlink(run.err_path.c_str());
}

}  // namespace
}  // namespace stacksim::live::testing
