// Bad input gets one message naming the file and the field, exit status 2,
// never a crash or a hang.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "run_command.hpp"

namespace stacksim {
namespace {

using testing::run_stacksim;

const char* kSim = "sim --model models/estimates.json --scenario scenarios/this-machine.json ";

void expect_bad_input(const std::string& args, const std::string& must_mention) {
  const auto r = run_stacksim(args);
  EXPECT_EQ(r.status, 2) << args << "\n" << r.out;
  EXPECT_NE(r.out.find(must_mention), std::string::npos)
      << args << ": the message should name '" << must_mention << "':\n"
      << r.out;
}

TEST(BadInput, MissingModelFileIsNamed) {
  expect_bad_input("sim --model models/nope.json --scenario scenarios/article.json",
                   "models/nope.json");
}

TEST(BadInput, ZeroClientsFromSetIsNamed) {
  expect_bad_input(std::string(kSim) + "--set clients=0", "clients");
}

TEST(BadInput, UnknownKnobIsNamed) {
  expect_bad_input(std::string(kSim) + "--set colour=red", "colour");
}

TEST(BadInput, UnknownStackIsNamedWithTheKnownOnes) {
  expect_bad_input(std::string(kSim) + "--stack gunicorn-cobol", "gunicorn-cobol");
}

TEST(BadInput, UnknownFieldInAScenarioFileIsNamed) {
  const std::string path = "/tmp/stacksim_bad_scenario.json";
  std::ofstream(path) << R"({"schema": "stacksim.scenario", "version": 1, "name": "x",
                           "cores": 2, "clinets": 10})";
  expect_bad_input("sim --model models/estimates.json --scenario " + path, "clinets");
  std::remove(path.c_str());
}

TEST(BadInput, MalformedJsonIsNamed) {
  const std::string path = "/tmp/stacksim_malformed.json";
  std::ofstream(path) << "{\"schema\": ";
  expect_bad_input("sim --model " + path + " --scenario scenarios/article.json", path);
  std::remove(path.c_str());
}

TEST(BadInput, AnUnknownCorrectionIsNamedWithTheFlag) {
  expect_bad_input(std::string(kSim) + "--corrections speed,turbo", "--corrections: \"turbo\"");
  expect_bad_input(std::string(kSim) + "--corrections speed,", "--corrections: \"\"");
}

TEST(BadInput, UnknownFormatIsRejected) {
  expect_bad_input(std::string(kSim) + "--format xml", "format");
}

TEST(BadInput, SequentialStoppingValuesNameTheirFlag) {
  expect_bad_input(std::string(kSim) + "--precision 0", "--precision: must be in (0, 1)");
  expect_bad_input(std::string(kSim) + "--precision -0.1", "--precision: must be in (0, 1)");
  expect_bad_input(std::string(kSim) + "--precision 1", "--precision: must be in (0, 1)");
  expect_bad_input(std::string(kSim) + "--precision 0.01 --max-replications 4",
                   "--max-replications: must be at least the replications (5)");
  expect_bad_input(std::string(kSim) + "--precision 0.01 --set replications=1",
                   "--precision: needs at least 2 replications");
  expect_bad_input(std::string(kSim) + "--max-replications 9", "--max-replications: only with");
  expect_bad_input(std::string(kSim) + "--precision 0.01 --shard 0/2 --out /tmp/never.jsonl",
                   "--precision: not with --out/--shard");
}

TEST(Cli, EverySubcommandHasHelp) {
  for (const char* sub : {"sim", "qn", "live", "calibrate"}) {
    const auto r = run_stacksim(std::string(sub) + " --help");
    EXPECT_EQ(r.status, 0) << sub << "\n" << r.out;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub;
  }
}

TEST(Cli, SimPrintsATableWithAVerdict) {
  const auto r =
      run_stacksim(std::string(kSim) +
                   "--stack gunicorn-flask --stack uvicorn-starlette --set requests=2000 "
                   "--set warmup_requests=200 --set replications=2");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("gunicorn-flask"), std::string::npos);
  EXPECT_NE(r.out.find("Verdict:"), std::string::npos);
  EXPECT_NE(r.out.find("bound by"), std::string::npos);
}

}  // namespace
}  // namespace stacksim
