#include <gtest/gtest.h>

#include "calibrate/plan.hpp"
#include "sim/scenario/input_error.hpp"

namespace stacksim::calibrate {
namespace {

CalibrationRecord rec(const std::string& id, const std::string& stack, int clients, double delay_ms) {
  CalibrationRecord r;
  r.id = id;
  r.source = "runs.jsonl:" + id;
  r.stack = stack;
  r.workers = 5;
  r.clients = clients;
  r.sessions = 100;
  r.delay_ms = delay_ms;
  return r;
}

// Fit on {flask, 1 client, 0 ms} and {flask, 100 clients, 20 ms}; validating
// on other clients, another delay or another stack shares no configuration.
TEST(CheckDisjoint, AcceptsValidationOnConfigurationsNotFitted) {
  const std::vector<CalibrationRecord> fit{rec("a", "gunicorn-flask", 1, 0),
                                           rec("b", "gunicorn-flask", 100, 20)};
  const std::vector<CalibrationRecord> val{rec("c", "gunicorn-flask", 50, 20),
                                           rec("d", "gunicorn-flask", 100, 40),
                                           rec("e", "uvicorn-starlette", 100, 20)};
  EXPECT_NO_THROW(check_disjoint(fit, val));
}

// A repeat of a fitted configuration (different run id, same knobs) is the
// same configuration: refused, and the message names it and both records.
TEST(CheckDisjoint, RefusesARepeatOfAFittedConfiguration) {
  const std::vector<CalibrationRecord> fit{rec("a", "gunicorn-flask", 100, 20)};
  const std::vector<CalibrationRecord> val{rec("x", "gunicorn-flask", 50, 20),
                                           rec("y", "gunicorn-flask", 100, 20),
                                           rec("z", "gunicorn-flask", 100, 20)};
  try {
    check_disjoint(fit, val);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("1 configuration(s)"), std::string::npos) << m;
    EXPECT_NE(m.find("clients=100"), std::string::npos) << m;
    EXPECT_NE(m.find("runs.jsonl:a"), std::string::npos) << m;
    EXPECT_NE(m.find("runs.jsonl:y"), std::string::npos) << m;
  }
}

TEST(CheckDisjoint, KeyDiffersInEveryKnob) {
  const CalibrationRecord base = rec("a", "gunicorn-flask", 10, 20);
  auto differs = [&](CalibrationRecord other) {
    return configuration_key(other) != configuration_key(base);
  };
  CalibrationRecord r = base;
  r.id = "b";  // repeats: same key
  EXPECT_FALSE(differs(r));
  r = base, r.stack = "gunicorn-bottle";
  EXPECT_TRUE(differs(r));
  r = base, r.db_mode = "pool";
  EXPECT_TRUE(differs(r));
  r = base, r.workers = 6;
  EXPECT_TRUE(differs(r));
  r = base, r.clients = 11;
  EXPECT_TRUE(differs(r));
  r = base, r.sessions = 19;
  EXPECT_TRUE(differs(r));
  r = base, r.delay_ms = 20.5;
  EXPECT_TRUE(differs(r));
  r = base, r.cores = 1;
  EXPECT_TRUE(differs(r));
}

}  // namespace
}  // namespace stacksim::calibrate
