// Sharded sweeps: shards merged print exactly what the unsharded run prints,
// a point gives the same bits alone as in the whole run, and bad shards and
// shard specs are refused with one line and exit status 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run_command.hpp"

namespace stacksim {
namespace {

using testing::run_stacksim;

// 2 configurations x 2 stacks x 2 replications, short runs.
class ShardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/stacksim_shard_" + std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(std::system(("mkdir -p " + dir_).c_str()), 0);
    std::ofstream(dir_ + "/sweep.json") << R"({"schema": "stacksim.scenario", "version": 1,
      "name": "tiny", "stacks": ["gunicorn-flask", "aiohttp"], "cores": 2,
      "workers": {"sync": 3, "greenlet": 2, "coroutine": 2}, "clients": 20, "sessions": 20,
      "delay_ms": 5, "requests": 400, "warmup_requests": 50, "replications": 2, "seed": 7,
      "sweep": {"clients": [10, 30]}})";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string run_args(const std::string& scenario = "sweep.json") const {
    return "--model models/estimates.json --scenario " + dir_ + "/" + scenario;
  }
  std::string shard(int k, int n, const std::string& extra = "") const {
    return dir_ + "/shard" + std::to_string(k) + "of" + std::to_string(n) + extra + ".jsonl";
  }
  void run_shards(int n) const {
    for (int k = 0; k < n; ++k) {
      const auto r = run_stacksim("sim " + run_args() + " --shard " + std::to_string(k) + "/" +
                                  std::to_string(n) + " --out " + shard(k, n));
      ASSERT_EQ(r.status, 0) << r.out;
    }
  }
  std::string dir_;
};

std::vector<nlohmann::json> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST_F(ShardTest, ThreeShardsMergedPrintWhatTheWholeRunPrints) {
  run_shards(3);
  const std::string shards = shard(0, 3) + " " + shard(1, 3) + " " + shard(2, 3);
  for (const std::string format : {"json", "csv", "table"}) {
    const auto whole = run_stacksim("sim " + run_args() + " --format " + format);
    const auto merged = run_stacksim("merge " + shards + " " + run_args() + " --format " + format);
    ASSERT_EQ(whole.status, 0) << whole.out;
    ASSERT_EQ(merged.status, 0) << merged.out;
    EXPECT_EQ(merged.out, whole.out) << format;
  }
  EXPECT_EQ(lines_of(shard(0, 3)).front()["points"], 8);
}

TEST_F(ShardTest, APointAloneGivesTheSameBitsAsInTheWholeSweep) {
  run_shards(1);
  run_shards(8);
  const auto whole = lines_of(shard(0, 1));
  ASSERT_EQ(whole.size(), 9u);  // the header and 8 points
  for (int k = 0; k < 8; ++k) {
    const auto alone = lines_of(shard(k, 8));
    ASSERT_EQ(alone.size(), 2u);
    EXPECT_EQ(alone[1], whole[static_cast<std::size_t>(k) + 1]) << "point " << k;
  }
}

TEST_F(ShardTest, AMissingShardIsNamedAndNothingIsPrinted) {
  run_shards(3);
  const auto r =
      run_stacksim("merge " + shard(0, 3) + " " + shard(2, 3) + " " + run_args() + " --format csv");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("3 of 8 points missing"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("in shard 1/3"), std::string::npos) << r.out;
  for (const auto& point : lines_of(shard(1, 3))) {
    if (!point.contains("id")) continue;
    EXPECT_NE(r.out.find(point["id"].get<std::string>()), std::string::npos) << r.out;
  }
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line only:\n" << r.out;
}

TEST_F(ShardTest, ShardsOfAnotherSweepAreRefused) {
  run_shards(2);
  const auto other = run_stacksim("sim " + run_args() + " --set seed=8 --shard 1/2 --out " +
                                  shard(1, 2, "-other"));
  ASSERT_EQ(other.status, 0) << other.out;
  const auto r =
      run_stacksim("merge " + shard(0, 2) + " " + shard(1, 2, "-other") + " " + run_args());
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find(shard(1, 2, "-other")), std::string::npos) << r.out;
  const auto reset =
      run_stacksim("merge " + shard(0, 2) + " " + shard(1, 2) + " " + run_args() + " --set seed=8");
  EXPECT_EQ(reset.status, 2) << reset.out;
}

TEST_F(ShardTest, APointTwiceMustHaveTheSameBits) {
  run_shards(2);
  const std::string both = shard(0, 2) + " " + shard(1, 2);
  const auto again = run_stacksim("merge " + both + " " + shard(1, 2) + " " + run_args());
  EXPECT_EQ(again.status, 0) << again.out;
  auto lines = lines_of(shard(1, 2));
  lines[1]["result"]["p99_ms"] = lines[1]["result"]["p99_ms"].get<double>() * 1.5;
  std::ofstream changed(shard(1, 2, "-changed"));
  for (const auto& line : lines) changed << line.dump() << "\n";
  changed.close();
  const auto r = run_stacksim("merge " + both + " " + shard(1, 2, "-changed") + " " + run_args());
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("given twice with different results"), std::string::npos) << r.out;
}

TEST_F(ShardTest, ABadShardSpecNamesTheFlagAndWritesNothing) {
  for (const std::string spec : {"3/3", "0/0", "x", "1/", "1/x"}) {
    const auto r = run_stacksim("sim " + run_args() + " --shard " + spec + " --out " + shard(9, 9));
    EXPECT_EQ(r.status, 2) << spec << ": " << r.out;
    EXPECT_NE(r.out.find("--shard"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line only:\n" << r.out;
    EXPECT_FALSE(std::ifstream(shard(9, 9)).good()) << spec;
  }
}

TEST_F(ShardTest, SlurmArrayVariablesPickTheShard) {
  ::setenv("SLURM_ARRAY_TASK_ID", "2", 1);
  ::setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
  const auto r = run_stacksim("sim " + run_args() + " --out " + shard(2, 3, "-slurm"));
  ::unsetenv("SLURM_ARRAY_TASK_ID");
  ::unsetenv("SLURM_ARRAY_TASK_COUNT");
  ASSERT_EQ(r.status, 0) << r.out;
  run_shards(3);
  const auto slurm = lines_of(shard(2, 3, "-slurm"));
  EXPECT_EQ(slurm.front()["shard"], 2);
  EXPECT_EQ(slurm.front()["shards"], 3);
  EXPECT_EQ(slurm, lines_of(shard(2, 3)));
}

TEST_F(ShardTest, KubernetesIndexNeedsItsCount) {
  ::setenv("JOB_COMPLETION_INDEX", "1", 1);
  const auto without = run_stacksim("sim " + run_args() + " --out " + shard(1, 4));
  const auto with = run_stacksim("sim " + run_args() + " --shard-count 4 --out " + shard(1, 4));
  ::unsetenv("JOB_COMPLETION_INDEX");
  EXPECT_EQ(without.status, 2) << without.out;
  EXPECT_NE(without.out.find("--shard-count"), std::string::npos) << without.out;
  ASSERT_EQ(with.status, 0) << with.out;
  EXPECT_EQ(lines_of(shard(1, 4)).front()["shard"], 1);
  EXPECT_EQ(lines_of(shard(1, 4)).size(), 3u);  // points 1 and 5 of 8
}

}  // namespace
}  // namespace stacksim
