#include "calibrate/plan.hpp"

#include <gtest/gtest.h>

#include "common/input_error.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live/sweep.hpp"
#include "tests/support/input_error.hpp"

namespace stacksim::calibrate {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

CalibrationRecord rec(const std::string& id, const std::string& stack, int clients,
                      double delay_ms) {
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
  const std::string m = input_error_of([&] { check_disjoint(fit, val); });
  EXPECT_TRUE(says(m, "1 configuration(s)"));
  EXPECT_TRUE(says(m, "clients=100"));
  EXPECT_TRUE(says(m, "runs.jsonl:a"));
  EXPECT_TRUE(says(m, "runs.jsonl:y"));
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

live::SweepPlan plan(const nlohmann::json& runs, const std::string& name) {
  return live::parse_sweep({{"schema", "stacksim.live-sweep"},
                            {"version", 1},
                            {"name", name},
                            {"runs", runs},
                            {"repeats", 2}},
                           name + ".json", live::RunConfig{});
}

// Plans are checked before anything runs: workers are resolved as the live
// runner will (2 * cores + 1 for sync, cores otherwise), repeats collapse to
// one configuration, and a shared configuration is refused by name.
TEST(PlanConfigurations, ResolveWorkersAndRefuseSharedConfigurations) {
  const live::StackRecipes recipes = live::load_stack_recipes(live::default_stacks_path());
  const live::SweepPlan fit = plan({{{"stack", "gunicorn-flask"}, {"clients", 1}},
                                    {{"stack", "uvicorn-starlette"}, {"clients", 1}}},
                                   "fit");
  const std::vector<std::string> keys = plan_configurations(fit, recipes, 2);
  ASSERT_EQ(keys.size(), 2u);  // 4 points: 2 configurations x 2 repeats
  EXPECT_NE(keys[0].find("stack=gunicorn-flask db_mode=connect workers=5 clients=1"),
            std::string::npos)
      << keys[0];
  EXPECT_NE(keys[1].find("stack=uvicorn-starlette db_mode=connect workers=2 clients=1"),
            std::string::npos)
      << keys[1];
  const live::SweepPlan one_core =
      plan({{{"stack", "gunicorn-flask"}, {"clients", 1}, {"cores", 1}}}, "one-core");
  EXPECT_NE(plan_configurations(one_core, recipes, 2).front().find("workers=3"), std::string::npos);

  // Another core count or client count is another configuration...
  const live::SweepPlan held_out = plan({{{"stack", "gunicorn-flask"}, {"clients", 2}}}, "v");
  EXPECT_NO_THROW(check_configurations_disjoint(keys, plan_configurations(held_out, recipes, 2),
                                                "fit.json", "v.json"));
  EXPECT_NO_THROW(check_configurations_disjoint(keys, plan_configurations(one_core, recipes, 2),
                                                "fit.json", "one-core.json"));
  // ...but the same one, even with explicit default workers, is refused.
  const live::SweepPlan same =
      plan({{{"stack", "uvicorn-starlette"}, {"clients", 1}, {"workers", 2}}}, "v");
  try {
    check_configurations_disjoint(keys, plan_configurations(same, recipes, 2), "fit.json",
                                  "v.json");
    ADD_FAILURE() << "a shared configuration was accepted";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("v.json shares 1 configuration(s) with fit.json"), std::string::npos)
        << what;
    EXPECT_NE(what.find("stack=uvicorn-starlette"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace stacksim::calibrate
