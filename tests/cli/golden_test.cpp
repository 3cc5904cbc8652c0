// Golden outputs: each shipped scenario, simulated with the shipped model at
// a reduced size, must print exactly the JSON kept in tests/golden/ — same
// seed, same bits. After an intended change to the model or the simulator,
// regenerate them with tests/golden/update.sh and review the diff.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "run_command.hpp"

namespace stacksim {
namespace {

// Keep in step with tests/golden/update.sh.
const char* kReducedRun =
    "--set requests=4000 --set warmup_requests=1000 --set replications=2 --format json";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class GoldenOutput : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenOutput, ShippedScenarioPrintsExactlyItsGoldenJson) {
  const std::string name = GetParam();
  const std::string golden = read_file(std::string(STACKSIM_SOURCE_DIR) + "/tests/golden/" +
                                       name + ".json");
  ASSERT_FALSE(golden.empty()) << "missing tests/golden/" << name << ".json";
  const auto r = testing::run_stacksim("sim --model models/estimates.json --scenario scenarios/" +
                                       name + ".json " + kReducedRun);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(r.out == golden) << "output differs from tests/golden/" << name
                               << ".json; if the change is intended, run tests/golden/update.sh";
}

INSTANTIATE_TEST_SUITE_P(Scenarios, GoldenOutput,
                         ::testing::Values("original", "article", "better-async", "better-sync",
                                           "this-machine"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace stacksim
