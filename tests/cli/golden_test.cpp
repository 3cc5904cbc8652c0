// Golden outputs: each shipped scenario, simulated with the shipped model at
// a reduced size, must print exactly the JSON kept in tests/golden/ — same
// seed, same bits. After an intended change to the model or the simulator,
// regenerate them with tests/golden/update.sh and review the diff.
#include <gtest/gtest.h>

#include <fstream>
#include <ostream>
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

// A golden file is named after its scenario, prefixed with the model's
// label when the model is not the estimates.
struct Golden {
  const char* model;     // under models/
  const char* scenario;  // under scenarios/
  const char* name;      // under tests/golden/
};

void PrintTo(const Golden& g, std::ostream* os) {
  *os << g.model << " x " << g.scenario;
}

class GoldenOutput : public ::testing::TestWithParam<Golden> {};

TEST_P(GoldenOutput, ShippedScenarioPrintsExactlyItsGoldenJson) {
  const Golden g = GetParam();
  const std::string golden = read_file(std::string(STACKSIM_SOURCE_DIR) + "/tests/golden/" +
                                       g.name + ".json");
  ASSERT_FALSE(golden.empty()) << "missing tests/golden/" << g.name << ".json";
  const auto r = testing::run_stacksim(std::string("sim --model models/") + g.model +
                                       ".json --scenario scenarios/" + g.scenario + ".json " +
                                       kReducedRun);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(r.out == golden) << "output differs from tests/golden/" << g.name
                               << ".json; if the change is intended, run tests/golden/update.sh";
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, GoldenOutput,
    ::testing::Values(Golden{"estimates", "original", "original"},
                      Golden{"estimates", "article", "article"},
                      Golden{"estimates", "better-async", "better-async"},
                      Golden{"estimates", "better-sync", "better-sync"},
                      Golden{"estimates", "this-machine", "this-machine"},
                      Golden{"this-machine", "article", "this-machine-model-article"},
                      Golden{"this-machine", "this-machine", "this-machine-model-this-machine"}),
    [](const auto& param_info) {
      std::string n = param_info.param.name;
      for (char& c : n)
        if (c == '-') c = '_';
      return n;
    });

}  // namespace
}  // namespace stacksim
