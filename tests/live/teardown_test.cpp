// Whatever moment SIGINT or SIGTERM arrives (starting PostgreSQL, warming
// up, in the window), the runner stops every process it started and leaves
// no port listening. The moments and signals come from a seeded generator.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "live_test_support.hpp"
#include "sim/engine/rng.hpp"

namespace stacksim::live::testing {
namespace {

bool cgroup_exists(pid_t runner) {
  struct stat st {};
  return ::stat(("/sys/fs/cgroup/cpuacct/stacksim-" + std::to_string(runner)).c_str(), &st) == 0;
}

TEST(LiveTeardown, InterruptAtRandomMomentsLeavesNoProcessAndNoListeningPort) {
  Rng rng(2026, "tests.live.teardown", 0);
  std::size_t processes_seen = 0;
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    // 1 s to 8 s covers the foreign-CPU check, startup, warm-up and window;
    // one random moment in each quarter of it, so every phase gets hit.
    const double at_s = 1.0 + 7.0 * (round + rng.uniform_open01()) / kRounds;
    const int sig = rng.uniform_index(2) == 0 ? SIGINT : SIGTERM;
    const BackgroundRun run = start_stacksim(short_run_args("gunicorn-flask", 2, 10, 10, 20, 20));
    std::set<ProcessId> seen;
    std::set<int> ports;
    const auto fire =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int>(at_s * 1000));
    while (std::chrono::steady_clock::now() < fire) {
      for (const auto& p : descendants_of(run.pid)) seen.insert(p);
      for (int port : listening_ports_of(descendants_of(run.pid))) ports.insert(port);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(::kill(run.pid, sig), 0);
    const int rc = wait_stacksim(run, std::chrono::seconds(90));
    EXPECT_EQ(rc, 128 + sig) << "round " << round << " at " << at_s << " s:\n"
                             << read_text(run.err_path);
    std::printf(
        "round %d: %s at %.2f s; %zu processes and %zu listening ports seen under the runner\n",
        round, sig == SIGINT ? "SIGINT" : "SIGTERM", at_s, seen.size(), ports.size());
    processes_seen += seen.size();
    for (const auto& p : seen)
      EXPECT_FALSE(still_alive(p)) << "pid " << p.pid << " survived round " << round;
    const auto listening = all_listening_ports();
    for (int port : ports)
      EXPECT_EQ(listening.count(port), 0u) << "port " << port << " still listening";
    EXPECT_FALSE(cgroup_exists(run.pid)) << "cgroup of runner " << run.pid << " left behind";
    ::unlink(run.out_path.c_str());
    ::unlink(run.err_path.c_str());
  }
  // Otherwise the checks above were vacuous.
  EXPECT_GT(processes_seen, 0u);
}

// SIGKILL cannot be caught: the runner's direct children die with it
// (PR_SET_PDEATHSIG) but e.g. nginx's workers outlive their master. The next
// run finds the dead runner's cgroup, kills what is in it and removes it
// and the run directory.
TEST(LiveTeardown, NextRunStopsWhatAKilledRunnerLeft) {
  const BackgroundRun killed = start_stacksim(short_run_args("gunicorn-flask", 2, 10, 10, 20, 20));
  std::set<ProcessId> seen;
  std::set<int> ports;
  const auto fire = std::chrono::steady_clock::now() + std::chrono::seconds(7);
  while (std::chrono::steady_clock::now() < fire) {
    const auto now = descendants_of(killed.pid);
    seen.insert(now.begin(), now.end());
    for (int port : listening_ports_of(now)) ports.insert(port);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(::kill(killed.pid, SIGKILL), 0);
  EXPECT_EQ(wait_stacksim(killed, std::chrono::seconds(10)), 128 + SIGKILL);
  ASSERT_GT(seen.size(), 0u);
  const BinaryResult next = run_stacksim(short_run_args("gunicorn-flask", 1, 1, 1, 0, 1));
  EXPECT_EQ(next.exit_code, 0) << next.err;
  for (const auto& p : seen) EXPECT_FALSE(still_alive(p)) << "pid " << p.pid << " survived";
  const auto listening = all_listening_ports();
  for (int port : ports)
    EXPECT_EQ(listening.count(port), 0u) << "port " << port << " still listening";
  EXPECT_FALSE(cgroup_exists(killed.pid));
  ::unlink(killed.out_path.c_str());
  ::unlink(killed.err_path.c_str());
}

}  // namespace
}  // namespace stacksim::live::testing
