// `stacksim tune` as a user meets it: each bad input is one line naming the
// flag and what is wrong, exit status 2, nothing written; a good run's JSON
// carries the fields docs/tune.md lists.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run_command.hpp"

namespace stacksim {
namespace {

using testing::run_stacksim;

// Small runs, a short ladder.
const std::string kTune = "tune " + testing::kSmallRun + "--points 3 --quiet ";

const testing::BadInputCases expect_bad_input{kTune, "stacksim_tune_bad.txt"};

TEST(TuneBadInput, AnUnknownOrUntunableKnobIsNamed) {
  expect_bad_input("--stack gunicorn-flask --knob colour=1:2", {"--knob colour", "not a knob"});
  expect_bad_input("--stack gunicorn-flask --knob colour", {"--knob colour", "not a knob"});
  expect_bad_input("--stack gunicorn-flask --knob db_access=1:2", {"--knob db_access"});
  expect_bad_input("--stack gunicorn-flask --knob backlog", {"--knob backlog", "=LO:HI"});
}

TEST(TuneBadInput, AnEmptyOrReversedRangeIsNamed) {
  expect_bad_input("--stack gunicorn-flask --knob workers=9:3", {"--knob workers", "reversed"});
  expect_bad_input("--stack gunicorn-flask --knob sessions=2.2:2.8",
                   {"--knob sessions", "no whole number"});
  expect_bad_input("--stack gunicorn-flask --knob workers=3", {"--knob workers", "LO:HI"});
  expect_bad_input("--stack gunicorn-flask --knob backlog=0:10", {"--knob backlog", "outside"});
}

TEST(TuneBadInput, AnUnknownStackIsNamed) {
  expect_bad_input("--stack gunicorn-cobol", {"--stack gunicorn-cobol", "not in the model"});
}

TEST(TuneBadInput, ATargetNoConfigurationReachesSaysTheBestReached) {
  expect_bad_input(
      "--stack gunicorn-flask --throughput 1000000",
      {"--throughput", "no configuration reaches", "the best reached: gunicorn-flask"});
  expect_bad_input("--stack gunicorn-flask --p99-limit 0.001",
                   {"--p99-limit", "the best reached: gunicorn-flask"});
}

TEST(TuneJson, CarriesTheSchemaAndEveryDocumentedField) {
  const std::string out = ::testing::TempDir() + "stacksim_tune.json";
  const auto r = run_stacksim(kTune + "--stack gunicorn-flask --format json --out " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  std::ifstream in(out);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("schema"), "stacksim.tune");
  EXPECT_EQ(j.at("version"), 1);
  for (const char* f : {"model", "scenario", "goal", "search", "runs", "stacks"})
    EXPECT_TRUE(j.contains(f)) << f;
  const nlohmann::json& s = j.at("stacks").at(0);
  for (const char* f : {"stack", "type", "knobs", "reached", "chosen", "alternatives",
                        "rules_of_thumb", "why", "runs"})
    EXPECT_TRUE(s.contains(f)) << f;
  for (const char* f : {"knobs", "replications", "throughput_rps", "p50_ms", "p99_ms", "meets_goal",
                        "workers", "sessions", "ram_mb", "connections", "binding",
                        "binding_formula", "worker_hold_ms", "session_hold_ms"})
    EXPECT_TRUE(s.at("chosen").contains(f)) << f;
  EXPECT_TRUE(s.at("chosen").at("throughput_rps").contains("ci95"));
  EXPECT_EQ(s.at("rules_of_thumb").size(), 3u);
  EXPECT_EQ(s.at("chosen").at("knobs").size(), 2u);
}

}  // namespace
}  // namespace stacksim
