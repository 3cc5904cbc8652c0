// `stacksim qn` end to end: the binary's JSON carries the exact MVA figures,
// is identical for the same seed, and bad input exits with status 2.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace {

struct CliRun {
  int status = -1;
  std::string out;
};

CliRun qn(const std::string& args) {
  const std::string cmd = std::string(STACKSIM_BINARY) + " qn " + args + " 2>/dev/null";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

const std::string kNet = std::string(STACKSIM_SOURCE_DIR) + "/networks/mmc_delay.json";

TEST(QnCommand, JsonCarriesExactMvaAndIsIdenticalForTheSameSeed) {
  // MVA for mmc_delay: X = 4697.95/s, R1 = 1.2859 ms (mva_test.cpp).
  const std::string args = "--network " + kNet + " --replications 3 --jobs 5000 --format json";
  const CliRun a = qn(args), b = qn(args);
  ASSERT_EQ(a.status, 0);
  ASSERT_EQ(b.status, 0);
  EXPECT_EQ(a.out, b.out);
  const auto j = nlohmann::json::parse(a.out);
  EXPECT_NEAR(j["mva"]["throughput_rps"].get<double>(), 4697.95, 0.005);
  EXPECT_NEAR(j["stations"][0]["mva"]["residence_ms"].get<double>(), 1.2859, 0.00005);
  EXPECT_EQ(j["simulation"]["throughput_rps"]["samples"].get<int>(), 3);
  EXPECT_EQ(j["bounds"]["binding"].get<std::string>(), "customers");
  const CliRun c = qn("--network " + kNet + " --replications 3 --jobs 5000 --format json --seed 2");
  EXPECT_NE(a.out, c.out);
}

TEST(QnCommand, CustomersFlagOverridesTheFile) {
  // N = 1: no queueing anywhere, X = 1 / (1 + 20) ms = 47.619/s.
  const CliRun r =
      qn("--network " + kNet + " --customers 1 --replications 2 --jobs 1000 --format json");
  ASSERT_EQ(r.status, 0);
  EXPECT_NEAR(nlohmann::json::parse(r.out)["mva"]["throughput_rps"].get<double>(), 1000.0 / 21.0,
              1e-9);
}

TEST(QnCommand, BadInputExitsWithStatusTwo) {
  EXPECT_EQ(qn("--network /nonexistent.json").status, 2);
  EXPECT_EQ(qn("--network " + kNet + " --customers 0").status, 2);
  EXPECT_EQ(qn("--network " + kNet + " --replications 1").status, 2);
  EXPECT_EQ(qn("--network " + kNet + " --format xml").status, 2);
  EXPECT_EQ(qn("").status, 2);
}

}  // namespace
