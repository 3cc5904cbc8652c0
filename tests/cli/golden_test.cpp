// Golden outputs: each shipped scenario, simulated with the shipped model at
// a reduced size, must print exactly the JSON kept in tests/golden/ — same
// seed, same bits. After an intended change to the model or the simulator,
// regenerate them with tests/golden/update.sh and review the diff.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
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
  const std::string golden =
      read_file(std::string(STACKSIM_SOURCE_DIR) + "/tests/golden/" + g.name + ".json");
  ASSERT_FALSE(golden.empty()) << "missing tests/golden/" << g.name << ".json";
  const auto r =
      testing::run_stacksim(std::string("sim --model models/") + g.model +
                            ".json --scenario scenarios/" + g.scenario + ".json " + kReducedRun);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(r.out == golden) << "output differs from tests/golden/" << g.name
                               << ".json; if the change is intended, run tests/golden/update.sh";
}

// What every golden must obey whatever the model, checked on the kept files
// (so a regenerated golden cannot bring in a result that breaks them):
// Little's law for the closed loop (C clients, no think time: X R = C), no
// throughput above the tightest analytic bound or above the binding bound
// at the simulated hold times, the latency breakdown adding up to the mean
// latency, percentiles in order, utilisations in [0, 1]. The window's edges
// (requests in flight when it opens and closes) allow 1% on the identities:
// at 4000 requests the goldens sit within 0.7% of Little's law and 0.3% of
// the binding bound.
class GoldenInvariants : public ::testing::TestWithParam<Golden> {};

TEST_P(GoldenInvariants, LittlesLawBoundsAndBreakdownHold) {
  const Golden g = GetParam();
  const auto doc = nlohmann::json::parse(
      read_file(std::string(STACKSIM_SOURCE_DIR) + "/tests/golden/" + g.name + ".json"));
  ASSERT_EQ(doc.at("scenario").value("load", "closed"), "closed");
  const double clients = doc.at("scenario").at("clients").get<double>();
  int stacks = 0;
  for (const auto& c : doc.at("configurations")) {
    ASSERT_TRUE(c.at("settings").empty()) << "a sweep: clients may differ per configuration";
    for (const auto& s : c.at("stacks")) {
      ++stacks;
      const std::string who = s.at("stack").get<std::string>();
      const double x = s.at("throughput_rps").at("mean").get<double>();
      const auto& lat = s.at("latency_ms");
      const double r_ms = lat.at("mean").at("mean").get<double>();
      EXPECT_NEAR(x * r_ms / 1e3, clients, 0.01 * clients) << who << ": Little's law";
      double tightest = std::numeric_limits<double>::infinity();
      for (const auto& b : s.at("explanation").at("analytic_bounds"))
        if (!b.at("rps").is_null()) tightest = std::min(tightest, b.at("rps").get<double>());
      EXPECT_LE(x, tightest * 1.01) << who;
      EXPECT_LE(x, s.at("explanation").at("bound_rps").get<double>() * 1.01) << who;
      double phases = 0;
      for (const auto& [phase, v] : s.at("breakdown_ms").items()) {
        EXPECT_GE(v.at("mean").get<double>(), 0) << who << " " << phase;
        phases += v.at("mean").get<double>();
      }
      EXPECT_NEAR(phases, r_ms, 1e-3 * r_ms) << who << ": the breakdown adds up";
      double last = 0;
      for (const char* p : {"p50", "p90", "p99", "p999", "max"}) {
        EXPECT_GE(lat.at(p).at("mean").get<double>(), last) << who << " " << p;
        last = lat.at(p).at("mean").get<double>();
      }
      const auto& u = s.at("utilisation");
      for (const char* f : {"cpu", "workers_busy", "worker_slots", "sessions"}) {
        EXPECT_GE(u.at(f).at("mean").get<double>(), 0) << who << " " << f;
        EXPECT_LE(u.at(f).at("mean").get<double>(), 1 + 1e-9) << who << " " << f;
      }
      EXPECT_LE(s.at("db_sessions_peak").at("mean").get<double>(),
                doc.at("scenario").at("sessions").get<double>())
          << who;
    }
  }
  EXPECT_GT(stacks, 0);
}

const auto kGoldens = ::testing::Values(
    Golden{"estimates", "original", "original"}, Golden{"estimates", "article", "article"},
    Golden{"estimates", "better-async", "better-async"},
    Golden{"estimates", "better-sync", "better-sync"},
    Golden{"estimates", "this-machine", "this-machine"},
    Golden{"this-machine", "article", "this-machine-model-article"},
    Golden{"this-machine", "this-machine", "this-machine-model-this-machine"});

std::string golden_name(const ::testing::TestParamInfo<Golden>& param_info) {
  std::string n = param_info.param.name;
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, GoldenOutput, kGoldens, golden_name);
INSTANTIATE_TEST_SUITE_P(Scenarios, GoldenInvariants, kGoldens, golden_name);

}  // namespace
}  // namespace stacksim
