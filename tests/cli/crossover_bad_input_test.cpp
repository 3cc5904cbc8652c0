// `stacksim crossover` as a user meets it: each bad input is one line naming
// the flag and what is wrong, exit status 2, and nothing written; a good map
// written with --out reads back as CSV.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "run_command.hpp"

namespace stacksim {
namespace {

using testing::run_stacksim;

// Small runs, one stack a side.
const std::string kCrossover =
    "crossover " + testing::kSmallRun + "--sync gunicorn-flask --async uvicorn-starlette ";

const testing::BadInputCases expect_bad_input{kCrossover, "stacksim_crossover_bad.csv"};

TEST(CrossoverBadInput, AnUnknownKnobOnEitherAxisIsNamed) {
  expect_bad_input("--x colour=1,2 --y delay_ms=0:40", {"--x", "\"colour\""});
  expect_bad_input("--x clients=10,20 --y colour=0:40", {"--y", "\"colour\""});
}

TEST(CrossoverBadInput, AKnobThatIsNotANumberIsNoAxis) {
  expect_bad_input("--x db_access=1,2 --y delay_ms=0:40", {"--x", "not a numeric knob"});
  expect_bad_input("--x replications=1,2 --y delay_ms=0:40", {"--x", "replications"});
}

TEST(CrossoverBadInput, AnEmptyOrReversedRangeIsNamed) {
  expect_bad_input("--x clients=10,20 --y delay_ms=5:5", {"--y", "is empty"});
  expect_bad_input("--x clients=10,20 --y delay_ms=40:0", {"--y", "is reversed"});
  expect_bad_input("--x clients=400:10:5 --y delay_ms=0:40", {"--x", "is reversed"});
  expect_bad_input("--x clients= --y delay_ms=0:40", {"--x", "expected KNOB=VALUES"});
  expect_bad_input("--x clients=10,20 --y delay_ms=0:abc", {"--y", "abc"});
}

TEST(CrossoverBadInput, ValuesOutsideTheKnobsRangeAreNamed) {
  expect_bad_input("--x clients=0,20 --y delay_ms=0:40", {"--x", "clients value 0"});
  expect_bad_input("--x clients=10.5 --y delay_ms=0:40", {"--x", "whole numbers"});
}

TEST(CrossoverBadInput, TheSameKnobOnBothAxesIsNamed) {
  expect_bad_input("--x delay_ms=1,2 --y delay_ms=0:40", {"--y", "the same knob as --x"});
}

TEST(CrossoverBadInput, AStackOnTheWrongSideIsNamed) {
  expect_bad_input("--sync uvicorn-starlette --x clients=10 --y delay_ms=0:40",
                   {"--sync", "\"uvicorn-starlette\" is a coroutine stack"});
  expect_bad_input("--async gunicorn-cobol --x clients=10 --y delay_ms=0:40",
                   {"--async", "gunicorn-cobol"});
}

TEST(CrossoverBadInput, ALevelAtOrBelowZeroIsNamed) {
  expect_bad_input("--x clients=10 --y delay_ms=0:40 --level 0", {"--level", "must be > 0"});
}

// The grid runs (4 points), then the level is found out of reach: exit 2,
// and --out is not written.
TEST(CrossoverBadInput, ALevelThatNoPointReachesIsNamedAndNothingIsWritten) {
  expect_bad_input("--x clients=50 --y delay_ms=0:20:2 --level 1000",
                   {"--level 1000: no point of the map reaches it"});
}

TEST(CrossoverCommand, WritesACsvThatReadsBack) {
  const std::string out = ::testing::TempDir() + "stacksim_crossover_good.csv";
  std::remove(out.c_str());
  const auto r = run_stacksim(
      kCrossover + "--x clients=50,100 --y delay_ms=0:30:4 --level 3 --format csv --out " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  std::ifstream in(out);
  std::string line;
  std::size_t cells = 0, curves = 0;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("record,level,x,y,ratio", 0), 0u) << line;
  while (std::getline(in, line)) {
    cells += line.rfind("cell,", 0) == 0;
    curves += line.rfind("curve,", 0) == 0;
  }
  EXPECT_EQ(cells, 8u);
  EXPECT_EQ(curves, 2u);
  std::remove(out.c_str());
}

}  // namespace
}  // namespace stacksim
